"""The baselines that read a chart's window as numbers, scored on the same test images as the CNN.

* base rate: always the training period's majority direction (its score: the training share of up);
* momentum: up when the window's own return is positive (its score: that return);
* logistic regression on the window's daily log returns and log volume (standardised with the
  training images' mean and deviation only): the same information as the picture, as numbers,
  read by a linear model.
"""

from __future__ import annotations

import numpy as np


def majority(labels: np.ndarray) -> int:
    """The training period's majority direction (ties: up)."""
    return int(np.mean(labels) >= 0.5)


def features(data) -> np.ndarray:
    """The window's returns and, when known, its volume, one row per image."""
    parts = [data.window_returns] + ([data.window_volume] if data.window_volume is not None else [])
    return np.concatenate(parts, axis=1).astype(np.float64)


def scores(data, train: slice, test: slice) -> dict[str, np.ndarray]:
    """Each baseline's P(up)-like score on the test images (higher: more likely up)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    x = features(data)
    scaler = StandardScaler().fit(x[train])
    logistic = LogisticRegression(max_iter=1000).fit(scaler.transform(x[train]), data.labels[train])
    momentum = data.window_returns[test].sum(axis=1)
    return {"base_rate": np.full(test.stop - test.start, float(np.mean(data.labels[train])), np.float32),
            "momentum": (1 / (1 + np.exp(-momentum * 50))).astype(np.float32),  # a squashed return: > 0.5 is up
            "logistic": logistic.predict_proba(scaler.transform(x[test]))[:, 1].astype(np.float32)}
