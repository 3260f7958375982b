"""Price sources: bundled data, synthetic series, CSV loader errors and a FAKED yfinance
(the network is never touched: tests/conftest.py blocks it and points the data cache at tmp)."""

import io
import sys
import types

import numpy as np
import pandas as pd
import pytest

from core.data import prices
from core.errors import DataError


def _csv(n: int = 60, start: str = "2020-01-01", header: str = "Date,Close,Volume",
         changes: dict[int, str] | None = None) -> str:
    changes = changes or {}
    dates = pd.bdate_range(start, periods=n)
    close = 100 + np.cumsum(np.linspace(-1, 1, n))
    rows = [header]
    for i, (d, c) in enumerate(zip(dates, close)):
        value = changes.get(i, f"{c:.4f}")
        rows.append(f"{d.date()},{value},{1000 + i}")
    return "\n".join(rows) + "\n"


def _write(tmp_path, text: str, name: str = "prices.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


# ---- bundled and synthetic -------------------------------------------------------------------
def test_bundled_sp500_is_real_daily_data_and_cached():
    data = prices.bundled("sp500")
    assert len(data) == 5031
    assert list(data.frame.columns) == ["close", "volume"]
    assert data.frame.index.is_monotonic_increasing and not data.frame.index.has_duplicates
    assert str(data.frame.index.dtype) == "datetime64[ns]"
    assert data.frame.index[0] == pd.Timestamp("1999-01-04")
    assert data.frame["close"].between(600, 3000).all()
    again = prices.bundled("sp500")
    assert again.fingerprint == data.fingerprint and len(data.fingerprint) == 64
    assert prices.bundled("nasdaq").fingerprint != data.fingerprint
    with pytest.raises(DataError):
        prices.bundled("ftse")


def test_fingerprint_changes_with_content():
    data = prices.gbm(n=100)
    changed = prices.PriceData(data.frame.assign(close=data.frame["close"] * 1.0001), data.name)
    assert changed.fingerprint != data.fingerprint


def test_between_restricts_and_explains_empty_ranges():
    data = prices.bundled("sp500").between("2008-01-01", "2008-12-31")
    assert data.frame.index.min().year == 2008 and data.frame.index.max().year == 2008
    assert any("restricted" in n for n in data.notes)
    with pytest.raises(DataError, match="no prices between"):
        prices.bundled("sp500").between("2030-01-01", "")


def test_gbm_is_seeded_and_has_its_parameters():
    a, b, c = prices.gbm(seed=1), prices.gbm(seed=1), prices.gbm(seed=2)
    assert a.fingerprint == b.fingerprint != c.fingerprint
    r = np.diff(np.log(prices.gbm(n=20_000, sigma=0.2, seed=0).close.to_numpy()))
    assert r.std() == pytest.approx(0.2 / np.sqrt(252), rel=0.03)


def test_regime_series_switches_between_known_regimes():
    data, states = prices.regime_with_path(n=3000, seed=0)
    assert set(np.unique(states)) == {0, 1}
    r = np.diff(np.log(data.close.to_numpy()))
    calm, wild = r[states[1:] == 0].std(), r[states[1:] == 1].std()
    assert wild > 2.5 * calm
    assert prices.regime(n=3000, seed=0).fingerprint == data.fingerprint


def test_load_prices_dispatch_errors():
    with pytest.raises(DataError, match="needs a file"):
        prices.load_prices("csv")
    with pytest.raises(DataError, match="ticker"):
        prices.load_prices("yahoo", ticker="")
    assert prices.load_prices("gbm", seed=3).source == "gbm"


# ---- CSV -------------------------------------------------------------------------------------
def test_csv_path_bytes_and_file_object(tmp_path):
    text = _csv()
    from_path = prices.from_csv(_write(tmp_path, text))
    from_bytes = prices.from_csv(text.encode())
    from_file = prices.from_csv(io.BytesIO(text.encode()))
    assert len(from_path) == 60 and from_path.has_volume
    assert from_path.fingerprint == from_bytes.fingerprint == from_file.fingerprint
    assert from_path.frame["close"].dtype == float


def test_csv_prefers_adj_close_and_accepts_other_names(tmp_path):
    text = "date,Close,Adj Close\n" + "\n".join(
        f"{d.date()},{100 + i},{50 + i}" for i, d in enumerate(pd.bdate_range("2021-01-01", periods=40)))
    data = prices.from_csv(text.encode())
    assert data.close.iloc[0] == 50
    text = "timestamp,PRICE\n" + "\n".join(f"{d.date()},{10 + i}" for i, d in
                                           enumerate(pd.bdate_range("2021-01-01", periods=40)))
    data = prices.from_csv(text.encode())
    assert data.close.iloc[-1] == 49 and not data.has_volume


def test_csv_first_column_dates_without_a_date_name():
    text = "when,close\n" + "\n".join(f"{d.date()},{10 + i}" for i, d in
                                      enumerate(pd.bdate_range("2021-01-01", periods=40)))
    assert len(prices.from_csv(text.encode())) == 40


def test_csv_thousands_separators_are_numbers():
    text = 'Date,Close\n' + "\n".join(f'{d.date()},"1,{100 + i}.5"' for i, d in
                                      enumerate(pd.bdate_range("2021-01-01", periods=40)))
    assert prices.from_csv(text.encode()).close.iloc[0] == 1100.5


def test_csv_tz_aware_dates_are_made_naive():
    text = "Date,Close\n" + "\n".join(f"{d.date()} 00:00:00-05:00,{10 + i}" for i, d in
                                      enumerate(pd.bdate_range("2021-01-01", periods=40)))
    data = prices.from_csv(text.encode())
    assert data.frame.index.tz is None and len(data) == 40


@pytest.mark.parametrize("text, message", [
    ("a,b\n1,2\n3,4\n" * 1, "no date column"),
    (_csv(header="Date,Foo,Volume"), "no price column"),
    (_csv(changes={5: "abc"}), "text instead of numbers"),
    (_csv(n=20), "only 20 usable rows"),
    ("", "empty"),
    (_csv(changes={i: "" for i in range(10)}), "are empty"),
    (_csv(changes={3: "-5"}), "zero or negative"),
    (_csv(changes={3: "0"}), "zero or negative"),
    ("Date,Close\n2020-01-01,1\nnot a date,2\n" + "\n".join(f"2020-02-{d:02d},3" for d in range(1, 29)),
     "not dates"),
])
def test_csv_bad_input_gives_one_clear_sentence(text, message):
    with pytest.raises(DataError, match=message) as err:
        prices.from_csv(text.encode())
    assert "\n" not in str(err.value) and "Traceback" not in str(err.value)


def test_csv_duplicated_dates_are_an_error():
    lines = _csv().splitlines()
    lines.insert(5, lines[4])
    with pytest.raises(DataError, match="appears more than once"):
        prices.from_csv("\n".join(lines).encode())


def test_csv_unsorted_dates_are_sorted_with_a_note():
    lines = _csv().splitlines()
    header, body = lines[0], lines[1:]
    data = prices.from_csv("\n".join([header, *body[::-1]]).encode())
    assert data.frame.index.is_monotonic_increasing
    assert any("sorted" in n for n in data.notes)
    assert data.close.iloc[0] == pytest.approx(prices.from_csv(_csv().encode()).close.iloc[0])


def test_csv_gaps_are_allowed_with_a_note():
    lines = _csv(n=80).splitlines()
    data = prices.from_csv("\n".join(lines[:30] + lines[60:]).encode())
    assert len(data) == 50
    assert any("gap" in n for n in data.notes)
    assert not any("gap" in n for n in prices.from_csv(_csv(n=80).encode()).notes)


def test_csv_few_missing_prices_are_dropped_with_a_note():
    data = prices.from_csv(_csv(n=100, changes={7: "", 40: ""}).encode())
    assert len(data) == 98
    assert any("dropped 2" in n for n in data.notes)


def test_csv_negative_prices_allowed_when_not_needed():
    data = prices.from_csv(_csv(changes={3: "-5"}).encode(), require_positive=False)
    assert (data.close < 0).any()


def test_csv_size_and_row_caps(tmp_path, monkeypatch):
    monkeypatch.setattr(prices, "MAX_CSV_BYTES", 500)
    with pytest.raises(DataError, match="larger than"):
        prices.from_csv(_write(tmp_path, _csv()))
    with pytest.raises(DataError, match="larger than"):
        prices.from_csv(_csv().encode())
    monkeypatch.setattr(prices, "MAX_CSV_BYTES", 50 * 2**20)
    monkeypatch.setattr(prices, "MAX_ROWS", 45)
    with pytest.raises(DataError, match="more than 45 rows"):
        prices.from_csv(_csv().encode())


def test_csv_missing_file():
    with pytest.raises(DataError, match="not found"):
        prices.from_csv("/nonexistent/prices.csv")


def test_csv_bad_volume_is_dropped_not_fatal():
    text = _csv().replace(",1003\n", ",lots\n")
    data = prices.from_csv(text.encode())
    assert not data.has_volume and any("volume" in n for n in data.notes)


# ---- yfinance, faked -------------------------------------------------------------------------
def _yahoo_frame(n: int = 50, multi: bool = True, tz: str | None = "America/New_York") -> pd.DataFrame:
    index = pd.date_range("2024-01-02", periods=n, freq="B", tz=tz, name="Date")
    close = np.linspace(100, 120, n)
    fields = {"Close": close, "High": close + 1, "Low": close - 1, "Open": close, "Volume": np.arange(n) + 1e6}
    frame = pd.DataFrame(fields, index=index)
    if multi:
        frame.columns = pd.MultiIndex.from_tuples([(c, "SPY") for c in frame.columns], names=["Price", "Ticker"])
    return frame


class FakeYF(types.ModuleType):
    def __init__(self, answers):
        super().__init__("yfinance")
        self.answers = list(answers)
        self.calls = []

    def download(self, tickers, **kwargs):
        self.calls.append((tickers, kwargs))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def fake_yf(monkeypatch):
    def install(*answers):
        fake = FakeYF(answers)
        monkeypatch.setitem(sys.modules, "yfinance", fake)
        return fake
    return install


def test_yahoo_empty_frame_without_cache_is_a_clear_error(fake_yf):
    fake_yf(pd.DataFrame())
    with pytest.raises(DataError, match=r"returned no data for 'XYZ'.*source=sp500") as err:
        prices.from_yahoo("xyz")
    assert "\n" not in str(err.value)


def test_yahoo_multiindex_and_tz_aware_index_are_handled(fake_yf, tmp_path):
    fake = fake_yf(_yahoo_frame(multi=True))
    data = prices.from_yahoo("SPY", period="1y", interval="1d")
    assert list(data.frame.columns) == ["close", "volume"]
    assert data.frame.index.tz is None
    assert data.frame.index[0] == pd.Timestamp("2024-01-02")  # wall-clock date kept, not shifted to UTC
    assert data.close.iloc[-1] == pytest.approx(120)
    kwargs = fake.calls[0][1]
    assert kwargs["auto_adjust"] is True and kwargs["multi_level_index"] is False
    assert kwargs["period"] == "1y" and kwargs["interval"] == "1d"
    cached = prices.cache_path("SPY", "1y", "1d")
    assert cached.exists() and str(tmp_path) in str(cached)  # conftest points FINDL_DATA_CACHE at tmp


def test_yahoo_flat_columns_without_tz(fake_yf):
    fake_yf(_yahoo_frame(multi=False, tz=None))
    assert len(prices.from_yahoo("SPY")) == 50


def test_yahoo_cache_then_offline(fake_yf):
    fake_yf(_yahoo_frame(), pd.DataFrame(), RuntimeError("YFRateLimitError: Too Many Requests"))
    online = prices.from_yahoo("SPY", period="5y")
    offline = prices.from_yahoo("SPY", period="5y")
    assert offline.fingerprint == online.fingerprint
    assert any("cached" in n for n in offline.notes)
    limited = prices.from_yahoo("SPY", period="5y")
    assert limited.fingerprint == online.fingerprint
    assert any("Too Many Requests" in n for n in limited.notes)


def test_yahoo_cache_is_per_period_and_interval(fake_yf):
    fake_yf(_yahoo_frame(), pd.DataFrame())
    prices.from_yahoo("SPY", period="5y", interval="1d")
    with pytest.raises(DataError):
        prices.from_yahoo("SPY", period="5y", interval="1wk")


def test_yahoo_exception_without_cache_is_a_data_error(fake_yf):
    fake_yf(ConnectionError("offline"))
    with pytest.raises(DataError, match="no data for 'AAPL'"):
        prices.from_yahoo("AAPL")


def test_yahoo_is_imported_lazily():
    import importlib

    importlib.reload(prices)
    assert "yfinance" not in vars(prices)


@pytest.mark.parametrize("source", ["sp500", "nasdaq"])
def test_bundled_csv_read_equals_arch_loader(source):
    import importlib

    ours = prices._read_bundled_csv(source)
    theirs = importlib.import_module(f"arch.data.{source}").load()
    pd.testing.assert_frame_equal(ours, theirs, check_freq=False)


def test_yahoo_failure_that_is_not_the_network_says_what_failed(fake_yf):
    fake_yf(RuntimeError("ImpersonateError: Impersonating chrome150 is not supported"))
    with pytest.raises(DataError) as err:
        prices.from_yahoo("AAPL")
    message = str(err.value)
    assert "Impersonating chrome150 is not supported" in message and "AAPL" in message
    assert "offline" not in message and "\n" not in message
