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


def fake_task():
    calls = []

    def train(config, data, progress):
        calls.append(config.value)
        for step in range(1, 4):
            progress.update(step, 3, loss=1.0 / step)
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


def test_nan_loss_is_divergence(tmp_path):
    task, _ = fake_task()

    def train(config, data, progress):
        progress.update(1, 2, loss=float("nan"))

    task.train = train
    with pytest.raises(TrainingDiverged):
        jobs.run_sync(task, FakeConfig(), DATA, Store(str(tmp_path / "s")))
