"""Worker side of scoring new inputs with a stored run (``Engine.predict``): a typed sentence.

Not a Dask task: a task would queue behind trainings on the worker's one task thread. The server
calls ``_score_beside_training`` with ``client.run``; it runs ``predict_on_worker`` in a scoring
thread of the worker's own, so scoring never waits for a training (the sentiment page's < 150 ms).
"""

from __future__ import annotations

from typing import Any

from core.engine.recent import Recent
from core.errors import UserError
from core.result import Result
from core.store import Store

_LOADED: Recent[Result] = Recent(8)  # per worker process, with each run's memo (its loaded model)
_SCORING: list = []  # per worker process: the one thread that scores (beside the task thread)


def predict_on_worker(task_module: str, store_location: str, key: str, inputs: Any) -> Any:
    """``task.predict(result, inputs)`` with the stored run ``key``. The last eight runs stay loaded
    with their ``memo`` (where a task keeps its loaded model), so a second sentence is scored
    without loading anything."""
    import importlib

    task = importlib.import_module(task_module)
    result = _LOADED.get((store_location, key), lambda: Store(store_location).get(key))
    if result is None:
        raise UserError("this run is no longer in the result store: train it again")
    return task.predict(result, inputs)


async def _score_beside_training(task_module: str, store_location: str, key: str, inputs: Any,
                                 timeout: float, dask_worker=None) -> Any:
    """Run by ``client.run`` in a worker's event loop: ``predict_on_worker`` in the scoring thread."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    if not _SCORING:
        _SCORING.append(ThreadPoolExecutor(1, thread_name_prefix="findl-scoring"))
    return await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(
        _SCORING[0], predict_on_worker, task_module, store_location, key, inputs), timeout)
