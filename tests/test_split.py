"""The one chronological split (core/split.py) of the forecasting, anomaly and playground tasks."""

import pytest

from core.split import chronological


def test_parts_follow_each_other_in_time_order():
    part = chronological(100, test_fraction=0.1, val_fraction=0.2)
    assert (part.train, part.val, part.test) == (slice(0, 70), slice(70, 90), slice(90, 100))
    train, val, test = chronological(10, 0.3)  # no validation share: an empty slice
    assert (train, val, test) == (slice(0, 7), slice(7, 7), slice(7, 10))


@pytest.mark.parametrize(("n", "nearest", "up"), [(101, 30, 31), (103, 31, 31), (20, 6, 6)])
def test_test_share_rounds_to_nearest_or_up_like_scikit_learn(n, nearest, up):
    from sklearn.model_selection import train_test_split

    assert len(range(n)[chronological(n, 0.3).test]) == nearest
    assert len(range(n)[chronological(n, 0.3, round_test_up=True).test]) == up
    assert len(train_test_split(range(n), test_size=0.3, random_state=0)[1]) == up
