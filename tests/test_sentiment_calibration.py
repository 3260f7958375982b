"""Temperature scaling and the expected calibration error (core.tasks.sentiment.calibration)."""

import numpy as np

from core.tasks.sentiment import calibration


def _overconfident(n: int = 4000, t: float = 2.5, seed: int = 0):
    """Logits whose calibrated probabilities are softmax(z / t): labels drawn from those."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 3, (n, 3))
    probs = calibration.softmax(logits, t)
    labels = np.array([rng.choice(3, p=p) for p in probs])
    return logits, labels


def test_fit_temperature_recovers_the_temperature_that_made_the_labels():
    logits, labels = _overconfident(t=2.5)
    assert abs(calibration.fit_temperature(logits, labels) - 2.5) < 0.25
    logits, labels = _overconfident(t=0.6, seed=1)
    assert abs(calibration.fit_temperature(logits, labels) - 0.6) < 0.1
    assert calibration.fit_temperature(np.zeros((0, 3)), np.zeros(0, int)) == 1.0


def test_scaling_lowers_the_calibration_error_and_never_changes_the_predicted_class():
    logits, labels = _overconfident()
    t = calibration.fit_temperature(logits[:2000], labels[:2000])
    before = calibration.expected_calibration_error(calibration.softmax(logits[2000:]), labels[2000:])
    after = calibration.expected_calibration_error(calibration.softmax(logits[2000:], t), labels[2000:])
    assert after < before / 2
    assert (calibration.softmax(logits, t).argmax(1) == logits.argmax(1)).all()


def test_reliability_bins_count_every_prediction_once():
    probs = np.array([[0.05, 0.05, 0.9], [0.2, 0.5, 0.3], [0.34, 0.33, 0.33], [1.0, 0.0, 0.0]])
    table = calibration.reliability(probs, np.array([2, 0, 0, 0]))
    assert sum(table["n"]) == 4 and table["n"][9] == 2 and table["n"][5] == 1 and table["n"][3] == 1
    assert table["accuracy"][9] == 1.0 and table["accuracy"][5] == 0.0 and table["confidence"][0] is None
    perfect = calibration.expected_calibration_error(np.eye(3)[[0, 1, 2]], np.array([0, 1, 2]))
    assert perfect == 0.0
