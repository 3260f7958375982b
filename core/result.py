"""What a training run produces, and the progress channel it reports through."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.errors import Cancelled, TrainingDiverged


@dataclass
class Result:
    """metrics/info are JSON; arrays are numeric NumPy arrays; model_path is a ``.keras`` file;
    config is the run's settings (``Config.to_dict()``), so a page can tell which run it shows."""

    metrics: dict[str, Any]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    model_path: str | None = None
    seconds: float = 0.0
    cached: bool = False
    config: dict[str, Any] | None = None


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

    @property
    def fraction(self) -> float:
        if not self.latest:
            return 0.0
        return min(1.0, self.latest["step"] / max(1, self.latest["total"]))
