"""The playground's multi-class and regression problems: what a run reports, its baselines in the
shared comparison schema, the option-call set's error against the Black-Scholes formula inside and
outside the region trained on, and a file's labels read by problem."""

import numpy as np
import pytest

from core import comparisons
from core.charts import playground as charts
from core.errors import ConfigError, DataError
from core.result import Progress
from core.tasks import playground as pg

SMALL = dict(n_samples=240, epochs=40, hidden=(8,), batch_size=32)


def _train(**settings):
    config = pg.Config(**{**SMALL, **settings})
    return config, pg.train(config, pg.load_data(config), Progress())


@pytest.fixture(scope="module")
def blobs():
    return _train(problem="multiclass", dataset="blobs", classes=4, seeds=2)


@pytest.fixture(scope="module")
def option():
    return _train(problem="regression", dataset="option-call", n_samples=600, epochs=60)


def test_multiclass_run_reports_classes_and_beats_the_majority(blobs):
    _, result = blobs
    m, a = result.metrics, result.arrays
    assert m["problem"] == "multiclass" and len(result.info["class_names"]) == 4
    assert np.asarray(m["confusion"]).shape == (4, 4) and np.asarray(m["confusion"]).sum() == m["n_test"]
    assert 0 <= m["macro_f1"] <= 1 and m["test_accuracy"] > 0.8
    assert a["snapshots"].shape[1:] == (4, pg.GRID, pg.GRID)
    np.testing.assert_allclose(np.asarray(a["snapshots"][-1], np.float32).sum(axis=0), 1, atol=1e-2)  # probabilities
    assert len(m["seed_test_accuracy"]) == 2
    for c in m["comparisons"]:
        comparisons.check(c)
    assert comparisons.find(m["comparisons"], "majority")["verdict"] == "better"
    assert "multinomial logistic regression" in comparisons.find(m["comparisons"], "logistic")["baseline_label"]
    assert "costs" not in m


def test_regression_run_reports_errors_and_its_baselines(option):
    _, result = option
    m = result.metrics
    assert m["problem"] == "regression" and result.info["score_name"] == "RMSE"
    assert m["test_rmse"] > 0 and m["test_r2"] is not None
    names = [c["baseline"] for c in m["comparisons"]]
    assert names == ["mean", "linear", "poly3"]
    for c in m["comparisons"]:
        comparisons.check(c)
        assert c["metric"] == "rmse" and c["higher_is_better"] is False
    assert comparisons.find(m["comparisons"], "mean")["verdict"] == "better"
    # the predicted prices are in the target's own units, not the standardised ones the network trains on
    mean, scale = result.info["target"]
    assert 0.05 < mean < 0.5 and scale > 0.01
    assert abs(np.mean(result.arrays["seed_test_probs"][0]) - np.mean(result.arrays["y_test"])) < 0.1


def test_option_call_tests_outside_the_region_it_trained_on(option):
    from core.data import toy2d

    _, result = option
    a, formula = result.arrays, result.metrics["formula"]
    assert (a["x_train"][:, 0] <= toy2d.TRAINED_MONEYNESS).all()   # never trained beyond moneyness 1.3
    assert formula["n_outside"] == int((a["x_test"][:, 0] > toy2d.TRAINED_MONEYNESS).sum()) > 0
    assert formula["n_inside"] + formula["n_outside"] == result.metrics["n_test"]
    assert formula["rmse_outside"] > formula["rmse_inside"]  # extrapolation is worse than interpolation
    assert formula["outside_over_inside"] == pytest.approx(formula["rmse_outside"] / formula["rmse_inside"])
    assert a["exact_grid"].shape == (pg.GRID, pg.GRID)
    assert charts.formula_error(result).data[0].type == "heatmap"


def test_charts_draw_every_problem(blobs, option):
    for _, result in (blobs, option):
        assert charts.boundary(result).data[0].type == "heatmap"
        assert len(charts.curves(result).data) == 4
        assert charts.seeds(result).data[0].type == "heatmap"
    assert len(charts.confusion(blobs[1]).data[0].z) == 4
    assert charts.predicted_vs_actual(option[1]).data[1].mode == "markers"
    z = charts.class_picture(np.asarray(blobs[1].arrays["snapshots"][-1], np.float32))
    assert z.min() >= 0.25 and z.max() <= 4  # class + its probability (at least 1/k)


def test_settings_and_data_must_be_of_one_problem():
    with pytest.raises(ConfigError, match="dataset blobs is a multiclass problem"):
        pg.Config(dataset="blobs")
    with pytest.raises(ConfigError, match="plane, bump, option-call, csv"):
        pg.Config(problem="regression", dataset="moons")
    config = pg.Config(problem="multiclass", dataset="csv")
    rows = b"x1,x2,label\n" + b"".join(f"{i},{i % 5},{i * 1.5}\n".encode() for i in range(40))
    with pytest.raises(DataError, match="3-6 label values"):
        pg.load_data(config, rows)
    regression = pg.Config(problem="regression", dataset="csv", batch_size=8, epochs=20)
    data = pg.load_data(regression, rows)
    assert data.problem == "regression"
    with pytest.raises(DataError, match="the data is for a regression problem"):
        pg.train(pg.Config(dataset="csv", batch_size=8), data, Progress())


def test_a_target_in_thousands_is_learnt_in_its_own_units():
    """The regression target is standardised with the training rows: a file whose numbers are in
    the thousands trains like one in units, and the errors come back in thousands."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (200, 2))
    y = 5000 + 2000 * x[:, 0] - 1000 * x[:, 1] ** 2
    rows = b"x1,x2,label\n" + b"".join(f"{a},{b},{c}\n".encode() for (a, b), c in zip(x, y))
    config = pg.Config(problem="regression", dataset="csv", epochs=100, hidden=(8,), batch_size=16)
    m = pg.train(config, pg.load_data(config, rows), Progress()).metrics
    assert m["test_rmse"] < 300 < m["baselines"]["mean"]["test_rmse"]


@pytest.mark.parametrize("settings", [dict(), dict(problem="multiclass", dataset="spiral3"),
                                      dict(problem="regression", dataset="option-call")])
def test_keras_code_compiles_for_every_problem(settings):
    code = pg.keras_code(pg.Config(**settings))
    compile(code, "keras_code.py", "exec")
    loss = {"": "binary_crossentropy", "multiclass": "sparse_categorical_crossentropy", "regression": "mse"}
    assert f'loss="{loss[settings.get("problem", "")]}"' in code


def test_a_files_class_names_are_shown_as_text_in_every_chart():
    hostile = ["<a href='http://evil.example'>x</a>", "<b>bold</b>", "plain"]
    rows = b"x1,x2,label\n" + b"".join(f'{i % 9},{i % 4},"{hostile[i % 3]}"\n'.encode() for i in range(90))
    config = pg.Config(problem="multiclass", dataset="csv", epochs=5, hidden=(4,))
    result = pg.train(config, pg.load_data(config, rows), Progress())
    shown = [t.name or "" for t in charts.boundary(result).data]
    shown += list(charts.boundary(result).data[0].colorbar.ticktext)
    shown += list(charts.confusion(result).data[0].x)
    assert all("<a" not in s and "<b>" not in s for s in shown), shown
    assert any("&lt;a href" in s for s in shown)


def test_the_live_view_draws_each_problem_while_it_trains(blobs, option):
    """The page's live chart is built from the data and a snapshot before any result exists."""
    from core.result import Result

    for config, result in (blobs, option):
        data = pg.load_data(config)
        gx, gy = pg.grid_axes(data.x)
        sketch = Result(metrics={}, arrays={"grid_x": gx, "grid_y": gy, "x_train": data.x, "y_train": data.y},
                        info={"axis_labels": list(data.axis_labels), "class_names": list(data.class_names),
                              "problem": data.problem})
        heat = charts.live_boundary(sketch, result.arrays["snapshots"][0], 1).data[0]
        assert np.asarray(heat.z).shape == (pg.GRID, pg.GRID)


def test_the_step_view_steps_on_the_shown_runs_own_network(blobs):
    """An older run may be on screen while new settings (another problem) train: the step-through
    view takes the network's shape from the run's own settings, not from the sidebar's."""
    config, result = blobs
    result.config = config.to_dict()
    assert pg.run_config(result) == config
    setting = pg.step_setting(pg.run_config(result), result)
    assert setting.spec.head == "softmax" and setting.spec.outputs == 4
    result.config = None
    assert pg.run_config(result) is None
