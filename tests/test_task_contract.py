"""Every registered task keeps the task contract (core/tasks/__init__.py), as scikit-learn's
check_estimator holds every estimator to its API: the module API, hooks, presets that validate
and survive a link, and a run whose metrics are JSON with comparisons in the shared schema and
that round-trips through the result store."""

import types

import pytest

from core import jobs
from core.result import Progress
from core.store import Store
from core.tasks import TASK_MODULES, check_task, get_task, hook

# the smallest settings that still train and evaluate end to end (a few seconds each)
QUICK = {
    "playground": {"epochs": 20},
    "forecast": {"epochs": 2, "min_steps": 0},
    "forecast-walk-forward": {"epochs": 2, "walk_forward": 2, "min_steps": 0},
    "anomaly": {"epochs": 2, "customers": 200, "days": 60, "min_steps": 0},
    "sentiment": {"epochs": 1, "train_rows": 300, "min_steps": 0},
    "chart-cnn": {"epochs": 1, "window": 5, "filters": 4, "blocks": 1},
}


def test_every_registered_task_has_quick_settings_here():
    assert set(QUICK) == set(TASK_MODULES)


@pytest.mark.parametrize("name", list(TASK_MODULES))
def test_task_keeps_the_contract_and_its_run_round_trips_through_the_store(name, tmp_path):
    task = get_task(name)
    config = task.Config(**QUICK[name])
    data = task.load_data(config)
    store = Store(str(tmp_path / "store"))
    result = jobs.execute(task, config, data, store, Progress())
    check_task(task, result)
    again = store.get(jobs.key_for(task, config, data))
    assert again is not None and again.metrics == result.metrics
    assert again.metrics["comparisons"], "a run on labelled data compares the model with its baselines"


def test_check_task_refuses_a_broken_task():
    good = get_task("playground")
    broken = types.ModuleType(good.__name__)
    broken.__dict__.update({k: v for k, v in vars(good).items() if not k.startswith("__")})
    broken.train = lambda config, data: None  # the contract's train takes progress too
    with pytest.raises(TypeError, match="train"):
        check_task(broken)
    broken.train, broken.SCHEMA = good.train, "2"
    with pytest.raises(TypeError, match="SCHEMA"):
        check_task(broken)


def test_hooks_are_read_through_one_function():
    assert hook(get_task("sentiment"), "predict") is not None
    assert hook(get_task("forecast"), "predict") is None
    with pytest.raises(KeyError):
        hook(get_task("playground"), "no_such_hook")
