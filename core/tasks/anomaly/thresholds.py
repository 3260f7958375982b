"""Where to draw the line: threshold rules for anomaly scores (higher = more anomalous).

Each rule is one sentence on the page. None of them looks at the test rows: they use the
training errors (what "normal" looked like while fitting) or the validation rows.

- ``max_train``: the largest training error (Keras' "Timeseries anomaly detection using an
  Autoencoder"): nothing seen in training is flagged, so on noisy data few rows are.
- ``mean_std``: mean + k standard deviations of the training errors (TensorFlow's "Intro to
  autoencoders" uses k = 1).
- ``contamination``: flag the top ``contamination`` share of validation scores (PyOD's
  ``contamination`` / ``threshold_``): you say how many alerts you expect.
- ``best_f1``: the threshold with the best F1 on the validation rows (needs labels there).

The run itself reports one rule (``default_rule``): best F1 when it can, never a share nobody
chose for the data at hand.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.errors import ConfigError

RULES = ("max_train", "mean_std", "contamination", "best_f1")
EXPLAIN = {
    "max_train": "the largest reconstruction error seen in training: nothing that looked like training data is flagged",
    "mean_std": "mean + k standard deviations of the training errors",
    "contamination": "flag the given share of the validation rows with the highest scores",
    "best_f1": "the threshold with the best F1 score on the validation rows (labels needed there)",
}


def threshold(rule: str, train_scores: Any, val_scores: Any, val_labels: Any = None, *, k: float = 1.0,
              contamination: float = 0.01) -> float:
    """The score above which (>=) a row is flagged under ``rule``."""
    train = np.asarray(train_scores, dtype=float)
    val = np.asarray(val_scores, dtype=float)
    if rule == "max_train":
        return float(train.max())
    if rule == "mean_std":
        return float(train.mean() + k * train.std())
    if rule == "contamination":
        if not 0 < contamination < 1:
            raise ConfigError("contamination must be between 0 and 1 (a share of rows), e.g. 0.01")
        return float(np.quantile(val, 1 - contamination))
    if rule == "best_f1":
        if val_labels is None or not np.any(np.asarray(val_labels) >= 0.5):
            raise ConfigError("best_f1 needs labelled anomalies in the validation rows; pick another rule")
        return best_f1_threshold(val_labels, val)
    raise ConfigError(f"unknown threshold rule {rule!r}; choose one of {', '.join(RULES)}")


def default_rule(val_labels: Any = None, known_rate: float | None = None) -> tuple[str, dict[str, float], str]:
    """(rule, its options, why) for the threshold a run reports (the CLI's ``threshold``, the
    page's first choice): best F1 when the validation rows hold labelled anomalies; else, for
    generated data, its known anomaly rate as the contamination share; else (market days, a file)
    the largest training error, which needs no setting. Why not a default share: 0.01 is a setting
    of the transaction generator, and for a file it would be a number nobody chose."""
    if val_labels is not None and np.any(np.asarray(val_labels) >= 0.5):
        return "best_f1", {}, "the best F1 on the validation rows"
    if known_rate is not None:
        return ("contamination", {"contamination": known_rate},
                f"no labelled anomaly in the validation rows: flag the generator's fraud rate ({known_rate:g}) of them")
    return ("max_train", {}, ("no labelled anomaly in the validation rows and no known anomaly rate: the largest "
                              "training error, which needs no setting"))


def best_f1_threshold(labels: Any, scores: Any) -> float:
    """The candidate score (each distinct score is one) with the highest F1 when flagging
    ``score >= t``; ties go to the higher threshold (fewer alerts)."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, cuts = precision_recall_curve(np.asarray(labels) >= 0.5, np.asarray(scores, dtype=float))
    precision, recall = precision[:-1], recall[:-1]  # the last point has no threshold
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(denom), where=denom > 0)
    best = np.flatnonzero(f1 == f1.max())[-1]
    return float(cuts[best])
