"""The one comparison schema (core/comparisons.py) and the headline written from it."""

import numpy as np
import pytest

from core import comparisons


def _mcnemar(y, model, base, name="logistic"):
    return comparisons.mcnemar(y, model == y, base == y, scorer="network", scorer_label="network", baseline=name,
                               baseline_label=name, unit="test points")


def _two_classifiers():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    good = np.where(rng.uniform(size=400) < 0.9, y, 1 - y)
    slightly = np.where(rng.uniform(size=400) < 0.88, y, 1 - y)
    return y, good, slightly, np.zeros(400, dtype=y.dtype)


def test_mcnemar_says_tie_within_sampling_error_and_better_or_worse_when_clear():
    y, good, slightly, majority = _two_classifiers()
    clear = _mcnemar(y, good, majority)
    assert clear["verdict"] == "better" and clear["p_value"] < 1e-10
    assert clear["difference"] == pytest.approx(clear["model_value"] - clear["baseline_value"])
    close = _mcnemar(y, good, slightly)
    assert close["verdict"] == "tie" and close["p_value"] > comparisons.ALPHA
    assert _mcnemar(y, majority, good)["verdict"] == "worse"
    assert "within sampling error" in comparisons.phrase(close)
    assert comparisons.phrase(clear).startswith("better than logistic")
    for entry in (clear, close):
        comparisons.check(entry)


def test_too_few_cases_is_never_better_or_worse():
    y = np.array([1, 1, 1, 1, 1, 1, 0, 0, 0])  # 9 rows: below MIN_CASES
    c = _mcnemar(y, y, 1 - y)
    assert c["n"] < comparisons.MIN_CASES and c["verdict"] == "too-few-to-test"
    assert "anecdote" in comparisons.phrase(c)
    # a bootstrap interval that excludes 0 on two test anomalies is still too few
    c = comparisons.comparison(scorer="ae", scorer_label="autoencoder", baseline="pca", baseline_label="PCA",
                               metric="pr_auc", model_value=0.6, baseline_value=0.2, test="bootstrap",
                               interval=(0.0001, 0.8), n=2, unit="test anomalies")
    assert c["verdict"] == "too-few-to-test"


def test_interval_decides_when_there_is_one_and_lower_is_better_for_errors():
    base = dict(scorer="m", scorer_label="model", baseline="b", baseline_label="baseline", test="t", n=100,
                unit="test points")
    assert comparisons.comparison(**base, metric="pr_auc", model_value=0.3, baseline_value=0.2,
                                  interval=(-0.01, 0.2), p_value=0.001)["verdict"] == "tie"
    assert comparisons.comparison(**base, metric="pr_auc", model_value=0.3, baseline_value=0.2,
                                  interval=(0.01, 0.2))["verdict"] == "better"
    rmse = dict(base, metric="rmse", higher_is_better=False)
    assert comparisons.comparison(**rmse, model_value=0.9, baseline_value=1.0, p_value=0.01)["verdict"] == "better"
    assert comparisons.comparison(**rmse, model_value=1.1, baseline_value=1.0, p_value=0.01)["verdict"] == "worse"
    fragile = comparisons.comparison(**rmse, model_value=0.9, baseline_value=1.0, p_value=0.01,
                                     caveats=["3 of 100 test days decide it"])
    assert fragile["verdict"] == "tie" and "fragile" in comparisons.phrase(fragile)


def test_headline_names_the_baseline_that_wins_and_is_green_only_when_every_comparison_is_better():
    y, good, slightly, majority = _two_classifiers()
    kind, text = comparisons.headline([_mcnemar(y, good, majority, "the majority"), _mcnemar(y, good, slightly)])
    assert kind == "info" and "better than the majority" in text and "within sampling error" in text
    kind, text = comparisons.headline([_mcnemar(y, slightly, majority, "the majority")])
    assert kind == "success"
    # two baselines beat the model: the one that beats it by more is named first
    kind, text = comparisons.headline([_mcnemar(y, majority, slightly, "TF-IDF"), _mcnemar(y, majority, good, "lexicon")])
    assert kind == "warning" and text.startswith("**Lexicon does better than the network here.**")
    assert comparisons.headline([])[0] == "info"


def test_check_refuses_entries_off_the_schema():
    y, good, _, majority = _two_classifiers()
    entry = _mcnemar(y, good, majority)
    with pytest.raises(ValueError, match="lacks"):
        comparisons.check({k: v for k, v in entry.items() if k != "unit"})
    with pytest.raises(ValueError, match="verdict"):
        comparisons.check(entry | {"verdict": "winner"})
