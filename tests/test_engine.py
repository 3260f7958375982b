"""The Dask engine on a real LocalCluster: jobs keyed by store key (one training for many
sessions, and across two clients), queue, progress, cancel, failures, a killed worker, worker
recycling, and a web-server process that never imports TensorFlow."""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import engine_tasks as fake
import pytest

from core import engine
from core.cluster import start_client, stop_client
from core.engine.training import SourceFile
from core.errors import UserError
from core.store import Store

ROOT = Path(__file__).resolve().parents[1]
DATA = fake.Data()


@pytest.fixture(scope="module")
def client():
    c = start_client(scheduler="", workers=2)
    yield c
    stop_client(c)


@pytest.fixture
def eng(client):
    e = engine.Engine(client)
    yield e
    for job in list(e._jobs.values()):
        if job.active:
            e.cancel(job)


def _gate():
    return f"gate-{uuid.uuid4().hex}"


def _open(client, name):
    from distributed import Event

    Event(name, client=client).set()


def _log(tmp_path):
    folder = tmp_path / "log"
    folder.mkdir(exist_ok=True)
    return str(folder)


def _done(eng, job, timeout=60):
    eng.wait(job, timeout)
    assert job.state == engine.DONE, job.error
    return job.result


def _until(predicate, timeout=60):
    deadline = time.time() + timeout
    while not predicate():
        assert time.time() < deadline, "timed out"
        time.sleep(0.1)


def test_sessions_share_one_job_with_progress_and_a_visible_queue(eng, client, tmp_path):
    gate, log = _gate(), _log(tmp_path)
    blockers = [eng.submit(fake, fake.Config(value=v, gate=gate, log=log), DATA, watcher="a") for v in (1, 2)]
    a = eng.submit(fake, fake.Config(value=3, gate=gate, log=log), DATA, watcher="a")
    b = eng.submit(fake, fake.Config(value=3, gate=gate, log=log), DATA, watcher="b")
    assert a is b and a.watchers == {"a", "b"}
    _until(lambda: all(eng.get(j.key).state == engine.RUNNING for j in blockers))
    assert eng.queue_position(a) == 1 and eng.snapshot() == {"running": 2, "queued": 1, "workers": 2}
    _open(client, gate)
    for job in (*blockers, a):
        eng.wait(job, 60)
    assert a.state == engine.DONE and a.result.metrics["value"] == 3 and not a.result.cached
    assert a.fraction == 1.0 and [h["step"] for h in a.history][-1] == 3
    assert len(os.listdir(log)) == 3  # three trainings, not four
    again = eng.submit(fake, fake.Config(value=3, gate=gate, log=log), DATA)
    assert again.state == engine.DONE and len(os.listdir(log)) == 3


def test_many_sessions_submitting_and_refreshing_at_once_see_one_job_end_well(eng, client, tmp_path, monkeypatch):
    """Every session's rerun refreshes the jobs it sees from its own thread (the sidebar refreshes
    all of them): a job finishing under eight threads must end once, for all of them, with no
    error (the classroom benchmark once showed a FutureCancelledError)."""
    import threading

    monkeypatch.setenv("FINDL_STORE", str(tmp_path / "store"))
    gate, log = _gate(), _log(tmp_path)
    configs = [fake.Config(value=v, gate=gate, log=log) for v in (21, 22)]
    errors, seen = [], []

    def session(i):
        try:
            while True:
                job = eng.submit(fake, configs[i % 2], DATA, watcher=f"s{i}")
                eng.snapshot()
                eng.refresh(job)
                if not job.active:
                    seen.append((job.state, job.result.metrics["value"] if job.result else None))
                    return
                time.sleep(0.001)
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=session, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    _open(client, gate)
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(seen) == sorted([(engine.DONE, 21)] * 4 + [(engine.DONE, 22)] * 4)
    assert len(os.listdir(log)) == 2  # one training per settings


def test_two_clients_of_one_scheduler_train_a_key_once(client, tmp_path):
    from distributed import Client

    gate, log = _gate(), _log(tmp_path)
    other = Client(client.scheduler.address)
    try:
        first, second = engine.Engine(client), engine.Engine(other)  # two app replicas
        config = fake.Config(value=11, gate=gate, log=log)
        a, b = first.submit(fake, config, DATA), second.submit(fake, config, DATA)
        _open(client, gate)
        first.wait(a, 60), second.wait(b, 60)
        assert a.state == b.state == engine.DONE
        assert len(os.listdir(log)) == 1 and a.result.metrics["pid"] == b.result.metrics["pid"]
    finally:
        other.close()


def test_cancel_a_running_job_stores_nothing_and_it_can_run_again(eng, client, tmp_path):
    gate = _gate()
    config = fake.Config(value=21, gate=gate, log=_log(tmp_path))
    job = eng.submit(fake, config, DATA)
    _until(lambda: eng.get(job.key).state == engine.RUNNING)
    eng.cancel(job)
    _open(client, gate)
    eng.wait(job, 60)
    assert job.state == engine.CANCELLED and Store().get(job.key) is None
    again = eng.submit(fake, config, DATA)
    assert again is not job and eng.wait(again, 60).state == engine.DONE


def test_cancel_a_queued_job(eng, client, tmp_path):
    gate, log = _gate(), _log(tmp_path)
    running = [eng.submit(fake, fake.Config(value=v, gate=gate, log=log), DATA) for v in (31, 32)]
    queued = eng.submit(fake, fake.Config(value=33, gate=gate, log=log), DATA)
    assert eng.get(queued.key).state == engine.QUEUED
    eng.cancel(queued)
    assert queued.state == engine.CANCELLED and "before it started" in queued.error
    _open(client, gate)
    for job in running:
        eng.wait(job, 60)
    assert sorted(name.split("-")[0] for name in os.listdir(log)) == ["31", "32"]


@pytest.mark.parametrize("fail,fragment", [("diverge", "training diverged (loss became NaN/inf): lower the learning rate"),
                                           ("bug", "internal error: RuntimeError: boom")])
def test_failures_are_one_line_messages_and_never_stored(eng, fail, fragment):
    job = eng.wait(eng.submit(fake, fake.Config(value=41, fail=fail), DATA), 60)
    assert job.state == engine.FAILED and job.error == fragment
    assert Store().get(job.key) is None


def test_a_killed_worker_fails_its_job_clearly_others_go_on_and_a_retry_works(eng, client, tmp_path):
    log = _log(tmp_path)
    gate = _gate()
    other = eng.submit(fake, fake.Config(value=51, gate=gate, log=log), DATA)
    _until(lambda: eng.get(other.key).state == engine.RUNNING)
    doomed = fake.Config(value=52, fail="die-once", log=log)
    job = eng.wait(eng.submit(fake, doomed, DATA), 120)
    assert job.state == engine.FAILED and job.error == engine.KILLED
    assert Store().get(job.key) is None
    _open(client, gate)
    assert eng.wait(other, 60).state == engine.DONE  # the other worker's job was not disturbed
    client.wait_for_workers(2, timeout=60)  # the nanny restarted the killed worker
    retry = eng.wait(eng.submit(fake, doomed, DATA), 120)  # "Train again"
    assert retry is not job and retry.state == engine.DONE


def test_a_queued_job_nobody_waits_for_is_dropped(eng, client, tmp_path):
    gate, log = _gate(), _log(tmp_path)
    running = [eng.submit(fake, fake.Config(value=v, gate=gate, log=log), DATA, watcher="a") for v in (61, 62)]
    lonely = eng.submit(fake, fake.Config(value=63, gate=gate, log=log), DATA, watcher="a")
    shared = eng.submit(fake, fake.Config(value=64, gate=gate, log=log), DATA, watcher="a")
    eng.submit(fake, fake.Config(value=64, gate=gate, log=log), DATA, watcher="b")
    _until(lambda: all(eng.get(j.key).state == engine.RUNNING for j in running))
    for job in (*running, lonely, shared):
        eng.release(job.key, "a")
    assert lonely.state == engine.CANCELLED                          # dropped from the queue
    assert eng.get(shared.key).state == engine.QUEUED                # session b still waits
    assert all(eng.get(j.key).state == engine.RUNNING for j in running)  # running jobs always finish
    _open(client, gate)
    for job in (*running, shared):
        eng.wait(job, 60)
    assert sorted(name.split("-")[0] for name in os.listdir(log)) == ["61", "62", "64"]


@pytest.mark.slow  # starts processes that import TensorFlow
def test_workers_recycle_after_n_trainings(tmp_path, monkeypatch):
    monkeypatch.setenv("FINDL_WORKER_RUNS", "2")
    c = start_client(scheduler="", workers=1)
    try:
        e = engine.Engine(c)
        pids = [_done(e, e.submit(fake, fake.Config(value=70 + i), DATA)).metrics["pid"] for i in range(2)]
        c.wait_for_workers(1, timeout=60)
        _until(lambda: list(c.run(os.getpid).values()) != [pids[0]], timeout=60)
        third = _done(e, e.submit(fake, fake.Config(value=79), DATA)).metrics["pid"]
        assert pids[0] == pids[1] != third  # a fresh process after two trainings
    finally:
        stop_client(c)


def test_the_server_process_never_imports_tensorflow(tmp_path):
    code = """
import json, sys
from core import engine
from core.cluster import start_client
from core.tasks import playground as pg
e = engine.Engine(start_client(scheduler="", workers=1))
config = pg.Config(epochs=5, n_samples=100)
job = e.wait(e.submit(pg, config, pg.load_data(config)), 300)
print(json.dumps({"state": job.state, "acc": job.result.metrics["test_accuracy"],
                  "tf": "tensorflow" in sys.modules, "keras": "keras" in sys.modules}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300,
                         env={**os.environ, "FINDL_STORE": str(tmp_path / "store")})
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report == {"state": "done", "acc": report["acc"], "tf": False, "keras": False}
    assert 0.5 < report["acc"] <= 1.0


@pytest.mark.slow  # starts processes that import TensorFlow
def test_cli_trains_on_a_scheduler_and_says_when_it_cannot_reach_one(client, tmp_path):
    address = client.scheduler.address
    env = {**os.environ, "FINDL_STORE": str(tmp_path / "store")}
    cmd = [sys.executable, "-m", "core.cli", "train", "playground", "--set", "epochs=5", "--set", "n_samples=100",
           "--json"]
    out = subprocess.run([*cmd, "--scheduler", address], capture_output=True, text=True, cwd=ROOT, timeout=300,
                         env=env)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["cached"] is False and 0.5 < report["metrics"]["test_accuracy"] <= 1.0
    assert Store(str(tmp_path / "store")).has(report["key"])  # the worker wrote the shared store
    # FINDL_SCHEDULER does the same; the result is already there
    again = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300,
                           env={**env, "FINDL_SCHEDULER": address})
    assert again.returncode == 0 and json.loads(again.stdout)["cached"] is True
    bad = subprocess.run([*cmd, "--scheduler", "tcp://127.0.0.1:9"], capture_output=True, text=True, cwd=ROOT,
                         timeout=120, env=env)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().count("\n") == 0 and "cannot reach the Dask scheduler" in bad.stderr


def test_predict_scores_new_inputs_on_a_worker_with_the_run_kept_loaded(eng, tmp_path, monkeypatch):
    monkeypatch.setenv("FINDL_STORE", str(tmp_path / "store"))
    job = eng.submit(fake, fake.Config(value=3), DATA)
    _done(eng, job)
    outs = [eng.predict(fake, job.key, [1, 2.5]) for _ in range(4)]
    assert all(o["scores"] == [3, 7.5] for o in outs)
    assert all(o["pid"] != os.getpid() and o["tensorflow"] for o in outs)  # on a worker, not here
    assert max(o["calls"] for o in outs) >= 2  # loaded once per worker, then reused
    with pytest.raises(UserError, match="list of numbers"):
        eng.predict(fake, job.key, "garbage")
    with pytest.raises(UserError, match="no longer in the result store"):
        eng.predict(fake, "0" * 64, [1])


def test_data_parsed_from_an_upload_travels_as_a_file_in_the_store(eng, tmp_path, monkeypatch):
    """An upload's parsed data is not put in the task graph (the server kept the serialised copy
    while the job lived: 180 MB for a 190 MB table): the file goes into the store once and the
    worker parses it, its fingerprint checked against the server's."""
    from core.data import sources

    monkeypatch.setenv("FINDL_STORE", str(tmp_path / "store"))
    uploaded = fake.Data(fingerprint="rows of an upload")
    sources.remember(uploaded, b"rows of an upload")
    sent = engine.shipped(uploaded, Store())
    assert isinstance(sent, SourceFile) and Path(sent.path).read_bytes() == b"rows of an upload"
    assert engine.shipped(uploaded, Store()) == sent  # the same file, written once
    assert Store().status()["entries"] == 0  # not a store entry
    run = _done(eng, eng.submit(fake, fake.Config(value=7), uploaded))
    assert run.metrics["data_pid"] == run.metrics["pid"] != os.getpid()  # parsed on the worker
    tampered = fake.Data(fingerprint="what the server parsed")
    sources.remember(tampered, b"other rows")
    job = eng.wait(eng.submit(fake, fake.Config(value=8), tampered), 60)
    assert job.state == engine.FAILED and "differs from the server's" in job.error


def test_data_made_from_the_config_is_rebuilt_on_the_worker_not_shipped(eng, tmp_path, monkeypatch):
    monkeypatch.setenv("FINDL_STORE", str(tmp_path / "store"))
    generated = fake.load_data(fake.Config(value=4, generated=True))
    assert engine.shipped(generated, Store()) is None and engine.shipped(DATA, Store()) is DATA
    rebuilt = _done(eng, eng.submit(fake, fake.Config(value=4, generated=True), generated))
    assert rebuilt.metrics["data_pid"] == rebuilt.metrics["pid"] != os.getpid()
    sent = _done(eng, eng.submit(fake, fake.Config(value=5), DATA))
    assert sent.metrics["data_pid"] == os.getpid()  # shipped: built here
    # a worker that rebuilds other rows than the server's fails the job with one line, stores nothing
    wrong = fake.Data(generated=True, fingerprint="another-version")
    job = eng.submit(fake, fake.Config(value=6, generated=True), wrong)
    eng.wait(job, 60)
    assert job.state == engine.FAILED and "differs from the server's" in job.error


def test_scoring_does_not_wait_for_trainings_on_busy_workers(eng, client, tmp_path, monkeypatch):
    monkeypatch.setenv("FINDL_STORE", str(tmp_path / "store"))
    done = eng.submit(fake, fake.Config(value=7), DATA)
    _done(eng, done)
    gate = _gate()
    busy = [eng.submit(fake, fake.Config(value=8 + i, gate=gate), DATA) for i in range(2)]  # both workers
    _until(lambda: all(eng.refresh(j) or j.state == engine.RUNNING for j in busy))
    start = time.monotonic()
    for _ in range(5):
        assert eng.predict(fake, done.key, [2])["scores"] == [14]
    assert time.monotonic() - start < 10  # a task would wait for the gate (60 s)
    assert all(j.state == engine.RUNNING for j in busy)
    _open(client, gate)
    for job in busy:
        _done(eng, job)


def _worker_environment():
    import dask

    return {"malloc_trim": os.environ.get("MALLOC_TRIM_THRESHOLD_"), "omp": os.environ.get("OMP_NUM_THREADS"),
            "profiler": dask.config.get("distributed.worker.profile.enabled"), "tf": "tensorflow" in sys.modules}


def test_workers_run_with_the_projects_dask_settings(client):
    """core/dask_config/findl.yaml: Dask's MALLOC_TRIM_THRESHOLD_ made TensorFlow training ~50 %
    slower on a worker than in-process; TensorFlow is imported before the first job."""
    envs = list(client.run(_worker_environment).values())
    assert envs and all(e == {"malloc_trim": None, "omp": None, "profiler": False, "tf": True} for e in envs)


def test_the_local_cluster_runs_in_a_session_of_its_own(client):
    """Ctrl+C in the terminal of `make run` goes to the terminal's foreground process group: the
    server exits and the cluster, in a session of its own, closes when it sees its parent gone,
    instead of printing KeyboardInterrupt tracebacks of its own."""
    import os

    cluster = client.findl_cluster_process
    assert cluster is not None and cluster.poll() is None
    assert os.getsid(cluster.pid) == cluster.pid != os.getsid(0)
