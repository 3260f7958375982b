"""Runs a task for a config once.

The CLI (``run_sync``) and the app's Dask workers (``core.engine.training.train_on_worker``) share
``execute``: look the key up in the store, else take the key's lock, look again (another process
may have finished it), train, refuse NaN, store. Queueing, progress and cancel across sessions
belong to ``core.engine``. A store that cannot be written does not cost the training: the run is
returned with ``not_stored`` saying why (the page and the CLI show it and say so).
"""

from __future__ import annotations

import time
from types import ModuleType

from core.result import Progress, Result
from core.store import NotStored, Store, make_key
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
    one place that decides both; the app's engine reports what this returned. When the store
    cannot keep it, the trained Result itself comes back with ``not_stored`` set (its temporary
    files live as long as it does)."""
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
        except NotStored as exc:
            result.not_stored = str(exc)
            return result
        result.delete_files()  # the store has them: now, not whenever the Result is collected
        return stored


def run_sync(task: ModuleType, config, data, store: Store | None = None) -> tuple[str, Result]:
    store = store or Store()
    return key_for(task, config, data), execute(task, config, data, store)
