"""The forecast task: config rules, windows without look-ahead, baselines, tiny end-to-end runs,
divergence and cancellation, the walk-forward task and its store key, and the chart builders (on
results read back from the store)."""

import json
import math
import threading

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from core import comparisons
from core.charts import forecast as charts
from core.data import prices
from core.errors import Cancelled, ConfigError, DataError, TrainingDiverged
from core.result import Progress
from core.store import Store
from core.tasks import forecast as fc
from core.tasks.forecast import walk_forward as wf_task

ALL_FEATURES = ("returns", "volume", "volatility", "rsi", "ma_gap", "momentum")
TINY = {"lookback": 10, "units": 4, "epochs": 2, "batch_size": 256, "patience": 5, "min_steps": 0}


def _frame_data(close: np.ndarray, volume: np.ndarray | None = None, start: str = "2015-01-01") -> prices.PriceData:
    index = pd.bdate_range(start, periods=len(close), name="date").as_unit("ns")
    frame = pd.DataFrame({"close": np.asarray(close, float)}, index=index)
    if volume is not None:
        frame["volume"] = np.asarray(volume, float)
    return prices.PriceData(frame, "hand-made")


# ---- config --------------------------------------------------------------------------------------
def test_defaults_are_the_fast_reference_settings():
    c = fc.Config()
    assert (c.source, c.target, c.model, c.lookback, c.units, c.layers) == ("sp500", "log_return", "lstm", 60, 64, 1)
    assert c.batch_size == 512 and c.learning_rate == 0.004 and c.patience == 3
    assert c.TASK == "forecast" and fc.NAME == "forecast"


@pytest.mark.parametrize("changes, message", [
    ({"features": ("volume",)}, "must include returns"),
    ({"features": ("returns", "returns")}, "twice"),
    ({"val_fraction": 0.3, "test_fraction": 0.4}, "at least 40 %"),
    ({"source": "yahoo", "ticker": "not a ticker!"}, "ticker symbol"),
    ({"start": "2010/01/01"}, "date like"),
    ({"start": "2010-01-01", "end": "2009-01-01"}, "start must be before end"),
    ({"model": "transformer"}, "must be one of"),
    ({"features": ("returns", "sentiment")}, "must be one of"),
    ({"horizon": 0}, "between"),
])
def test_config_rejects_bad_settings_with_a_sentence(changes, message):
    with pytest.raises(ConfigError, match=message):
        fc.Config(**changes)


def test_config_from_strings_parses_features_tuple():
    c = fc.Config.from_strings({"features": "returns,volume", "horizon": "3", "source": "gbm"})
    assert c.features == ("returns", "volume") and c.horizon == 3
    assert fc.Config.from_strings(c.to_strings()) == c


def test_presets_are_valid_lessons():
    assert next(iter(fc.PRESETS)) == "lstm-vs-random-walk"
    assert fc.PRESETS["lstm-vs-random-walk"].settings == {}
    for name in ("price-level-illusion", "pure-noise-gbm", "gru-nasdaq", "cnn-volatility-features"):
        preset = fc.PRESETS[name]
        config = fc.Config(**preset.settings)
        assert preset.description[-1] in ".?" and len(preset.description) > 40
        fc.load_data(config)  # offline: bundled or synthetic
    assert fc.Config(**fc.PRESETS["price-level-illusion"].settings).target == "price"
    assert fc.Config(**fc.PRESETS["pure-noise-gbm"].settings).source == "gbm"


# ---- data ----------------------------------------------------------------------------------------
def test_load_data_too_short_for_the_settings():
    with pytest.raises(DataError, match="lookback=60"):
        fc.load_data(fc.Config(start="2018-09-01"))
    assert fc.required_rows(fc.Config()) > fc.required_rows(fc.Config(lookback=10))


def test_load_data_volume_feature_needs_a_volume_column():
    text = "Date,Close\n" + "\n".join(f"{d.date()},{100 + i % 7}" for i, d in
                                      enumerate(pd.bdate_range("2010-01-01", periods=400)))
    config = fc.Config(features=("returns", "volume"), lookback=10)
    with pytest.raises(DataError, match="Volume column"):
        fc.load_data(config, text.encode())
    data = fc.load_data(config.replace(features=("returns",)), text.encode())
    assert data.source == "csv"  # a path means CSV whatever config.source says


def test_load_data_csv_source_without_a_file():
    with pytest.raises(DataError, match="needs a file"):
        fc.load_data(fc.Config(source="csv"))


def test_ticker_without_yahoo_is_noted():
    data = fc.load_data(fc.Config(source="gbm", ticker="AAPL"))
    assert any("only used with source=yahoo" in n for n in data.notes)


# ---- windows and look-ahead ----------------------------------------------------------------------
def test_windows_line_up_with_the_split():
    config = fc.Config(source="gbm", lookback=7, horizon=3, features=ALL_FEATURES, walk_forward=0)
    ds = fc.prepare(config, prices.gbm(n=500))
    for origins, lo, hi in ((ds.train_origins, 0, ds.train_end), (ds.val_origins, ds.train_end, ds.val_end),
                            (ds.test_origins, ds.val_end, ds.n)):
        assert origins[0] + 1 == max(lo, config.lookback)  # first target row
        assert origins[-1] + config.horizon == hi - 1       # last target row
        assert origins[0] - config.lookback + 1 >= 0
    k = int(ds.val_origins[3])
    np.testing.assert_array_equal(ds.inputs(np.array([k]))[0], ds.scaled[k - 6:k + 1])
    np.testing.assert_array_equal(ds.targets(np.array([k]))[0], ds.target[k + 1:k + 4])
    assert ds.inputs(ds.train_origins).shape == (len(ds.train_origins), 7, len(ALL_FEATURES))
    assert ds.inputs(ds.train_origins).dtype == np.float32


@pytest.mark.parametrize("target", ["log_return", "price"])
def test_poisoned_test_slice_never_reaches_training_inputs_or_scalers(target):
    config = fc.Config(source="gbm", lookback=8, horizon=2, target=target, features=ALL_FEATURES, walk_forward=0)
    data = prices.gbm(n=600)
    clean = fc.prepare(config, data)
    warm = fc.warmup_rows(config.features)
    first_test_row = warm + clean.val_end  # row of data.frame where the test targets start
    poisoned_frame = data.frame.copy()
    poisoned_frame.iloc[first_test_row:, :] *= 1e6
    poisoned = fc.prepare(config, prices.PriceData(poisoned_frame, "poisoned"))

    np.testing.assert_array_equal(clean.x_scaler.mean_, poisoned.x_scaler.mean_)
    np.testing.assert_array_equal(clean.x_scaler.scale_, poisoned.x_scaler.scale_)
    np.testing.assert_array_equal(clean.y_scaler.mean_, poisoned.y_scaler.mean_)
    np.testing.assert_array_equal(clean.y_scaler.scale_, poisoned.y_scaler.scale_)
    for part in ("train_origins", "val_origins"):
        origins = getattr(clean, part)
        np.testing.assert_array_equal(origins, getattr(poisoned, part))
        np.testing.assert_array_equal(clean.inputs(origins), poisoned.inputs(origins))
        np.testing.assert_array_equal(clean.scaled_targets(origins), poisoned.scaled_targets(origins))
    # the poison did land in the test slice: this test can see a leak when there is one
    te = clean.test_origins
    assert not np.array_equal(clean.targets(te), poisoned.targets(te))
    assert not np.allclose(clean.inputs(te[-5:]), poisoned.inputs(te[-5:]))


def test_features_are_causal():
    data = prices.regime(n=400, seed=1)
    full = fc.feature_frame(data, ALL_FEATURES, "price")
    short = fc.feature_frame(prices.PriceData(data.frame.iloc[:300], "short"), ALL_FEATURES, "price")
    pd.testing.assert_frame_equal(full.iloc[: len(short)], short)


def test_training_only_sees_train_and_validation_windows(monkeypatch):
    """Poison the test slice and spy on what the trainer receives (walk-forward off)."""
    data = prices.gbm(n=500)
    config = fc.Config(source="gbm", walk_forward=0, **{**TINY, "epochs": 1})
    val_end = fc.prepare(config, data).val_end
    frame = data.frame.copy()
    frame.iloc[fc.warmup_rows(config.features) + val_end:, :] *= 1e6
    seen = []
    real_fit = fc.Trainer.fit

    def spy(self, x, y, x_val, y_val, **kwargs):
        seen.append((x, y, x_val, y_val))
        return real_fit(self, x, y, x_val, y_val, **kwargs)

    monkeypatch.setattr(fc.Trainer, "fit", spy)
    result = fc.train(config, prices.PriceData(frame, "poisoned"), Progress())
    assert len(seen) == 1
    for array in seen[0]:
        assert np.abs(array).max() < 20  # poisoned values would be ~1e6 standard deviations away
    assert result.metrics["naive"]["rmse"] > 1  # while the test slice really is poisoned


# ---- baselines and backtest ----------------------------------------------------------------------
def _hand_dataset(target: str) -> fc.Dataset:
    rng = np.random.default_rng(5)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 101)))
    config = fc.Config(lookback=3, horizon=2, target=target, walk_forward=0)
    return fc.prepare(config, _frame_data(close))


def test_baselines_by_hand_for_returns():
    ds = _hand_dataset("log_return")
    origins = ds.test_origins
    base = fc.baselines(ds, origins)
    k = int(origins[4])
    r = ds.returns
    assert base["naive"][4].tolist() == [0.0, 0.0]
    assert base["drift"][4] == pytest.approx([(r[k - 2] + r[k - 1] + r[k]) / 3] * 2)
    assert base["mean"][4] == pytest.approx([r[: ds.train_end].mean()] * 2)


def test_baselines_by_hand_for_prices():
    ds = _hand_dataset("price")
    origins = ds.test_origins
    base = fc.baselines(ds, origins)
    k = int(origins[4])
    mu = ds.returns[k - 2:k + 1].mean()
    assert base["naive"][4] == pytest.approx([ds.close[k]] * 2)
    assert base["drift"][4] == pytest.approx([ds.close[k] * math.exp(mu), ds.close[k] * math.exp(2 * mu)])
    assert base["mean"][4] == pytest.approx([ds.close[: ds.train_end].mean()] * 2)


def test_toy_backtest_long_only_is_buy_and_hold_and_costs_count():
    ds = _hand_dataset("log_return")
    origins = ds.test_origins
    stats, equity = fc.toy_backtest(ds, origins, np.ones(len(origins)), cost_bps=10)
    np.testing.assert_allclose(equity["strategy"], equity["buy_and_hold"])
    assert stats["strategy"]["trades"] == 1
    realised = np.expm1(ds.returns[origins + 1])
    flip = np.where(np.arange(len(origins)) % 2 == 0, 1.0, -1.0)
    stats, equity = fc.toy_backtest(ds, origins, flip, cost_bps=10)
    expected = np.cumprod(1 + flip * realised - 0.001 * np.r_[1.0, np.full(len(origins) - 1, 2.0)])
    np.testing.assert_allclose(equity["strategy"], expected)
    assert stats["strategy"]["trades"] == len(origins)
    assert stats["strategy"]["max_drawdown"] <= 0


# ---- models --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", fc.MODELS)
def test_build_model_kinds(kind):
    config = fc.Config(model=kind, lookback=12, horizon=3, units=4, layers=2, dropout=0.1)
    model = fc.build_model(config, 5, policy="mixed_float16")
    assert model.output_shape == (None, 3)
    assert model.layers[-1].dtype_policy.compute_dtype == "float32"  # float32 output under mixed precision
    for layer in model.layers:
        cell = getattr(layer, "cell", None) or getattr(getattr(layer, "forward_layer", None), "cell", None)
        if cell is not None:  # cuDNN conditions
            assert cell.activation.__name__ == "tanh" and cell.recurrent_activation.__name__ == "sigmoid"
            assert cell.recurrent_dropout == 0 and cell.use_bias
            rnn = getattr(layer, "forward_layer", layer)
            assert rnn.unroll is False


# ---- end to end ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_run():
    config = fc.Config(source="regime", horizon=2, walk_forward=2, features=ALL_FEATURES, **TINY)
    data = fc.load_data(config)
    progress = Progress()
    result = fc.train(config, data, progress)
    return config, data, result, progress


@pytest.fixture(scope="module")
def tiny_walk_forward(tiny_run):
    config = tiny_run[0]
    progress = Progress()
    return wf_task.train(config, wf_task.load_data(config), progress), progress


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def test_end_to_end_metrics_are_complete_and_finite(tiny_run):
    config, _, result, _ = tiny_run
    m = result.metrics
    json.dumps(m, allow_nan=False)
    for name in ("model", "naive", "drift", "mean"):
        assert set(m[name]) == {"rmse", "mae", "mase", "smape", "directional_accuracy"}
        for key, value in m[name].items():
            if not (name == "naive" and key == "directional_accuracy"):  # a zero forecast has no direction
                assert _finite(value), (name, key, value)
    assert m["naive"]["directional_accuracy"] is None
    n = m["n_test"]
    assert n == len(result.arrays["test_dates"]) == result.arrays["forecast"].shape[0] > 100
    assert len(m["per_horizon"]) == 2 and all(_finite(r["model"]["rmse"]) for r in m["per_horizon"])
    assert 0 <= m["dm"]["p_value"] <= 1 and _finite(m["dm"]["stat"])
    naive = comparisons.find(m["comparisons"], "naive")
    assert naive["metric"] == "rmse" and naive["model_value"] == m["model"]["rmse"]
    assert naive["p_value"] == m["dm"]["p_value"] and "RMSE" in comparisons.phrase(naive)
    assert m["interval"]["level"] == config.interval_level and 0 <= m["interval"]["coverage"] <= 1
    assert _finite(m["interval"]["mean_width"]) and m["interval"]["mean_width"] > 0
    assert len(m["lag_correlation"]["correlation"]) == 6 and m["lag_correlation"]["sentence"]
    assert "walk_forward" not in m  # its own task (forecast-walk-forward)
    for side in ("strategy", "buy_and_hold"):
        assert all(_finite(m["backtest"][side][k]) for k in ("cumulative_return", "sharpe", "max_drawdown"))
    assert "toy" in m["backtest"]["label"]
    assert _finite(m["val_loss"]) and 1 <= m["epochs_run"] <= config.epochs
    assert m["implied_return"] is None


def test_end_to_end_arrays_info_and_model(tiny_run):
    import keras

    config, data, result, progress = tiny_run
    a = result.arrays
    n = result.metrics["n_test"]
    for key in ("actual", "forecast", "naive", "drift", "mean", "lower", "upper"):
        assert a[key].shape == (n, 2) and np.isfinite(a[key]).all()
    assert (a["lower"] <= a["forecast"]).all() and (a["forecast"] <= a["upper"]).all()
    assert a["equity_strategy"].shape == a["equity_buy_hold"].shape == (n,)
    assert len(a["target_dates"]) == n + 1
    assert (np.diff(a["test_dates"]) > 0).all() and a["test_dates"][0] > a["split_dates"][2] - 1
    assert len(a["loss"]) == len(a["val_loss"]) == result.metrics["epochs_run"]
    info = result.info
    assert info["features"] == list(ALL_FEATURES)
    assert info["splits"]["train"]["end"] < info["splits"]["validation"]["start"] < info["splits"]["test"]["start"]
    assert "lstm" in info["model_summary"].lower()
    model = keras.saving.load_model(result.model_path, safe_mode=True)
    assert model.output_shape == (None, 2)
    # the saved model is the one that made the forecasts
    ds = fc.prepare(config, data)
    again = ds.unscale(model.predict(ds.inputs(ds.test_origins), verbose=0))
    np.testing.assert_allclose(again, a["forecast"], rtol=1e-4, atol=1e-7)
    phases = {e.get("phase") for e in progress.history}
    assert phases == {"train"}  # no walk-forward retraining in the main run
    steps = [e["step"] for e in progress.history]
    assert steps == sorted(steps) and all(e["total"] == steps[-1] or e["total"] >= e["step"]
                                          for e in progress.history)


def test_stored_result_draws_every_chart(tiny_run, tiny_walk_forward, tmp_path):
    config, _, result, _ = tiny_run
    store = Store(str(tmp_path / "store"))
    store.put("k" * 64, result)
    store.put("w" * 64, tiny_walk_forward[0])
    stored, stored_wf = store.get("k" * 64), store.get("w" * 64)  # as a page reads them
    assert stored.cached and stored.metrics == result.metrics
    figures = [charts.split_figure(stored, config), charts.split_figure(stored, show="target"),
               charts.forecast_figure(stored, config), charts.forecast_figure(stored, step=2, last=50),
               charts.per_horizon_figure(stored), charts.loss_figure(stored), charts.lag_figure(stored),
               charts.backtest_figure(stored), charts.walk_forward_figure(stored_wf)]
    for fig in figures:
        assert isinstance(fig, go.Figure) and len(fig.data) >= 1
        fig.to_json()
    forecast = charts.forecast_figure(stored, config)
    by_name = {t.name: t for t in forecast.data}
    assert by_name["LSTM"].line.color == charts.MODEL
    assert by_name["actual"].line.color == charts.ACTUAL
    assert by_name["naive (random walk)"].line.color == charts.NAIVE
    step2 = charts.forecast_figure(stored, step=2)
    assert pd.Timestamp(step2.data[-1].x[0]) > pd.Timestamp(forecast.data[-1].x[0])
    table = charts.metrics_table(stored)
    assert list(table.index) == ["model", "naive (random walk)", "drift", "historical mean"]
    assert table.loc["model", "RMSE"] == pytest.approx(result.metrics["model"]["rmse"])
    assert table.loc["naive (random walk)", "RMSE vs naive %"] == pytest.approx(0.0)
    assert charts.metrics_table(stored, "implied_return").empty
    assert len(charts.walk_forward_table(stored_wf)) == 2


def test_price_target_reports_implied_returns():
    config = fc.Config(source="gbm", target="price", model="cnn", walk_forward=0, **TINY)
    result = fc.train(config, fc.load_data(config), Progress())
    implied = result.metrics["implied_return"]
    assert _finite(implied["model"]["rmse"]) and _finite(implied["naive"]["rmse"])
    assert implied["naive"]["rmse"] < 0.1  # returns scale, not price scale
    assert result.metrics["naive"]["rmse"] > implied["naive"]["rmse"]
    assert _finite(result.metrics["price_fit"]["r2"])
    table = charts.metrics_table(result, "implied_return")
    assert len(table) == 4


def test_conformal_interval_covers_near_nominal_on_gbm():
    config = fc.Config(source="gbm", model="gru", walk_forward=0, interval_level=0.9, **TINY)
    result = fc.train(config, fc.load_data(config), Progress())
    assert abs(result.metrics["interval"]["coverage"] - 0.9) < 0.06
    # GBM: nothing to learn, so the network should not beat the random walk significantly
    assert result.metrics["dm"]["p_value"] > 0.01 or result.metrics["dm"]["stat"] > 0


def test_nan_loss_raises_training_diverged_and_stores_nothing(monkeypatch, tmp_path):
    from core import jobs

    def nan_loss(target, pred):
        import tensorflow as tf

        return tf.reduce_mean(pred) * np.float32("nan")

    monkeypatch.setattr(fc.models, "LOSS", nan_loss)
    config = fc.Config(source="gbm", walk_forward=0, **TINY)
    store = Store(str(tmp_path / "store"))
    with pytest.raises(TrainingDiverged):
        jobs.execute(fc, config, fc.load_data(config), store)
    assert store.status()["entries"] == 0


def test_cancel_stops_training():
    cancel = threading.Event()
    cancel.set()
    config = fc.Config(source="gbm", walk_forward=0, **TINY)
    with pytest.raises(Cancelled):
        fc.train(config, fc.load_data(config), Progress(cancel=cancel))


def test_mixed_precision_path_trains(monkeypatch):
    """The GPU code path (mixed_float16, loss scaling, float32 output) also works on a CPU."""
    monkeypatch.setattr(fc.models, "policy", lambda: "mixed_float16")
    config = fc.Config(source="gbm", walk_forward=0, **{**TINY, "epochs": 1})
    result = fc.train(config, fc.load_data(config), Progress())
    assert _finite(result.metrics["model"]["rmse"])
    assert result.arrays["forecast"].dtype == np.float64


def test_mase_is_scaled_by_the_naive_baseline_shown():
    """MASE < 1 must mean 'beats the naive baseline on the page': on GBM returns the zero-return
    naive forecast scores about 1 (out of sample vs in sample), and the model's MASE orders like its MAE."""
    config = fc.Config(source="gbm", walk_forward=0, **TINY)
    m = fc.train(config, fc.load_data(config), Progress()).metrics
    assert 0.8 < m["naive"]["mase"] < 1.2
    assert (m["model"]["mase"] < m["naive"]["mase"]) == (m["model"]["mae"] < m["naive"]["mae"])


# ---- walk-forward: its own task and cached job ----------------------------------------------------
def test_walk_forward_task_windows_metrics_and_progress(tiny_run, tiny_walk_forward):
    _, _, main, _ = tiny_run
    result, progress = tiny_walk_forward
    wf = result.metrics["walk_forward"]
    json.dumps(result.metrics, allow_nan=False)
    assert wf["enabled"] and len(wf["windows"]) == 2 and wf["windows"][1]["epochs_run"] >= 1
    assert wf["windows"][1]["train_rows"] > wf["windows"][0]["train_rows"]
    assert wf["windows"][0]["train_rows"] == main.info["splits"]["train"]["rows"]
    assert _finite(wf["mean"]["model"]["rmse"]) and _finite(wf["mean"]["mean_rmse_ratio"])
    assert "windows" in wf["sentence"] and "Diebold-Mariano" in wf["sentence"]
    a = result.arrays
    n = main.metrics["n_test"]
    assert a["wf_forecast"].shape == a["actual"].shape == (n,) and not np.isnan(a["wf_forecast"]).any()
    assert set(np.unique(a["wf_window"])) == {1, 2}
    np.testing.assert_allclose(a["actual"], main.arrays["actual"][:, 0])
    np.testing.assert_array_equal(a["test_dates"], main.arrays["test_dates"])
    phases = [e["phase"] for e in progress.history]
    assert phases[0] == "walk-forward 1/2" and phases[-1] == "walk-forward 2/2"
    steps = [e["step"] for e in progress.history]
    assert steps == sorted(steps) and all(e["step"] <= e["total"] for e in progress.history)


def test_walk_forward_window_one_is_trained_like_the_main_run(tiny_run, tiny_walk_forward):
    """Window 1's model sees the same rows, settings and seed as the main model: same forecasts."""
    _, _, main, _ = tiny_run
    result, _ = tiny_walk_forward
    first = result.arrays["wf_window"] == 1
    np.testing.assert_allclose(result.arrays["wf_forecast"][first], main.arrays["forecast"][first, 0],
                               rtol=1e-3, atol=1e-6)


def test_store_keys_main_ignores_walk_forward_and_walk_forward_ignores_evaluation_settings():
    from core import jobs

    config = fc.Config(source="gbm", walk_forward=2, **TINY)
    data = fc.load_data(config)
    main_key = jobs.key_for(fc, config, data)
    assert jobs.key_for(fc, config.replace(walk_forward=5), data) == main_key
    assert jobs.key_for(fc, config.replace(walk_forward=0), data) == main_key
    assert jobs.key_for(fc, config.replace(epochs=3), data) != main_key
    assert jobs.key_for(fc, config.replace(cost_bps=20.0), data) != main_key
    wf_key = jobs.key_for(wf_task, config, data)
    assert wf_key != main_key
    assert jobs.key_for(wf_task, config.replace(cost_bps=20.0, interval_level=0.8), data) == wf_key
    assert jobs.key_for(wf_task, config.replace(walk_forward=3), data) != wf_key
    assert jobs.key_for(wf_task, config.replace(seed=1), data) != wf_key


def test_walk_forward_needs_windows_and_enough_test_days():
    with pytest.raises(ConfigError, match="walk_forward"):
        wf_task.load_data(fc.Config(source="gbm", walk_forward=0))
    short = fc.Config(source="gbm", end="2011-06-30", lookback=10, walk_forward=20)
    data = fc.load_data(short)  # the main run has enough rows ...
    assert fc.prepare(short, data).n > 0
    with pytest.raises(DataError, match="walk_forward"):  # ... twenty windows of five test days do not fit
        wf_task.load_data(short)


def test_walk_forward_is_its_own_cached_job_and_the_main_run_is_not_retrained(tmp_path):
    from core import jobs

    store = Store(str(tmp_path / "store"))
    config = fc.Config(source="gbm", walk_forward=2, **TINY)
    data = fc.load_data(config)
    main = jobs.execute(fc, config, data, store)
    again = jobs.execute(fc, config.replace(walk_forward=3), data, store)
    assert not main.cached and again.cached  # walk_forward alone never retrains the main model
    wf = jobs.execute(wf_task, config, data, store)
    assert not wf.cached and len(wf.metrics["walk_forward"]["windows"]) == 2
    assert jobs.execute(wf_task, config.replace(cost_bps=1.0), data, store).cached
