"""The app's training engine: Dask distributed, so training never runs in the web server.

Why not threads in the Streamlit process: there, Streamlit clears Keras' session and runs a full
``gc.collect`` after every script run (a 10 s training took 72 s in the browser), training shares
the GIL with every rerun, and TensorFlow's libcurl breaks yfinance. So the server imports neither
TensorFlow nor Keras; it submits jobs to Dask workers and reads the result store.

One idea per module:

- ``job``: ``Job``, one training as the server sees it, and its states (the one state machine).
- ``registry``: ``Engine``, the server's jobs by store key (sessions attach to one job), stored
  runs read for pages, queue position, cancel, scoring calls.
- ``training``: the worker side of a training (``train_on_worker``: ``jobs.execute``, progress
  to the scheduler's metadata, cancel through a Dask ``Event``), and ``shipped`` (what data goes).
- ``scoring``: the worker side of ``Engine.predict`` (a scoring thread beside the training one).
- ``plugin``: ``WorkerSetup``, the worker plugin (imports at start, a GPU per worker, recycling).
- ``recent``: the bounded memo those keep (loaded runs, rebuilt data, stored runs).
- ``core.cluster``: the Dask client and the local cluster (``start_client``/``stop_client``).

- **Jobs.** One Dask task per store key (``key=findl-<store>-<key>``): identical work submitted by
  any session, or by any app replica sharing the scheduler and the store, is one task. The worker
  runs ``jobs.execute`` (store hit, else lock, train, store) and returns a small status; the
  store is the one result channel.
- **Failures.** A user error (bad data, divergence) is a one-line message, never stored. A worker
  killed mid-training (kill -9, out of memory) is not retried behind the user's back
  (``allowed-failures: 0`` in ``core/dask_config/findl.yaml``): the job fails with a clear
  message; "Train again" submits afresh. The store's atomic writes mean nothing half-written is
  ever read. A cluster that dies (killed, the scheduler gone) fails its jobs with one line, and
  the engine starts a new one in the background (``registry``: ``Engine._through``).
"""

from __future__ import annotations

import threading

from core.engine.job import CANCELLED, DONE, FAILED, KILLED, QUEUED, RUNNING, Job
from core.engine.registry import Engine
from core.engine.training import shipped
from core.errors import EngineUnavailable

__all__ = ["CANCELLED", "DONE", "FAILED", "KILLED", "QUEUED", "RUNNING", "Engine", "EngineUnavailable", "Job",
           "engine", "shipped"]

_ENGINE: Engine | None = None
_ENGINE_LOCK = threading.Lock()


def engine() -> Engine:
    """The server's engine (one per process; the Dask cluster starts on first use)."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = Engine()
        return _ENGINE
