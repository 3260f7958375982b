"""The worker plugin every findl worker runs (``WorkerSetup``, registered by
``core.cluster.start_client``): start-up work done before the first student waits, and recycling.

Recycling through the nanny (``close_gracefully(restart=True)``) after ``max_runs`` trainings or
above ``max_memory_mb`` resident, between trainings. Chosen over Dask's ``--lifetime``, which
kills a worker mid-training on a timer.
"""

from __future__ import annotations

import contextlib
import os

from distributed import WorkerPlugin


def pin_gpu(worker_name, gpus: int) -> str | None:
    """On a machine with several GPUs, the GPU a local worker trains on: worker ``n`` gets GPU
    ``n % gpus`` (``CUDA_VISIBLE_DEVICES``, before TensorFlow starts), so the workers spread over
    the GPUs instead of all placing their ops on the first one. Nothing when the worker was started
    with its own ``CUDA_VISIBLE_DEVICES`` (``dask cuda worker``, an admin's choice), has no index
    for a name (a worker of your own cluster) or when there is at most one GPU."""
    if gpus < 2 or "CUDA_VISIBLE_DEVICES" in os.environ or not isinstance(worker_name, int):
        return None
    os.environ["CUDA_VISIBLE_DEVICES"] = str(worker_name % gpus)
    return os.environ["CUDA_VISIBLE_DEVICES"]


class WorkerSetup(WorkerPlugin):
    """TensorFlow, the task modules and their libraries imported at start (curl_cffi first, a GPU
    per worker on multi-GPU machines, memory growth on GPUs, a fair share of the CPU cores per
    worker), and recycling after ``max_runs`` trainings or above ``max_memory_mb`` resident."""

    name = "findl-worker-setup"

    def __init__(self, max_runs: int, max_memory_mb: float, threads: int | None):
        self.max_runs, self.max_memory_mb, self.threads = max_runs, max_memory_mb, threads
        self.runs = 0

    def setup(self, worker) -> None:
        from core import device

        if self.threads:  # read by TensorFlow when its context starts
            os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(self.threads))
        pin_gpu(worker.name, len(device.gpu_names_without_tf()))
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
