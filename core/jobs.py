"""Runs a task for a config once.

The CLI (``run_sync``) and the app's Dask workers (``core.engine.training.train_on_worker``) share
``execute``: look the key up in the store, else take the key's lock, look again (another process
may have finished it), train, refuse NaN, store. Queueing, progress and cancel across sessions
belong to ``core.engine``.
"""

from __future__ import annotations

import time
from types import ModuleType

from core.result import Progress, Result
from core.store import Store, make_key
from core.tasks import hook


def key_for(task: ModuleType, config, data) -> str:
    """Store key of (task, settings, data). A task may provide ``key_config(config)``: the settings
    that decide its result (e.g. the main forecast ignores ``walk_forward``), so changing another
    field does not retrain it."""
    key_config = hook(task, "key_config")
    if key_config is not None:
        config = key_config(config)
    return make_key(task.NAME, task.SCHEMA, config.to_dict(), data.fingerprint)


def execute(task: ModuleType, config, data, store: Store, progress: Progress | None = None
            ) -> Result:
    """The Result for (task, config, data): the stored one (``cached`` True), else trained here,
    stored and returned with ``cached`` False and its training ``seconds`` (stored with it). The
    one place that decides both; the app's engine reports what this returned."""
    key = key_for(task, config, data)
    hit = store.get(key)
    if hit is not None:
        return hit
    with store.lock(key):
        hit = store.get(key)
        if hit is not None:
            return hit
        progress = progress or Progress()
        start = time.perf_counter()
        result = task.train(config, data, progress)
        result.seconds = time.perf_counter() - start
        result.config = config.to_dict()
        try:
            stored = store.put(key, result, {"task": task.NAME})
        except BaseException:
            result.remove_when_dropped(*result.files.values())
            raise
        # the run's temporary files (the store has its own copies) go with the Result returned
        stored.remove_when_dropped(*stored.files.values())
        return stored


def run_sync(task: ModuleType, config, data, store: Store | None = None) -> tuple[str, Result]:
    store = store or Store()
    return key_for(task, config, data), execute(task, config, data, store)
