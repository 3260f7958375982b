"""The app's training engine: Dask distributed, so training never runs in the web server.

Why not threads in the Streamlit process: there, Streamlit clears Keras' session and runs a full
``gc.collect`` after every script run (a 10 s training took 72 s in the browser), training shares
the GIL with every rerun, and TensorFlow's libcurl breaks yfinance. So the server imports neither
TensorFlow nor Keras; it submits jobs to Dask workers and reads the result store.

- **Cluster.** ``FINDL_SCHEDULER=tcp://host:8786``: an existing cluster (workers started with
  ``dask worker ADDR --nthreads 1``, one per GPU on GPU machines). Otherwise a local cluster
  started once per server in its own process (``core/cluster.py`` says why): ``FINDL_WORKERS``
  process workers (default 1), one thread each; with GPUs and dask-cuda installed,
  ``LocalCUDACluster`` (one worker per GPU). A worker
  plugin imports TensorFlow when a worker starts, so the first student does not wait for it.
- **Jobs.** One Dask task per store key (``key=findl-<store>-<key>``): identical work submitted by
  any session, or by any app replica sharing the scheduler and the store, is one task. The worker
  runs ``jobs.execute`` (store hit, else lock, train, store) and returns a small status; the
  store is the one result channel. Sessions attach to the server's Job for that key (watchers);
  the server's registry holds the futures, so a result never vanishes when a session goes away.
- **Progress** goes through the scheduler's metadata (``set_metadata``/``get_metadata``: the
  server's 1-second poll never blocks), rate-limited on the worker. **Cancel** is a Dask
  ``Event`` per key that the worker's progress callback checks at most once a second.
- **Failures.** A user error (bad data, divergence) is a one-line message, never stored. A worker
  killed mid-training (kill -9, out of memory) is not retried behind the user's back
  (``allowed-failures: 0`` in ``core/dask_config/findl.yaml``): the job fails with a clear
  message; "Train again" submits afresh. The store's atomic writes mean nothing half-written is
  ever read.
- **Scoring.** ``Engine.predict`` runs a task's ``predict(result, inputs)`` on a worker, in a
  scoring thread beside its training thread (a typed sentence never waits for a training), and
  the worker keeps recently used runs loaded.
- **Hygiene.** A worker restarts itself (through its nanny) after ``FINDL_WORKER_RUNS`` trainings
  or when its memory passes ``FINDL_WORKER_MEMORY_MB``; the nanny also kills a worker above 95 % of
  its memory limit.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import CancelledError
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from distributed import WorkerPlugin

from core.errors import UserError
from core.result import Progress, Result
from core.store import Store

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
PUBLISH_EVERY = 0.5    # seconds between progress messages from a worker (the page reads every 1 s)
CANCEL_POLL = 1.0      # seconds between cancel checks on a worker
STATE_POLL = 0.5       # seconds between progress reads on the server, per job
KEEP_FINISHED = 256    # finished jobs kept in the registry (the store keeps every result)
KILLED = ("the worker training this run stopped (killed or out of memory); nothing was stored. "
          "Press 'Train again' to retry")


class EngineUnavailable(UserError):
    """The Dask scheduler cannot be reached or the local cluster did not start."""


# ---- worker side --------------------------------------------------------------------------------
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


def _jsonable(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.astype(float).round(4).tolist()
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


class _Publisher:
    """Progress listener on the worker: the latest event and the scalar history, sent to the
    scheduler's metadata at most every PUBLISH_EVERY s (and always the first and last)."""

    def __init__(self, client, key: str, progress: Progress):
        self.client, self.key, self.progress = client, key, progress
        self.started, self.sent = time.time(), 0.0
        self.publish({})

    def publish(self, event: dict) -> None:
        self.client.set_metadata(["findl", self.key], {
            "started": self.started, "latest": {k: _jsonable(v) for k, v in event.items()},
            "history": self.progress.history})
        self.sent = time.monotonic()

    def __call__(self, event: dict) -> None:
        if time.monotonic() - self.sent >= PUBLISH_EVERY or event.get("step") == event.get("total"):
            self.publish(event)


_DATA: OrderedDict[tuple[str, str], Any] = OrderedDict()  # per worker process: data rebuilt from a config
DATA_MAX = 2


def shipped(data: Any) -> Any:
    """What a job sends to the worker: nothing for data a task can rebuild from the config alone
    (``data.from_config``: generated or bundled), else the data. Generated card transactions are
    ~20 MB pickled; in the task graph they sit on the scheduler for as long as the job waits in
    the queue, once per queued job (forty students, forty copies)."""
    return None if getattr(data, "from_config", False) else data


def _worker_data(task: ModuleType, config, fingerprint: str) -> Any:
    """``task.load_data(config)`` on the worker, the last DATA_MAX kept (a second run on the same
    rows with other model settings loads nothing). The fingerprint must be the server's."""
    cache_key = (task.__name__, fingerprint)
    data = _DATA.get(cache_key)
    if data is None:
        data = task.load_data(config)
        if data.fingerprint != fingerprint:
            raise RuntimeError(f"{task.NAME}: data rebuilt on the worker differs from the server's "
                               f"({data.fingerprint[:12]} vs {fingerprint[:12]}); check the versions match")
        _DATA[cache_key] = data
        while len(_DATA) > DATA_MAX:
            _DATA.popitem(last=False)
    _DATA.move_to_end(cache_key)
    return data


def train_on_worker(task_module: str, config_values: dict, data: Any, store_location: str,
                    job_key: str, fingerprint: str | None = None) -> dict[str, Any]:
    """The Dask task: ``jobs.execute`` on a worker. Returns {"state": done|failed|cancelled,
    "error": message, "seconds": training seconds}; the Result itself goes to the store.
    ``task_module`` is the task's module path (workers import it; tests use their own tasks).
    ``data`` is None when the worker rebuilds it from the config (``shipped``); ``fingerprint``
    is then the server's, to check the rebuild against."""
    import importlib

    from distributed import get_client

    from core import jobs
    from core.errors import Cancelled

    task = importlib.import_module(task_module)
    config = task.Config(**config_values)
    client = get_client()
    progress = Progress(cancel=_DaskCancel(f"findl-cancel-{job_key}"))
    progress.listener = _Publisher(client, job_key, progress)
    try:
        if data is None:
            data = _worker_data(task, config, fingerprint)
        result = jobs.execute(task, config, data, Store(store_location), progress)
    except Cancelled:
        return {"state": CANCELLED, "error": "cancelled"}
    except UserError as exc:
        return {"state": FAILED, "error": str(exc)}
    except Exception as exc:  # a bug: one line for the page; the worker log has the traceback
        logging.getLogger("findl").exception("training failed")
        return {"state": FAILED, "error": f"internal error: {type(exc).__name__}: {exc}"}
    return {"state": DONE, "error": None, "seconds": result.seconds, "cached": result.cached}


_LOADED: OrderedDict[tuple[str, str], Result] = OrderedDict()  # per worker process
LOADED_MAX = 8


def predict_on_worker(task_module: str, store_location: str, key: str, inputs: Any) -> Any:
    """``task.predict(result, inputs)`` with the stored run ``key``, on a worker (``Engine.predict``).
    The last LOADED_MAX runs stay loaded with their ``memo`` (where a task keeps its loaded model),
    so a second sentence is scored without loading anything."""
    import importlib

    task = importlib.import_module(task_module)
    with _LOADED_LOCK:
        result = _LOADED.get((store_location, key))
        if result is None:
            result = Store(store_location).get(key)
            if result is None:
                raise UserError("this run is no longer in the result store: train it again")
            _LOADED[(store_location, key)] = result
            while len(_LOADED) > LOADED_MAX:
                _LOADED.popitem(last=False)
        _LOADED.move_to_end((store_location, key))
    return task.predict(result, inputs)


_LOADED_LOCK = threading.Lock()
_SCORING: list = []  # per worker process: the one thread that scores (beside the task thread)


async def _score_beside_training(task_module: str, store_location: str, key: str, inputs: Any,
                                 timeout: float, dask_worker=None) -> Any:
    """Run by ``client.run`` in a worker's event loop: ``predict_on_worker`` in a scoring thread
    of its own, so a typed sentence never waits for a training on that worker's task thread (the
    sentiment page's < 150 ms). Not a Dask task: a task would queue behind trainings."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    if not _SCORING:
        _SCORING.append(ThreadPoolExecutor(1, thread_name_prefix="findl-scoring"))
    return await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(
        _SCORING[0], predict_on_worker, task_module, store_location, key, inputs), timeout)


class WorkerSetup(WorkerPlugin):
    """Dask worker plugin: TensorFlow, the task modules and their libraries imported at start
    (curl_cffi first, memory growth on GPUs, a fair share of the CPU cores per worker), and recycling after ``max_runs`` trainings or
    above ``max_memory_mb`` of resident memory."""

    name = "findl-worker-setup"

    def __init__(self, max_runs: int, max_memory_mb: float, threads: int | None):
        self.max_runs, self.max_memory_mb, self.threads = max_runs, max_memory_mb, threads
        self.runs = 0

    def setup(self, worker) -> None:
        from core import device

        if self.threads:  # read by TensorFlow when its context starts
            os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(self.threads))
        device.tensorflow()
        # What a first training would otherwise import on the student's clock (measured: 0.3 s of
        # scikit-learn inside the first forecast's metrics): the lesson tasks and their libraries.
        import importlib

        from core.tasks import TASK_MODULES

        for name in ("sklearn.metrics", "sklearn.linear_model", "scipy.stats", *TASK_MODULES.values()):
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
        self.worker = worker

    def transition(self, key, start, finish, **kwargs) -> None:
        if not (isinstance(key, str) and key.startswith("findl-")) or finish != "memory":
            return
        self.runs += 1
        import psutil

        rss_mb = psutil.Process().memory_info().rss / 2**20
        if self.runs >= self.max_runs or rss_mb > self.max_memory_mb:
            reason = f"findl: recycling after {self.runs} trainings, {rss_mb:.0f} MB resident"
            # a second's grace: the client reads the finished task's status before the worker goes
            self.worker.loop.call_later(1.0, self.worker.close_gracefully, restart=True, reason=reason)


# ---- server side --------------------------------------------------------------------------------
def _int_env(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, "") or default))
    except ValueError:
        return default


def start_client(scheduler: str | None = None, workers: int | None = None):
    """A Dask client: to ``scheduler`` (or FINDL_SCHEDULER) when given, else to a local cluster
    started in its own process (``core.cluster``). The worker plugin is registered either way;
    ``stop_client`` closes the client and a local cluster it started."""
    from distributed import Client

    scheduler = scheduler if scheduler is not None else os.environ.get("FINDL_SCHEDULER", "").strip()
    workers = workers or _int_env("FINDL_WORKERS", 1)
    process = None
    if scheduler:
        client = Client(scheduler, timeout="10s")
        n = max(1, len(client.scheduler_info().get("workers", {})))
    else:
        process, address = _start_local_cluster(workers)
        client = Client(address, timeout="30s")
        n = workers
    client.findl_cluster_process = process
    cores = os.cpu_count() or 1
    client.register_plugin(WorkerSetup(_int_env("FINDL_WORKER_RUNS", 50), _int_env("FINDL_WORKER_MEMORY_MB", 6000),
                                       threads=max(1, cores // n) if n > 1 else None))
    return client


def _start_local_cluster(workers: int, timeout: float = 120.0):
    import subprocess
    import sys
    import tempfile

    folder = tempfile.mkdtemp(prefix="findl-cluster-")
    address_file = os.path.join(folder, "scheduler")
    # The scheduler unpickles the task graph and workers run it: both see the server's sys.path.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    process = subprocess.Popen([sys.executable, "-m", "core.cluster", "--workers", str(workers),
                                "--address-file", address_file, "--parent", str(os.getpid())],
                               cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))), env=env)
    deadline = time.monotonic() + timeout
    while not os.path.exists(address_file):
        if process.poll() is not None:
            raise EngineUnavailable(f"the local Dask cluster exited at start (code {process.returncode})")
        if time.monotonic() > deadline:
            process.kill()
            raise EngineUnavailable(f"the local Dask cluster did not start within {timeout:g} s")
        time.sleep(0.1)
    with open(address_file) as fh:
        return process, fh.read().strip()


def stop_client(client) -> None:
    """Close the client and the local cluster process it started (if any)."""
    process = getattr(client, "findl_cluster_process", None)
    client.close()
    if process is not None:
        process.terminate()
        try:
            process.wait(30)
        except Exception:  # still closing after 30 s: it exits with its parent anyway
            process.kill()


@dataclass
class Job:
    """The server's view of one training: a Dask future plus the progress the worker publishes."""

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


class Engine:
    """Same interface as the old in-process runner (submit, get, release, cancel, queue
    position, snapshot), backed by a Dask client. Thread-safe: every Streamlit session calls it."""

    def __init__(self, client=None):
        self._client = client
        self._starting: threading.Thread | None = None
        self._start_error: str | None = None
        self._jobs: dict[str, Job] = {}
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

    # ---- jobs ----------------------------------------------------------------------------------
    def submit(self, task: ModuleType, config, data, watcher: str | None = None) -> Job:
        """The job for these settings: a finished stored result, the running/queued job (of this
        server, or of another replica sharing the scheduler), or a new Dask task."""
        from core import jobs

        store = self.store
        key = jobs.key_for(task, config, data)
        attached = self._attach(key, store, watcher)
        if attached is not None:
            return attached
        cached = store.get(key)
        client = None if cached is not None else self.client  # may wait for the cluster: not under the lock
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
            if cached is not None:
                job = Job(key, dask_key, task, config, store, None, next(self._tickets),
                          state=DONE, result=cached, finished=time.time())
            else:
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
        if out["state"] == DONE:
            result = job.store.get(job.key)
            if result is None:
                self._end(job, FAILED, error="the result could not be read from the store; press 'Train again'")
                return
            result.cached = bool(out.get("cached"))
            if not result.cached:
                result.seconds = float(out.get("seconds") or result.seconds)
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

    def cancel(self, job: Job) -> None:
        """Stop a job: before it starts, the task is cancelled; while it runs, the worker's
        progress callback sees the Event and stops (nothing is stored)."""
        self.refresh(job)
        with job._lock:
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
        if not hasattr(task, "predict"):
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
                stop_client(self._client)
                self._client = None


_ENGINE: Engine | None = None
_ENGINE_LOCK = threading.Lock()


def engine() -> Engine:
    """The server's engine (one per process; the Dask cluster starts on first use)."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = Engine()
        return _ENGINE

