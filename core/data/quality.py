"""Data quality of price series: read messy CSV text explicitly, and never let garbage give a
confident verdict.

Why: real exports are messy. A reviewer measured a Yahoo EURUSD file with six bad ticks (+16 %,
then -14 % the next day) turn "the LSTM loses to the random walk" into "beats it by 2.6 %"; a
file with quoted decimal commas ("1,2") read as 12 gave "significant, p = 6e-12"; YYYYMMDD or
unix-second dates became 1970-01-01. So:

* parsing (``parse_numbers``, ``parse_dates``) reads a format only when it is unambiguous and
  says what it did in a note; a genuinely ambiguous file is a ``DataError`` that tells the user
  how to fix it (reading the file itself, encoding and delimiter, is ``core/data/csvio.py``'s).
  ``parse_dates`` and ``DATE_NAMES`` are the date policy of every CSV reader, not only prices';
* ``assess`` looks at the prices of every source (bundled, Yahoo, CSV, synthetic) and returns
  ``Finding``s: bad ticks (a big move reversed within a few days), extreme single moves, and
  price jumps that look like a unit or format error. Findings are reported, never silently
  removed; the forecast verdict reads them (``core.tasks.forecast.verdict``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from core.errors import DataError

# robust scale: 1.4826 * MAD estimates the standard deviation of normal returns
MAD_TO_SD = 1.4826
LOCAL_WINDOW = 63        # ~ a quarter of trading days: the local volatility a move is judged against
BAD_TICK_Z = 8.0         # a move this many robust SDs, reversed within REVERT_DAYS, is a bad tick
REVERT_DAYS = 5
REVERT_SHARE = 0.3       # "reversed": what is left of the move after the reversal is below 30 %
EXTREME_Z = 15.0         # a single move this large (not reversed) is reported as extreme
FORMAT_JUMP = np.log(10)  # a tenfold price change in one step looks like a unit/format error
MAX_DATES = 20           # dates listed per finding (the count says how many in all)


@dataclass
class Finding:
    """One data-quality finding. ``severity`` "warning" means it can change the verdict;
    ``dates`` are the return dates affected (ISO), at most MAX_DATES listed."""

    kind: str
    message: str
    severity: str = "warning"
    dates: list[str] = field(default_factory=list)
    count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "severity": self.severity, "message": self.message,
                "count": self.count, "dates": self.dates[:MAX_DATES]}


# ---- parsing -------------------------------------------------------------------------------------
_PLAIN = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_US = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d*)?$")            # 1,234.56: comma groups thousands
_EU = re.compile(r"^[-+]?(\d{1,3}(\.\d{3})+(,\d*)?|\d+,\d+)$")   # 1.234,56 or 1,2: decimal comma
_JUNK = re.compile(r"[\s$€£¥'\u00a0\u202f]")


def _max_jump(values: np.ndarray) -> float:
    v = values[np.isfinite(values) & (values > 0)]
    return float(np.max(np.abs(np.diff(np.log(v))))) if v.size > 1 else 0.0


def parse_numbers(raw: pd.Series, column: str) -> tuple[np.ndarray, str | None]:
    """Floats from text cells (empty cells -> NaN) and a note when a separator was interpreted.

    Plain numbers (1234.5) are read as they are. ``1,234.56`` (comma groups of three, dot decimal)
    and ``1.234,56`` / ``1,2`` (decimal comma) are read when every cell fits one reading. When every
    cell fits both (``1,234`` is 1.234 or 1234), the reading whose prices do not jump tenfold from
    one row to the next is taken; if neither or both do, it is a DataError."""
    text = raw.astype("string").fillna("").str.strip()
    cleaned = text.str.replace(_JUNK, "", regex=True)
    filled = cleaned != ""
    values = cleaned[filled]
    out = np.full(len(raw), np.nan)
    if values.empty:
        return out, None
    plain = values.str.match(_PLAIN)
    if plain.all():
        out[filled.to_numpy()] = values.astype(float).to_numpy()
        return out, None
    us_ok = (plain | values.str.match(_US)).all()
    eu_ok = (plain & ~values.str.contains(".", regex=False) | values.str.match(_EU)).all()
    if not (us_ok or eu_ok):
        bad = ~(plain | values.str.match(_US) | values.str.match(_EU))
        first = bad.idxmax() if bad.any() else values.index[0]
        row = int(raw.index.get_loc(first)) + 2
        raise DataError(f"column '{column}' has text instead of numbers in {int(bad.sum()) or 1} row(s) "
                        f"(first: row {row}, {str(raw.loc[first])!r}); use plain numbers like 1234.56")
    us = values.str.replace(",", "", regex=False).astype(float).to_numpy()
    eu = values.str.replace(".", "", regex=False).str.replace(",", ".", regex=False).astype(float).to_numpy()
    if us_ok and eu_ok:
        sample = values[~plain].iloc[0]
        us_smooth, eu_smooth = _max_jump(us) < FORMAT_JUMP, _max_jump(eu) < FORMAT_JUMP
        if us_smooth == eu_smooth:
            raise DataError(f"column '{column}' has numbers like '{sample}' that could mean "
                            f"{float(sample.replace(',', '.')):g} or {float(sample.replace(',', '')):g}; "
                            "write them without thousands separators, with a dot as the decimal point")
        us_ok = us_smooth
    if us_ok:
        out[filled.to_numpy()] = us
        return out, (f"column '{column}': read commas as thousands separators (e.g. "
                     f"'{values[~plain].iloc[0]}' = {us[int(np.argmax(~plain.to_numpy()))]:g})")
    out[filled.to_numpy()] = eu
    return out, (f"column '{column}': read decimal commas (e.g. '{values[~plain].iloc[0]}' = "
                 f"{eu[int(np.argmax(~plain.to_numpy()))]:g})")


# The names a date column goes by, in every reader (prices, playground points, sentences); matched
# by ``csvio.find_column`` and read by ``parse_dates``. One list: the readers used to disagree
# (a "timestamp" column ordered playground rows but was ignored by the sentiment reader).
DATE_NAMES = ("date", "datetime", "timestamp", "time", "published")

_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ T](.*))?$")
_INT = re.compile(r"^\d+(\.0*)?$")


def _to_datetime(values: pd.Series, **options) -> pd.Series:
    """``pd.to_datetime(values, errors="coerce")`` without its UserWarning: when the first date
    gives pandas no format, it parses each cell on its own after a 3-line warning, which the
    CLI printed on stderr before its one-line error. ``format="mixed"`` is that same parse."""
    first = values.iloc[0] if len(values) else ""
    mixed = guess_datetime_format(first) is None
    return pd.to_datetime(values, errors="coerce", **({"format": "mixed"} if mixed else {}), **options)


def _naive(parsed: pd.Series, values: pd.Series) -> pd.Series:
    if parsed.dtype == object or getattr(parsed.dt, "tz", None) is not None:
        parsed = _to_datetime(values, utc=True).dt.tz_localize(None)
    return parsed


def parse_dates(raw: pd.Series, column: str) -> tuple[pd.Series, str | None]:
    """Dates from text cells and a note when the format was interpreted.

    ISO dates (with or without time zone) are read as they are; whole numbers as YYYYMMDD
    (20080102) or unix epoch seconds / milliseconds (UTC dates); ``d/m/y`` when some first field
    is above 12, ``m/d/y`` when some second field is; both fields always <= 12 is ambiguous."""
    values = raw.astype("string").fillna("").str.strip()
    if (values == "").any():
        raise DataError(f"column '{column}' has empty dates; every row needs a date")
    if values.str.match(_INT).all():
        return _integer_dates(values.str.replace(r"\.0*$", "", regex=True), column)
    parts = values.str.extract(_DMY)
    if parts[0].notna().all():
        return _day_month_dates(values, parts, column)
    parsed = _naive(_to_datetime(values), values)
    bad = parsed.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        sample = str(values.iloc[row])
        hint = ""
        if _DMY.match(sample):
            hint = f"; dates like {sample} look day-first or month-first mixed with other formats"
        raise DataError(f"column '{column}' has {int(bad.sum())} value(s) that are not dates "
                        f"(first: row {row + 2}, {sample!r}){hint}; use YYYY-MM-DD, e.g. 2020-01-31")
    return parsed, None


def _integer_dates(digits: pd.Series, column: str) -> tuple[pd.Series, str | None]:
    lengths = set(digits.str.len())
    sample = digits.iloc[0]
    if lengths == {8}:
        parsed = pd.to_datetime(digits, format="%Y%m%d", errors="coerce")
        if parsed.notna().all() and parsed.dt.year.between(1800, 2200).all():
            return parsed, f"column '{column}': read whole numbers as YYYYMMDD dates ({sample} = {parsed.iloc[0].date()})"
    number = digits.astype("float64")
    for unit, lo, hi, label in (("s", 1e8, 1e10, "seconds"), ("ms", 1e11, 1e13, "milliseconds")):
        if number.between(lo, hi).all():
            parsed = pd.to_datetime(number.astype("int64"), unit=unit)
            return parsed, (f"column '{column}': read whole numbers as unix time in {label} (UTC; "
                            f"{sample} = {parsed.iloc[0].date()})")
    raise DataError(f"column '{column}' has whole numbers like {sample} that are neither YYYYMMDD dates nor "
                    "unix timestamps; use YYYY-MM-DD, e.g. 2020-01-31")


def _day_month_dates(values: pd.Series, parts: pd.DataFrame, column: str) -> tuple[pd.Series, str | None]:
    first, second = parts[0].astype(int), parts[1].astype(int)
    year = parts[2].where(parts[2].str.len() == 4, "20" + parts[2])
    rest = parts[3].fillna("")
    if first.max() > 12 and second.max() <= 12:
        day, month, note = first, second, "read dates as day/month/year"
    elif second.max() > 12 and first.max() <= 12:
        day, month, note = second, first, "read dates as month/day/year"
    elif first.max() <= 12:
        raise DataError(f"column '{column}': dates like {values.iloc[0]} could be day/month or month/day; "
                        "write them as YYYY-MM-DD")
    else:
        row = int(np.flatnonzero((second > 12).to_numpy())[0])
        raise DataError(f"column '{column}': dates like {values[first > 12].iloc[0]} look day-first, but row "
                        f"{row + 2} ({values.iloc[row]}) is month-first; use YYYY-MM-DD")
    text = year + "-" + month.astype(str).str.zfill(2) + "-" + day.astype(str).str.zfill(2) + " " + rest
    parsed = _naive(_to_datetime(text.str.strip()), text.str.strip())
    if parsed.isna().any():
        row = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise DataError(f"column '{column}' has an impossible date at row {row + 2} ({values.iloc[row]}); "
                        "use YYYY-MM-DD")
    return parsed, f"column '{column}': {note} ({values.iloc[0]} = {parsed.iloc[0].date()})"


# ---- checks on a price series --------------------------------------------------------------------
def robust_z(returns: np.ndarray) -> np.ndarray:
    """Each return in robust standard deviations: (r - median) / (1.4826 MAD), with the larger of
    the whole series' MAD and the MAD of the LOCAL_WINDOW days around it (a crash-month whipsaw is
    judged against crash-month volatility, a bad tick in a calm month is not hidden by it)."""
    r = np.asarray(returns, dtype=float)
    centre = np.median(r)
    dev = np.abs(r - centre)
    global_scale = MAD_TO_SD * np.median(dev)
    local = pd.Series(dev).rolling(LOCAL_WINDOW, center=True, min_periods=LOCAL_WINDOW // 3).median()
    scale = np.maximum(np.nan_to_num(MAD_TO_SD * local.to_numpy(), nan=0.0), global_scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(scale > 0, (r - centre) / scale, 0.0)


def bad_ticks(returns: np.ndarray, z: np.ndarray | None = None) -> list[tuple[int, int]]:
    """(first, last) return indices of jump-and-revert episodes: two opposite moves at most
    REVERT_DAYS apart, both at least BAD_TICK_Z / 2 robust SDs and one at least BAD_TICK_Z, that
    leave less than REVERT_SHARE of the first move.
    Real prices rarely do this; a mistyped or spiked price always does (up on the bad day, down
    the next)."""
    r = np.asarray(returns, dtype=float)
    z = robust_z(r) if z is None else z
    episodes: list[tuple[int, int]] = []
    t = 0
    while t < len(r):
        if abs(z[t]) >= BAD_TICK_Z / 2:
            for s in range(t + 1, min(t + 1 + REVERT_DAYS, len(r))):
                if (np.sign(r[s]) == -np.sign(r[t]) and abs(z[s]) >= BAD_TICK_Z / 2
                        and max(abs(z[t]), abs(z[s])) >= BAD_TICK_Z
                        and abs(r[t: s + 1].sum()) <= REVERT_SHARE * abs(r[t])):
                    episodes.append((t, s))
                    t = s
                    break
        t += 1
    return episodes


def _iso(dates: pd.DatetimeIndex) -> list[str]:
    return [str(d.date()) for d in dates]


def assess(frame: pd.DataFrame) -> list[Finding]:
    """Findings on ``frame["close"]`` (index: dates). Raises DataError for non-positive prices,
    which no return-based model can use."""
    close = frame["close"].to_numpy(dtype=float)
    if (close <= 0).any():
        bad = frame.index[close <= 0][0]
        raise DataError(f"price on {bad.date()} is zero or negative; log returns need positive prices")
    if len(close) < 3:
        return []
    r = np.diff(np.log(close))
    dates = frame.index[1:]  # the date of each return
    z = robust_z(r)
    findings: list[Finding] = []
    episodes = bad_ticks(r, z)
    in_episode = np.zeros(len(r), dtype=bool)
    for t, s in episodes:
        in_episode[t: s + 1] = True
    if episodes:
        t, s = episodes[0]
        findings.append(Finding(
            "bad_tick",
            f"{len(episodes)} likely bad tick(s): a price jumps and is reversed within {REVERT_DAYS} days "
            f"({int(in_episode.sum())} returns affected; first {dates[t].date()}: {np.expm1(r[t]):+.1%}, then "
            f"{np.expm1(r[s]):+.1%} on {dates[s].date()}); they are kept, check the source",
            dates=_iso(dates[in_episode]), count=int(in_episode.sum())))
    jumps = (np.abs(r) >= FORMAT_JUMP) & ~in_episode
    if jumps.any():
        first = int(np.flatnonzero(jumps)[0])
        findings.append(Finding(
            "price_jump",
            f"{int(jumps.sum())} price change(s) of tenfold or more in one step (first {dates[first].date()}: "
            f"{close[first]:g} to {close[first + 1]:g}); this looks like a unit, split or number-format error",
            dates=_iso(dates[jumps]), count=int(jumps.sum())))
    extreme = (np.abs(z) >= EXTREME_Z) & ~in_episode & ~jumps
    if extreme.any():
        first = int(np.flatnonzero(extreme)[0])
        findings.append(Finding(
            "extreme_move",
            f"{int(extreme.sum())} extreme move(s) over {EXTREME_Z:g} robust standard deviations (first "
            f"{dates[first].date()}: {np.expm1(r[first]):+.1%}); real news or bad data, check them",
            dates=_iso(dates[extreme]), count=int(extreme.sum())))
    return findings


def flagged_dates(findings: list[dict[str, Any]] | list[Finding]) -> set[str]:
    """ISO dates of every warning finding (the returns a bad tick or format error touched)."""
    out: set[str] = set()
    for f in findings:
        d = f.to_dict() if isinstance(f, Finding) else f
        if d.get("severity") == "warning":
            out.update(d.get("dates") or [])
    return out
