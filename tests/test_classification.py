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


def test_binary_metrics_come_from_scikit_learn_and_handle_one_class():
    m = classification.binary_metrics([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    assert m["accuracy"] == 0.5 and m["precision"] == 0.5 and m["recall"] == 0.5
    assert m["auc"] == pytest.approx(0.75) and m["confusion"] == [[1, 1], [1, 1]]
    assert classification.binary_metrics([1, 1], [0.2, 0.9])["auc"] is None


def test_threshold_sweep_precision_at_k_and_cost_curve_by_hand():
    y = np.array([1, 0, 1, 0, 0, 1])
    s = np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.1])  # any scale: reconstruction errors work the same
    sweep = classification.threshold_sweep(y, s, [0.75, 0.5, 1.0])
    # >= 0.75 flags rows 0,1 (1 of 2 right, 1 of 3 positives); >= 0.5 flags 0,1,2; >= 1.0 nothing
    assert sweep["flagged"].tolist() == [2, 3, 0]
    assert sweep["precision"].tolist() == pytest.approx([0.5, 2 / 3, 0.0])
    assert sweep["recall"].tolist() == pytest.approx([1 / 3, 2 / 3, 0.0])
    assert sweep["f1"].tolist() == pytest.approx([0.4, 2 / 3, 0.0])
    assert classification.precision_at_k(y, s, 1) == 1.0
    assert classification.precision_at_k(y, s, 4) == 0.5
    assert classification.precision_at_k(y, s, 0) is None
    cost = classification.cost_curve(y, s, cost_missed=10, cost_false_alarm=1, thresholds=[0.05, 0.5, 0.95])
    # flag all: 3 false alarms; flag >= .5: 1 missed + 1 false alarm; flag none: 3 missed
    assert cost["missed"].tolist() == [0, 1, 3] and cost["false_alarms"].tolist() == [3, 1, 0]
    assert cost["cost"].tolist() == pytest.approx([3 / 6, 11 / 6, 30 / 6])
    assert cost["best_threshold"] == 0.05


def test_curves_match_scikit_learn_and_are_none_with_one_class():
    from sklearn.metrics import average_precision_score, roc_auc_score

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    s = y * 0.5 + rng.normal(size=200)
    c = classification.curves(y, s)
    assert c["roc_auc"] == pytest.approx(roc_auc_score(y, s)) and c["pr_auc"] == pytest.approx(average_precision_score(y, s))
    assert c["roc"]["fpr"][0] == 0.0 and c["roc"]["tpr"][-1] == 1.0
    assert classification.curves(np.zeros(5), np.arange(5.0)) == {"roc": None, "pr": None, "roc_auc": None, "pr_auc": None}


def test_bootstrap_pr_auc_difference_tells_a_clear_win_from_noise():
    from sklearn.metrics import average_precision_score

    rng = np.random.default_rng(1)
    y = (rng.uniform(size=3000) < 0.05).astype(int)
    noise = rng.normal(size=3000)
    unit = np.ones((1, 3000))
    # with every row drawn once the resampled AP is scikit-learn's
    assert classification._weighted_average_precision(y.astype(float), np.argsort(-noise), unit)[0] == pytest.approx(
        average_precision_score(y, noise))
    strong, weak = noise + 3 * y, rng.normal(size=3000) + 0.3 * y
    win = classification.bootstrap_pr_auc_difference(y, strong, weak, n_boot=300)
    assert win["verdict"] == "better" and win["low"] > 0 and win["p_value"] < 0.01
    assert win["difference"] == pytest.approx(average_precision_score(y, strong) - average_precision_score(y, weak))
    assert classification.bootstrap_pr_auc_difference(y, weak, strong, n_boot=300)["verdict"] == "worse"
    # two scorers of the same quality: "better"/"worse" only about as often as the 5 % level allows
    false_alarms = 0
    for seed in range(20):
        r = np.random.default_rng(100 + seed)
        y2 = (r.uniform(size=2000) < 0.05).astype(int)
        c = classification.bootstrap_pr_auc_difference(y2, r.normal(size=2000) + 0.3 * y2,
                                                       r.normal(size=2000) + 0.3 * y2, n_boot=200)
        false_alarms += c["verdict"] != "tie"
        assert (c["verdict"] == "tie") == (c["low"] <= 0 <= c["high"])
    assert false_alarms <= 3
    same = classification.bootstrap_pr_auc_difference(y, weak, weak, n_boot=50)
    assert same["difference"] == 0 and same["verdict"] == "tie"
    assert classification.bootstrap_pr_auc_difference(np.zeros(10), noise[:10], noise[:10])["difference"] is None
