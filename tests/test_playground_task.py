import numpy as np
import pytest

from core.charts import playground as charts
from core.errors import DataError, TrainingDiverged
from core.result import Progress
from core.tasks import playground as pg

SMALL = dict(n_samples=120, epochs=30, hidden=(6,), batch_size=16)


@pytest.fixture(scope="module")
def small_result():
    config = pg.Config(**SMALL, seeds=2, dataset="xor", noise=0.05)
    return config, pg.train(config, pg.load_data(config), Progress())


def test_train_reports_metrics_arrays_and_progress(small_result):
    _, result = small_result
    m = result.metrics
    for key in ("train_accuracy", "test_accuracy", "test_auc", "test_f1", "confusion", "baselines"):
        assert key in m
    assert m["n_train"] + m["n_test"] == 120
    assert np.asarray(m["confusion"]).sum() == m["n_test"]
    assert len(m["seed_test_accuracy"]) == 2
    assert result.arrays["snapshots"].shape[1:] == (pg.GRID, pg.GRID)
    assert result.arrays["snapshot_epochs"][-1] == 30
    assert result.arrays["seed_grids"].shape[0] == 2
    assert m["train_accuracy"] > 0.85  # xor with low noise is learnable by 6 tanh units


def test_network_beats_logistic_on_xor_and_says_so(small_result):
    _, result = small_result
    assert result.metrics["test_accuracy"] > result.metrics["baselines"]["logistic"]["test_accuracy"] + 0.15


def test_tf_and_numpy_engines_agree_on_a_run():
    config = pg.Config(**SMALL)
    data = pg.load_data(config)
    a = pg.train(config, data, Progress())
    b = pg.train(config.replace(engine="numpy"), data, Progress())
    assert abs(a.metrics["test_accuracy"] - b.metrics["test_accuracy"]) <= 1 / a.metrics["n_test"] + 1e-9
    assert abs(a.metrics["train_loss"] - b.metrics["train_loss"]) < 1e-3


def test_scaler_uses_training_rows_only():
    config = pg.Config(**SMALL)
    data = pg.load_data(config)
    _, test_idx = pg.split(config, data)
    poisoned = pg.toy2d.Points(data.x.copy(), data.y, data.name, data.fingerprint)
    poisoned.x[test_idx] = 1e6  # if test rows reached the scaler, train features would collapse
    r = pg.train(config.replace(epochs=5), poisoned, Progress())
    assert r.metrics["train_accuracy"] > 0.6


def test_divergence_raises():
    config = pg.Config(n_samples=200, hidden=(64, 64, 64), activation="relu", optimizer="sgd",
                       learning_rate=10.0, epochs=60)
    with pytest.raises(TrainingDiverged, match="lower the learning rate"):
        pg.train(config, pg.load_data(config), Progress())


def test_csv_dataset_needs_a_file_and_batch_must_fit():
    with pytest.raises(DataError, match="needs a file"):
        pg.load_data(pg.Config(dataset="csv"))
    data = pg.toy2d.load_csv(b"x1,x2,label\n" + b"".join(f"{i},{i % 3},{i % 2}\n".encode() for i in range(20)))
    with pytest.raises(DataError, match="larger than"):
        pg.train(pg.Config(dataset="csv", batch_size=30, epochs=1), data, Progress())


def test_cost_analysis_finds_the_cheapest_threshold():
    y = np.array([0, 0, 0, 0, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.6, 0.4, 0.9])
    a = pg.cost_analysis(y, p, cost_missed=10, cost_refused=1)
    # refusing from 0.4 catches both defaults and refuses one good client (0.6): cost 1/6
    assert a["best_cost"] == pytest.approx(1 / 6)
    assert 0.3 < a["best_threshold"] <= 0.4
    assert a["cost_at_half"] == pytest.approx((10 + 1) / 6)
    assert a["bayes_threshold"] == pytest.approx(1 / 11)


def test_every_preset_is_a_valid_config():
    for name, preset in pg.PRESETS.items():
        assert pg.Config(**preset.settings), name
        assert preset.description.endswith(".")
    assert [c.hidden for c in pg.sweep_configs()] == [(1,), (3,), (500,)]


def test_keras_export_reproduces_the_run(tmp_path, monkeypatch):
    config = pg.Config(**SMALL, regularizer="l2", dropout=0.1)
    data = pg.load_data(config)
    import pandas as pd

    pd.DataFrame({"x1": data.x[:, 0], "x2": data.x[:, 1], "label": data.y.astype(int)}).to_csv(
        tmp_path / "playground_data.csv", index=False)
    monkeypatch.chdir(tmp_path)
    code = pg.keras_code(config).replace("print(dict(", "RESULT = (dict(")
    scope: dict = {}
    exec(compile(code, "export.py", "exec"), scope)
    assert scope["RESULT"]["compile_metrics"] > 0.6 if "compile_metrics" in scope["RESULT"] else True
    assert scope["model"].count_params() == 3 * 6 + 6 + 1


def test_charts_build(small_result):
    _, result = small_result
    fig = charts.boundary(result)
    assert len(fig.frames) == len(result.arrays["snapshot_epochs"])
    assert fig.data[0].type == "heatmap" and len(fig.data) == 5  # heatmap + train/test x 2 classes
    assert charts.boundary(result, show_test=False).data.__len__() == 3
    assert set(np.unique(charts.boundary(result, discretize=True).data[0].z)) <= {0.0, 1.0}
    assert len(charts.curves(result).data) == 4
    assert charts.neurons(result) is not None
    net = charts.network(result)
    assert sum(t.mode == "lines" for t in net.data) == 2 * 6 + 6 * 1
    assert charts.seeds(result).data[0].type == "heatmap"
    cm = charts.confusion(result)
    assert np.asarray(cm.data[0].z).sum() == result.metrics["n_test"]
