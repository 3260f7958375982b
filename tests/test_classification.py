import numpy as np
import pytest

from core import classification


def test_mcnemar_counts_only_disagreements_and_matches_the_binomial():
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0, 1, 0])
    a = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 1])  # wrong on the last two
    b = np.array([0, 0, 0, 1, 0, 0, 0, 0, 1, 0])  # wrong on the first three
    t = classification.mcnemar(y, a, b)
    assert (t["a_only"], t["b_only"]) == (3, 2)
    assert t["p_value"] == pytest.approx(1.0)  # 3 vs 2 disagreements: a coin could do that
    assert classification.mcnemar(y, a, a)["p_value"] == 1.0


def test_compare_says_tie_within_sampling_error_and_better_when_clear():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    good = np.where(rng.uniform(size=400) < 0.9, y, 1 - y)
    slightly = np.where(rng.uniform(size=400) < 0.88, y, 1 - y)
    majority = np.zeros(400)
    clear = classification.compare(y, good, majority)
    assert clear["verdict"] == "better" and clear["p_value"] < 1e-10
    close = classification.compare(y, good, slightly)
    assert close["verdict"] == "tie" and close["p_value"] > 0.05
    assert classification.compare(y, majority, good)["verdict"] == "worse"
    assert "within sampling error" in classification.comparison_sentence("logistic", close)
    assert classification.comparison_sentence("the majority", clear).startswith("better than the majority")


def test_binary_metrics_come_from_scikit_learn_and_handle_one_class():
    m = classification.binary_metrics([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    assert m["accuracy"] == 0.5 and m["precision"] == 0.5 and m["recall"] == 0.5
    assert m["auc"] == pytest.approx(0.75) and m["confusion"] == [[1, 1], [1, 1]]
    assert classification.binary_metrics([1, 1], [0.2, 0.9])["auc"] is None
