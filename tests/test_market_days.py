"""Market days as anomaly rows (core/data/market.py): features from data known at the close,
known stress days marked, and the anomaly task's market mode."""

import numpy as np
import pandas as pd
import pytest

from core.data import market
from core.data.prices import _read_bundled_csv
from core.errors import DataError
from core.result import Progress
from core.tasks import anomaly as an


def test_features_by_hand_and_stress_days_marked():
    frame, names = market.market_days("sp500")
    raw = _read_bundled_csv("sp500")
    close = raw["Adj Close"]
    day, before = pd.Timestamp("2008-09-29"), pd.Timestamp("2008-09-26")
    assert frame.loc[day, "return_t"] == pytest.approx(np.log(close[day] / close[before]))
    assert frame.loc[day, "return_t-1"] == pytest.approx(frame.loc[before, "return_t"])
    assert frame.loc[day, "log_range"] == pytest.approx(np.log(raw.loc[day, "High"] / raw.loc[day, "Low"]))
    marked = set(frame.index[frame["label"] == 1].strftime("%Y-%m-%d"))
    assert marked == set(market.STRESS_DAYS)
    assert len(names) == market.WINDOW + 3 and np.isfinite(frame[names].to_numpy()).all()
    with pytest.raises(DataError, match="unknown index"):
        market.market_days("dax")


def test_no_feature_uses_a_later_day(monkeypatch):
    """Cut the data after a day: that day's features do not change."""
    raw = _read_bundled_csv("sp500")
    full, names = market.market_days("sp500")
    cut = pd.Timestamp("2010-05-06")
    monkeypatch.setattr(market, "_read_bundled_csv", lambda index: raw.loc[:cut])
    truncated, _ = market.market_days("sp500")
    assert np.allclose(truncated.loc[cut, names].to_numpy(float), full.loc[cut, names].to_numpy(float))


def test_market_mode_trains_beside_the_baselines():
    config = an.Config(source="market", epochs=3, min_steps=0)
    data = an.load_data(config)
    result = an.train(config, data, Progress())
    m = result.metrics
    assert m["n_test_anomalies"] >= 1 and 0 <= m["roc_auc"] <= 1 and "iforest" in m and "pca" in m
    assert len(result.arrays["dates_test"]) == len(result.arrays["ae_test"])
    assert "stress days" in " ".join(data.notes)
