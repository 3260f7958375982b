"""Are a file's labelled anomalies bunched by position? The check behind ``order=shuffled``.

The split takes a file's rows in file order (first training, then validation, then test), which
is honest only when the file is in time order. A file sorted by label breaks it silently: ADBench's
``cardio`` in file order has no anomaly in its training or validation rows and 48 % anomalies in
its test rows, so the autoencoder never meets an anomaly before the test, the best-F1 threshold
cannot be chosen, and PR-AUC is inflated by the test rows' anomaly share.

The check compares the anomaly share of the test rows with that of the rows before them:
suspicious when one side has no anomaly at all, or when the shares differ by a factor of
``RATIO`` or more and Fisher's exact test says the difference is beyond chance (p < ALPHA). In a
file that is in time order that can be real drift; in any other file it is the sort order, and
``order=shuffled`` is the fix. Generated transactions and market days are in time order by
construction and are not checked.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.classification import ALPHA
from core.split import chronological

RATIO = 2.0  # shares differing by this factor (either way) count as bunched, when the test agrees


def check(y: np.ndarray, val_fraction: float, test_fraction: float) -> dict[str, Any]:
    """The anomaly shares of the training, validation and test rows of ``y`` (file order), the
    p-value of Fisher's exact test of test rows against the rows before them, ``suspect`` and, when
    suspect, the sentence the page and the CLI show."""
    from scipy.stats import fisher_exact

    y = np.asarray(y) >= 0.5
    tr, va, te = chronological(len(y), test_fraction, val_fraction)
    before, test = y[:te.start], y[te]
    shares = {name: float(y[part].mean()) if part.stop > part.start else None
              for name, part in (("train", tr), ("val", va), ("test", te))}
    table = [[int(test.sum()), int((~test).sum())], [int(before.sum()), int((~before).sum())]]
    p_value = float(fisher_exact(table).pvalue)
    before_share, test_share = float(before.mean()), float(test.mean())
    absent = before.sum() == 0 or test.sum() == 0
    ratio = max(test_share, before_share) / max(min(test_share, before_share), 1e-12)
    suspect = bool(absent or (ratio >= RATIO and p_value < ALPHA))
    out = {"train_share": shares["train"], "val_share": shares["val"], "test_share": shares["test"],
           "before_test_share": before_share, "p_value": p_value, "suspect": suspect, "sentence": None}
    if suspect:
        out["sentence"] = _sentence(int(before.sum()), int(test.sum()), before_share, test_share, p_value)
    return out


def _sentence(n_before: int, n_test: int, before_share: float, test_share: float, p_value: float) -> str:
    if n_before == 0:
        where = (f"no labelled anomaly in the training or validation rows and all {n_test} in the test rows "
                 f"({test_share:.1%} of them)")
    elif n_test == 0:
        where = f"all {n_before} labelled anomalies before the test rows and none in them"
    else:
        where = (f"anomalies make up {test_share:.1%} of the test rows but {before_share:.1%} of the rows before "
                 f"them (Fisher's exact test p = {p_value:.2g})")
    return (f"The file's labels are bunched by position: {where}. Rows are split in file order, so a file "
            "sorted by label (or in no time order) trains without the anomalies it is tested on, and PR-AUC "
            "follows the test rows' anomaly share. If the rows are not in time order, set order=shuffled; if "
            "they are, the anomaly rate really changed over time.")
