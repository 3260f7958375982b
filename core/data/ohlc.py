"""Daily OHLC series for the chart-image lesson (issue 20: a CNN that reads price charts as images,
Jiang, Kelly and Xiu, "(Re-)Imag(in)ing Price Trends", J. Finance 2023).

Sources: the bundled S&P 500 / NASDAQ composite 1999-2018 (the ``arch`` package's files, read by
``core.data.prices``), an uploaded OHLC CSV (``core.data.csvio`` for the bytes, the date and number
policy of ``core.data.quality``), and seeded geometric Brownian motion with an optional planted
chart pattern (``gbm(pattern="burst")``): three tall bars followed by a drift, a shape the
window's returns do not show and its image does. Everything returns an ``OHLC``; anything unusable
raises ``DataError`` with one sentence the user can act on, and what was found or done on the way
is a note (``OHLC.notes``). The images themselves are ``core/data/chart_images.py``.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from core.data import csvio
from core.data import prices as prices_
from core.data import quality as quality_
from core.errors import DataError

PRICE_COLUMNS = ("open", "high", "low", "close")
SOURCES = ("sp500", "nasdaq", "gbm", "csv")
PATTERNS = ("none", "burst")

MIN_ROWS = 80            # a few 20-day images with their moving average and a 20-day horizon
MAX_NAN_SHARE = prices_.MAX_NAN_SHARE  # up to 5 % rows with an empty value are dropped with a note
GAP_DAYS = 10            # a step over this many calendar days between rows is a gap (a note)

# the planted pattern of gbm(pattern="burst")
BURST_DAYS = 3           # tall bars in a row
BURST_RANGE = 4.0        # their high-low range over the median range of the other days
BURST_EVERY = 20         # about one burst every this many days: a quarter of 5-day futures carry a drift

_CLOSE_NAMES = ("close", "adj close", "adjclose", "adjusted close", "price")
_BUNDLED_NAMES = {"sp500": ("S&P 500", "S&P 500 index, daily OHLC, 1999-2018 (bundled with the arch package)"),
                  "nasdaq": ("NASDAQ Composite",
                             "NASDAQ Composite index, daily OHLC, 1999-2018 (bundled with the arch package)")}


@dataclass(eq=False)
class OHLC:
    """A daily OHLC series: ``frame`` has a sorted DatetimeIndex (no duplicates) and float
    columns open, high, low, close (all positive, low <= open, close <= high) and, when known,
    volume (>= 0; the column is absent otherwise). ``notes`` are sentences for the user.
    ``planted`` holds the row positions where a planted burst ENDS (``gbm(pattern="burst")``;
    empty for every other source): the drift runs over the ``horizon`` rows after each."""

    frame: pd.DataFrame
    name: str
    notes: list[str] = field(default_factory=list)
    description: str = ""
    source: str = ""
    planted: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    @property
    def fingerprint(self) -> str:
        return prices_.frame_fingerprint(self.frame)

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def has_volume(self) -> bool:
        return "volume" in self.frame.columns

    def arrays(self) -> dict[str, np.ndarray]:
        """The columns as float64 arrays, what ``chart_images.ohlc_images`` reads."""
        return {c: self.frame[c].to_numpy(dtype=float) for c in self.frame.columns}


# ---- checks shared by every source -------------------------------------------------------------
def _checked(table: pd.DataFrame, notes: list[str], what: str) -> pd.DataFrame:
    """``table`` (columns open, high, low, close, optional volume; a DatetimeIndex) checked and
    cleaned, one DataError or note per finding. ``what`` names the data in messages."""
    if table.index.has_duplicates:
        dupes = table.index[table.index.duplicated()]
        raise DataError(f"date {dupes[0].date()} appears more than once ({len(dupes.unique())} date(s) repeated); "
                        "keep one row per date")
    if not table.index.is_monotonic_increasing:
        table = table.sort_index()
        notes.append("the rows were not in date order; they have been sorted")
    if "volume" in table.columns:
        table = _volume_checked(table, notes)
    columns = [c for c in (*PRICE_COLUMNS, "volume") if c in table.columns]
    missing = table[columns].isna().any(axis=1)
    if missing.any():
        count, share = int(missing.sum()), float(missing.mean())
        if share > MAX_NAN_SHARE:
            raise DataError(f"{count} of {len(table)} rows have an empty or unreadable value ({share:.0%}); "
                            "fill them or remove those rows")
        table = table[~missing]
        notes.append(f"dropped {count} row(s) with an empty value")
    values = table[list(PRICE_COLUMNS)].to_numpy()
    if not np.isfinite(values).all():
        row = int(np.flatnonzero(~np.isfinite(values).all(axis=1))[0])
        raise DataError(f"a price on {table.index[row].date()} is too large to be a number; check that row")
    bad = (values <= 0).any(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        column = PRICE_COLUMNS[int(np.flatnonzero(values[row] <= 0)[0])]
        raise DataError(f"{int(bad.sum())} row(s) have a zero or negative price (first: {table.index[row].date()}, "
                        f"{column}); chart images need positive prices")
    o, h, lo, c = values.T
    inverted = h < lo
    if inverted.any():
        row = int(np.flatnonzero(inverted)[0])
        raise DataError(f"the high is below the low on {int(inverted.sum())} row(s) (first: "
                        f"{table.index[row].date()}, high {h[row]:g} < low {lo[row]:g}); check that the High and "
                        "Low columns are not swapped")
    top, bottom = np.maximum(o, c), np.minimum(o, c)
    outside = (h < top) | (lo > bottom)
    if outside.any():
        table = table.copy()
        table["high"] = np.maximum(h, top)
        table["low"] = np.minimum(lo, bottom)
        notes.append(f"{int(outside.sum())} day(s) had a high below the open or close, or a low above them; "
                     "the high and low were widened to include the open and close")
    if len(table) < MIN_ROWS:
        raise DataError(f"{what} has only {len(table)} usable rows; chart images need at least {MIN_ROWS} "
                        "(a few thousand for a useful lesson)")
    gap = _gap_note(table.index)
    if gap:
        notes.append(gap)
    table = table.astype(float)
    table.index = prices_._naive_index(table.index)
    table.index.name = "date"
    return table


def _volume_checked(table: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    volume = table["volume"]
    empty = volume.isna()
    if empty.all():
        notes.append("the volume column is empty; the images are drawn without volume bars")
        return table.drop(columns="volume")
    if (volume < 0).any():
        first = table.index[(volume < 0).to_numpy()][0]
        notes.append(f"the volume is negative on {int((volume < 0).sum())} day(s) (first: {first.date()}); "
                     "the images are drawn without volume bars")
        return table.drop(columns="volume")
    if empty.mean() > MAX_NAN_SHARE:
        notes.append(f"the volume is missing on {int(empty.sum())} of {len(table)} days; the images are drawn "
                     "without volume bars")
        return table.drop(columns="volume")
    zero = volume == 0
    if zero.all():
        notes.append("the volume is zero on every day; the images are drawn without volume bars")
        return table.drop(columns="volume")
    if zero.any():
        notes.append(f"{int(zero.sum())} days with zero volume: their volume bars are empty")
    return table


def _gap_note(index: pd.DatetimeIndex) -> str | None:
    if len(index) < 2:
        return None
    steps = np.diff(index.as_unit("ns").asi8) / 86_400e9
    gaps = np.flatnonzero(steps > GAP_DAYS)
    if gaps.size == 0:
        return None
    big = int(gaps[np.argmax(steps[gaps])])
    return (f"{gaps.size} gap(s) of more than {GAP_DAYS} calendar days in the dates (largest: {index[big].date()} "
            f"to {index[big + 1].date()}); an image treats consecutive rows as consecutive days")


# ---- bundled -----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=2)
def _bundled(source: str) -> tuple[pd.DataFrame, tuple[str, ...]]:
    raw = prices_._read_bundled_csv(source)
    table = pd.DataFrame({"open": raw["Open"], "high": raw["High"], "low": raw["Low"], "close": raw["Close"],
                          "volume": raw["Volume"]}, index=raw.index).astype(float)
    notes = ["unadjusted Open/High/Low/Close: the bars are scaled within each image"]
    table = _checked(table, notes, _BUNDLED_NAMES[source][0])
    return table, tuple(notes)


def bundled(source: str = "sp500") -> OHLC:
    """Real daily OHLC and volume shipped with ``arch``: 'sp500' or 'nasdaq' (cached in-process).
    Open/High/Low/Close as they are: each image scales its bars to its own window, so dividend
    adjustment does not change a shape."""
    if source not in _BUNDLED_NAMES:
        raise DataError(f"unknown bundled series '{source}'; choose sp500 or nasdaq")
    table, notes = _bundled(source)
    name, description = _BUNDLED_NAMES[source]
    return OHLC(table.copy(), name, list(notes), description, source)


# ---- synthetic -----------------------------------------------------------------------------------
def gbm(n_days: int, seed: int, pattern: str = "none", drift: float = 0.0, horizon: int = 5,
        sigma: float = 0.2, s0: float = 100.0, start: str = "2010-01-04") -> OHLC:
    """Geometric Brownian motion with daily OHLC bars and volume; same seed, same series.

    Closes follow i.i.d. normal log returns (no drift; ``sigma`` annual, 252 days a year). A day's
    open is the previous close times a small gap; its high and low stick out of the open-close
    body by half-normal wicks; volume is lognormal around one million, independent of prices.

    ``pattern="burst"`` plants, at random non-overlapping days (about one every BURST_EVERY days),
    BURST_DAYS days whose high-low range is about BURST_RANGE times the other days' median range
    while their close-to-close returns stay as drawn (either sign, normal size: the returns do not
    show the burst, the bars' height does), followed by ``horizon`` days whose log returns get
    ``drift`` added (0.004 = +0.4 % a day; 0: the pattern tells nothing); every other day gives
    the same total back, so the series has no trend and always betting 'up' gains nothing: the
    edge is in recognising the burst. Volume is left as drawn.
    ``OHLC.planted`` holds the row of each burst's last day. The draws of the plain series come
    first, so pattern "none" and "burst" with one seed have the same daily returns except on the
    drift days and the same bars except on the burst days (the drift shifts the levels after it)."""
    if pattern not in PATTERNS:
        raise ValueError(f"unknown pattern {pattern!r}; choose one of {', '.join(PATTERNS)}")
    if n_days < MIN_ROWS:
        raise ValueError(f"gbm needs at least {MIN_ROWS} days, got {n_days}")
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1 day, got {horizon}")
    rng = np.random.default_rng(seed)
    s = sigma / math.sqrt(252)
    returns = rng.normal(-0.5 * s**2, s, n_days)
    returns[0] = 0.0
    gap = rng.normal(0.0, 0.2 * s, n_days)               # open vs previous close
    wick_up = np.abs(rng.normal(0.0, 0.5 * s, n_days))   # high above the body, relative
    wick_down = np.abs(rng.normal(0.0, 0.5 * s, n_days))
    volume = rng.lognormal(math.log(1e6), 0.3, n_days)
    planted = np.empty(0, dtype=np.int64)
    if pattern == "burst":
        prng = np.random.default_rng([seed, 1])  # its own stream: the plain draws stay as they are
        planted = _burst_ends(n_days, horizon, prng)
        after = (planted[:, None] + np.arange(1, horizon + 1)).ravel()
        others = np.setdiff1d(np.arange(1, n_days), after)
        returns[after] += drift
        returns[others] -= drift * after.size / others.size  # no trend: betting on 'up' alone gains nothing
    close = s0 * np.exp(np.cumsum(returns))
    open_ = np.concatenate([[s0], close[:-1]]) * np.exp(gap)  # day 0 opens near s0, its close
    top, bottom = np.maximum(open_, close), np.minimum(open_, close)
    high, low = top * (1 + wick_up), bottom * (1 - np.minimum(wick_down, 0.5))
    if planted.size:
        burst = (planted[:, None] - np.arange(BURST_DAYS)[::-1]).ravel()
        normal = np.ones(n_days, dtype=bool)
        normal[burst] = False
        usual = float(np.median(((high - low) / close)[normal]))
        target = BURST_RANGE * usual * prng.uniform(0.8, 1.2, burst.size)  # relative range of each burst day
        body = (top[burst] - bottom[burst]) / close[burst]
        extra = np.maximum(target - body, 0.0) * close[burst]
        share = prng.uniform(0.25, 0.75, burst.size)        # how much of it sticks out above the body
        high[burst] = top[burst] + share * extra
        low[burst] = np.maximum(bottom[burst] - (1 - share) * extra, 0.5 * bottom[burst])
    frame = pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": volume},
                         index=prices_._business_days(n_days, start))
    description = f"geometric Brownian motion, sigma={sigma:g} a year, seed {seed}"
    notes: list[str] = []
    name = "GBM (synthetic)"
    if pattern == "burst":
        name = "GBM with planted bursts (synthetic)"
        description += (f"; {planted.size} bursts of {BURST_DAYS} tall bars, each followed by {horizon} days "
                        f"with {drift:+.2%} a day, given back on the other days")
        notes.append(f"{planted.size} bursts planted: {BURST_DAYS} days with about {BURST_RANGE:g}x the usual "
                     f"high-low range (returns of either sign, usual size), each followed by {horizon} days with "
                     f"{drift:+.2%} a day (the other days give it back: no trend)" + (" (0: the pattern tells nothing)" if drift == 0 else ""))
    else:
        notes.append("returns are pure noise: there is no pattern to find")
    return OHLC(frame, name, notes, description, "gbm", planted)


def _burst_ends(n_days: int, horizon: int, rng: np.random.Generator) -> np.ndarray:
    """The last day of each burst: bursts start after day 1 and each burst plus its drift days
    ends before the next burst starts and before the series ends."""
    block = BURST_DAYS + horizon
    spacing = max(BURST_EVERY, block + 10)        # mean distance between burst starts
    extra_mean = spacing - block                  # a geometric gap after each block
    ends = []
    start = 1 + int(rng.geometric(1 / extra_mean)) - 1
    while start + block <= n_days:
        ends.append(start + BURST_DAYS - 1)
        start += block + int(rng.geometric(1 / extra_mean)) - 1
    return np.asarray(ends, dtype=np.int64)


# ---- CSV -----------------------------------------------------------------------------------------
def from_csv(source: str | os.PathLike | bytes | IO, name: str | None = None) -> OHLC:
    """An OHLC CSV: a date column (Date, or the dates in the first column), Open, High, Low and
    Close (or Adj Close / Price for the close), any case, optional Volume."""
    file = csvio.read(source, max_bytes=prices_.MAX_CSV_BYTES)
    frame, notes = prices_._read_table(file)
    if len(frame) > prices_.MAX_ROWS:
        raise DataError(f"{file.name} has more than {prices_.MAX_ROWS:,} rows; cut it to the rows you need")
    date_column, dates, date_note = prices_._find_date_column(frame)
    notes += [date_note] if date_note else []
    rest = frame.drop(columns=[date_column])
    found = {"open": csvio.find_column(rest, "open"), "high": csvio.find_column(rest, "high"),
             "low": csvio.find_column(rest, "low"), "close": csvio.find_column(rest, *_CLOSE_NAMES)}
    absent = [c.capitalize() for c, column in found.items() if column is None]
    if absent:
        names = " and ".join([", ".join(absent[:-1]), absent[-1]] if len(absent) > 1 else absent)
        raise DataError(f"this file has no {names} column{'s' if len(absent) > 1 else ''}: chart images need open, "
                        f"high, low and close; found columns {csvio.listed(frame.columns)}")
    if _is_adjusted(found["close"]):
        notes.append(f"close column: '{found['close']}' (the open, high and low should be adjusted the same way)")
    table = pd.DataFrame(index=pd.DatetimeIndex(dates.to_numpy()))
    for column, header in found.items():
        values, note = quality_.parse_numbers(frame[header], str(header))
        notes += [note] if note else []
        table[column] = values
    volume_column = csvio.find_column(rest, "volume", "vol")
    if volume_column is not None:
        try:
            volume, note = quality_.parse_numbers(frame[volume_column], str(volume_column))
            notes += [note] if note else []
            table["volume"] = volume
        except DataError:
            notes.append(f"column '{volume_column}' has text instead of numbers; the images are drawn without "
                         "volume bars")
    else:
        notes.append("no volume column; the images are drawn without volume bars")
    table = _checked(table, notes, file.name)
    label = name or Path(file.name).stem
    return OHLC(table, label, notes, f"{label} (CSV)", "csv")


def _is_adjusted(column: str) -> bool:
    return "adj" in str(column).lower()


# ---- one entry point -------------------------------------------------------------------------------
def load_ohlc(source: str = "sp500", *, path=None, n_days: int = 5000, seed: int = 0, pattern: str = "none",
              drift: float = 0.0, horizon: int = 5) -> OHLC:
    """Dispatch on ``source``; a ``path`` (file path, bytes or file object) always means CSV."""
    if path is not None:
        return from_csv(path)
    if source in _BUNDLED_NAMES:
        return bundled(source)
    if source == "gbm":
        return gbm(n_days, seed, pattern=pattern, drift=drift, horizon=horizon)
    if source == "csv":
        raise DataError("source=csv needs a file: upload one, or pass --data PATH on the command line")
    raise DataError(f"unknown OHLC source '{source}'; choose one of {', '.join(SOURCES)}")
