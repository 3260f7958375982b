"""Which local cluster the server starts: process workers, several per GPU on a GPU machine (the
reasoning is in core/cluster.py), never dask-cuda's LocalCUDACluster. No cluster is started
(tests/test_cluster_recovery.py starts one to check it runs no HTTP server)."""

import sys
import types

import pytest

from core import cluster, device
from core.engine.plugin import pin_gpu
from core.errors import EngineUnavailable

CPU = {"kind": "CPU", "names": [], "label": "CPU (16 cores)"}
H100 = {"kind": "GPU", "names": ["NVIDIA H100 80GB HBM3"], "label": "GPU: NVIDIA H100 80GB HBM3"}
TWO = {"kind": "GPU", "names": ["NVIDIA A10", "NVIDIA A10"], "label": "GPU: NVIDIA A10 (+1)"}


@pytest.fixture(autouse=True)
def _no_workers_env(monkeypatch):
    monkeypatch.delenv("FINDL_WORKERS", raising=False)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)


@pytest.mark.parametrize("description,cores,workers", [(CPU, 16, 1), (H100, 16, cluster.WORKERS_PER_GPU),
                                                       (H100, 2, 2), (TWO, 16, 2 * cluster.WORKERS_PER_GPU)])
def test_workers_per_machine(description, cores, workers):
    assert cluster.default_workers(description, cores) == workers


def test_findl_workers_overrides(monkeypatch):
    monkeypatch.setenv("FINDL_WORKERS", "3")
    assert cluster.default_workers(H100, 16) == 3


def test_a_gpu_server_starts_process_workers_sharing_the_gpu(monkeypatch):
    """From the server's device description to the cluster: a LocalCluster of several process
    workers, one thread each; dask-cuda is not used even where it is installed."""
    monkeypatch.setattr(device, "describe", lambda: H100)
    monkeypatch.setattr(cluster.os, "cpu_count", lambda: 16)
    asked = []

    def start(workers, timeout=120.0):
        asked.append(workers)
        raise EngineUnavailable("not started in this test")

    monkeypatch.setattr(cluster, "_start_local_cluster", start)
    with pytest.raises(EngineUnavailable):
        cluster.start_client(scheduler="")
    assert asked == [cluster.WORKERS_PER_GPU]

    made = []
    import distributed

    monkeypatch.setattr(distributed, "SpecCluster", lambda **kwargs: made.append(kwargs) or "cluster")
    cuda = types.ModuleType("dask_cuda")
    cuda.LocalCUDACluster = lambda **kwargs: pytest.fail("LocalCUDACluster chosen")
    monkeypatch.setitem(sys.modules, "dask_cuda", cuda)
    assert cluster.local_cluster(asked[0]) == "cluster"
    workers = made[0]["workers"]
    assert len(workers) == cluster.WORKERS_PER_GPU and all(w["options"]["nthreads"] == 1 for w in workers.values())
    assert all(w["cls"] is distributed.Nanny for w in workers.values())  # each worker a process of its own


def test_workers_spread_over_several_gpus(monkeypatch):
    """Each worker is its own process: worker n pins GPU n % gpus before TensorFlow starts."""
    def pinned(name, gpus):
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
        return pin_gpu(name, gpus)

    assert [pinned(n, 2) for n in range(4)] == ["0", "1", "0", "1"]
    assert cluster.os.environ["CUDA_VISIBLE_DEVICES"] == "1"
    assert pin_gpu(0, 2) is None  # already set (dask cuda worker, an admin): kept
    assert cluster.os.environ["CUDA_VISIBLE_DEVICES"] == "1"
    assert pinned(0, 1) is None and pinned("tcp://10.0.0.2:4567", 2) is None
    assert "CUDA_VISIBLE_DEVICES" not in cluster.os.environ
