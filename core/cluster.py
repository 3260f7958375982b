"""The app's Dask cluster: the client the engine talks through (``start_client``), and the local
cluster it starts when no scheduler is named, in a process of its own (``python -m core.cluster``).

Why a separate process rather than ``LocalCluster`` inside the web server: Streamlit runs each
page as ``__main__``, and worker processes started with ``spawn`` re-import ``__main__`` (the
page!) before they can run; a subprocess has a plain ``__main__`` (this module). It also keeps the
scheduler's event loop off the server's GIL. The cluster writes its scheduler address to a file
and exits when the process that started it is gone, so it never outlives the app.

**On a GPU machine: several process workers share each GPU, not one worker per GPU.** The models
here are small (an LSTM of 64 units, a BiLSTM, a dense autoencoder of a few thousand weights): one
training keeps a sliver of an H100 busy, and its step time is mostly Python, kernel launches and
input feeding on its CPU core, not GPU arithmetic. One worker per GPU (dask-cuda's
``LocalCUDACluster``) would train one run at a time per GPU and leave it mostly idle while the
class queues; ``WORKERS_PER_GPU`` CPU-fed workers per GPU (at most one per core) train that many
runs at once on it. TensorFlow's memory growth (``core.device``) lets them share its memory: each
takes what its model needs instead of the whole card. With several GPUs, worker ``n`` trains on GPU
``n % gpus`` (``core.engine.plugin.pin_gpu``). dask-cuda is not a dependency; a cluster of your
own can still use ``dask cuda worker`` (``FINDL_SCHEDULER``). Not measured: no GPU was lent to
this work; ``FINDL_WORKERS`` overrides the count.

No HTTP server: Dask's scheduler and workers start one whatever ``dashboard_address`` says (its
pages show the scheduler's address, without a login); the local cluster's start none unless
``FINDL_DASHBOARD`` asks (``core.cluster_nodes``). When the cluster dies, the engine finds out
through ``connected``/``answers``, lets go of the client (``discard_client``) and starts another.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from core.errors import EngineUnavailable

CONFIG_DIR = Path(__file__).with_name("dask_config")  # DASK_CONFIG for a cluster of your own
ROOT = Path(__file__).resolve().parents[1]  # where ``python -m core.cluster`` runs
WORKERS_PER_GPU = 4
LOCALHOST = "127.0.0.1"  # the local cluster listens on no other interface


def configure_scheduler() -> None:
    """The project's Dask settings (core/dask_config/findl.yaml: queue order, no silent retries,
    worker environment; the file says why) on top of Dask's defaults."""
    import dask
    import yaml

    dask.config.update(dask.config.config, yaml.safe_load((CONFIG_DIR / "findl.yaml").read_text()),
                       priority="new")


def _int_env(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, "") or default))
    except ValueError:
        return default


def default_workers(description: dict | None = None, cores: int | None = None) -> int:
    """Worker processes of the local cluster: ``FINDL_WORKERS``, else 1 on a CPU-only machine
    (more workers only share the same cores), else ``WORKERS_PER_GPU`` per GPU, at most one per
    core (the module docstring says why)."""
    from core import device

    description = description if description is not None else device.describe()
    gpus = len(description.get("names") or []) if description.get("kind") == "GPU" else 0
    cores = cores or os.cpu_count() or 1
    return _int_env("FINDL_WORKERS", max(1, min(cores, WORKERS_PER_GPU * gpus)) if gpus else 1)


def local_cluster(workers: int):
    """``workers`` process workers, one thread each, on this machine (CPU or GPU alike). No HTTP
    server listens (``core.cluster_nodes`` says why) unless ``FINDL_DASHBOARD`` names the
    dashboard's address; the workers' own pages then listen on free local ports."""
    from distributed import Nanny, SpecCluster

    from core.cluster_nodes import QuietScheduler, QuietWorker

    dashboard = os.environ.get("FINDL_DASHBOARD", "").strip() or None
    scheduler = {"cls": QuietScheduler, "options": {
        "host": LOCALHOST, "port": 0, "dashboard": dashboard is not None, "dashboard_address": dashboard}}
    worker = {"cls": Nanny, "options": {
        "host": LOCALHOST, "nthreads": 1, "worker_class": QuietWorker, "silence_logs": logging.ERROR,
        "memory_limit": os.environ.get("FINDL_WORKER_MEMORY_LIMIT", "auto"),
        "dashboard": dashboard is not None, "dashboard_address": f"{LOCALHOST}:0" if dashboard else None}}
    return SpecCluster(scheduler=scheduler, workers=dict.fromkeys(range(workers), worker), worker=worker,
                       silence_logs=logging.ERROR)


def start_client(scheduler: str | None = None, workers: int | None = None):
    """A Dask client: to ``scheduler`` (or FINDL_SCHEDULER) when given, else to a local cluster of
    ``workers`` (``default_workers()``) started in its own process. The findl worker plugin is
    registered either way; ``stop_client`` closes the client and a local cluster it started."""
    from distributed import Client

    from core.engine.plugin import WorkerSetup

    scheduler = scheduler if scheduler is not None else os.environ.get("FINDL_SCHEDULER", "").strip()
    process = None
    if scheduler:
        client = Client(scheduler, timeout="10s")
        n = max(1, len(client.scheduler_info().get("workers", {})))
    else:
        n = workers or default_workers()
        process, address = _start_local_cluster(n)
        client = Client(address, timeout="30s")
    client.findl_cluster_process = process
    cores = os.cpu_count() or 1
    client.register_plugin(WorkerSetup(_int_env("FINDL_WORKER_RUNS", 50), _int_env("FINDL_WORKER_MEMORY_MB", 6000),
                                       threads=max(1, cores // n) if n > 1 else None))
    return client


def _start_local_cluster(workers: int, timeout: float = 120.0):
    folder = tempfile.mkdtemp(prefix="findl-cluster-")
    address_file = os.path.join(folder, "scheduler")
    # The scheduler unpickles the task graph and workers run it: both see the server's sys.path.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    # A session of its own: Ctrl+C in the terminal of `make run` reaches the server, which exits;
    # the cluster notices its parent is gone and closes (no KeyboardInterrupt tracebacks from it).
    process = subprocess.Popen([sys.executable, "-m", "core.cluster", "--workers", str(workers),
                                "--address-file", address_file, "--parent", str(os.getpid())], cwd=ROOT, env=env,
                               start_new_session=True)
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


def connected(client) -> bool:
    """Whether ``client`` still has its cluster: not when the local cluster process it started has
    exited, nor once it lost the scheduler (status "connecting": Dask tries to reconnect for the
    client's timeout, and a call meanwhile blocks until it gives up, 20-30 s)."""
    process = getattr(client, "findl_cluster_process", None)
    return client.status == "running" and (process is None or process.poll() is None)


def answers(client, timeout: float = 5.0) -> bool:
    """Whether the scheduler answers a small request within ``timeout`` seconds: after a call
    failed with a connection error, tells a lost scheduler from a lost worker."""
    try:
        client.sync(client.scheduler.identity, n_workers=0, callback_timeout=timeout)
    except Exception:  # any failure to answer is the answer
        return False
    return True


def disconnection(client) -> str:
    """Why ``client`` lost its cluster, in a few words for the page. Asked once per lost cluster
    (the client is dropped after): our own cluster process gets a second to be reaped, since on a
    loaded machine the connection can drop before a killed process's exit status is known."""
    import subprocess

    process = getattr(client, "findl_cluster_process", None)
    code = None
    if process is not None:
        try:
            code = process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            code = None
    if code is not None:
        return f"the local Dask cluster was killed (signal {-code})" if code < 0 else \
            f"the local Dask cluster exited (code {code})"
    return "the connection to the Dask scheduler was lost"


def discard_client(client) -> None:
    """Let go of a client whose cluster is gone: whatever is left of the local cluster it started
    is killed (its whole process group: worker processes outliving a killed cluster process would
    hold their memory, and a GPU's), and the client is closed, or left to close itself."""
    process = getattr(client, "findl_cluster_process", None)
    if process is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # its own session (``_start_local_cluster``)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)
    if client.status == "running":  # a scheduler that stopped answering: close it ourselves
        with contextlib.suppress(Exception):  # it failed already; nothing is left to close cleanly
            client.close(timeout=5)
    # "connecting": the client closes itself once it gives up reconnecting (closing it now cancels
    # that loop, which Dask logs as an error with a traceback); "closed": nothing to do


def _alive(pid: int) -> bool:
    """Whether the server that started us still runs. Not ``os.kill(pid, 0)``: an exited parent
    that nobody has reaped yet (a zombie) still answers it, and the cluster, holding the
    parent's stdout, would keep whoever reads that pipe waiting for ever. When the parent
    exits we are re-parented, so our parent pid changes."""
    if os.getppid() != pid:
        return False
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="FinDL Lab's local Dask cluster")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--address-file", required=True)
    parser.add_argument("--parent", type=int, required=True, help="exit when this process is gone")
    args = parser.parse_args(argv)
    configure_scheduler()
    cluster = local_cluster(args.workers)
    target = Path(args.address_file)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(cluster.scheduler_address)
    os.replace(tmp, target)  # the server reads a complete address or none
    try:
        while _alive(args.parent):
            time.sleep(1.0)
    finally:
        cluster.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
