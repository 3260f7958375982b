"""A cluster that dies never takes the class down: its jobs fail with one line, the next training
runs on a new cluster without a server restart, a scheduler that cannot be reached is one line
and is tried at most every few seconds. And the local cluster runs no HTTP server unless
FINDL_DASHBOARD asks for one.

The first tests use a stand-in client (no cluster, fast); the slow one kills a real local cluster."""

import os
import signal
import threading
import time

import engine_tasks as fake
import psutil
import pytest

from core import cluster, engine
from core.engine import registry
from core.errors import EngineUnavailable, UserError

DATA = fake.Data()


class FakeFuture:
    def __init__(self, client, status="pending"):
        self.client, self.status = client, status

    def release(self):
        pass


class FakeClient:
    """What the engine reads of a Dask client: its status, the scheduler's answers."""

    def __init__(self, workers=1):
        self.status, self.findl_cluster_process, self.answering = "running", None, True
        self.info = {"workers": {f"tcp://127.0.0.1:{i}": {"nthreads": 1} for i in range(workers)}}
        self.closed = False

    def scheduler_info(self):
        return self.info

    def get_metadata(self, keys, default=None):
        return default

    def set_metadata(self, keys, value):
        pass

    def run(self, *args, **kwargs):
        raise OSError("Timed out during handshake")  # a worker (or the scheduler) that did not answer

    def sync(self, *args, **kwargs):
        if not self.answering:
            raise OSError("Timed out trying to connect")

    scheduler = type("Rpc", (), {"identity": None})()

    def close(self, timeout=None):
        self.closed = True


@pytest.fixture
def clients(monkeypatch):
    """``start_client`` gives a new FakeClient each time (or raises what ``failing`` holds)."""
    made, failing = [], []

    def start_client():
        if failing:
            raise failing[0]
        made.append(FakeClient())
        return made[-1]

    monkeypatch.setattr(cluster, "start_client", start_client)
    monkeypatch.setattr(registry, "RESTART_EVERY", 0.5, raising=False)
    return made, failing


def _job(eng, client, value, state=engine.RUNNING):
    job = engine.Job(f"key-{value}", f"findl-key-{value}", fake, fake.Config(value=value), eng.store,
                     FakeFuture(client), value, state=state)
    eng._jobs[job.key] = job
    return job


def _until(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_client_that_lost_its_scheduler_fails_its_jobs_with_one_line_and_a_new_one_starts(clients):
    made, _ = clients
    eng = engine.Engine()
    first = eng.client
    running, queued = _job(eng, first, 1), _job(eng, first, 2, engine.QUEUED)
    assert eng.snapshot() == {"running": 1, "queued": 1, "workers": 1}
    time.sleep(registry.RESTART_EVERY)  # a restart is tried at most every RESTART_EVERY s
    first.status = "connecting"  # Dask noticed the scheduler is gone (it retries for 30 s, calls block)
    load = eng.snapshot()
    assert load["running"] == load["queued"] == 0 and load["workers"] in (0, 1)  # 1: the new cluster's
    for job in (running, queued):
        assert job.state == engine.FAILED and job.future is None
        assert job.error == ("the training engine stopped (the connection to the Dask scheduler was lost); "
                             "nothing was stored. Press 'Train again' to retry")
    assert eng.client is made[1] and len(made) == 2


def test_a_job_whose_result_reached_the_store_before_the_cluster_died_is_done(clients):
    from core import jobs

    eng = engine.Engine()
    key, _ = jobs.run_sync(fake, fake.Config(value=3), DATA)
    job = _job(eng, eng.client, 3)
    job.key = key
    eng.client.status = "closed"
    eng.refresh(job)
    assert job.state == engine.DONE and job.result.metrics["value"] == 3  # nothing the user had is lost


def test_an_unreachable_scheduler_is_one_line_and_tried_at_most_every_few_seconds(clients):
    made, failing = clients
    failing.append(OSError("Timed out trying to connect to tcp://10.0.0.9:8786 after 10 s"))
    eng = engine.Engine()
    with pytest.raises(EngineUnavailable) as error:
        _ = eng.client
    message = str(error.value)
    assert "\n" not in message and "not available: OSError: Timed out trying to connect" in message
    assert eng.snapshot()["workers"] == 0 and eng.problem.startswith("OSError: Timed out")
    attempts = eng._next_start
    for _ in range(20):  # every page rerun asks; none starts another attempt within RESTART_EVERY
        eng.snapshot()
        with pytest.raises(EngineUnavailable):
            _ = eng.client
    assert eng._next_start == attempts
    failing.clear()  # the scheduler is back
    time.sleep(registry.RESTART_EVERY)
    assert eng.client is made[0] and eng.problem is None and eng.snapshot()["workers"] == 1


def test_a_worker_that_does_not_answer_is_not_a_dead_cluster_but_a_silent_scheduler_is(clients):
    from core import jobs

    key, _ = jobs.run_sync(fake, fake.Config(value=4), DATA)
    eng = engine.Engine()
    first = eng.client
    with pytest.raises(UserError, match="the worker scoring this input did not answer"):
        eng.predict(fake, key, [1])
    assert eng.client is first  # the scheduler answered: one worker's trouble
    time.sleep(registry.RESTART_EVERY)
    first.answering = False
    with pytest.raises(EngineUnavailable, match=r"stopped \(the Dask scheduler does not answer \(OSError\)\)"):
        eng.predict(fake, key, [1])
    assert eng.client is clients[0][1]
    _until(lambda: first.closed)  # a client that still says "running" is closed, off the page's thread


def test_a_client_the_caller_made_is_not_replaced(clients):
    given = FakeClient()
    eng = engine.Engine(given)
    job = _job(eng, given, 5)
    given.status = "closed"
    eng.refresh(job)
    assert job.state == engine.FAILED and "training engine stopped" in job.error
    with pytest.raises(EngineUnavailable, match="not available: the connection to the Dask scheduler was lost"):
        _ = eng.client
    assert clients[0] == []


def _sidebar():
    import streamlit as st

    from core.ui import frame

    with st.sidebar:
        frame.sidebar_status()


def test_the_sidebar_never_counts_the_workers_of_a_cluster_that_is_gone(clients, monkeypatch):
    from streamlit.testing.v1 import AppTest

    made, failing = clients
    eng = engine.Engine()
    assert eng.client is made[0]
    monkeypatch.setattr(engine, "_ENGINE", eng)

    def engine_line(at):
        return next(c.value for c in at.sidebar.caption if c.value.startswith("**Training engine:**"))

    at = AppTest.from_function(_sidebar).run(timeout=60)
    assert engine_line(at) == "**Training engine:** 1 worker"
    failing.append(OSError("Timed out trying to connect"))  # the next cluster does not come up either
    time.sleep(registry.RESTART_EVERY)
    made[0].status = "closed"
    at.run(timeout=60)
    assert not at.exception and engine_line(at).startswith("**Training engine:** not running (")
    assert engine_line(at).endswith("); starting again…") and "worker" not in engine_line(at)


# ---- a real local cluster ------------------------------------------------------------------------

def _listening(pids):
    return sorted(c.laddr.port for c in psutil.net_connections("tcp") if c.status == "LISTEN" and c.pid in pids)


def _cluster_pids(process):
    return {process.pid} | {p.pid for p in psutil.Process(process.pid).children(recursive=True)}


def _client_of(process_and_address):
    from distributed import Client

    return Client(process_and_address[1], timeout="30s")


@pytest.mark.parametrize("dashboard", ["", "127.0.0.1:0"])
def test_the_local_cluster_listens_on_no_http_port_unless_findl_dashboard_asks(monkeypatch, dashboard):
    """Dask starts its HTTP server (port 8787, pages with the scheduler's address and logs, no
    login) whatever ``dashboard_address`` says; the local cluster starts none, the workers' neither,
    unless FINDL_DASHBOARD names an address. Every port the cluster listens on is then a Dask
    comm: the scheduler's, each nanny's and each worker's."""
    monkeypatch.setenv("FINDL_DASHBOARD", dashboard)
    started = cluster._start_local_cluster(2)
    process = started[0]
    client = _client_of(started)
    try:
        client.wait_for_workers(2, timeout=60)
        info = client.scheduler_info()
        comms = {info["address"], *info["workers"], *(w["nanny"] for w in info["workers"].values())}
        ports = _listening(_cluster_pids(process))
        comm_ports = sorted(int(address.rsplit(":", 1)[1]) for address in comms)
        if dashboard:
            assert "dashboard" in info["services"] and len(ports) == len(comm_ports) + 3  # scheduler + 2 workers
        else:
            assert info["services"] == {} and ports == comm_ports and 8787 not in ports
    finally:
        client.close()
        process.terminate()
        process.wait(30)


@pytest.mark.slow  # starts two local clusters (workers import TensorFlow)
def test_a_killed_cluster_fails_its_job_with_one_line_and_the_next_training_runs_on_a_new_one(monkeypatch, tmp_path):
    from distributed import Event

    monkeypatch.setenv("FINDL_WORKERS", "1")
    monkeypatch.delenv("FINDL_SCHEDULER", raising=False)
    eng = engine.Engine()
    try:
        old = eng.client.findl_cluster_process
        gate = f"gate-{os.getpid()}-{time.time_ns()}"
        running = eng.submit(fake, fake.Config(value=81, gate=gate), DATA, watcher="a")
        _until(lambda: eng.get(running.key).state == engine.RUNNING, 60)
        assert eng.snapshot()["workers"] == 1

        errors, stop = [], threading.Event()

        def session():  # other sessions keep rerunning their pages meanwhile
            while not stop.is_set():
                try:
                    eng.snapshot()
                    eng.refresh(running)
                except Exception as exc:
                    errors.append(repr(exc))
                time.sleep(0.01)

        sessions = [threading.Thread(target=session, daemon=True) for _ in range(3)]
        for t in sessions:
            t.start()
        try:
            os.killpg(old.pid, signal.SIGKILL)  # the cluster and its workers, as `kill -9 -<pgid>` would
            eng.wait(running, 30)
            assert running.state == engine.FAILED and running.error == (
                "the training engine stopped (the local Dask cluster was killed (signal 9)); nothing was stored. "
                "Press 'Train again' to retry")
            assert eng.snapshot()["workers"] in (0, 1)  # 0 while the new cluster starts; never the dead one's
        finally:
            stop.set()
            for t in sessions:
                t.join(30)
        assert errors == []

        after = eng.submit(fake, fake.Config(value=82), DATA, watcher="b")  # waits for the new cluster
        assert eng.wait(after, 120).state == engine.DONE and after.result.metrics["value"] == 82
        assert eng.client.findl_cluster_process.pid != old.pid and old.poll() == -9
        again = eng.submit(fake, fake.Config(value=81, gate=gate), DATA, watcher="a")  # "Train again"
        Event(gate, client=eng.client).set()
        assert again is not running and eng.wait(again, 60).state == engine.DONE
        assert eng.snapshot() == {"running": 0, "queued": 0, "workers": 1}
    finally:
        eng.close()
    assert not [p.pid for p in psutil.process_iter() if _group(p.pid) == old.pid]  # nothing of it is left


def _group(pid):
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None
