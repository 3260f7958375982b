import threading
import types
from dataclasses import dataclass

import numpy as np
import pytest

from core import jobs
from core.config import TaskConfig, param
from core.errors import TrainingDiverged
from core.result import Result
from core.store import Store


@dataclass(frozen=True)
class FakeConfig(TaskConfig):
    TASK = "fake"
    value: int = param(1, min=0, max=100)


def fake_task(gate: threading.Event | None = None, fail: Exception | None = None):
    calls = []

    def train(config, data, progress):
        calls.append(config.value)
        for step in range(1, 4):
            if gate is not None:
                gate.wait(10)
            progress.update(step, 3, loss=1.0 / step)
        if fail is not None:
            raise fail
        return Result(metrics={"value": config.value}, arrays={"x": np.zeros(2)})

    task = types.SimpleNamespace(NAME="fake", SCHEMA=1, Config=FakeConfig, PRESETS={}, train=train)
    return task, calls


DATA = types.SimpleNamespace(fingerprint="d")


def test_run_sync_trains_once_then_hits_the_store(tmp_path):
    task, calls = fake_task()
    store = Store(str(tmp_path / "s"))
    _, first = jobs.run_sync(task, FakeConfig(value=3), DATA, store)
    _, second = jobs.run_sync(task, FakeConfig(value=3), DATA, store)
    assert calls == [3] and not first.cached and second.cached and second.metrics == {"value": 3}


def test_same_key_attaches_to_one_job_and_queue_is_visible(tmp_path):
    gate = threading.Event()
    task, calls = fake_task(gate)
    runner = jobs.JobRunner(Store(str(tmp_path / "s")), workers=1)
    a = runner.submit(task, FakeConfig(value=1), DATA)
    b = runner.submit(task, FakeConfig(value=1), DATA)
    c = runner.submit(task, FakeConfig(value=2), DATA)
    assert a is b and c is not a
    assert runner.queue_position(c) >= 1
    gate.set()
    assert a.wait(10) and c.wait(10)
    assert a.state == jobs.DONE and c.state == jobs.DONE
    assert sorted(calls) == [1, 2]
    assert len(a.progress.history) == 3 and a.progress.fraction == 1.0
    # finished and stored: a new submit is served without training
    again = runner.submit(task, FakeConfig(value=1), DATA)
    assert again.state == jobs.DONE and sorted(calls) == [1, 2]


def test_cancel_running_job_stores_nothing(tmp_path):
    gate = threading.Event()
    task, _ = fake_task(gate)
    store = Store(str(tmp_path / "s"))
    runner = jobs.JobRunner(store, workers=1)
    job = runner.submit(task, FakeConfig(value=5), DATA)
    while job.state != jobs.RUNNING:
        threading.Event().wait(0.01)
    runner.cancel(job)
    gate.set()
    assert job.wait(10) and job.state == jobs.CANCELLED
    assert store.get(jobs.key_for(task, FakeConfig(value=5), DATA)) is None
    assert runner.get(job.key).state == jobs.CANCELLED
    assert runner.submit(task, FakeConfig(value=5), DATA) is not job  # may be submitted again


def test_cancel_queued_job(tmp_path):
    gate = threading.Event()
    task, _ = fake_task(gate)
    runner = jobs.JobRunner(Store(str(tmp_path / "s")), workers=1)
    runner.submit(task, FakeConfig(value=1), DATA)
    queued = runner.submit(task, FakeConfig(value=2), DATA)
    runner.cancel(queued)
    assert queued.state == jobs.CANCELLED
    gate.set()


@pytest.mark.parametrize("error,fragment", [(TrainingDiverged(), "lower the learning rate"),
                                            (RuntimeError("boom"), "internal error")])
def test_failures_carry_a_message_and_are_not_stored(tmp_path, error, fragment):
    task, _ = fake_task(fail=error)
    store = Store(str(tmp_path / "s"))
    runner = jobs.JobRunner(store, workers=1)
    job = runner.submit(task, FakeConfig(value=7), DATA)
    assert job.wait(10)
    assert job.state == jobs.FAILED and fragment in job.error
    assert store.get(job.key) is None


def test_nan_loss_is_divergence(tmp_path):
    task, _ = fake_task()

    def train(config, data, progress):
        progress.update(1, 2, loss=float("nan"))

    task.train = train
    with pytest.raises(TrainingDiverged):
        jobs.run_sync(task, FakeConfig(), DATA, Store(str(tmp_path / "s")))


def test_released_queued_job_is_dropped_unless_someone_else_waits(tmp_path):
    gate = threading.Event()
    task, calls = fake_task(gate)
    runner = jobs.JobRunner(Store(str(tmp_path / "s")), workers=1)
    running = runner.submit(task, FakeConfig(value=1), DATA, watcher="a")
    lonely = runner.submit(task, FakeConfig(value=2), DATA, watcher="a")
    shared = runner.submit(task, FakeConfig(value=3), DATA, watcher="a")
    runner.submit(task, FakeConfig(value=3), DATA, watcher="b")
    while running.state != jobs.RUNNING:
        threading.Event().wait(0.01)
    for job in (running, lonely, shared):
        runner.release(job.key, "a")
    assert lonely.state == jobs.CANCELLED            # nobody waits: dropped from the queue
    assert shared.state == jobs.QUEUED               # session b still waits for it
    assert running.state == jobs.RUNNING             # a running job is never dropped
    gate.set()
    assert shared.wait(10) and running.wait(10)
    assert sorted(calls) == [1, 3]
