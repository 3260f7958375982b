"""The app's local Dask cluster, in a process of its own: ``python -m core.cluster``.

Why a separate process rather than ``LocalCluster`` inside the web server: Streamlit runs each
page as ``__main__``, and worker processes started with ``spawn`` re-import ``__main__`` (the
page!) before they can run; a subprocess has a plain ``__main__`` (this module). It also keeps the
scheduler's event loop off the server's GIL. The cluster writes its scheduler address to a file
and exits when the process that started it is gone, so it never outlives the app.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path

CONFIG_DIR = Path(__file__).with_name("dask_config")  # DASK_CONFIG for a cluster of your own


def configure_scheduler() -> None:
    """The project's Dask settings (core/dask_config/findl.yaml: queue order, no silent retries,
    worker environment; the file says why) on top of Dask's defaults."""
    import dask
    import yaml

    dask.config.update(dask.config.config, yaml.safe_load((CONFIG_DIR / "findl.yaml").read_text()),
                       priority="new")


def local_cluster(workers: int):
    from distributed import LocalCluster

    from core import device

    common = dict(threads_per_worker=1, processes=True, dashboard_address=os.environ.get("FINDL_DASHBOARD") or None,
                  silence_logs=logging.ERROR, memory_limit=os.environ.get("FINDL_WORKER_MEMORY_LIMIT", "auto"))
    if device.describe().get("gpus"):
        try:
            from dask_cuda import LocalCUDACluster  # one worker per GPU

            return LocalCUDACluster(**common)
        except ImportError:
            pass
    return LocalCluster(n_workers=workers, **common)


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
