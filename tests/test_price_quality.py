"""Messy real-world price files are read explicitly or refused with a fix; bad ticks are found
(core/data/quality.py). Each case reproduces a file a reviewer fed the forecasting page."""

import numpy as np
import pandas as pd
import pytest

from core.data import prices, quality
from core.errors import DataError

DATES = pd.bdate_range("2008-01-02", periods=60)
CLOSE = 1.3 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.006, 60)))


def _load(text: str) -> prices.PriceData:
    return prices.load_prices("csv", path=text.encode())


def _rows(fmt_date, fmt_price, sep=","):
    return "\n".join(f"{fmt_date(d)}{sep}{fmt_price(v)}" for d, v in zip(DATES, CLOSE))


def test_quoted_decimal_commas_are_read_as_decimals_with_a_note():
    data = _load("Date,Close\n" + _rows(lambda d: d.date(), lambda v: f'"{v:.4f}"'.replace(".", ",")))
    assert data.close.to_numpy() == pytest.approx(CLOSE, abs=1e-4)  # not 13010
    assert any("decimal commas" in n for n in data.notes)


def test_semicolon_file_with_decimal_commas():
    data = _load("Date;Close\n" + _rows(lambda d: d.date(), lambda v: f"{v:.4f}".replace(".", ","), sep=";"))
    assert data.close.to_numpy() == pytest.approx(CLOSE, abs=1e-4)
    assert any("semicolons" in n for n in data.notes) and any("decimal commas" in n for n in data.notes)


def test_unquoted_thousands_separators_in_a_two_column_file():
    big = 1000 + 50 * np.arange(60.0)
    text = "Date,Close\n" + "\n".join(f"{d.date()},{v:,.2f}" for d, v in zip(DATES, big))
    data = _load(text)
    assert data.close.to_numpy() == pytest.approx(big)
    assert data.frame.index[0] == DATES[0]  # not 1970-01-01
    assert any("thousands separators" in n for n in data.notes)


def test_unquoted_thousands_separators_with_more_columns_is_a_clear_error():
    text = "Date,Close,Volume\n" + "\n".join(f"{d.date()},{1000 + i:,.2f},5" for i, d in enumerate(DATES))
    with pytest.raises(DataError, match=r"quote numbers with thousands separators"):
        _load(text)


def test_every_value_like_1_234_is_ambiguous():
    text = "Date,Close\n" + "\n".join(f'{d.date()},"1,{200 + i:03d}"' for i, d in enumerate(DATES))
    with pytest.raises(DataError, match=r"could mean 1\.2 or 1200.*without thousands separators"):
        _load(text)


def test_yyyymmdd_integer_dates():
    data = _load("Date,Close\n" + _rows(lambda d: f"{d:%Y%m%d}", lambda v: f"{v:.4f}"))
    assert list(data.frame.index) == list(DATES)
    assert any("YYYYMMDD" in n for n in data.notes)


@pytest.mark.parametrize("scale, unit", [(1, "seconds"), (1000, "milliseconds")])
def test_unix_timestamps(scale, unit):
    data = _load("timestamp,Close\n" + _rows(lambda d: int(d.timestamp()) * scale, lambda v: f"{v:.4f}"))
    assert list(data.frame.index) == list(DATES)
    assert any(f"unix time in {unit}" in n for n in data.notes)


def test_day_first_dates_are_read_when_unambiguous():
    data = _load("Date,Close\n" + _rows(lambda d: f"{d:%d/%m/%Y}", lambda v: f"{v:.4f}"))
    assert list(data.frame.index) == list(DATES)
    assert any("day/month/year" in n for n in data.notes)


def test_ambiguous_or_mixed_day_first_dates_hint_at_the_format():
    short = "Date,Close\n" + "\n".join(f"{d:%d/%m/%Y},{v:.4f}" for d, v in zip(DATES, CLOSE) if d.day <= 12)
    with pytest.raises(DataError, match=r"could be day/month or month/day; write them as YYYY-MM-DD"):
        _load(short)
    mixed = "Date,Close\n13/01/2020,1\n01/14/2020,2\n"
    with pytest.raises(DataError, match=r"dates like 13/01/2020 look day-first.*use YYYY-MM-DD"):
        _load(mixed)


def test_single_column_file_suggests_the_delimiter():
    with pytest.raises(DataError, match=r"at least two columns.*';'"):
        _load("Date Close\n2020-01-01 1\n")


def _spiked(days_from_end=(100, 60, 30), factor=1.16) -> pd.DataFrame:
    frame = prices.gbm(seed=3).frame.copy()
    for k in days_from_end:
        frame.iloc[-k, 0] *= factor
    return frame


def test_spike_and_revert_ticks_are_found_with_their_dates():
    frame = _spiked()
    findings = quality.assess(frame)
    assert [f.kind for f in findings] == ["bad_tick"]
    expected = {str(frame.index[-k].date()) for k in (100, 60, 30)} | {str(frame.index[-k + 1].date()) for k in (100, 60, 30)}
    assert set(findings[0].dates) == expected and findings[0].count == 6
    assert "3 likely bad tick(s)" in findings[0].message


def test_real_and_synthetic_series_are_not_flagged():
    for source in ("sp500", "nasdaq", "gbm", "regime"):
        assert prices.load_prices(source).quality == [], source


def test_tenfold_jump_looks_like_a_format_error():
    frame = prices.gbm(seed=1).frame.copy()
    frame.iloc[-50:, 0] *= 1000  # the tail written in another unit
    kinds = {f.kind: f for f in quality.assess(frame)}
    assert "price_jump" in kinds and "format error" in kinds["price_jump"].message


def test_quality_runs_for_yahoo_and_bundled_sources_too(monkeypatch):
    frame = _spiked()
    monkeypatch.setattr(prices.yahoo, "download", lambda *a: frame.rename(columns={"close": "Close"}))
    data = prices.load_prices("yahoo", ticker="EURUSD=X")
    assert [f.kind for f in data.quality] == ["bad_tick"]
    assert data.between(start=str(frame.index[-20].date())).quality == []  # restricted past the ticks
