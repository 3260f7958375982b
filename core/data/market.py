"""Market days as rows for anomaly detection: what each trading day of the bundled S&P 500 /
NASDAQ looked like, from data known at that day's close, with well-known stress days marked.

A row for day t: the last ``WINDOW`` daily log returns (t-WINDOW+1 .. t), the day's log range
log(High/Low), log volume relative to its 20-day average before t, and the 20-day realised
volatility up to t. Nothing after t is used. The stress days (``STRESS_DAYS``) are facts for
evaluation only: which days would an alarm have raised?
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from core.data.prices import _read_bundled_csv
from core.errors import DataError

WINDOW = 10
ROLL = 20
STRESS_DAYS = {
    "2001-09-17": "markets reopen after 9/11",
    "2008-09-29": "TARP rejected by the House: S&P 500 -8.8 %",
    "2008-10-15": "S&P 500 -9.0 % in the financial crisis",
    "2010-05-06": "flash crash",
    "2011-08-08": "first day after the US credit-rating downgrade",
    "2015-08-24": "China-led selloff, 'Black Monday' 2015",
    "2018-02-05": "'Volmageddon': the VIX doubles",
}
INDICES = ("sp500", "nasdaq")
VERSION = "v1"


def market_days(index: str = "sp500") -> tuple[pd.DataFrame, list[str]]:
    """(frame indexed by date with the feature columns and ``label``, feature column names)."""
    if index not in INDICES:
        raise DataError(f"unknown index '{index}'; choose {' or '.join(INDICES)}")
    raw = _read_bundled_csv(index)
    close = raw["Adj Close"] if "Adj Close" in raw.columns else raw["Close"]
    r = np.log(close).diff()
    features = {f"return_t-{lag}" if lag else "return_t": r.shift(lag) for lag in range(WINDOW)}
    features["log_range"] = np.log(raw["High"] / raw["Low"])
    log_volume = np.log(raw["Volume"].where(raw["Volume"] > 0))
    features["volume_vs_20d"] = log_volume - log_volume.shift(1).rolling(ROLL).mean()
    features["volatility_20d"] = r.rolling(ROLL).std()
    frame = pd.DataFrame(features).replace([np.inf, -np.inf], np.nan).dropna()
    frame["label"] = frame.index.strftime("%Y-%m-%d").isin(list(STRESS_DAYS)).astype(np.int8)
    return frame, [c for c in frame.columns if c != "label"]


def fingerprint(index: str) -> str:
    return hashlib.sha256(f"market-{VERSION}-{index}-{WINDOW}-{ROLL}".encode()).hexdigest()
