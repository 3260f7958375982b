"""The server's job registry (``Engine``): one Job per store key, shared by every session.

Sessions attach to the Job for their settings (as watchers), so identical settings train once and
a result never vanishes when the session that asked for it goes away: the registry holds the
futures. Thread-safe: every Streamlit session calls it from its own thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import threading
import time
from concurrent.futures import CancelledError
from types import ModuleType
from typing import Any

from core.engine.job import CANCELLED, DONE, FAILED, KILLED, QUEUED, RUNNING, Job
from core.engine.recent import Recent
from core.engine.scoring import _score_beside_training
from core.engine.training import shipped, train_on_worker
from core.errors import EngineUnavailable, UserError
from core.result import Result
from core.store import Store
from core.tasks import hook

STATE_POLL = 0.5       # seconds between progress reads on the server, per job
KEEP_FINISHED = 256    # finished jobs kept in the registry (the store keeps every result)
KEEP_STORED = 32       # stored runs kept read on the server (each page rerun shows one)


class Engine:
    """Trainings on a Dask client: ``submit``/``get``/``refresh``/``wait`` a Job, ``watch`` and
    ``release`` (who waits for what), ``cancel``, ``queue_position``, ``snapshot`` (the sidebar's
    load), ``stored`` (a stored run, no Job) and ``forget``, ``predict`` (score new inputs on a worker)."""

    def __init__(self, client=None):
        self._client = client
        self._starting: threading.Thread | None = None
        self._start_error: str | None = None
        self._jobs: dict[str, Job] = {}
        self._watching: dict[str, str] = {}  # watcher (a page's panel) -> the key it shows
        self._stored: Recent[Result] = Recent(KEEP_STORED)  # (store location, key) -> stored run
        self._scorer: dict[str, str] = {}  # run key -> the worker that scores it (its model stays loaded there)
        self._lock = threading.RLock()
        self._tickets = itertools.count()

    def start(self) -> None:
        """Connect (or start the local cluster) in the background; pages render meanwhile."""
        with self._lock:
            if self._client is not None or (self._starting is not None and self._starting.is_alive()):
                return
            self._start_error = None
            self._starting = threading.Thread(target=self._connect, name="findl-engine-start", daemon=True)
            self._starting.start()

    def _connect(self) -> None:
        try:
            from core.cluster import start_client

            client = start_client()
        except Exception as exc:  # shown as one line where a job is asked for
            self._start_error = f"{type(exc).__name__}: {exc}"
            return
        self._client = client  # one assignment; callers may hold the lock while they wait for it

    @property
    def ready(self) -> bool:
        return self._client is not None

    @property
    def client(self):
        if self._client is None:
            self.start()
            self._starting.join(timeout=180)
        if self._client is None:
            where = os.environ.get("FINDL_SCHEDULER") or "the local cluster"
            raise EngineUnavailable(f"the training engine ({where}) is not available: "
                                    f"{self._start_error or 'still starting'}")
        return self._client

    @property
    def store(self) -> Store:
        return Store()  # FINDL_STORE at call time

    def workers(self) -> int:
        return max(1, sum(w.get("nthreads", 1) for w in self.client.scheduler_info().get("workers", {}).values()))

    # ---- stored runs ---------------------------------------------------------------------------
    def stored(self, key: str, store: Store | None = None) -> Result | None:
        """The stored run ``key``, read from the store (None when it is not there). Not a Job: a
        Job is a training. The last KEEP_STORED runs read stay in memory, because every rerun of
        a page shows its result again (a read checks every file's checksum)."""
        store = store or self.store
        return self._stored.get((store.location, key), lambda: store.get(key))

    def forget(self, key: str) -> None:
        """Forget what this server holds of run ``key`` (its entry was deleted from the store): the
        next page run reads the store again and trains it when it is gone."""
        self._stored.forget((self.store.location, key))
        with self._lock:
            if key in self._jobs and not self._jobs[key].active:
                del self._jobs[key]

    # ---- jobs ----------------------------------------------------------------------------------
    def submit(self, task: ModuleType, config, data, watcher: str | None = None) -> Job:
        """The training for these settings: the running, queued or finished Job of this server
        for them, or a new Dask task (one per store key: another replica sharing the scheduler
        that submitted the same key gets the same task). A failed or cancelled Job is replaced
        ("Train again"). It does not look in the store first (``stored`` does; the worker's
        ``jobs.execute`` looks again before it trains)."""
        from core import jobs

        store = self.store
        key = jobs.key_for(task, config, data)
        attached = self._attach(key, store, watcher)
        if attached is not None:
            return attached
        client = self.client  # may wait for the cluster: not under the lock
        with self._lock:
            old = self._jobs.get(key)
        if old is not None and old.state in (FAILED, CANCELLED):
            with old._lock:  # "Train again": drop the failed task so the key runs afresh
                if old.future is not None:
                    old.future.release()
                    old.future = None
        dask_key = f"findl-{hashlib.sha256(store.location.encode()).hexdigest()[:8]}-{key}"
        with self._lock:
            attached = self._attach(key, store, watcher)  # another session submitted it meanwhile
            if attached is not None:
                return attached
            client.set_metadata(["findl", dask_key], {"started": None})
            self._cancel_event(dask_key).clear()  # an earlier cancel of these settings is over
            future = client.submit(train_on_worker, task.__name__, config.to_values(), shipped(data),
                                   store.location, dask_key, data.fingerprint, key=dask_key, pure=False,
                                   priority=-next(self._tickets))
            job = Job(key, dask_key, task, config, store, future, next(self._tickets))
            if watcher:
                job.watchers.add(watcher)
            self._jobs[key] = job
            self._forget_old()
            return job

    def _attach(self, key: str, store: Store, watcher: str | None) -> Job | None:
        """The registry's live (or finished) job for ``key`` in this store, with ``watcher`` added."""
        with self._lock:
            job = self._jobs.get(key)
            if job is None or job.store.location != store.location or job.state in (FAILED, CANCELLED):
                return None
            if watcher:
                job.watchers.add(watcher)
            return job

    def watch(self, watcher: str, key: str) -> Job | None:
        """``watcher`` (one page panel of one session) now shows ``key``: the key it showed before
        is released (``release``). Returns the Job for ``key``, if there is one, up to date."""
        with self._lock:
            previous = self._watching.get(watcher)
            self._watching[watcher] = key
        if previous is not None and previous != key:
            self.release(previous, watcher)
        job = self.get(key)
        if job is not None and job.active:
            with self._lock:
                job.watchers.add(watcher)
        return job

    def get(self, key: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(key)
        if job is not None:
            self.refresh(job)
        return job

    def refresh(self, job: Job) -> None:
        """Bring a job's state up to date from its future and the worker's progress."""
        with job._lock:
            future = job.future
            if not job.active or future is None:
                return
            status = future.status
            try:
                if status == "finished":
                    self._read_progress(job)  # the worker's last event (the final step), before it is cleared
                    self._finish_from(job, future.result())
                    return
                if status == "error":
                    exc = future.exception()
                    name = type(exc).__name__
                    self._end(job, FAILED, error=KILLED if name == "KilledWorker" else f"internal error: {name}: {exc}")
                    return
            except CancelledError:  # released under us (another replica, the scheduler restarting)
                status = "cancelled"
            if status in ("cancelled", "lost"):
                # The task's status went with its worker (recycled, or retired by an admin), but the
                # store is the result channel: a stored result is a finished job.
                if job.store.has(job.key):
                    self._finish_from(job, {"state": DONE, "cached": False})
                else:
                    self._end(job, CANCELLED, error="cancelled")
            elif time.monotonic() - job._read >= STATE_POLL:
                self._read_progress(job)

    def _read_progress(self, job: Job) -> None:
        job._read = time.monotonic()
        meta = self.client.get_metadata(["findl", job.dask_key], default=None) or {}
        if meta.get("started"):
            job.state, job.started = RUNNING, meta["started"]
            job._latest, job._history = meta.get("latest") or {}, meta.get("history") or []

    def _finish_from(self, job: Job, out: dict) -> None:
        """The worker's status (``train_on_worker``) applied to the job. Its Result comes from the
        store, with the training time stored there (a run the store refused comes with the status); ``cached`` is the worker's answer (whether
        ``jobs.execute`` trained it or found it stored, e.g. by another replica's run)."""
        if out["state"] == DONE:
            result = out.get("result") or self.stored(job.key, job.store)  # "result": the store refused it
            if result is None:
                self._end(job, FAILED, error="the result could not be read from the store; press 'Train again'")
                return
            result.cached = bool(out.get("cached"))
            self._end(job, DONE, result=result)
        else:
            self._end(job, out["state"], error=out.get("error"))

    def _end(self, job: Job, state: str, result: Result | None = None, error: str | None = None) -> None:
        """The job's last transition; the caller holds ``job._lock``."""
        job.state, job.result, job.error, job.finished = state, result, error, time.time()
        if job.future is not None and state == DONE:
            job.future.release()  # the store has it; let the scheduler forget the task
            job.future = None
        with contextlib.suppress(OSError):  # the scheduler is gone: nothing to clean up
            self.client.set_metadata(["findl", job.dask_key], None)

    def release(self, key: str, watcher: str) -> None:
        """``watcher`` moved on: a queued job nobody waits for is dropped (Dask forgets a task no
        client wants). A running job finishes and is stored for whoever asks next."""
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                return
            job.watchers.discard(watcher)
        self.refresh(job)
        with job._lock, self._lock:
            if job.state == QUEUED and not job.watchers and job.future is not None:
                job.future.release()
                job.future = None
                self._jobs.pop(key, None)
                job.state, job.error = CANCELLED, "dropped: nobody waits for these settings any more"

    def cancel(self, job: Job, by: str | None = None) -> None:
        """Stop a job: before it starts, the task is cancelled; while it runs, the worker's
        progress callback sees the Event and stops (nothing is stored). ``by`` (the watcher that
        pressed Cancel) is the one for whom the cancel is final (``Job.ended_for``)."""
        self.refresh(job)
        with job._lock:
            job.cancelled_by = by
            if job.state == QUEUED and job.future is not None:
                self.client.cancel(job.future)
                self._end(job, CANCELLED, error="cancelled before it started")
                return
        self._cancel_event(job.dask_key).set()

    def _cancel_event(self, dask_key: str):
        from distributed import Event

        return Event(f"findl-cancel-{dask_key}", client=self.client)

    def queue_position(self, job: Job) -> int:
        """0 when running or done; n when n-1 jobs of this server wait ahead of it (Dask runs
        them in submission order: older tickets have higher priority)."""
        self.refresh(job)
        if job.state != QUEUED:
            return 0
        with self._lock:
            return 1 + sum(1 for j in self._jobs.values() if j.state == QUEUED and j.ticket < job.ticket)

    def snapshot(self) -> dict[str, int]:
        if not self.ready:
            self.start()
            return {"running": 0, "queued": 0, "workers": 0}
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            self.refresh(job)
        return {"running": sum(j.state == RUNNING for j in jobs), "queued": sum(j.state == QUEUED for j in jobs),
                "workers": self.workers()}

    def predict(self, task: ModuleType, key: str, inputs: Any, timeout: float = 120.0) -> Any:
        """``task.predict(stored run key, inputs)`` on a worker (the server has no TensorFlow):
        scoring new inputs, e.g. a typed sentence. It runs in a scoring thread beside the worker's
        training thread, so it does not wait for a training; the same run goes to the same worker
        while it lives (its model stays loaded there). The task's UserErrors (bad input) come back
        as they are."""
        if hook(task, "predict") is None:
            raise UserError(f"the {task.NAME} task cannot score new inputs")
        workers = sorted(self.client.scheduler_info().get("workers", {}))
        if not workers:
            raise EngineUnavailable("no Dask worker is running to score this input")
        worker = self._scorer.get(key)
        if worker not in workers:
            worker = workers[int(hashlib.sha256(key.encode()).hexdigest(), 16) % len(workers)]
            self._scorer[key] = worker
        try:
            out = self.client.run(_score_beside_training, task.__name__, self.store.location, key, inputs, timeout,
                                  workers=[worker], wait=True, on_error="raise")
        except UserError:
            raise
        except TimeoutError:
            raise UserError(f"scoring took longer than {timeout:g} s; try again") from None
        except OSError as exc:
            self._scorer.pop(key, None)
            raise UserError(f"the worker scoring this input did not answer ({type(exc).__name__}); try again") from None
        return out[worker]

    def wait(self, job: Job, timeout: float | None = None) -> Job:
        """Block until the job ends (CLI and tests)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self.refresh(job)
            if not job.active:
                return job
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job.key[:12]} still {job.state} after {timeout:g} s")
            time.sleep(0.1)

    def _forget_old(self) -> None:
        done = [j for j in self._jobs.values() if not j.active]
        for job in sorted(done, key=lambda j: j.finished or 0)[:-KEEP_FINISHED]:
            self._jobs.pop(job.key, None)

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                from core.cluster import stop_client

                stop_client(self._client)
                self._client = None
