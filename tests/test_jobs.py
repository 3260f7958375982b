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


def test_a_training_s_temporary_files_go_with_its_result(tmp_path):
    import gc
    from pathlib import Path

    task, _ = fake_task()
    made = tmp_path / "model.tmp"

    def train(config, data, progress):
        made.write_bytes(b"model")
        return Result(metrics={"value": config.value}, files={"model.keras": str(made)})

    task.train = train
    store = Store(str(tmp_path / "s"))
    key, result = jobs.run_sync(task, FakeConfig(value=4), DATA, store)
    assert not result.cached and result.seconds > 0 and result.key == key
    assert Path(result.model_path).read_bytes() == b"model"  # still readable (findl train --eval)
    del result
    gc.collect()
    assert not made.exists()
    again = store.get(key)
    assert again.cached and Path(again.model_path).read_bytes() == b"model"


def test_a_job_ends_for_the_panel_that_must_press_train_again():
    from core.engine import CANCELLED, DONE, FAILED, Job

    def job(state, by=None):
        return Job("k", "findl-k", None, None, None, None, 0, state=state, cancelled_by=by)

    assert job(FAILED).ended_for("a") and job(FAILED).ended_for("b")  # never resubmitted on its own
    assert job(CANCELLED, by="a").ended_for("a") and not job(CANCELLED, by="a").ended_for("b")
    assert not job(DONE).ended_for("a")


def _panel_page():
    import engine_tasks as fake
    import streamlit as st

    from core.ui import job_panel

    result = job_panel.run(fake, fake.Config(value=5), fake.Data())
    st.write(f"value={result.metrics['value'] if result is not None else None} cached={result and result.cached}")


def test_a_stored_run_is_shown_from_the_store_without_a_job():
    """A stored run is read from the store: no Job, no training engine needed."""
    import engine_tasks as fake
    from streamlit.testing.v1 import AppTest

    from core import engine

    key, _ = jobs.run_sync(fake, fake.Config(value=5), fake.Data())
    at = AppTest.from_function(_panel_page, default_timeout=30)
    at.run()
    assert not at.exception and [m.value for m in at.markdown] == ["value=5 cached=True"]
    assert engine.engine().get(key) is None and key not in engine.engine()._jobs
