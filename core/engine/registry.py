"""The server's job registry (``Engine``): one Job per store key, shared by every session.

Sessions attach to the Job for their settings (as watchers), so identical settings train once and
a result never vanishes when the session that asked for it goes away: the registry holds the
futures. Thread-safe: every Streamlit session calls it from its own thread.

A cluster that dies (its process killed, the scheduler gone) does not take the engine with it:
every call to the cluster goes through ``_through``, which finds a client without its cluster
(``core.cluster.connected``, or a call failing once it is gone), drops it (``_drop``: its jobs
end with one line, a result already stored is kept) and starts a new cluster in the background,
tried at most every RESTART_EVERY seconds.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import threading
import time
import weakref
from concurrent.futures import CancelledError
from types import ModuleType
from typing import Any

from core.engine.job import CANCELLED, DONE, FAILED, KILLED, QUEUED, RUNNING, STOPPED, Job
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
RESTART_EVERY = 5.0    # seconds between two attempts to start (or reach) the cluster
WORKER_RETURN_S = 30.0  # how long scoring waits for a restarting worker before it says there is none


class EngineGone(EngineUnavailable):
    """The cluster behind a client is gone (``why``); the client has been dropped."""

    def __init__(self, why: str):
        super().__init__(STOPPED.format(why=why))
        self.why = why


class Engine:
    """Trainings on a Dask client: ``submit``/``get``/``refresh``/``wait`` a Job, ``watch`` and
    ``release`` (who waits for what), ``cancel``, ``queue_position``, ``snapshot`` (the sidebar's
    load), ``stored`` (a stored run, no Job) and ``forget``, ``predict`` (score new inputs on a worker)."""

    def __init__(self, client=None):
        self._client = client
        self._restarts = client is None  # a client the caller made (CLI, tests) is theirs: not replaced
        self._starting: threading.Thread | None = None
        self._start_error: str | None = None
        self._next_start = 0.0  # monotonic time of the next attempt allowed
        self._lost: str | None = None  # why the last cluster went, until a new one is up
        self._gone: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # dropped client -> why
        self._jobs: dict[str, Job] = {}
        self._watching: dict[str, str] = {}  # watcher (a page's panel) -> the key it shows
        self._stored: Recent[Result] = Recent(KEEP_STORED)  # (store location, key) -> stored run
        self._scorer: dict[str, str] = {}  # run key -> the worker that scores it (its model stays loaded there)
        self._lock = threading.RLock()
        self._tickets = itertools.count()

    def start(self) -> None:
        """Connect (or start the local cluster) in the background; pages render meanwhile. At most
        one attempt every RESTART_EVERY s: a scheduler that cannot be reached is not hammered."""
        with self._lock:
            if self._client is not None or not self._restarts or time.monotonic() < self._next_start or self._starting_now:
                return
            self._next_start = time.monotonic() + RESTART_EVERY
            self._starting = threading.Thread(target=self._connect, name="findl-engine-start", daemon=True)
            self._starting.start()

    @property
    def _starting_now(self) -> bool:
        return self._starting is not None and self._starting.is_alive()

    def _connect(self) -> None:
        try:
            from core.cluster import start_client

            client = start_client()
        except Exception as exc:  # shown as one line where a job is asked for
            self._start_error = f"{type(exc).__name__}: {exc}"
            return
        self._start_error = self._lost = None
        self._client = client  # one assignment; callers may hold the lock while they wait for it

    @property
    def ready(self) -> bool:
        return self._live() is not None

    @property
    def problem(self) -> str | None:
        """Why there is no cluster now (one line), or None while it runs or starts for the first time."""
        if self._live() is not None:
            return None
        return self._start_error or self._lost

    @property
    def client(self):
        """The live client; while there is none, waits for the (re)start under way. A cluster that
        died within RESTART_EVERY s of its start is restarted once that wait is over; a start that
        failed (a scheduler that cannot be reached) is one line at once until then."""
        if self._live() is None:
            wait = self._next_start - time.monotonic()
            if self._restarts and self._start_error is None and 0 < wait <= RESTART_EVERY and not self._starting_now:
                time.sleep(wait)
            self.start()
            starting = self._starting
            if starting is not None:
                starting.join(timeout=180)
        client = self._live()
        if client is None:
            where = os.environ.get("FINDL_SCHEDULER") or "the local cluster"
            raise EngineUnavailable(f"the training engine ({where}) is not available: "
                                    f"{self.problem or 'still starting'}")
        return client

    # ---- a cluster that dies ---------------------------------------------------------------------
    def _live(self):
        """The client, if its cluster is still there (a client without it is dropped), else None."""
        client = self._client
        if client is not None and self._gone_why(client) is not None:
            return None
        return client

    def _gone_why(self, client) -> str | None:
        """Why ``client``'s cluster is gone (dropping the client when it is found out here), or None."""
        from core.cluster import connected, disconnection

        why = self._gone.get(client)
        if why is None and not connected(client):
            why = disconnection(client)
            self._drop(client, why)
        return why

    @contextlib.contextmanager
    def _through(self, client):
        """Calls to the cluster through ``client``. When its cluster is gone, found before the call
        or by the call's failure (a connection error the scheduler does not answer after, or any
        error once the client lost it), the client is dropped and ``EngineGone`` says why; other
        errors pass as they are (a worker's, a task's)."""
        from core.cluster import answers, connected, disconnection

        why = self._gone_why(client)
        if why is not None:
            raise EngineGone(why)
        try:
            yield client
        except EngineGone:
            raise
        except Exception as exc:
            if not connected(client):
                why = disconnection(client)
            elif isinstance(exc, OSError) and not answers(client):
                why = f"the Dask scheduler does not answer ({type(exc).__name__})"
            else:
                raise
            self._drop(client, why)
            raise EngineGone(why) from None

    def _drop(self, client, why: str) -> None:
        """``client``'s cluster is gone: the client is let go of (``core.cluster.discard_client``,
        off this thread), its jobs end (``_end_gone``) and a new cluster starts in the background.
        A job another thread holds ends in that thread, at its next call (``_through``)."""
        from core.cluster import discard_client

        with self._lock:
            if client in self._gone:
                return
            self._gone[client] = why
            if self._client is client:
                self._client, self._lost = None, why
            jobs = [j for j in self._jobs.values() if j.future is not None and j.future.client is client]
        threading.Thread(target=discard_client, args=(client,), name="findl-engine-discard", daemon=True).start()
        for job in jobs:
            if job._lock.acquire(blocking=False):
                try:
                    self._end_gone(job, why)
                finally:
                    job._lock.release()
        self.start()

    def _end_gone(self, job: Job, why: str) -> None:
        """A job whose cluster is gone (the caller holds ``job._lock``): DONE if its result reached
        the store, else FAILED with one line. Its future goes with the client."""
        if job.active:
            if job.store.has(job.key):
                self._finish_from(job, {"state": DONE, "cached": False})
            else:
                self._end(job, FAILED, error=STOPPED.format(why=why))
        job.future = None

    @property
    def store(self) -> Store:
        return Store()  # FINDL_STORE at call time

    def workers(self, client=None) -> int:
        """Worker threads of the cluster (``client``: the engine's, waiting for it to start)."""
        with self._through(client or self.client) as live:
            return max(1, sum(w.get("nthreads", 1) for w in live.scheduler_info().get("workers", {}).values()))

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
            with self._through(client):
                client.set_metadata(["findl", dask_key], {"started": None})
                self._cancel_event(dask_key, client).clear()  # an earlier cancel of these settings is over
                future = client.submit(train_on_worker, task.__name__, config.to_values(), shipped(data, store),
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
        """Bring a job's state up to date from its future and the worker's progress. Never raises
        for a cluster that is gone: the job ends with one line (``_end_gone``)."""
        with job._lock:
            future = job.future
            if not job.active or future is None:
                return
            try:
                with self._through(future.client):
                    self._update(job, future)
            except EngineGone as gone:
                self._end_gone(job, gone.why)

    def _update(self, job: Job, future) -> None:
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
            # Dask cancels every future of a client that lost its scheduler: that is the cluster gone.
            why = self._gone_why(future.client)
            if why is not None:
                raise EngineGone(why)
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
        meta = job.future.client.get_metadata(["findl", job.dask_key], default=None) or {}
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
        """The job's last transition; the caller holds ``job._lock``. Its progress is cleared from
        the scheduler, unless the cluster is gone (nothing to clean up)."""
        job.state, job.result, job.error, job.finished = state, result, error, time.time()
        client = job.future.client if job.future is not None else None
        if job.future is not None and state == DONE:
            job.future.release()  # the store has it; let the scheduler forget the task
            job.future = None
        if client is not None and client not in self._gone:
            with contextlib.suppress(EngineGone, OSError), self._through(client):
                client.set_metadata(["findl", job.dask_key], None)

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
                with contextlib.suppress(EngineGone, OSError), self._through(job.future.client) as client:
                    self._cancel_event(job.dask_key, client).set()  # as ``cancel``: a task handed out meanwhile ends
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
            if not job.active or job.future is None:
                return
            try:
                with self._through(job.future.client) as client:
                    if job.state == QUEUED:
                        # the Event too: a task Dask hands to a worker as it is cancelled ends there
                        self._cancel_event(job.dask_key, client).set()
                        client.cancel(job.future)
                        self._end(job, CANCELLED, error="cancelled before it started")
                    else:
                        self._cancel_event(job.dask_key, client).set()
            except EngineGone as gone:
                self._end_gone(job, gone.why)

    @staticmethod
    def _cancel_event(dask_key: str, client):
        from distributed import Event

        return Event(f"findl-cancel-{dask_key}", client=client)

    def queue_position(self, job: Job) -> int:
        """0 when running or done; n when n-1 jobs of this server wait ahead of it (Dask runs
        them in submission order: older tickets have higher priority)."""
        self.refresh(job)
        if job.state != QUEUED:
            return 0
        with self._lock:
            return 1 + sum(1 for j in self._jobs.values() if j.state == QUEUED and j.ticket < job.ticket)

    def snapshot(self) -> dict[str, int]:
        """The sidebar's load. ``workers`` is 0 while there is no cluster (starting, restarting,
        unreachable: ``problem`` says why): never the workers of a cluster that is gone."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            self.refresh(job)
        load = {"running": sum(j.state == RUNNING for j in jobs), "queued": sum(j.state == QUEUED for j in jobs),
                "workers": 0}
        client = self._live()
        if client is None:
            self.start()
            return load
        with contextlib.suppress(EngineGone):
            load["workers"] = self.workers(client)
        return load

    def predict(self, task: ModuleType, key: str, inputs: Any, timeout: float = 120.0) -> Any:
        """``task.predict(stored run key, inputs)`` on a worker (the server has no TensorFlow):
        scoring new inputs, e.g. a typed sentence. It runs in a scoring thread beside the worker's
        training thread, so it does not wait for a training; the same run goes to the same worker
        while it lives (its model stays loaded there). The task's UserErrors (bad input) come back
        as they are."""
        if hook(task, "predict") is None:
            raise UserError(f"the {task.NAME} task cannot score new inputs")
        try:
            with self._through(self.client) as client:
                workers = sorted(client.scheduler_info().get("workers", {}))
                if not workers:  # a worker restarting itself (FINDL_WORKER_RUNS) is back in seconds
                    with contextlib.suppress(TimeoutError):
                        client.wait_for_workers(1, timeout=WORKER_RETURN_S)
                    workers = sorted(client.scheduler_info().get("workers", {}))
                if not workers:
                    raise EngineUnavailable("no Dask worker is running to score this input")
                worker = self._scorer.get(key)
                if worker not in workers:
                    worker = workers[int(hashlib.sha256(key.encode()).hexdigest(), 16) % len(workers)]
                    self._scorer[key] = worker
                out = client.run(_score_beside_training, task.__name__, self.store.location, key, inputs, timeout,
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
