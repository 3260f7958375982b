"""The forecast verdict on messy data (core/tasks/forecast/verdict.py): spike-and-revert ticks in
the test slice must not produce "beat the random walk ... significant". No training: a hand-made
forecast that 'predicts' each reversal plays the model that learned the bad ticks."""

import numpy as np
import pytest

from core import comparisons
from core.data import prices, quality
from core.tasks import forecast as fc
from core.tasks.forecast import verdict as fv

CONFIG = fc.Config(source="gbm", lookback=10, walk_forward=0)


def _spiked_gbm(spikes: int, factor: float = 1.2) -> prices.PriceData:
    data = prices.gbm(seed=3)
    frame = data.frame.copy()
    for k in range(spikes):
        frame.iloc[-350 + 30 * k, 0] *= factor  # one bad price, reversed the next day
    return prices.PriceData(frame, "spiked GBM", source="gbm").assessed()


def _evaluate(data: prices.PriceData, flagged: set[str]):
    ds = fc.prepare(CONFIG, data)
    te, va = ds.test_origins, ds.val_origins
    prev = ds.returns[te]  # today's return, known at the origin
    rng = np.random.default_rng(0)
    forecast = np.where(prev > 0.08, -0.9 * prev, rng.normal(0, 2e-4, len(te)))[:, None]
    val_forecast = np.zeros((len(va), 1))
    return fc.evaluate(CONFIG, ds, te, forecast, val_forecast, flagged).metrics


def test_spiked_test_slice_gives_a_fragile_verdict_not_a_significant_win():
    data = _spiked_gbm(10)
    assert [f.kind for f in data.quality] == ["bad_tick"] and data.quality[0].count == 20
    m = _evaluate(data, quality.flagged_dates(data.quality))
    gain = (m["naive"]["rmse"] - m["model"]["rmse"]) / m["naive"]["rmse"]
    assert gain > 0.02 and m["dm"]["p_value"] < 0.05  # the squared-error test alone says "significant win"
    assert m["verdict_kind"] == "fragile_win"
    v = comparisons.headline(m["comparisons"])[1]
    assert "beat" not in v and "fragile" in v
    assert "20 flagged bad-data day(s) sit in the test slice" in v
    rob = m["robustness"]
    assert rob["flagged_test_days"] == 20
    assert rob["excluding_flagged"]["gain_pct"] < 0  # without the bad ticks the model loses
    assert "without them the model loses" in v
    assert rob["dm_absolute"]["loss"] == "absolute error"
    conc = rob["concentration"]
    assert conc["days"] <= 20 and f"{conc['days']} of {m['n_test']} test days account for 80 %" in conc["sentence"]


def test_few_days_deciding_the_win_is_fragile_even_when_nothing_is_flagged():
    data = _spiked_gbm(5)
    m = _evaluate(data, set())  # as if the quality check had missed them
    assert m["dm"]["p_value"] < 0.05
    v = comparisons.headline(m["comparisons"])[1]
    assert m["verdict_kind"] == "fragile_win" and "beat" not in v
    assert m["robustness"]["concentration"]["fragile"]
    assert "test days account for 80 % of the squared-error difference" in v


def test_clean_series_verdict_keeps_the_concentration_out_of_a_non_result():
    """Without a significant difference the net squared-error difference is near zero: "1 of 378
    days make 80 % of it" would be noise presented as a finding. It stays in the robust view."""
    data = prices.gbm(seed=3)
    m = _evaluate(data, set())
    assert m["robustness"]["flagged_test_days"] == 0 and m["robustness"]["excluding_flagged"] is None
    assert m["verdict_kind"] == "no_win"
    v = comparisons.headline(m["comparisons"])[1]
    assert "account for 80 %" not in v and "within sampling error" in v
    assert "account for 80 %" in m["robustness"]["concentration"]["sentence"]


def test_failing_interval_is_flagged():
    data = prices.gbm(seed=3)
    ds = fc.prepare(CONFIG, data)
    te, va = ds.test_origins, ds.val_origins
    m = fc.evaluate(CONFIG, ds, te, np.full((len(te), 1), 0.05), ds.targets(va), set()).metrics
    check = m["interval"]["check"]
    assert m["interval"]["coverage"] < 0.1  # a zero-width interval far from every return
    assert check["status"] == "failing" and check["min_acceptable"] == pytest.approx(
        0.9 - 3 * np.sqrt(0.9 * 0.1 / len(te)))
    assert "fails" in check["message"]
    ok = fc.evaluate(CONFIG, ds, te, np.zeros((len(te), 1)), np.zeros((len(va), 1)), set()).metrics
    assert ok["interval"]["check"]["status"] == "ok" and ok["interval"]["check"]["message"] == ""


def test_backtest_caveat_is_computed_from_the_numbers():
    m = _evaluate(prices.gbm(seed=3), set())
    caveat = m["backtest"]["caveat"]
    hit = m["model"]["directional_accuracy"]
    assert f"{hit:.1%}" in caveat and "one sample path" in caveat and "binomial p" in caveat
    assert f"{m['backtest']['strategy']['cumulative_return']:+.1%}" in caveat


def _sign_forecast(ds, long_share: float, seed: int = 0) -> np.ndarray:
    """Signs that know nothing about tomorrow: long on about ``long_share`` of the test days."""
    rng = np.random.default_rng(seed)
    return np.where(rng.random(len(ds.test_origins)) < long_share, 1e-3, -1e-3)[:, None]


def test_hit_rate_counts_moves_and_keeps_the_long_share_in_the_chance_rate():
    test = fv.hit_test(np.array([0.01, 0.02, 0.01, -0.01, 0.0]), np.array([1.0, 1.0, -1.0, -1.0, 1.0]))
    assert test["n"] == 4 and test["hit_rate"] == 0.75  # the day without a move is left out
    assert (test["up_share"], test["long_share"], test["short_share"]) == (0.75, 0.5, 0.5)
    assert test["chance_rate"] == pytest.approx(0.5 * 0.75 + 0.5 * 0.25)


def test_mostly_long_in_a_rising_market_is_not_skill_even_when_it_beats_a_coin_flip():
    """Up days are about 60 % of this test period and the signs are long on 93 % of the days, at
    random: the hit rate beats a coin flip (p < 0.01) but not the chance rate of a forecast long as
    often, which is what the caveat tests and says."""
    from scipy.stats import binomtest

    ds = fc.prepare(CONFIG, prices.gbm(mu=0.8, seed=3))
    te, va = ds.test_origins, ds.val_origins
    m = fc.evaluate(CONFIG, ds, te, _sign_forecast(ds, 0.93), np.zeros((len(va), 1)), set()).metrics
    test, caveat = m["backtest"]["hit_test"], m["backtest"]["caveat"]
    assert test["up_share"] > 0.55 and test["long_share"] > 0.9
    assert binomtest(round(test["hit_rate"] * test["n"]), test["n"], 0.5).pvalue < 0.01
    assert test["p_value"] > 0.05 and test["chance_rate"] > 0.55
    assert "against a coin flip)" not in caveat
    assert f"p = {test['p_value']:.2g} against that chance rate" in caveat and "does not beat chance" in caveat


def test_backtest_caveat_words_a_trailing_strategy_as_trailing():
    ds = fc.prepare(CONFIG, prices.gbm(mu=0.8, seed=3))
    te, va = ds.test_origins, ds.val_origins
    m = fc.evaluate(CONFIG, ds, te, _sign_forecast(ds, 0.1), np.zeros((len(va), 1)), set()).metrics
    bt = m["backtest"]
    assert bt["strategy"]["cumulative_return"] < bt["buy_and_hold"]["cumulative_return"]
    assert "trailed it" in bt["caveat"] and "lead" not in bt["caveat"]
    assert "says little either way" in bt["caveat"]
