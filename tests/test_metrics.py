"""Forecast metrics against hand-computed values; Diebold-Mariano and conformal sanity."""

import math

import numpy as np
import pytest
from scipy import stats

from core import metrics as fm


def test_rmse_mae_by_hand():
    assert fm.rmse([1, 2, 3], [1, 2, 5]) == pytest.approx(math.sqrt(4 / 3))
    assert fm.mae([1, 2, 3], [1, 2, 5]) == pytest.approx(2 / 3)
    assert fm.rmse([], []) is None
    with pytest.raises(ValueError):
        fm.rmse([1, 2], [1])


def test_non_finite_pairs_are_ignored():
    assert fm.mae([1, np.nan, 3], [2, 5, 3]) == pytest.approx(0.5)


def test_mase_uses_naive_in_sample_mae_of_training_series():
    # training diffs 1, 2, 3 -> naive MAE 2; forecast MAE 2/3 -> MASE 1/3
    assert fm.naive_scale([1, 2, 4, 7]) == pytest.approx(2.0)
    assert fm.mase([1, 2, 3], [1, 2, 5], [1, 2, 4, 7]) == pytest.approx(1 / 3)
    assert fm.mase([1, 2], [1, 3], [5, 5, 5]) is None  # constant training series: undefined, not inf
    assert fm.mase([1, 2], [1, 3], [5]) is None


def test_smape_by_hand_and_zero_denominators():
    # 2|3-1|/(1+3) = 1 and 0 -> mean 0.5 -> 50 %
    assert fm.smape([1, 2], [3, 2]) == pytest.approx(50.0)
    assert fm.smape([0, 1], [0, 3]) == pytest.approx(100.0)  # the 0/0 point is skipped: 2*2/4
    assert fm.smape([0, 0], [0, 0]) is None


def test_directional_accuracy_by_hand():
    # zero actual excluded; hits: +/+ yes, -/+ no, +/- no
    assert fm.directional_accuracy([1, -1, 0, 2], [0.5, 0.5, 1, -1]) == pytest.approx(1 / 3)
    # a zero forecast makes no call: a miss
    assert fm.directional_accuracy([1, -1], [0, -2]) == pytest.approx(0.5)
    # never a call at all (the zero-return random walk): undefined
    assert fm.directional_accuracy([1, -1], [0, 0]) is None
    # with a reference (today's price) the changes are compared
    assert fm.directional_accuracy([11, 9], [10.5, 10.5], reference=[10, 10]) == pytest.approx(0.5)
    assert fm.directional_accuracy([11, 9], [10.5, 9.5], reference=10) == pytest.approx(1.0)


def test_forecast_metrics_and_compare():
    out = fm.compare([1, 2, 3], {"a": [1, 2, 5], "b": [1, 2, 3]}, train=[1, 2, 4, 7])
    assert set(out) == {"a", "b"}
    assert set(out["a"]) == set(fm.METRIC_NAMES)
    assert out["a"]["mase"] == pytest.approx(1 / 3)
    assert out["b"]["rmse"] == 0.0


def test_per_horizon_columns():
    actual = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    good = actual.copy()
    bad = actual + np.array([0.0, 3.0])
    rows = fm.per_horizon(actual, {"model": good, "naive": bad})
    assert [r["step"] for r in rows] == [1, 2]
    assert rows[0]["naive"]["rmse"] == 0.0
    assert rows[1]["naive"]["rmse"] == pytest.approx(3.0)
    assert rows[1]["model"]["rmse"] == 0.0


def _dm_case():
    # actual 0, forecast 2 perfect, forecast 1 with squared errors 1, 2, 3, 4 -> d = 1, 2, 3, 4
    actual = np.zeros(4)
    f1 = np.sqrt([1.0, 2.0, 3.0, 4.0])
    return actual, f1, np.zeros(4)


def test_diebold_mariano_by_hand_h1():
    actual, f1, f2 = _dm_case()
    out = fm.diebold_mariano(actual, f1, f2, horizon=1)
    # mean 2.5, gamma0 = 1.25, DM = 2.5 / sqrt(1.25 / 4) = 4.4721; HLN factor sqrt(3/4)
    assert out["stat"] == pytest.approx(4.47214 * math.sqrt(0.75), rel=1e-4)
    assert out["p_value"] == pytest.approx(2 * stats.t.sf(3.87298, 3), rel=1e-4)
    assert 0.02 < out["p_value"] < 0.04
    assert out["mean_loss_difference"] == pytest.approx(2.5)


def test_diebold_mariano_by_hand_h2_uses_autocovariance():
    actual, f1, f2 = _dm_case()
    out = fm.diebold_mariano(actual, f1, f2, horizon=2)
    # gamma1 = (0.75 - 0.25 + 0.75) / 4 = 0.3125 -> long-run 1.875 -> DM 3.6515; HLN sqrt(1.5 / 4)
    assert out["stat"] == pytest.approx(3.65148 * math.sqrt(0.375), rel=1e-4)
    assert out["horizon"] == 2


def test_diebold_mariano_identical_forecasts_not_significant():
    rng = np.random.default_rng(0)
    actual = rng.normal(size=300)
    f = actual + rng.normal(size=300)
    out = fm.diebold_mariano(actual, f, f.copy())
    assert out["stat"] == 0.0 and out["p_value"] == 1.0


def test_diebold_mariano_detects_a_clearly_better_forecast():
    rng = np.random.default_rng(1)
    actual = rng.normal(size=500)
    good = actual + rng.normal(scale=0.3, size=500)
    bad = actual + rng.normal(scale=1.5, size=500)
    out = fm.diebold_mariano(actual, good, bad)
    assert out["stat"] < 0  # the first forecast has the smaller loss
    assert out["p_value"] < 1e-6
    flipped = fm.diebold_mariano(actual, bad, good)
    assert flipped["stat"] == pytest.approx(-out["stat"])


def test_diebold_mariano_equally_good_forecasts_usually_not_significant():
    rng = np.random.default_rng(2)
    actual = rng.normal(size=400)
    a = actual + rng.normal(size=400)
    b = actual + rng.normal(size=400)
    assert fm.diebold_mariano(actual, a, b)["p_value"] > 0.05


def test_conformal_quantile_by_hand():
    # n = 9, level 0.8: k = ceil(10 * 0.8) = 8 -> the 8th smallest |residual|
    assert fm.conformal_quantile(np.arange(1, 10) * np.array([1, -1] * 4 + [1]), 0.8) == 8.0
    assert fm.conformal_quantile([1.0, 2.0], 0.99) == 2.0  # too few points for that level: the max
    assert fm.conformal_quantile([], 0.9) is None


def test_interval_coverage_by_hand():
    assert fm.interval_coverage([1, 2, 3], [0, 2.5, 2], [2, 3, 4]) == pytest.approx(2 / 3)


@pytest.mark.parametrize("level", [0.8, 0.9, 0.95])
def test_conformal_interval_coverage_near_nominal_on_iid_data(level):
    rng = np.random.default_rng(3)
    val_residuals = rng.standard_t(5, size=600)
    q = fm.conformal_quantile(val_residuals, level)
    forecast = rng.normal(size=20_000)
    actual = forecast + rng.standard_t(5, size=20_000)
    coverage = fm.interval_coverage(actual, forecast - q, forecast + q)
    assert abs(coverage - level) < 0.03


def test_lag_correlations_find_a_delayed_copy():
    rng = np.random.default_rng(4)
    series = rng.normal(size=301)
    forecast = series[:-1]  # "tomorrow = today": the forecast for t+1 is the value at t
    actual = series[1:]
    lagged = {0: actual, 1: series[:-1]}
    out = fm.lag_correlations(forecast, lagged)
    assert out[1] == pytest.approx(1.0)
    assert abs(out[0]) < 0.2
    assert fm.lag_correlations(np.ones(10), {0: np.arange(10)})[0] is None


def test_naive_scale_kinds_by_hand():
    series = [1.0, -2.0, 3.0]
    assert fm.naive_scale(series) == pytest.approx((3 + 5) / 2)        # |diff|: previous value
    assert fm.naive_scale(series, "zero") == pytest.approx(6 / 3)      # |y|: zero forecast
    assert fm.mase([1.0, 1.0], [0.0, 0.0], scale=2.0) == pytest.approx(0.5)


def test_absolute_error_dm_is_not_fooled_by_one_huge_error():
    rng = np.random.default_rng(0)
    actual = rng.normal(0, 1, 300)
    good = actual + rng.normal(0, 0.5, 300)   # better on 299 days
    bad = actual + rng.normal(0, 0.8, 300)
    good[10] = actual[10] + 15.0               # ... and one disaster
    sq = fm.diebold_mariano(actual, good, bad, loss="squared")
    ab = fm.diebold_mariano(actual, good, bad, loss="absolute")
    assert sq["mean_loss_difference"] > 0 and ab["mean_loss_difference"] < 0
    assert ab["p_value"] < 0.05 < sq["p_value"] and ab["loss"] == "absolute error"
    with pytest.raises(ValueError, match="squared' or 'absolute"):
        fm.diebold_mariano(actual, good, bad, loss="huber")


def test_loss_concentration_counts_the_days_that_decide():
    actual = np.zeros(100)
    naive = np.zeros(100)
    model = np.zeros(100)
    naive[[3, 50, 70]] = [5.0, 4.0, 1.0]       # the naive forecast is badly off on three days
    c = fm.loss_concentration(actual, model, naive, share=0.8)
    assert c["days"] == 2 and c["indices"] == [3, 50] and c["better"] == "first" and c["n"] == 100
    assert fm.loss_concentration(actual, model, model)["days"] is None


def test_coverage_check_uses_three_binomial_standard_errors():
    low = 0.9 - 3 * np.sqrt(0.9 * 0.1 / 100)
    assert fm.coverage_check(0.0, 0.9, 100) == {"status": "failing", "min_acceptable": pytest.approx(low)}
    assert fm.coverage_check(0.82, 0.9, 100)["status"] == "ok"
    assert fm.coverage_check(None, 0.9, 100)["status"] == "unknown"
