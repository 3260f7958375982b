"""What a training run produces, and the progress channel it reports through."""

from __future__ import annotations

import math
import os
import shutil
import threading
import weakref
from collections.abc import Callable
from dataclasses import InitVar, dataclass, field, replace
from pathlib import Path
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

    A training's files are temporary files this Result owns: they are deleted when it is dropped,
    however it was made (``jobs.execute``, a test calling ``train``). The store's Results point at
    an entry's own files and pass ``own_files=False``. ``not_stored`` says why a trained run could
    not be written to the store (shown, not kept); ``detached`` holds its files' bytes so the run
    can travel from a worker to the page that shows it (``file_bytes`` reads held or on-disk files).

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
    not_stored: str | None = field(default=None, compare=False)  # why the store refused it (never stored)
    own_files: InitVar[bool] = True
    # not stored: the files' bytes, for a run the store could not keep (they outlive the temporary files)
    held: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self, model_path: str | None, own_files: bool) -> None:
        if model_path:
            self.files = {MODEL_FILE: str(model_path), **self.files}
        if own_files and self.files:
            self.remove_when_dropped(*self.files.values())

    def remove_when_dropped(self, *paths: str) -> None:
        """Delete these temporary files or folders when this Result is garbage-collected (or the
        process exits): the Result is what its readers hold while they use its files, so the
        files live exactly as long as someone can still read them through it."""
        weakref.finalize(self, _remove, paths)

    def delete_files(self) -> None:
        """Delete this Result's files now (the store has copied them)."""
        _remove(tuple(self.files.values()))

    def detached(self) -> Result:
        """A copy that needs none of this Result's files on disk: their bytes held, no memo, owning
        nothing. How a run the store refused travels from a worker to the page that shows it."""
        return replace(self, memo={}, own_files=False,
                       held={name: Path(path).read_bytes() for name, path in self.files.items()})

    def file_bytes(self, name: str) -> bytes | None:
        """The bytes of the named file: held ones first, else read from its path; None when the
        file is gone (a store entry deleted under a page that still shows the run)."""
        if name in self.held:
            return self.held[name]
        path = self.files.get(name)
        try:
            return Path(path).read_bytes() if path else None
        except (FileNotFoundError, NotADirectoryError):
            return None


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
