"""The chronological split: the first rows train, the next validate, the last test.

Why one: the forecasting windows, the anomaly rows and a dated playground CSV each cut their rows
in time order, and three copies could drift apart in what "the last 20 %" means. A random split
would let a model train on the future of its test rows; this never does.

Rounding: the validation and test shares are rounded to the nearest row. ``round_test_up`` rounds
the test share up instead, as scikit-learn's ``train_test_split`` does: the playground uses it so
that a time split keeps the training size a random split of the same file would have (the page
limits the batch size by it before it knows which split runs).
"""

from __future__ import annotations

import math
from typing import NamedTuple


class Split(NamedTuple):
    """Row slices of the three parts, in time order (``val`` is empty without a validation share)."""

    train: slice
    val: slice
    test: slice


def chronological(n: int, test_fraction: float, val_fraction: float = 0.0, *, round_test_up: bool = False) -> Split:
    """The split of ``n`` rows in time order: ``test_fraction`` of them last, ``val_fraction``
    just before, the rest first."""
    n_test = math.ceil(n * test_fraction) if round_test_up else round(n * test_fraction)
    n_val = round(n * val_fraction)
    train_end = n - n_val - n_test
    return Split(slice(0, train_end), slice(train_end, train_end + n_val), slice(train_end + n_val, n))
