"""Runs a task for a config once.

``run_sync`` (CLI) and ``JobRunner`` (app) share ``execute``: look the key up in the store, else
take the key's lock, look again (another process may have finished it), train, refuse NaN, store.
The app's runner trains in background threads so a Streamlit rerun never kills a training;
sessions asking for the same key attach to the same Job; at most ``FINDL_WORKERS`` (default 1)
trainings run at a time and the others wait in a visible queue.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
import traceback
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from core.errors import Cancelled, UserError
from core.result import Progress, Result
from core.store import Store, make_key


def key_for(task: ModuleType, config, data) -> str:
    """Store key of (task, settings, data). A task may provide ``key_config(config)``: the settings
    that decide its result (e.g. the main forecast ignores ``walk_forward``), so changing another
    field does not retrain it."""
    key_config = getattr(task, "key_config", None)
    if key_config is not None:
        config = key_config(config)
    return make_key(task.NAME, task.SCHEMA, config.to_dict(), data.fingerprint)


def execute(task: ModuleType, config, data, store: Store, progress: Progress | None = None
            ) -> Result:
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
        finally:
            for path in result.files.values():  # the store has its own copies now
                if os.path.exists(path):
                    os.remove(path)
        stored.cached = False
        return stored


def run_sync(task: ModuleType, config, data, store: Store | None = None) -> tuple[str, Result]:
    store = store or Store()
    return key_for(task, config, data), execute(task, config, data, store)


QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"


@dataclass
class Job:
    key: str
    task: ModuleType
    config: Any
    data: Any
    ticket: int
    state: str = QUEUED
    result: Result | None = None
    error: str | None = None
    progress: Progress = field(default_factory=Progress)
    started: float | None = None
    finished: float | None = None
    done_event: threading.Event = field(default_factory=threading.Event)
    watchers: set = field(default_factory=set)  # sessions waiting for this job

    @property
    def active(self) -> bool:
        return self.state in (QUEUED, RUNNING)

    def cancel(self) -> None:
        self.progress.cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self.done_event.wait(timeout)


class JobRunner:
    def __init__(self, store: Store | None = None, workers: int | None = None):
        self.store = store or Store()
        self.workers = workers or int(os.environ.get("FINDL_WORKERS", "1") or 1)
        self._jobs: dict[str, Job] = {}
        self._queue: list[Job] = []
        self._lock = threading.Condition()
        self._tickets = itertools.count()
        self._threads = [threading.Thread(target=self._work, name=f"findl-worker-{i}", daemon=True)
                         for i in range(self.workers)]
        for thread in self._threads:
            thread.start()

    def submit(self, task: ModuleType, config, data, watcher: str | None = None) -> Job:
        """The job for this key: a finished stored result, the running/queued job, or a new one.
        ``watcher`` (a session id) marks who waits for it; see ``release``."""
        key = key_for(task, config, data)
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and (job.active or job.state == DONE):
                if watcher:
                    job.watchers.add(watcher)
                return job
        cached = self.store.get(key)
        with self._lock:
            job = Job(key, task, config, data, next(self._tickets))
            if watcher:
                job.watchers.add(watcher)
            self._jobs[key] = job
            if cached is not None:
                job.state, job.result, job.finished = DONE, cached, time.time()
                job.done_event.set()
                self._forget_old()
            else:
                self._queue.append(job)
                self._lock.notify()
            return job

    def get(self, key: str) -> Job | None:
        """The latest job of this key (active, done, failed or cancelled), if any."""
        with self._lock:
            return self._jobs.get(key)

    def queue_position(self, job: Job) -> int:
        """0 when running or done; n when n-1 jobs wait ahead of it."""
        with self._lock:
            if job.state != QUEUED:
                return 0
            return 1 + self._queue.index(job) if job in self._queue else 0

    def release(self, key: str, watcher: str) -> None:
        """``watcher`` moved on to other settings: a queued job nobody waits for any more is
        dropped, so a student trying ten values does not queue ten runs ahead of the class.
        A running job finishes (its result is stored for whoever asks next)."""
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                return
            job.watchers.discard(watcher)
            if job.state == QUEUED and not job.watchers and job in self._queue:
                self._queue.remove(job)
                self._jobs.pop(key, None)
                self._finish(job, CANCELLED, error="dropped: nobody waits for these settings any more")

    def cancel(self, job: Job) -> None:
        with self._lock:
            if job.state == QUEUED and job in self._queue:
                self._queue.remove(job)
                self._finish(job, CANCELLED, error="cancelled before it started")
                return
        job.cancel()

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            running = sum(1 for j in self._jobs.values() if j.state == RUNNING)
            return {"running": running, "queued": len(self._queue), "workers": self.workers}

    def _finish(self, job: Job, state: str, result: Result | None = None, error: str | None = None):
        job.state, job.result, job.error = state, result, error
        job.finished = time.time()  # failed/cancelled jobs stay visible; submit() replaces them
        job.done_event.set()
        self._forget_old()

    def _forget_old(self, keep: int = 256) -> None:
        """Bound memory: finished results beyond ``keep`` are dropped (the store still has them)."""
        done = [j for j in self._jobs.values() if not j.active]
        for job in sorted(done, key=lambda j: j.finished or 0)[:-keep]:
            self._jobs.pop(job.key, None)

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._queue:
                    self._lock.wait()
                job = self._queue.pop(0)
                job.state, job.started = RUNNING, time.time()
            try:
                result = execute(job.task, job.config, job.data, self.store, job.progress)
            except Cancelled:
                with self._lock:
                    self._finish(job, CANCELLED, error="cancelled")
            except UserError as exc:
                with self._lock:
                    self._finish(job, FAILED, error=str(exc))
            except Exception as exc:  # a bug: keep the server alive, show a short message
                traceback.print_exc()
                with self._lock:
                    self._finish(job, FAILED, error=f"internal error: {type(exc).__name__}: {exc}")
            else:
                with self._lock:
                    self._finish(job, DONE, result=result)


_RUNNER: JobRunner | None = None
_RUNNER_LOCK = threading.Lock()


def runner() -> JobRunner:
    """The process-wide runner the app uses (one per Streamlit server)."""
    global _RUNNER
    with _RUNNER_LOCK:
        if _RUNNER is None:
            _RUNNER = JobRunner()
        return _RUNNER
