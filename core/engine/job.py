"""One training as the server sees it: its Dask future, its state and the progress its worker
publishes. The one state machine of a training; the job panel reads it and keeps none of its own.

    QUEUED -> RUNNING -> DONE | FAILED | CANCELLED        (QUEUED -> CANCELLED before it starts)

A stored run is not a Job: the panel reads it from the store (``Engine.stored``). A Job is only
made by a submit that has to train.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from core.result import Result
from core.store import Store

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
KILLED = ("the worker training this run stopped (killed or out of memory); nothing was stored. "
          "Press 'Train again' to retry")
STOPPED = "the training engine stopped ({why}); nothing was stored. Press 'Train again' to retry"


@dataclass
class Job:
    key: str               # store key
    dask_key: str
    task: ModuleType
    config: Any
    store: Store
    future: Any
    ticket: int
    submitted: float = field(default_factory=time.time)
    state: str = QUEUED
    result: Result | None = None
    error: str | None = None
    started: float | None = None
    finished: float | None = None
    watchers: set = field(default_factory=set)
    cancelled_by: str | None = None  # the watcher that pressed Cancel: for it (only) the cancel is final
    _latest: dict = field(default_factory=dict)
    _history: list = field(default_factory=list)
    _read: float = 0.0
    # Every session's rerun refreshes the jobs it sees (the sidebar: all of them), from its own
    # thread: one transition at a time per job, or one session releases the future while another
    # reads its result (FutureCancelledError in the classroom benchmark).
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def active(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    def ended_for(self, watcher: str) -> bool:
        """Whether ``watcher`` must press "Train again" before these settings train again: a
        failure (divergence, bad data) would fail the same way, so it is never resubmitted on its
        own; a cancel is final only for whoever cancelled (another session just submits again)."""
        return self.state == FAILED or (self.state == CANCELLED and self.cancelled_by == watcher)

    @property
    def latest(self) -> dict:
        return self._latest

    @property
    def history(self) -> list:
        return self._history

    @property
    def fraction(self) -> float:
        event = self._latest
        if not event or "total" not in event:
            return 0.0
        return min(1.0, event["step"] / max(1, event["total"]))
