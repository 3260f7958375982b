"""What a training run produces, and the progress channel it reports through."""

from __future__ import annotations

import math
import os
import shutil
import threading
import weakref
from collections.abc import Callable
from dataclasses import InitVar, dataclass, field
from typing import Any

import numpy as np

from core.errors import Cancelled, TrainingDiverged

MODEL_FILE = "model.keras"


@dataclass
class Result:
    """metrics/info are JSON; arrays are numeric NumPy arrays; files are named files a run keeps
    ({"model.keras": path, "encoder.keras": path, "vectorizer.json": path}: plain file names, the
    store checks them); config is the run's settings (``Config.to_dict()``), so a page can tell
    which run it shows. ``memo`` is never stored: a task's ``predict`` keeps what it loaded there
    (the engine keeps recently used Results loaded on each worker).

    ``model_path=`` is still accepted and means ``files={"model.keras": model_path}``; reading
    ``model_path`` gives that file (or the first one), for code written for one model per run."""

    metrics: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    model_path: InitVar[str | None] = None
    seconds: float = 0.0
    cached: bool = False
    config: dict[str, Any] | None = None
    files: dict[str, str] = field(default_factory=dict)
    # not stored: what a task's predict() keeps between calls on a worker (a loaded Keras model)
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    key: str | None = field(default=None, compare=False)  # the store key it was read under (Engine.predict)

    def __post_init__(self, model_path: str | None) -> None:
        if model_path:
            self.files = {MODEL_FILE: str(model_path), **self.files}

    def remove_when_dropped(self, *paths: str) -> None:
        """Delete these temporary files or folders when this Result is garbage-collected (or the
        process exits): the Result is what its readers hold while they use its files, so the
        files live exactly as long as someone can still read them through it."""
        weakref.finalize(self, _remove, paths)


def _remove(paths: tuple[str, ...]) -> None:
    for path in paths:
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.exists(path):
            os.remove(path)


def _model_path(self: Result) -> str | None:
    return self.files.get(MODEL_FILE) or next(iter(self.files.values()), None)


# set after @dataclass: the dataclass reads the class attribute ``model_path`` as the InitVar's default
Result.model_path = property(_model_path, doc="The run's model file: files['model.keras'], else the first file.")


class Progress:
    """Passed to ``train``. ``update`` records an event, wakes watchers and raises Cancelled
    when a user asked to stop; it also turns a NaN/inf loss into TrainingDiverged."""

    def __init__(self, cancel: threading.Event | None = None,
                 listener: Callable[[dict[str, Any]], None] | None = None):
        self.cancel = cancel or threading.Event()
        self.listener = listener
        self.latest: dict[str, Any] = {}
        self.history: list[dict[str, Any]] = []

    def update(self, step: int, total: int, **values: Any) -> None:
        for key in ("loss", "train_loss", "val_loss"):
            if key in values and not math.isfinite(float(values[key])):
                raise TrainingDiverged()
        event = {"step": int(step), "total": int(total), **values}
        scalars = {k: v for k, v in event.items() if isinstance(v, (int, float, str))}
        self.history.append(scalars)
        self.latest = event
        if self.listener:
            self.listener(event)
        if self.cancel.is_set():
            raise Cancelled()


def jsonable(value: Any, array_decimals: int | None = None) -> Any:
    """Plain JSON values: the one sanitiser of metrics, progress events and CLI output.

    Dicts get string keys, tuples and NumPy arrays become lists, NumPy scalars become Python
    ones, NaN/inf become None (``json.dumps`` would write ``NaN``, which is not JSON).
    ``array_decimals`` rounds the floats of arrays (progress snapshots are drawn, not read:
    fewer digits keep the messages small)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v, array_decimals) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":  # vectorised: a progress snapshot has thousands of values
            value = value.astype(float) if array_decimals is None else value.astype(float).round(array_decimals)
            finite = np.isfinite(value)
            return (value if finite.all() else np.where(finite, value, None)).tolist()
        return value.tolist() if value.dtype.kind in "biu" else jsonable(value.tolist())
    if isinstance(value, (list, tuple)):
        return [jsonable(v, array_decimals) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.generic):  # np.str_, np.datetime64, ...
        return value.item()
    return value
