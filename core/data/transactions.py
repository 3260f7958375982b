"""Seeded card transactions with labelled fraud scenarios, and the features an analyst derives.

Why a simulator: real card data cannot be shipped in a teaching app, and with a simulator every
fraud has a known cause (``scenario``), so a lesson can show which features reveal which fraud
and what a model misses. Everything is NumPy/pandas and seeded: the same arguments give the same
frame, and ``fingerprint`` (sha256 of the generator version and all arguments) is the cache key.

The world: customers live in a 100 x 100 km square and mostly pay at terminals within
``RADIUS_KM`` of home (about 1 % of payments are trips to any terminal). Each customer has a
typical amount (lognormal), a spread, a rate of payments per day (Poisson counts) and a time of
day: most shop by day and never before 06:00; about one in ten are night shoppers. Fraud is
injected by the scenarios in ``SCENARIOS``; each alters legitimate payments of the stream (so the
number of rows is the legitimate count) and a row carries at most one scenario.

Features (``add_features``) use only what the bank knows at payment time:

* per customer, over the previous 1, 7 and 30 days, *strictly before* the current payment
  (times in ``[t - w days, t)``, earlier rows in time order): ``cust_count_{w}d``,
  ``cust_mean_amount_{w}d`` (the payment's own amount when there is no history) and
  ``amount_vs_mean_{w}d`` (amount / that mean; 1.0 without history); ``seconds_since_last``
  (``NO_HISTORY_SECONDS`` = 30 days without history); ``is_night`` (hour < 6), ``is_weekend``,
  ``distance_km``, ``amount``, ``hour``.
* per terminal, with a label delay: a fraud label is known only ``delay_days`` after the payment,
  so a payment on day d sees the terminal's payments on days ``[d - delay - 7, d - delay)``:
  ``terminal_count_7d`` and ``terminal_risk_7d`` (their fraud share; 0 without payments).

Speed (2-core AMD EPYC, Python 3.11, NumPy 2.4, pandas 3.1): ``generate()`` with the defaults
(500 customers, 200 terminals, 120 days, ~88k rows), generation plus features, takes about 70 ms
(``python -m timeit -n 1 -r 7 -s "from core.data import transactions as t" "t.generate()"`` from
the repository root: best of 7 69 ms; median of 9 seeds 70 ms); ``add_features`` alone ~20 ms.
The largest allowed world (20,000 customers x 100 days, 5,000 terminals, ~3M rows) takes ~12 s
and ~1.3 GB.

Fraud-rate control: the target is ``round(fraud_rate * rows)``; compromised terminals take about
a quarter, compromised cards about 30 %, and the three single-payment scenarios, whose counts are
exact, make up the rest (at least one row each). On the default sizes the share lands within
~1 % (relative) of the target; on tiny worlds (a few thousand rows at 0.1 %) a quota can round to
zero (no compromised terminal) while the minimum of one row per single-payment scenario pushes the
share well above the target.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import DataError

VERSION = "v1"  # bump when the generator or the features change, so cached frames are not reused
START = pd.Timestamp("2025-01-01")
DAY_S = 86_400
WINDOWS = (1, 7, 30)  # customer windows, days
TERMINAL_WINDOW_DAYS = 7
DELAY_DAYS = 7
NO_HISTORY_SECONDS = 30 * DAY_S
RADIUS_KM = 10.0  # customers mostly pay within this distance of home
MIN_NEIGHBOURS = 3  # ... or at their 3 nearest terminals when fewer are that close
TRAVEL_SHARE = 0.01  # legitimate payments at any terminal (trips): distance alone is not proof
FAR_KM = 60.0
NIGHT_SHOPPER_SHARE = 0.10
MAX_CUSTOMER_DAYS = 2_000_000  # ~3M rows: keeps memory and time reasonable

LIMITS = {  # argument: (low, high), both inclusive
    "n_customers": (50, 20_000),
    "n_terminals": (20, 5_000),
    "days": (30, 730),
    "fraud_rate": (0.001, 0.05),
    "delay_days": (0, 30),
}

SCENARIOS = {
    "compromised_terminal": "a few terminals are compromised for 1-4 weeks and every payment there "
                            "in that window is fraud: the terminal's delayed fraud share rises.",
    "compromised_card": "for a few days a card is used by a thief: about a third of the customer's "
                        "payments have amounts inflated x3-x10 (high amount_vs_mean_7d).",
    "large_amount": "a single payment 4-6 standard deviations (in log amount) above the customer's "
                    "typical amount (high amount_vs_mean_30d).",
    "odd_hours": "a payment between 01:00 and 05:00 by a customer who never shops at night "
                 "(is_night = 1).",
    "far_from_home": f"a payment at a terminal more than {FAR_KM:.0f} km from the customer's home "
                     "(large distance_km).",
}
_CODES = {name: i + 1 for i, name in enumerate(SCENARIOS)}  # 0 = none
# share of the fraud target each scenario gets; the last three are exact and absorb the rest
_SHARES = {"compromised_terminal": 0.25, "compromised_card": 0.30}

FEATURES = (["amount", "hour", "distance_km", "is_night", "is_weekend", "seconds_since_last"]
            + [f"cust_count_{w}d" for w in WINDOWS]
            + [f"cust_mean_amount_{w}d" for w in WINDOWS]
            + [f"amount_vs_mean_{w}d" for w in WINDOWS]
            + ["terminal_count_7d", "terminal_risk_7d"])
BASE_COLUMNS = ["tx_id", "time", "day", "customer_id", "terminal_id", "amount", "hour",
                "customer_x", "customer_y", "terminal_x", "terminal_y", "distance_km", "label",
                "scenario"]


@dataclass(frozen=True, eq=False)
class Transactions:
    """One row per payment, sorted by time, with features; ``feature_columns`` are the numeric
    model inputs (never label, scenario, ids or time)."""

    frame: pd.DataFrame
    feature_columns: list[str]
    fingerprint: str
    notes: list[str] = field(default_factory=list)


def generate(n_customers: int = 500, n_terminals: int = 200, days: int = 120,
             fraud_rate: float = 0.01, seed: int = 0, delay_days: int = DELAY_DAYS) -> Transactions:
    """Simulate payments, inject the fraud scenarios so that about ``fraud_rate`` of rows are
    fraud, and add the features (terminal risk with a ``delay_days`` label delay)."""
    args = _validate(n_customers=n_customers, n_terminals=n_terminals, days=days,
                     fraud_rate=fraud_rate, seed=seed, delay_days=delay_days)
    rng = np.random.default_rng(seed)
    customers = _customers(rng, n_customers)
    terminals = rng.uniform(0, 100, (n_terminals, 2))
    hoods = _neighbourhoods(customers["xy"], terminals)
    tx = _legitimate(rng, customers, terminals, hoods, days)
    counts = _inject_fraud(rng, tx, customers, terminals, hoods, days, fraud_rate)
    frame = add_features(_assemble(tx, customers, terminals), delay_days=delay_days)
    rate = float(frame["label"].mean())
    notes = [f"{len(frame):,} payments, {rate:.2%} fraud (target {fraud_rate:.2%}): "
             + ", ".join(f"{counts[name]} {name}" for name in SCENARIOS),
             f"fraud labels reach terminal features {delay_days} days after the payment"]
    return Transactions(frame, list(FEATURES), _fingerprint(args), notes)


def _validate(**args) -> dict:
    """Check every argument once, here at the edge, with one sentence the caller can act on."""
    for name in ("n_customers", "n_terminals", "days", "seed", "delay_days"):
        value = args[name]
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise DataError(f"{name} must be a whole number (got {value!r})")
        args[name] = int(value)
    rate = args["fraud_rate"]
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not math.isfinite(rate):
        raise DataError(f"fraud_rate must be a finite number (got {rate!r})")
    args["fraud_rate"] = float(rate)
    if args["seed"] < 0:
        raise DataError(f"seed must be 0 or more (got {args['seed']})")
    for name, (low, high) in LIMITS.items():
        if not low <= args[name] <= high:
            raise DataError(f"{name} must be within {low:g}–{high:g} (got {args[name]:g})")
    if args["n_customers"] * args["days"] > MAX_CUSTOMER_DAYS:
        raise DataError(f"n_customers x days must be at most {MAX_CUSTOMER_DAYS:,} "
                        f"(got {args['n_customers'] * args['days']:,}); use fewer customers or days")
    return args


def _fingerprint(args: dict) -> str:
    text = json.dumps({"generator": f"transactions:{VERSION}", **args}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _customers(rng, n: int) -> dict:
    """Home, spending profile and time-of-day profile of each customer."""
    night = rng.random(n) < NIGHT_SHOPPER_SHARE
    peak = np.where(night, rng.uniform(20, 23.5, n), rng.uniform(9, 18, n))  # hour
    return dict(
        xy=rng.uniform(0, 100, (n, 2)),
        median=np.clip(rng.lognormal(np.log(35), 0.7, n), 3, 800),  # typical amount ($)
        spread=rng.uniform(0.3, 0.8, n),  # sd of log amount
        rate=rng.uniform(0.5, 2.5, n),  # payments per day
        night=night,
        peak=peak,
        hour_sd=rng.uniform(1.5, 3.0, n),
    )


def _neighbourhoods(homes: np.ndarray, terminals: np.ndarray):
    """Each customer's usual terminals (within RADIUS_KM, at least the nearest MIN_NEIGHBOURS) as
    CSR (offsets, terminal indices), and whether some terminal lies beyond FAR_KM of home.
    Computed in chunks so 20k customers x 5k terminals never needs one huge matrix."""
    indices, sizes, far = [], [], []
    k = min(MIN_NEIGHBOURS, len(terminals)) - 1
    for lo in range(0, len(homes), 1000):
        d = np.hypot(homes[lo:lo + 1000, None, 0] - terminals[None, :, 0],
                     homes[lo:lo + 1000, None, 1] - terminals[None, :, 1])
        kth = np.partition(d, k, axis=1)[:, k]
        mask = (d <= RADIUS_KM) | (d <= kth[:, None])
        indices.append(np.nonzero(mask)[1])
        sizes.append(mask.sum(axis=1))
        far.append(d.max(axis=1) > FAR_KM)
    sizes = np.concatenate(sizes)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    return offsets, np.concatenate(indices), np.concatenate(far)


def _legitimate(rng, customers: dict, terminals: np.ndarray, hoods, days: int) -> dict:
    """The legitimate stream as arrays, ordered by customer then day (the fraud scenarios rely on
    that order to find a customer's or a window's rows by slicing)."""
    n = len(customers["rate"])
    counts = rng.poisson(customers["rate"][:, None], (n, days))
    per_customer = counts.sum(axis=1)
    customer = np.repeat(np.arange(n), per_customer)
    day = np.repeat(np.tile(np.arange(days), n), counts.ravel())
    size = len(customer)
    hour = customers["peak"][customer] + rng.normal(0, 1, size) * customers["hour_sd"][customer]
    day_shopper = ~customers["night"][customer]
    # day shoppers never pay before 06:00: reflect the morning tail above 6, the late tail below 24
    hour = np.where(day_shopper & (hour < 6), 12 - hour, hour)
    hour = np.where(day_shopper & (hour >= 24), 48 - hour, hour)
    hour = np.where(day_shopper, np.clip(hour, 6, 24 - 1e-6), np.mod(hour, 24))
    seconds = np.minimum((hour * 3600).astype(np.int64), DAY_S - 1)
    offsets, neighbours, _ = hoods
    pick = (rng.random(size) * (offsets[customer + 1] - offsets[customer])).astype(np.int64)
    terminal = neighbours[offsets[customer] + pick]
    travel = rng.random(size) < TRAVEL_SHARE
    terminal[travel] = rng.integers(0, len(terminals), int(travel.sum()))
    log_amount = np.log(customers["median"][customer]) + rng.normal(0, 1, size) * customers["spread"][customer]
    return dict(customer=customer, day=day, seconds=seconds, terminal=terminal,
                amount=np.exp(log_amount), scenario=np.zeros(size, np.int8),
                starts=np.concatenate([[0], np.cumsum(per_customer)]))


def _inject_fraud(rng, tx: dict, customers: dict, terminals: np.ndarray, hoods, days: int,
                  fraud_rate: float) -> dict:
    """Run the scenarios in turn towards ``fraud_rate``: the two clustered ones (terminal, card)
    take their share first, then the three single-payment ones, whose counts are exact, make up
    the rest. Returns the number of rows each scenario labelled."""
    target = round(fraud_rate * len(tx["day"]))
    counts = {"compromised_terminal": _compromised_terminal(
        rng, tx, days, len(terminals), round(_SHARES["compromised_terminal"] * target))}
    counts["compromised_card"] = _compromised_card(
        rng, tx, days, round(_SHARES["compromised_card"] * target))
    rest = max(target - sum(counts.values()), 3)
    each = [rest // 3 + (i < rest % 3) for i in range(3)]
    counts["large_amount"] = _large_amount(rng, tx, customers, each[0])
    counts["odd_hours"] = _odd_hours(rng, tx, customers, each[1])
    counts["far_from_home"] = _far_from_home(rng, tx, customers, terminals, hoods, each[2])
    return counts


def _compromised_terminal(rng, tx: dict, days: int, n_terminals: int, quota: int) -> int:
    """Terminals compromised one after another, each for 7-28 days (sized so the scenario lands
    near its quota); every payment at the terminal in the window becomes fraud."""
    order = np.lexsort((tx["day"], tx["terminal"]))
    by_terminal, by_day = tx["terminal"][order], tx["day"][order]
    first = np.searchsorted(by_terminal, np.arange(n_terminals))
    last = np.searchsorted(by_terminal, np.arange(n_terminals), side="right")
    per_day = (last - first) / days
    done = 0
    for t in rng.permutation(n_terminals):
        if done >= quota:
            break
        if per_day[t] == 0:
            continue
        length = min(days, int(np.clip(round((quota - done) / per_day[t]), 7, 28)))
        start = int(rng.integers(0, days - length + 1))
        seg = by_day[first[t]:last[t]]
        rows = order[first[t]:last[t]][np.searchsorted(seg, start):np.searchsorted(seg, start + length)]
        rows = rows[tx["scenario"][rows] == 0]
        tx["scenario"][rows] = _CODES["compromised_terminal"]
        done += len(rows)
    return done


def _compromised_card(rng, tx: dict, days: int, quota: int) -> int:
    """Cards stolen one after another for 2-5 days; about a third of the customer's payments in
    that window get amounts x3-x10 and are fraud."""
    starts, done = tx["starts"], 0
    for c in rng.permutation(len(starts) - 1):
        if done >= quota:
            break
        length = int(rng.integers(2, 6))
        begin = int(rng.integers(0, days - length + 1))
        seg = tx["day"][starts[c]:starts[c + 1]]
        rows = np.arange(starts[c] + np.searchsorted(seg, begin), starts[c] + np.searchsorted(seg, begin + length))
        rows = rows[(tx["scenario"][rows] == 0) & (rng.random(len(rows)) < 1 / 3)]
        tx["amount"][rows] *= rng.uniform(3, 10, len(rows))
        tx["scenario"][rows] = _CODES["compromised_card"]
        done += len(rows)
    return done


def _pick(rng, tx: dict, eligible: np.ndarray, k: int) -> np.ndarray:
    """k random legitimate rows among ``eligible`` (boolean per row)."""
    candidates = np.flatnonzero(eligible & (tx["scenario"] == 0))
    return rng.choice(candidates, min(k, len(candidates)), replace=False)


def _large_amount(rng, tx: dict, customers: dict, k: int) -> int:
    rows = _pick(rng, tx, np.ones(len(tx["day"]), bool), k)
    c = tx["customer"][rows]
    tx["amount"][rows] = customers["median"][c] * np.exp(customers["spread"][c] * rng.uniform(4, 6, len(rows)))
    tx["scenario"][rows] = _CODES["large_amount"]
    return len(rows)


def _odd_hours(rng, tx: dict, customers: dict, k: int) -> int:
    rows = _pick(rng, tx, ~customers["night"][tx["customer"]], k)
    tx["seconds"][rows] = rng.integers(3600, 5 * 3600, len(rows))
    tx["scenario"][rows] = _CODES["odd_hours"]
    return len(rows)


def _far_from_home(rng, tx: dict, customers: dict, terminals: np.ndarray, hoods, k: int) -> int:
    """Move k payments of customers who have a distant terminal to a random one beyond FAR_KM."""
    rows = _pick(rng, tx, hoods[2][tx["customer"]], k)
    homes = customers["xy"][tx["customer"][rows]]
    for lo in range(0, len(rows), 500):
        d = np.hypot(homes[lo:lo + 500, None, 0] - terminals[None, :, 0],
                     homes[lo:lo + 500, None, 1] - terminals[None, :, 1])
        keys = np.where(d > FAR_KM, rng.random(d.shape), -1.0)
        tx["terminal"][rows[lo:lo + 500]] = keys.argmax(axis=1)
    tx["scenario"][rows] = _CODES["far_from_home"]
    return len(rows)


def _assemble(tx: dict, customers: dict, terminals: np.ndarray) -> pd.DataFrame:
    """The base frame sorted by time (ties by customer, then terminal), tx_id in that order."""
    seconds = tx["day"].astype(np.int64) * DAY_S + tx["seconds"]
    order = np.lexsort((tx["terminal"], tx["customer"], seconds))
    customer, terminal = tx["customer"][order], tx["terminal"][order]
    home, shop = customers["xy"][customer], terminals[terminal]
    names = np.array(["none", *SCENARIOS], dtype=object)
    scenario = tx["scenario"][order]
    return pd.DataFrame({
        "tx_id": np.arange(len(order)),
        "time": START + pd.to_timedelta(seconds[order], unit="s"),
        "day": tx["day"][order].astype(np.int64),
        "customer_id": customer.astype(np.int64),
        "terminal_id": terminal.astype(np.int64),
        "amount": np.maximum(np.round(tx["amount"][order], 2), 0.5),
        "hour": (tx["seconds"][order] // 3600).astype(np.int64),
        "customer_x": home[:, 0], "customer_y": home[:, 1],
        "terminal_x": shop[:, 0], "terminal_y": shop[:, 1],
        "distance_km": np.hypot(home[:, 0] - shop[:, 0], home[:, 1] - shop[:, 1]),
        "label": (scenario > 0).astype(np.int64),
        "scenario": names[scenario],
    })


def add_features(frame: pd.DataFrame, delay_days: int = DELAY_DAYS) -> pd.DataFrame:
    """The frame sorted by time with the FEATURES columns (re)computed. Public so that a lesson
    (or a test) can change labels and see what the features would have been; terminal features
    read labels only from days ``[d - delay_days - 7, d - delay_days)``."""
    missing = [c for c in BASE_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"the transactions frame lacks columns {', '.join(missing)}")
    if frame.empty:
        raise DataError("the transactions frame has no rows")
    if isinstance(delay_days, bool) or not isinstance(delay_days, numbers.Integral) or not 0 <= delay_days <= 30:
        raise DataError(f"delay_days must be a whole number within 0–30 (got {delay_days!r})")
    out = frame.sort_values("time", kind="stable").reset_index(drop=True)
    seconds = ((out["time"] - START) // pd.Timedelta(seconds=1)).to_numpy(np.int64)
    customer = out["customer_id"].to_numpy(np.int64)
    amount = out["amount"].to_numpy(np.float64)
    features = _customer_features(customer, seconds, amount)
    features.update(_terminal_features(out["terminal_id"].to_numpy(np.int64), out["day"].to_numpy(np.int64),
                                       out["label"].to_numpy(np.int64), int(delay_days)))
    features["is_night"] = (out["hour"].to_numpy() < 6).astype(np.int64)
    features["is_weekend"] = (out["time"].dt.day_of_week.to_numpy() >= 5).astype(np.int64)
    for name in FEATURES:
        if name in features:
            out[name] = features[name]
    return out


def _customer_features(customer: np.ndarray, seconds: np.ndarray, amount: np.ndarray) -> dict:
    """Window counts and means strictly before each payment, without a Python loop: rows sorted
    by (customer, time), a key customer * 2^40 + seconds, and prefix sums of amounts; a window
    start is one searchsorted of key - window."""
    order = np.argsort(customer, kind="stable")  # the frame is time-sorted: time order within each customer
    key = customer[order] * (1 << 40) + seconds[order]
    a = amount[order]
    prefix = np.concatenate([[0.0], np.cumsum(a)])
    position = np.arange(len(key))
    out = {}
    for w in WINDOWS:
        begin = np.searchsorted(key, key - w * DAY_S, side="left")
        count = position - begin
        mean = np.where(count > 0, (prefix[position] - prefix[begin]) / np.maximum(count, 1), a)
        out[f"cust_count_{w}d"] = count
        out[f"cust_mean_amount_{w}d"] = mean
        out[f"amount_vs_mean_{w}d"] = np.where(count > 0, a / mean, 1.0)
    since = np.full(len(key), float(NO_HISTORY_SECONDS))
    same = customer[order][1:] == customer[order][:-1]
    since[1:][same] = np.diff(seconds[order])[same]
    out["seconds_since_last"] = since
    back = np.empty_like(order)
    back[order] = position
    return {name: values[back] for name, values in out.items()}


def _terminal_features(terminal: np.ndarray, day: np.ndarray, label: np.ndarray, delay: int) -> dict:
    """Count and fraud share of each terminal's payments on days [d - delay - 7, d - delay), from
    per-(terminal, day) totals and their running sums along days."""
    n_terminals, n_days = int(terminal.max()) + 1, int(day.max()) + 1
    cell = terminal * n_days + day
    totals = np.bincount(cell, minlength=n_terminals * n_days).reshape(n_terminals, n_days)
    frauds = np.bincount(cell, weights=label, minlength=n_terminals * n_days).reshape(n_terminals, n_days)
    running = np.zeros((n_terminals, n_days + 1), np.int64)
    running[:, 1:] = np.cumsum(totals, axis=1)
    running_fraud = np.zeros((n_terminals, n_days + 1), np.int64)
    running_fraud[:, 1:] = np.cumsum(np.rint(frauds).astype(np.int64), axis=1)
    hi = np.clip(day - delay, 0, n_days)
    lo = np.clip(day - delay - TERMINAL_WINDOW_DAYS, 0, n_days)
    count = running[terminal, hi] - running[terminal, lo]
    fraud = running_fraud[terminal, hi] - running_fraud[terminal, lo]
    return {"terminal_count_7d": count,
            "terminal_risk_7d": np.where(count > 0, fraud / np.maximum(count, 1), 0.0)}
