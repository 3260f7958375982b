"""The transaction simulator: seeded, honours the fraud rate, each scenario shows in its features,
and no feature reads a label the bank would not yet have."""

import time

import numpy as np
import pandas as pd
import pytest

from core.data import transactions as tx
from core.errors import DataError


@pytest.fixture(scope="module")
def default():
    return tx.generate(seed=0)


def _scenario(frame, name):
    rows = frame[frame["scenario"] == name]
    assert len(rows) >= 10, f"{name}: only {len(rows)} rows"
    return rows


def test_same_seed_same_frame_other_seed_other_frame():
    a, b, c = tx.generate(seed=1), tx.generate(seed=1), tx.generate(seed=2)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert a.fingerprint == b.fingerprint and len(a.fingerprint) == 64
    assert not a.frame.equals(c.frame) and a.fingerprint != c.fingerprint
    assert tx.generate(seed=1, fraud_rate=0.02).fingerprint != a.fingerprint
    assert tx.generate(seed=1, delay_days=3).fingerprint != a.fingerprint


@pytest.mark.parametrize("rate", [0.002, 0.01, 0.03])
@pytest.mark.parametrize("seed", [0, 7])
def test_fraud_rate_is_honoured_and_every_scenario_occurs(rate, seed):
    frame = tx.generate(fraud_rate=rate, seed=seed).frame
    share = frame["label"].mean()
    assert 0.7 * rate <= share <= 1.3 * rate, f"fraud share {share:.4f} for target {rate}"
    assert set(frame["scenario"]) == {"none", *tx.SCENARIOS}
    assert ((frame["label"] == 1) == (frame["scenario"] != "none")).all()


def test_compromised_card_inflates_amount_against_the_week(default):
    frame = default.frame
    card = _scenario(frame, "compromised_card")
    normal = frame[frame["label"] == 0]
    assert card["amount_vs_mean_7d"].mean() > 3 * normal["amount_vs_mean_7d"].mean()
    # clustered in time: each victim's fraud spans at most 5 days
    assert (card.groupby("customer_id")["day"].agg(lambda d: d.max() - d.min()) <= 4).all()


def test_large_amount_is_large_for_that_customer(default):
    frame = default.frame
    large = _scenario(frame, "large_amount")
    normal = frame[frame["label"] == 0]
    assert large["amount_vs_mean_30d"].median() > 4 * normal["amount_vs_mean_30d"].median()


def test_odd_hours_fraud_is_at_night_for_day_shoppers(default):
    frame = default.frame
    odd = _scenario(frame, "odd_hours")
    assert (odd["is_night"] == 1).all() and odd["hour"].between(1, 4).all()
    legit = frame[(frame["label"] == 0) & frame["customer_id"].isin(odd["customer_id"])]
    assert (legit["is_night"] == 0).all(), "odd_hours victims must never shop at night themselves"
    assert frame.loc[frame["label"] == 0, "is_night"].mean() < 0.1


def test_far_from_home_fraud_is_far(default):
    frame = default.frame
    far = _scenario(frame, "far_from_home")
    assert (far["distance_km"] > tx.FAR_KM).all()
    assert (frame.loc[frame["label"] == 0, "distance_km"] > tx.FAR_KM).mean() < 0.01


def test_compromised_terminal_fraud_is_few_terminals_in_contiguous_windows(default):
    frame = default.frame
    hit = _scenario(frame, "compromised_terminal")
    terminals = hit["terminal_id"].unique()
    assert len(terminals) <= max(3, len(hit) // 15)
    for terminal in terminals:
        days = hit.loc[hit["terminal_id"] == terminal, "day"]
        assert days.max() - days.min() < 28
        window = frame[(frame["terminal_id"] == terminal) & frame["day"].between(days.min(), days.max())]
        assert (window["label"] == 1).all(), f"terminal {terminal}: a legitimate payment inside its window"
    # once labels arrive, the terminal's delayed risk shows it
    late = hit[hit.groupby("terminal_id")["day"].transform("min") + tx.DELAY_DAYS < hit["day"]]
    assert late["terminal_risk_7d"].mean() > 0.3 > frame.loc[frame["label"] == 0, "terminal_risk_7d"].mean()


def test_recent_labels_do_not_reach_terminal_risk(default):
    """Flip every label of the last delay_days (and of day d itself): day d's features are unchanged."""
    frame, d = default.frame, 60
    flipped = frame.copy()
    recent = flipped["day"].between(d - tx.DELAY_DAYS, d)
    flipped.loc[recent, "label"] = 1 - flipped.loc[recent, "label"]
    again = tx.add_features(flipped)
    on_day = frame["day"] == d
    pd.testing.assert_frame_equal(frame.loc[on_day, default.feature_columns],
                                  again.loc[on_day, default.feature_columns])


def test_labels_inside_the_delayed_window_do_reach_terminal_risk(default):
    frame, d = default.frame, 60
    flipped = frame.copy()
    window = flipped["day"].between(d - tx.DELAY_DAYS - 7, d - tx.DELAY_DAYS - 1)
    flipped.loc[window, "label"] = 1 - flipped.loc[window, "label"]
    again = tx.add_features(flipped)
    on_day = (frame["day"] == d) & (frame["terminal_count_7d"] > 0)
    assert on_day.sum() > 100
    assert (again.loc[on_day, "terminal_risk_7d"] != frame.loc[on_day, "terminal_risk_7d"]).all()


def _frame(rows):
    """A base frame from (time, customer, terminal, amount, label) tuples."""
    times = pd.to_datetime([r[0] for r in rows])
    frame = pd.DataFrame({
        "tx_id": np.arange(len(rows)), "time": times, "day": (times - tx.START).days,
        "customer_id": [r[1] for r in rows], "terminal_id": [r[2] for r in rows],
        "amount": [float(r[3]) for r in rows], "hour": times.hour,
        "customer_x": 0.0, "customer_y": 0.0, "terminal_x": 3.0, "terminal_y": 4.0, "distance_km": 5.0,
        "label": [r[4] for r in rows], "scenario": "none"})
    return frame


def test_terminal_risk_by_hand():
    # terminal 0 has one payment a day on days 0..20; only day 3's is fraud (known on day 10)
    rows = [(f"2025-01-{k + 1:02d} 12:00", 0, 0, 10, int(k == 3)) for k in range(21)]
    out = tx.add_features(_frame(rows), delay_days=7).set_index("day")
    assert out.loc[10, "terminal_count_7d"] == 3 and out.loc[10, "terminal_risk_7d"] == 0  # days 0-2
    assert out.loc[11, "terminal_count_7d"] == 4 and out.loc[11, "terminal_risk_7d"] == 0.25  # days 0-3
    assert out.loc[17, "terminal_count_7d"] == 7 and out.loc[17, "terminal_risk_7d"] == pytest.approx(1 / 7)
    assert out.loc[18, "terminal_risk_7d"] == 0  # days 4-10: day 3 has left the window
    assert out.loc[7, "terminal_count_7d"] == 0 and out.loc[7, "terminal_risk_7d"] == 0


def test_customer_windows_by_hand():
    rows = [("2025-01-01 10:00", 1, 0, 10, 0), ("2025-01-01 12:00", 1, 0, 30, 0),
            ("2025-01-01 13:00", 2, 0, 99, 0),  # another customer: never mixed in
            ("2025-01-02 11:00", 1, 0, 20, 0), ("2025-01-09 10:00", 1, 0, 40, 0)]
    out = tx.add_features(_frame(rows))
    first, third, fourth = out.iloc[0], out.iloc[3], out.iloc[4]
    assert first["cust_count_30d"] == 0 and first["amount_vs_mean_30d"] == 1.0
    assert first["cust_mean_amount_7d"] == 10 and first["seconds_since_last"] == tx.NO_HISTORY_SECONDS
    assert out.iloc[2]["cust_count_30d"] == 0  # customer 2's first payment
    # day 1 11:00: 1 day back reaches day 0 11:00, so only the 12:00 payment counts
    assert third["cust_count_1d"] == 1 and third["amount_vs_mean_1d"] == pytest.approx(20 / 30)
    assert third["cust_count_7d"] == 2 and third["amount_vs_mean_7d"] == pytest.approx(1.0)
    assert third["seconds_since_last"] == 23 * 3600
    # day 8 10:00: 7 days back is day 1 10:00, so only day 1 11:00 counts; 30 days sees all three
    assert fourth["cust_count_1d"] == 0 and fourth["amount_vs_mean_1d"] == 1.0
    assert fourth["cust_count_7d"] == 1 and fourth["cust_mean_amount_7d"] == 20
    assert fourth["cust_count_30d"] == 3 and fourth["amount_vs_mean_30d"] == pytest.approx(2.0)
    assert fourth["seconds_since_last"] == 7 * 86400 - 3600


def test_frame_is_sorted_finite_and_features_are_model_inputs(default):
    frame = default.frame
    assert frame["time"].is_monotonic_increasing and frame["tx_id"].is_unique
    assert frame["time"].min() >= tx.START and (frame["day"] == (frame["time"] - tx.START).dt.days).all()
    for column in tx.BASE_COLUMNS:
        assert column in frame.columns
    assert not set(default.feature_columns) & {"label", "scenario", "tx_id", "time", "customer_id", "terminal_id"}
    values = frame[default.feature_columns].to_numpy(np.float64)
    assert np.isfinite(values).all()
    assert frame[default.feature_columns].notna().all().all()
    assert 60_000 <= len(frame) <= 120_000
    assert default.notes


def test_generation_with_features_is_fast():
    tx.generate(seed=3)  # warm-up
    start = time.perf_counter()
    tx.generate(seed=4)
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("kwargs,fragment", [
    (dict(fraud_rate=0.2), "fraud_rate must be within 0.001–0.05"),
    (dict(fraud_rate=float("nan")), "fraud_rate must be a finite number"),
    (dict(fraud_rate="0.01"), "fraud_rate must be a finite number"),
    (dict(days=10), "days must be within 30–730"),
    (dict(n_customers=20_001), "n_customers must be within 50–20000"),
    (dict(n_terminals=5), "n_terminals must be within 20–5000"),
    (dict(days=30.5), "days must be a whole number"),
    (dict(seed=-1), "seed must be 0 or more"),
    (dict(delay_days=31), "delay_days must be within 0–30"),
    (dict(n_customers=20_000, days=730), "n_customers x days must be at most"),
])
def test_bad_arguments_raise_a_clear_data_error(kwargs, fragment):
    with pytest.raises(DataError, match=fragment):
        tx.generate(**kwargs)


def test_add_features_rejects_a_frame_without_the_base_columns():
    with pytest.raises(DataError, match="lacks columns"):
        tx.add_features(pd.DataFrame({"time": [tx.START]}))
    with pytest.raises(DataError, match="no rows"):
        tx.add_features(_frame([]))
