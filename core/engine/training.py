"""Worker side of a training: the Dask task that runs ``jobs.execute`` on a worker, publishes its
progress to the scheduler and stops when the page's Cancel sets the job's Event.

The task returns only a small status; the Result goes to the store, the one result channel.
Workers import this module by its path (Dask pickles ``train_on_worker`` by reference), so it
stays free of TensorFlow: the task module imports what it trains with.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from core.engine.job import CANCELLED, DONE, FAILED
from core.engine.recent import Recent
from core.errors import UserError
from core.result import Progress, jsonable
from core.store import Store

PUBLISH_EVERY = 0.5    # seconds between progress messages from a worker (the page reads every 1 s)
CANCEL_POLL = 1.0      # seconds between cancel checks on a worker

_DATA: Recent[Any] = Recent(2)  # per worker process: data rebuilt from a config


class _DaskCancel:
    """Looks like ``threading.Event`` to ``Progress``; asks the scheduler at most every CANCEL_POLL s."""

    def __init__(self, name: str):
        from distributed import Event

        self._event, self._checked, self._set = Event(name), 0.0, False

    def is_set(self) -> bool:
        now = time.monotonic()
        if not self._set and now - self._checked >= CANCEL_POLL:
            self._checked = now
            self._set = self._event.is_set()
        return self._set

    def set(self) -> None:
        self._event.set()

    def asked_already(self) -> bool:
        """Whether the cancel came before the training started (no effect on the polling)."""
        return self._event.is_set()


class _Publisher:
    """Progress listener on the worker: the latest event and the scalar history, sent to the
    scheduler's metadata at most every PUBLISH_EVERY s (and always the first and last)."""

    def __init__(self, client, key: str, progress: Progress):
        self.client, self.key, self.progress = client, key, progress
        self.started, self.sent = time.time(), 0.0
        self.publish({})

    def publish(self, event: dict) -> None:
        self.client.set_metadata(["findl", self.key], {
            "started": self.started, "latest": jsonable(event, array_decimals=4),
            "history": self.progress.history})
        self.sent = time.monotonic()

    def __call__(self, event: dict) -> None:
        if time.monotonic() - self.sent >= PUBLISH_EVERY or event.get("step") == event.get("total"):
            self.publish(event)


@dataclass(frozen=True)
class SourceFile:
    """Data a job does not carry: the worker parses the file at ``path`` (in the store)."""

    path: str


def shipped(data: Any, store: Store) -> Any:
    """What a job sends to the worker: nothing for data a task can rebuild from the config alone
    (``data.from_config``: generated or bundled); for data parsed from a file the server still
    holds (an upload, ``core.data.sources``), the file put in a local store (``SourceFile``);
    else the data. Generated card transactions are ~20 MB pickled and a large upload 180 MB; in
    the task graph they sit on the server and the scheduler for as long as the job lives, once
    per queued job (forty students, forty copies)."""
    from core.data import sources

    if getattr(data, "from_config", False):
        return None
    raw = sources.raw_of(data)
    path = store.keep_source(raw) if raw is not None else None
    return data if path is None else SourceFile(path)


def _worker_data(task: ModuleType, config, fingerprint: str, source: SourceFile | None = None) -> Any:
    """``task.load_data(config)`` (or of the ``source`` file) on the worker, the last two kept (a
    second run on the same rows with other model settings loads nothing). The fingerprint must be
    the server's."""

    def load():
        data = task.load_data(config, source.path) if source is not None else task.load_data(config)
        if data.fingerprint != fingerprint:
            raise RuntimeError(f"{task.NAME}: data rebuilt on the worker differs from the server's "
                               f"({data.fingerprint[:12]} vs {fingerprint[:12]}); check the versions match")
        return data

    return _DATA.get((task.__name__, fingerprint), load)


def train_on_worker(task_module: str, config_values: dict, data: Any, store_location: str,
                    job_key: str, fingerprint: str | None = None) -> dict[str, Any]:
    """The Dask task: ``jobs.execute`` on a worker. Returns {"state": done|failed|cancelled,
    "error": message, "cached": whether ``execute`` found the run stored instead of training it}.
    How long it trained is in the store with the Result; a run the store could not keep comes
    back itself instead (``"result"``: ``Result.detached``, its files' bytes held). ``task_module`` is the task's module path
    (workers import it; tests use their own tasks). ``data`` is None when the worker rebuilds it
    from the config (``shipped``); ``fingerprint`` is then the server's, to check the rebuild against."""
    import importlib

    from distributed import get_client

    from core import jobs
    from core.errors import Cancelled

    task = importlib.import_module(task_module)
    config = task.Config(**config_values)
    client = get_client()
    cancel = _DaskCancel(f"findl-cancel-{job_key}")
    if cancel.asked_already():  # cancelled while queued, and handed to this worker all the same
        return {"state": CANCELLED, "error": "cancelled before it started"}
    progress = Progress(cancel=cancel)
    progress.listener = _Publisher(client, job_key, progress)
    try:
        if data is None or isinstance(data, SourceFile):
            data = _worker_data(task, config, fingerprint, data)
        result = jobs.execute(task, config, data, Store(store_location), progress)
    except Cancelled:
        return {"state": CANCELLED, "error": "cancelled"}
    except UserError as exc:
        return {"state": FAILED, "error": str(exc)}
    except Exception as exc:  # a bug: one line for the page; the worker log has the traceback
        logging.getLogger("findl").exception("training failed")
        return {"state": FAILED, "error": f"internal error: {type(exc).__name__}: {exc}"}
    if result.not_stored:
        return {"state": DONE, "error": None, "cached": False, "result": result.detached()}
    return {"state": DONE, "error": None, "cached": result.cached}
