"""Probabilities that mean what they say: temperature scaling and the reliability of a classifier's
confidence.

A network trained with cross-entropy until validation accuracy stops improving is usually
over-confident: of the sentences it calls positive "with 95 %", far fewer than 95 % are. Temperature
scaling (Guo et al., "On calibration of modern neural networks", 2017) divides every logit by one
number T fitted on the validation sentences:

    p = softmax(z / T),   T = argmin_T  -sum_i log softmax(z_i / T)[y_i]   (validation rows)

T > 1 softens the probabilities, T < 1 sharpens them; the predicted class never changes (dividing by
a positive number keeps the largest logit largest), so accuracy is untouched. T is fitted on
validation, never on the test set; the test set shows whether it helped.

Expected calibration error (ECE): sort the predictions into ``BINS`` equal-width bins of their top
probability and average |accuracy - mean confidence| over the bins, weighted by how many
predictions each holds. 0 = perfectly calibrated.
"""

from __future__ import annotations

import numpy as np

BINS = 10
T_RANGE = (0.05, 20.0)  # a temperature outside this is a sign of a broken run, not of calibration


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    return np.exp(_log_softmax(np.asarray(logits, np.float64) / temperature))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The T in ``T_RANGE`` that minimises the cross-entropy of ``softmax(logits / T)`` on these
    (validation) rows; 1.0 when there are none."""
    from scipy.optimize import minimize_scalar

    logits, labels = np.asarray(logits, np.float64), np.asarray(labels, np.int64)
    if not len(labels):
        return 1.0

    def loss(log_t: float) -> float:
        return -float(np.mean(_log_softmax(logits / np.exp(log_t))[np.arange(len(labels)), labels]))

    best = minimize_scalar(loss, bounds=tuple(np.log(T_RANGE)), method="bounded", options={"xatol": 1e-4})
    return float(np.exp(best.x))


def reliability(probs: np.ndarray, labels: np.ndarray, bins: int = BINS) -> dict[str, list]:
    """Per bin of top probability (``bins`` equal-width bins on [0, 1]): how many predictions, their
    mean confidence and their accuracy (None for an empty bin). The reliability diagram's points."""
    probs, labels = np.asarray(probs, np.float64), np.asarray(labels)
    confidence, correct = probs.max(axis=1), probs.argmax(axis=1) == labels
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    counts = np.bincount(which, minlength=bins)

    def mean_of(values: np.ndarray) -> list:
        sums = np.bincount(which, weights=values.astype(np.float64), minlength=bins)
        return [float(s / c) if c else None for s, c in zip(sums, counts)]

    return {"edges": np.linspace(0, 1, bins + 1).tolist(), "n": counts.tolist(),
            "confidence": mean_of(confidence), "accuracy": mean_of(correct)}


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = BINS) -> float:
    table = reliability(probs, labels, bins)
    total = sum(table["n"])
    if not total:
        return 0.0
    return float(sum(n * abs(a - c) for n, a, c in zip(table["n"], table["accuracy"], table["confidence"]) if n)
                 / total)
