"""OHLC series (core/data/ohlc.py): the bundled indices, seeded GBM with a planted burst pattern,
and the CSV loader's one-line errors and notes."""

import numpy as np
import pandas as pd
import pytest

from core.data import ohlc
from core.errors import DataError

HEADER = "Date,Open,High,Low,Close,Volume"


def _rows(n: int = 120, start: str = "2020-01-01") -> list[list[str]]:
    dates = pd.bdate_range(start, periods=n)
    close = 100 + 5 * np.sin(np.arange(n) / 7)
    return [[str(d.date()), f"{c - 0.3:.4f}", f"{c + 1:.4f}", f"{c - 1:.4f}", f"{c:.4f}", str(1000 + i)]
            for i, (d, c) in enumerate(zip(dates, close))]


def _csv(rows: list[list[str]], header: str = HEADER) -> bytes:
    return ("\n".join([header] + [",".join(r) for r in rows]) + "\n").encode()


def _error(data: bytes) -> str:
    with pytest.raises(DataError) as info:
        ohlc.from_csv(data)
    message = str(info.value)
    assert "\n" not in message and message.strip() == message and len(message) < 400
    return message


def _log_returns(series: ohlc.OHLC) -> np.ndarray:
    return np.diff(np.log(series.frame["close"].to_numpy()), prepend=np.nan)


def _burst_days(series: ohlc.OHLC) -> np.ndarray:
    return (series.planted[:, None] - np.arange(ohlc.BURST_DAYS)).ravel()


# ---- bundled ---------------------------------------------------------------------------------------
def test_bundled_sp500_is_daily_ohlcv():
    data = ohlc.bundled("sp500")
    frame = data.frame
    assert len(data) == 5031 and data.has_volume
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert all(frame[c].dtype == np.float64 for c in frame.columns)
    assert frame.index.is_monotonic_increasing and not frame.index.has_duplicates
    assert frame.index[0] == pd.Timestamp("1999-01-04") and frame.index[-1].year == 2018
    assert frame["close"].between(600, 3000).all()
    assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()
    assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()
    assert ((frame["high"] - frame["low"]) / frame["close"]).median() < 0.03
    assert (frame["volume"] > 0).all()
    assert data.notes == ["unadjusted Open/High/Low/Close: the bars are scaled within each image"]
    again = ohlc.bundled("sp500")
    assert again.fingerprint == data.fingerprint and len(data.fingerprint) == 64
    again.frame.iloc[0, 0] = 1.0  # a copy: the cached frame is not changed
    assert ohlc.bundled("sp500").fingerprint == data.fingerprint
    assert again.fingerprint != data.fingerprint


def test_bundled_nasdaq_notes_its_zero_volume_days():
    data = ohlc.bundled("nasdaq")
    assert len(data) == 5031 and data.fingerprint != ohlc.bundled("sp500").fingerprint
    assert "2 days with zero volume: their volume bars are empty" in data.notes
    with pytest.raises(DataError, match="sp500 or nasdaq"):
        ohlc.bundled("ftse")


# ---- GBM ------------------------------------------------------------------------------------------
def test_gbm_is_seeded_and_plausible():
    a, b, c = ohlc.gbm(500, 1), ohlc.gbm(500, 1), ohlc.gbm(500, 2)
    assert a.fingerprint == b.fingerprint and a.fingerprint != c.fingerprint
    pd.testing.assert_frame_equal(a.frame, b.frame)
    frame = a.frame
    assert len(a) == 500 and a.has_volume and a.planted.size == 0
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert (frame["low"] > 0).all()
    assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()
    assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()
    gaps = np.log(frame["open"].to_numpy()[1:] / frame["close"].to_numpy()[:-1])
    returns = np.diff(np.log(frame["close"].to_numpy()))
    assert np.std(gaps) < 0.5 * np.std(returns)  # opens near the previous close
    assert 0.005 < np.std(returns) < 0.02  # sigma 20 % a year
    with pytest.raises(ValueError, match="pattern"):
        ohlc.gbm(500, 1, pattern="triangle")


def test_planted_bursts_are_tall_bars_with_ordinary_returns():
    series = ohlc.gbm(6000, 7, pattern="burst", drift=0.004, horizon=5)
    planted = series.planted
    assert 6000 / 30 < planted.size < 6000 / 15  # about one every BURST_EVERY (20) days
    assert planted.min() >= ohlc.BURST_DAYS and planted.max() + 5 < 6000
    assert (np.diff(planted) >= ohlc.BURST_DAYS + 5).all()  # burst + drift days never overlap the next burst
    frame = series.frame
    spread = ((frame["high"] - frame["low"]) / frame["close"]).to_numpy()
    burst = _burst_days(series)
    normal = np.ones(len(frame), dtype=bool)
    normal[burst] = False
    ratio = np.median(spread[burst]) / np.median(spread[normal])
    assert 3.0 < ratio < 5.0
    assert spread[burst].min() > 2 * np.median(spread[normal])
    returns = _log_returns(series)
    assert 0.35 < np.mean(returns[burst] > 0) < 0.65  # either sign
    assert 0.8 < np.std(returns[burst]) / np.nanstd(returns[normal]) < 1.25  # usual size
    volume = frame["volume"].to_numpy()
    assert 0.85 < np.median(volume[burst]) / np.median(volume[normal]) < 1.15  # volume gives nothing away
    plain = ohlc.gbm(6000, 7)
    np.testing.assert_array_equal(plain.frame["volume"].to_numpy(), volume)
    assert any("bursts planted" in note for note in series.notes)


def test_planted_bursts_are_followed_by_the_drift():
    for horizon in (5, 20):
        series = ohlc.gbm(8000, 11, pattern="burst", drift=0.004, horizon=horizon)
        returns = _log_returns(series)
        after = (series.planted[:, None] + np.arange(1, horizon + 1)).ravel()
        elsewhere = np.ones(len(returns), dtype=bool)
        elsewhere[after] = False
        elsewhere[0] = False
        assert returns[after].mean() - returns[elsewhere].mean() > 0.002
    none = ohlc.gbm(8000, 11, pattern="burst", drift=0.0, horizon=5)
    returns = _log_returns(none)
    after = (none.planted[:, None] + np.arange(1, 6)).ravel()
    assert abs(returns[after].mean() - np.nanmean(returns)) < 0.0015
    # same seed without the drift: the drift days gain it, the other days give the same total back
    drifted = _log_returns(ohlc.gbm(8000, 11, pattern="burst", drift=0.004, horizon=5))
    np.testing.assert_allclose(drifted[after] - returns[after], 0.004, atol=1e-9)
    rest = np.ones(len(returns), dtype=bool)
    rest[after] = False
    rest[0] = False
    given_back = 0.004 * after.size / rest.sum()
    np.testing.assert_allclose(returns[rest] - drifted[rest], given_back, atol=1e-9)
    assert abs(np.nansum(drifted) - np.nansum(returns)) < 1e-6  # no trend added


# ---- CSV ------------------------------------------------------------------------------------------
def test_csv_loads_ohlcv_in_any_case_and_order():
    rows = _rows()
    data = ohlc.from_csv(_csv([[r[0], r[5], r[4], r[3], r[2], r[1]] for r in rows],
                              header="date,VOLUME,close, LOW ,High,open"), name="mine")
    assert data.name == "mine" and len(data) == 120 and data.has_volume
    assert list(data.frame.columns) == ["open", "high", "low", "close", "volume"]
    assert data.frame["close"].iloc[0] == pytest.approx(float(rows[0][4]))
    assert data.frame["open"].iloc[0] == pytest.approx(float(rows[0][1]))
    assert str(data.frame.index.dtype) == "datetime64[ns]"
    assert data.notes == []


def test_csv_with_adj_close_and_without_volume():
    rows = _rows()
    data = ohlc.from_csv(_csv([r[:5] for r in rows], header="Date,Open,High,Low,Adj Close"))
    assert not data.has_volume and "volume" not in data.frame.columns
    assert any("close column: 'Adj Close'" in n for n in data.notes)
    assert any("no volume column" in n for n in data.notes)


def test_csv_without_high_and_low_is_refused():
    message = _error(_csv([[r[0], r[1], r[4]] for r in _rows()], header="Date,Open,Close"))
    assert message.startswith("this file has no High and Low columns: chart images need open, high, low and close")
    message = _error(_csv([[r[0], r[2], r[3], r[4]] for r in _rows()], header="Date,High,Low,Close"))
    assert message.startswith("this file has no Open column")
    message = _error(_csv([[r[0], r[4]] for r in _rows()], header="Date,Close"))
    assert message.startswith("this file has no Open, High and Low columns")


def test_high_below_low_is_refused_with_count_and_first_date():
    rows = _rows()
    for i in (30, 40):
        rows[i][2], rows[i][3] = rows[i][3], rows[i][2]
    message = _error(_csv(rows))
    assert "high is below the low on 2 row(s)" in message and rows[30][0] in message


def test_high_below_the_close_is_widened_with_a_note():
    rows = _rows()
    rows[10][2] = f"{float(rows[10][4]) - 0.5:.4f}"   # high below the close
    rows[11][3] = f"{float(rows[11][4]) + 0.1:.4f}"   # low above the close
    data = ohlc.from_csv(_csv(rows))
    assert any(n.startswith("2 day(s) had a high below the open or close") for n in data.notes)
    frame = data.frame
    assert frame["high"].iloc[10] == pytest.approx(float(rows[10][4]))
    assert frame["low"].iloc[11] == pytest.approx(float(rows[11][1]))  # the open is lower than the close


def test_too_few_rows_is_refused():
    message = _error(_csv(_rows(ohlc.MIN_ROWS - 1)))
    assert f"only {ohlc.MIN_ROWS - 1} usable rows" in message and str(ohlc.MIN_ROWS) in message


def test_zero_volume_is_kept_with_a_note_and_empty_volume_is_dropped():
    rows = _rows()
    for i in (3, 4, 5):
        rows[i][5] = "0"
    data = ohlc.from_csv(_csv(rows))
    assert "3 days with zero volume: their volume bars are empty" in data.notes
    assert (data.frame["volume"] == 0).sum() == 3
    rows = [r[:5] + [""] for r in _rows()]
    data = ohlc.from_csv(_csv(rows))
    assert not data.has_volume and any("volume column is empty" in n for n in data.notes)


def test_duplicate_dates_are_refused():
    rows = _rows()
    rows[20][0] = rows[19][0]
    message = _error(_csv(rows))
    assert f"date {rows[19][0]} appears more than once" in message


def test_unparseable_dates_are_refused():
    rows = _rows()
    rows[7][0] = "someday"
    message = _error(_csv(rows))
    assert "not dates" in message and "someday" in message


def test_non_positive_prices_are_refused():
    rows = _rows()
    rows[50][3] = "0"
    message = _error(_csv(rows))
    assert "zero or negative price" in message and rows[50][0] in message and "low" in message


def test_a_formula_cell_is_a_bad_number_not_a_crash():
    rows = _rows()
    rows[5][4] = "=cmd|' /C calc'!A0"
    message = _error(_csv(rows))
    assert "text instead of numbers" in message and "Close" in message
    rows = _rows()
    rows[5][5] = "=cmd|' /C calc'!A0"   # in the volume column: the images go without volume
    data = ohlc.from_csv(_csv(rows))
    assert not data.has_volume and any("Volume" in n for n in data.notes)


def test_missing_values_are_dropped_up_to_five_percent():
    rows = _rows(200)
    for i in range(5):
        rows[10 + i][2] = ""
    data = ohlc.from_csv(_csv(rows))
    assert len(data) == 195 and "dropped 5 row(s) with an empty value" in data.notes
    for i in range(20):
        rows[50 + i][4] = ""
    message = _error(_csv(rows))
    assert "25 of 200 rows have an empty or unreadable value" in message


def test_gaps_and_unsorted_rows_are_notes():
    rows = _rows()
    later = pd.bdate_range("2021-06-01", periods=60)
    for i, d in enumerate(later):
        rows[60 + i][0] = str(d.date())
    rows[0], rows[1] = rows[1], rows[0]
    data = ohlc.from_csv(_csv(rows))
    assert data.frame.index.is_monotonic_increasing
    assert any("not in date order" in n for n in data.notes)
    assert any(n.startswith("1 gap(s) of more than 10 calendar days") for n in data.notes)


def test_semicolon_file_with_decimal_commas_loads():
    rows = _rows()
    text = "Datum;Open;High;Low;Close\n" + "\n".join(
        ";".join([r[0], *(v.replace(".", ",") for v in r[1:5])]) for r in rows) + "\n"
    data = ohlc.from_csv(text.encode())
    assert len(data) == 120
    assert data.frame["close"].iloc[3] == pytest.approx(float(rows[3][4]))


def test_load_ohlc_dispatches():
    assert ohlc.load_ohlc("sp500").name == "S&P 500"
    assert ohlc.load_ohlc("gbm", n_days=300, seed=2, pattern="burst", drift=0.004).planted.size > 0
    assert len(ohlc.load_ohlc("nasdaq", path=_csv(_rows()))) == 120
    with pytest.raises(DataError, match="needs a file"):
        ohlc.load_ohlc("csv")
    with pytest.raises(DataError, match="unknown"):
        ohlc.load_ohlc("ftse")
