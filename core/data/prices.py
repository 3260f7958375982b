"""Price series for the forecasting task.

Sources: the bundled real daily S&P 500 / NASDAQ composite 1999-2018 (from the ``arch`` package,
offline), Yahoo Finance through yfinance (each download cached as parquet so a repeat works
offline), a user CSV, and two seeded synthetic series with known parameters (GBM, two-regime
switching). Everything returns a ``PriceData``; anything unusable raises ``DataError`` with one
sentence the user can act on.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from core.data import csvio, yahoo
from core.data import quality as quality_
from core.errors import DataError

SOURCES = ("sp500", "nasdaq", "yahoo", "gbm", "regime", "csv")
PERIODS = ("1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max")
INTERVALS = ("1d", "1wk", "1mo")

MAX_CSV_BYTES = csvio.MAX_BYTES  # the forecasting loader's cap (tests lower it)
MAX_ROWS = 1_000_000
MIN_ROWS = 30
MAX_NAN_SHARE = 0.05  # up to 5 % missing prices are dropped with a note; more is an error

_PRICE_NAMES = ("adj close", "adjclose", "adjusted close", "close", "price")  # "adj_close" = "adj close"


def frame_fingerprint(frame: pd.DataFrame) -> str:
    """sha256 of a table's content (dates, columns, values): equal data give an equal fingerprint."""
    h = hashlib.sha256()
    h.update(",".join(frame.columns).encode())
    h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return h.hexdigest()


@dataclass(eq=False)
class PriceData:
    """A price series: ``frame`` has a sorted DatetimeIndex and float columns ``close`` and,
    when known, ``volume``. ``notes`` are sentences shown to the user."""

    frame: pd.DataFrame
    name: str
    description: str = ""
    notes: list[str] = field(default_factory=list)
    source: str = ""
    quality: list[quality_.Finding] = field(default_factory=list)  # see core/data/quality.py

    @property
    def close(self) -> pd.Series:
        return self.frame["close"]

    @property
    def has_volume(self) -> bool:
        return "volume" in self.frame.columns and bool(self.frame["volume"].notna().all())

    @property
    def fingerprint(self) -> str:
        return frame_fingerprint(self.frame)

    def __len__(self) -> int:
        return len(self.frame)

    def between(self, start: str = "", end: str = "") -> PriceData:
        """The rows from ``start`` to ``end`` (ISO dates, inclusive; "" = open)."""
        if not start and not end:
            return self
        frame = self.frame
        if start:
            frame = frame[frame.index >= pd.Timestamp(start)]
        if end:
            frame = frame[frame.index <= pd.Timestamp(end)]
        if frame.empty:
            first, last = self.frame.index[0].date(), self.frame.index[-1].date()
            raise DataError(f"no prices between {start or 'the start'} and {end or 'the end'}: "
                            f"{self.name} covers {first} to {last}")
        note = f"restricted to {frame.index[0].date()} .. {frame.index[-1].date()} ({len(frame)} rows)"
        return PriceData(frame, self.name, self.description, [*self.notes, note], self.source,
                         quality_.assess(frame) if self.quality else [])  # no findings in all: none in part

    def assessed(self) -> PriceData:
        """This series with its data-quality findings (``quality.assess``)."""
        self.quality = quality_.assess(self.frame)
        return self


def _standard(frame: pd.DataFrame, close: str, volume: str | None) -> pd.DataFrame:
    out = pd.DataFrame({"close": frame[close].astype(float)}, index=frame.index)
    if volume is not None and volume in frame.columns:
        out["volume"] = frame[volume].astype(float)
    out.index = _naive_index(out.index)
    out.index.name = "date"
    return out


def _naive_index(index: pd.Index) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(index)
    if idx.tz is not None:
        idx = idx.tz_localize(None)  # keep the exchange's wall-clock dates
    return idx.as_unit("ns")


# ---- bundled ---------------------------------------------------------------------------------
_BUNDLED = {
    "sp500": ("arch.data.sp500", "S&P 500", "S&P 500 index, daily, 1999-2018 (bundled with the arch package)"),
    "nasdaq": ("arch.data.nasdaq", "NASDAQ Composite",
               "NASDAQ Composite index, daily, 1999-2018 (bundled with the arch package)"),
}


@functools.lru_cache(maxsize=4)
def _bundled_frame(source: str) -> pd.DataFrame:
    raw = _read_bundled_csv(source)
    column = "Adj Close" if "Adj Close" in raw.columns else "Close"
    return _standard(raw, column, "Volume")


def _read_bundled_csv(source: str) -> pd.DataFrame:
    """The CSV that ``arch.data.<source>.load()`` reads, read without importing arch (0.7 s of
    scipy/statsmodels at import): the CLI's cache-hit path stays fast."""
    import importlib.util
    from pathlib import Path as _Path

    spec = importlib.util.find_spec("arch")
    if spec is None or spec.origin is None:
        raise DataError("the bundled S&P 500 / NASDAQ data come with the 'arch' package: pip install arch")
    path = _Path(spec.origin).parent / "data" / source / f"{source}.csv.gz"
    if not path.is_file():  # a future arch layout: fall back to its loader
        import importlib

        return importlib.import_module(_BUNDLED[source][0]).load()
    return pd.read_csv(path, index_col=0, parse_dates=True)


def bundled(source: str = "sp500") -> PriceData:
    """Real daily prices shipped with ``arch``: 'sp500' or 'nasdaq' (cached in-process)."""
    if source not in _BUNDLED:
        raise DataError(f"unknown bundled series '{source}'; choose sp500 or nasdaq")
    _, name, description = _BUNDLED[source]
    return PriceData(_bundled_frame(source).copy(), name, description,
                     ["price column: 'Adj Close' (adjusted for splits and dividends)"], source)


# ---- Yahoo Finance ---------------------------------------------------------------------------
def cache_dir() -> Path:
    env = os.environ.get("FINDL_DATA_CACHE", "").strip()
    return Path(env).expanduser() if env else Path.home() / ".cache" / "findl-data"


def cache_path(ticker: str, period: str, interval: str, directory: Path | None = None) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", ticker.upper())
    return (directory or cache_dir()) / f"yahoo_{safe}_{period}_{interval}.parquet"


def _flatten_yahoo(frame: pd.DataFrame) -> pd.DataFrame:
    if isinstance(frame.columns, pd.MultiIndex):
        # single-ticker download: ("Close", "SPY") ... ; find the level holding the field names
        for level in range(frame.columns.nlevels):
            values = [str(v) for v in frame.columns.get_level_values(level)]
            if "Close" in values:
                frame = frame.copy()
                frame.columns = values
                break
    return frame


def from_yahoo(ticker: str, period: str = "10y", interval: str = "1d",
               directory: Path | None = None) -> PriceData:
    """Download with yfinance; cache as parquet; when Yahoo fails, serve the cached copy."""
    ticker = ticker.strip().upper()
    path = cache_path(ticker, period, interval, directory)
    reason = "it returned no data"
    frame: pd.DataFrame | None = None
    failed = False
    try:
        raw = yahoo.download(ticker, period, interval)
        if raw is not None and not raw.empty:
            raw = _flatten_yahoo(raw)
            column = next((c for c in ("Close", "Adj Close") if c in raw.columns), None)
            if column is None:
                reason = "its answer had no Close column"
            else:
                frame = _standard(raw, column, "Volume").dropna(subset=["close"])
                if frame.empty:
                    frame, reason = None, "every price was missing"
    except Exception as exc:
        failed = True
        reason = f"{type(exc).__name__}: {exc}".strip()[:200]
    if frame is not None:
        frame = frame[~frame.index.duplicated(keep="last")].sort_index()
        _write_parquet(frame, path)
        return PriceData(frame, ticker, f"{ticker} from Yahoo Finance ({period}, {interval})",
                         [f"downloaded {len(frame)} rows from Yahoo Finance"], "yahoo")
    if path.exists():
        try:
            frame = pd.read_parquet(path)
        except (OSError, ValueError):  # a damaged cache file is as good as none
            frame = None
        if frame is not None and not frame.empty:
            frame.index = _naive_index(frame.index)
            when = pd.Timestamp(path.stat().st_mtime, unit="s").strftime("%Y-%m-%d %H:%M")
            return PriceData(frame, ticker, f"{ticker} from Yahoo Finance ({period}, {interval}), cached",
                             [f"Yahoo Finance did not answer ({reason}); using the copy cached on {when}"],
                             "yahoo")
    if failed and not yahoo.is_network_error(reason):
        # not a network problem: say what failed instead of blaming the connection
        raise DataError(f"the Yahoo Finance download of '{ticker}' failed ({reason}) and nothing is cached; "
                        "use the bundled S&P 500 (source=sp500) or upload a CSV")
    why = reason if failed else "offline, rate-limited or unknown ticker"
    raise DataError(f"Yahoo Finance returned no data for '{ticker}' ({why}) and nothing is cached; "
                    "use the bundled S&P 500 (source=sp500) or upload a CSV")


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        os.close(fd)
        frame.to_parquet(tmp)
        os.replace(tmp, path)  # atomic: a reader never sees half a file
    except OSError:
        pass  # a read-only cache only costs the offline fallback


# ---- CSV -------------------------------------------------------------------------------------
def _find_date_column(frame: pd.DataFrame) -> tuple[str, pd.Series, str | None]:
    column = csvio.find_column(frame, *quality_.DATE_NAMES)
    if column is not None:
        parsed, note = quality_.parse_dates(frame[column], str(column))
        return str(column), parsed, note
    first = frame.columns[0]
    try:
        parsed, note = quality_.parse_dates(frame[first], str(first))
        return str(first), parsed, note
    except DataError:
        pass
    raise DataError("no date column: name one 'Date' (or date/datetime/timestamp) or put the dates "
                    f"in the first column; found columns {csvio.listed(frame.columns)}")


def _read_table(file: csvio.CsvText) -> tuple[pd.DataFrame, list[str]]:
    """Every cell as text (parsed later, explicitly); rows with more fields than the header are
    unquoted thousands separators (1,234.56) when the file has two columns."""
    notes = list(file.notes)
    file_name, delimiter = file.name, file.delimiter
    rows = file.rows()
    if not rows:
        raise DataError(f"{file_name} is empty; it needs a header row and one row per date")
    header, body = [c.strip() for c in rows[0]], rows[1: MAX_ROWS + 2]
    if len(header) < 2:
        raise DataError(f"{file_name} needs at least two columns: a date and a price (Close); found "
                        f"{header[0] if header else 'nothing'!r} (use ',' or ';' between columns)")
    long_rows = [i for i, row in enumerate(body) if len(row) > len(header)]
    if long_rows:
        if len(header) != 2 or delimiter != ",":
            row = body[long_rows[0]]
            raise DataError(f"row {long_rows[0] + 2} has {len(row)} fields but the header has {len(header)} "
                            f"({delimiter.join(row)!r}); quote numbers with thousands separators (\"1,234.56\") "
                            "or write them without (1234.56)")
        body = [[row[0], ",".join(row[1:])] if len(row) > 2 else row for row in body]
        notes.append(f"{len(long_rows)} row(s) had unquoted thousands separators; the price is the rest of the row")
    body = [row + [""] * (len(header) - len(row)) for row in body]
    if not body:
        raise DataError(f"{file_name} has a header but no rows")
    return pd.DataFrame(body, columns=header, dtype="string"), notes


def from_csv(source: str | os.PathLike | bytes | IO, name: str | None = None,
             require_positive: bool = True) -> PriceData:
    """A date column plus a price column (Adj Close / Close / price, any case), optional Volume."""
    file = csvio.read(source, max_bytes=MAX_CSV_BYTES)
    file_name = file.name
    frame, notes = _read_table(file)
    if len(frame) > MAX_ROWS:
        raise DataError(f"{file_name} has more than {MAX_ROWS:,} rows; cut it to the rows you need")
    date_column, dates, date_note = _find_date_column(frame)
    notes += [date_note] if date_note else []
    price_column = csvio.find_column(frame.drop(columns=[date_column]), *_PRICE_NAMES)
    if price_column is None:
        raise DataError("no price column: name it 'Close', 'Adj Close' or 'price'; found columns "
                        f"{csvio.listed(frame.columns)}")
    prices, number_note = quality_.parse_numbers(frame[price_column], str(price_column))
    notes += [number_note] if number_note else []
    other = csvio.find_column(frame.drop(columns=[date_column, price_column]), *_PRICE_NAMES)
    notes.append(f"price column: '{price_column}'" + (f" ('{other}' is not used)" if other is not None else ""))
    table = pd.DataFrame({"close": prices}, index=pd.DatetimeIndex(dates.to_numpy()))
    volume_column = csvio.find_column(frame, "volume", "vol")
    if volume_column is not None:
        try:
            volume = pd.Series(quality_.parse_numbers(frame[volume_column], str(volume_column))[0])
        except DataError:
            volume = pd.Series([np.nan])
        if volume.isna().any() or (volume < 0).any():
            notes.append(f"column '{volume_column}' has missing or negative values; volume is not used")
        else:
            table["volume"] = volume.to_numpy()
    if table.index.has_duplicates:
        first = table.index[table.index.duplicated()][0]
        raise DataError(f"date {first.date()} appears more than once; keep one row per date")
    if not table.index.is_monotonic_increasing:
        table = table.sort_index()
        notes.append("the rows were not in date order; they have been sorted")
    missing = table["close"].isna()
    if missing.any():
        share = float(missing.mean())
        if share > MAX_NAN_SHARE:
            raise DataError(f"{int(missing.sum())} of {len(table)} prices are empty ({share:.0%}); "
                            "fill them or remove those rows")
        table = table[~missing]
        notes.append(f"dropped {int(missing.sum())} row(s) with an empty price")
    if require_positive and (table["close"] <= 0).any():
        bad = table.index[table["close"] <= 0][0]
        raise DataError(f"price on {bad.date()} is zero or negative; log returns need positive prices")
    if len(table) < MIN_ROWS:
        raise DataError(f"{file_name} has only {len(table)} usable rows; at least {MIN_ROWS} are needed "
                        "(a few hundred for a useful forecast)")
    gap_note = _gap_note(table.index)
    if gap_note:
        notes.append(gap_note)
    table.index = _naive_index(table.index)
    table.index.name = "date"
    label = name or Path(file_name).stem
    return PriceData(table, label, f"{label} (CSV, column '{price_column}')", notes, "csv")


def _gap_note(index: pd.DatetimeIndex) -> str | None:
    if len(index) < 3:
        return None
    steps = np.diff(index.as_unit("ns").asi8) / 86_400e9
    typical = float(np.median(steps))
    limit = max(5 * typical, typical + 4)  # a long weekend is not a gap, a missing month is
    gaps = np.flatnonzero(steps > limit)
    if gaps.size == 0:
        return None
    big = int(gaps[np.argmax(steps[gaps])])
    return (f"{gaps.size} gap(s) in the dates (largest: {index[big].date()} to {index[big + 1].date()}); "
            "consecutive rows are treated as consecutive steps")


# ---- synthetic -------------------------------------------------------------------------------
def _business_days(n: int, start: str) -> pd.DatetimeIndex:
    return pd.bdate_range(start=start, periods=n, name="date").as_unit("ns")


def gbm(n: int = 2520, mu: float = 0.05, sigma: float = 0.2, seed: int = 0, s0: float = 100.0,
        start: str = "2010-01-04") -> PriceData:
    """Geometric Brownian motion: i.i.d. normal daily log returns, nothing to learn.
    mu and sigma are annual; 252 trading days a year."""
    rng = np.random.default_rng(seed)
    dt = 1 / 252
    returns = rng.normal((mu - 0.5 * sigma**2) * dt, sigma * math.sqrt(dt), n - 1)
    close = s0 * np.exp(np.concatenate([[0.0], np.cumsum(returns)]))
    volume = rng.lognormal(math.log(1e6), 0.3, n)
    frame = pd.DataFrame({"close": close, "volume": volume}, index=_business_days(n, start))
    return PriceData(frame, "GBM (synthetic)",
                     f"geometric Brownian motion, mu={mu:g}, sigma={sigma:g} a year, seed {seed}: "
                     "returns are pure noise", [], "gbm")


REGIMES = {  # annual drift and volatility of each regime; daily probability of staying in it
    "calm": {"mu": 0.12, "sigma": 0.10, "stay": 0.99},
    "turbulent": {"mu": -0.25, "sigma": 0.40, "stay": 0.96},
}


def regime(n: int = 2520, seed: int = 0, s0: float = 100.0, start: str = "2010-01-04") -> PriceData:
    """Two-regime Markov switching returns (calm / turbulent, parameters in REGIMES): volatility
    clusters, so it is partly predictable; the sign of returns barely is. Volume is higher in the
    turbulent regime. ``regime_with_path`` also returns the hidden regime of each day."""
    return regime_with_path(n, seed, s0, start)[0]


def regime_with_path(n: int = 2520, seed: int = 0, s0: float = 100.0, start: str = "2010-01-04"
                     ) -> tuple[PriceData, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = list(REGIMES.values())
    states = np.empty(n, dtype=int)
    states[0] = 0
    for t in range(1, n):
        stay = params[states[t - 1]]["stay"]
        states[t] = states[t - 1] if rng.random() < stay else 1 - states[t - 1]
    mu = np.array([p["mu"] for p in params])[states] / 252
    sigma = np.array([p["sigma"] for p in params])[states] / math.sqrt(252)
    returns = rng.normal(mu - 0.5 * sigma**2, sigma)
    returns[0] = 0.0
    close = s0 * np.exp(np.cumsum(returns))
    volume = rng.lognormal(math.log(1e6), 0.25, n) * np.where(states == 1, 2.0, 1.0)
    frame = pd.DataFrame({"close": close, "volume": volume}, index=_business_days(n, start))
    desc = ("two-regime switching series (calm: mu 12 %, sigma 10 %; turbulent: mu -25 %, sigma 40 %), "
            f"seed {seed}")
    return PriceData(frame, "Regime switching (synthetic)", desc, [], "regime"), states


# ---- one entry point -------------------------------------------------------------------------
def load_prices(source: str = "sp500", *, ticker: str = "", period: str = "10y", interval: str = "1d",
                path: Any = None, seed: int = 0) -> PriceData:
    """Dispatch on ``source``; a ``path`` (file path, bytes or file object) always means CSV. Every
    source goes through the data-quality check (``PriceData.quality``)."""
    return _load(source, ticker=ticker, period=period, interval=interval, path=path, seed=seed).assessed()


def _load(source: str, *, ticker: str, period: str, interval: str, path: Any, seed: int) -> PriceData:
    if path is not None:
        return from_csv(path)
    if source in _BUNDLED:
        return bundled(source)
    if source == "yahoo":
        if not ticker:
            raise DataError("source=yahoo needs a ticker, e.g. ticker=AAPL")
        return from_yahoo(ticker, period, interval)
    if source == "gbm":
        return gbm(seed=seed)
    if source == "regime":
        return regime(seed=seed)
    if source == "csv":
        raise DataError("source=csv needs a file: upload one, or pass --data PATH on the command line")
    raise DataError(f"unknown price source '{source}'; choose one of {', '.join(SOURCES)}")
