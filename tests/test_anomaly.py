"""The anomaly task (CLI before its page): threshold rules against hand-computed values, the
chronological split and training-only scaler, the autoencoder beside PCA and IsolationForest,
and bad settings as one-line errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.errors import ConfigError, DataError
from core.result import Progress
from core.tasks import anomaly as an
from core.tasks.anomaly import thresholds

ROOT = Path(__file__).resolve().parents[1]
TINY = dict(customers=100, days=60, epochs=3)


def test_threshold_rules_by_hand():
    train = np.array([1.0, 2.0, 3.0, 4.0])
    val = np.arange(1.0, 11.0)  # 1..10
    labels = np.array([0, 0, 0, 0, 0, 0, 0, 1, 1, 0])  # anomalies at 8 and 9
    assert thresholds.threshold("max_train", train, val) == 4.0
    assert thresholds.threshold("mean_std", train, val, k=2.0) == pytest.approx(2.5 + 2 * np.std(train))
    assert thresholds.threshold("contamination", train, val, contamination=0.1) == pytest.approx(np.quantile(val, 0.9))
    # flag >= 8: {8, 9, 10}: precision 2/3, recall 1, F1 0.8 (>= 9: P 1/2, R 1/2; >= 7: P 1/2, R 1)
    assert thresholds.threshold("best_f1", train, val, labels) == 8.0
    with pytest.raises(ConfigError, match="best_f1 needs labelled anomalies"):
        thresholds.threshold("best_f1", train, val, np.zeros(10))
    with pytest.raises(ConfigError, match="contamination must be between 0 and 1"):
        thresholds.threshold("contamination", train, val, contamination=1.5)
    with pytest.raises(ConfigError, match="unknown threshold rule"):
        thresholds.threshold("magic", train, val)


def test_split_is_chronological_and_the_scaler_sees_training_rows_only():
    tr, va, te = an.split(100, an.Config(val_fraction=0.2, test_fraction=0.1))
    assert (tr.start, tr.stop, va.start, va.stop, te.start, te.stop) == (0, 70, 70, 90, 90, 100)
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.lognormal(0, 2, 500), rng.normal(5, 1, 500), np.ones(500)])
    scaler = an.Scaler("log-standard").fit(x[:300])
    assert scaler.log.tolist() == [True, False, False]  # heavy-tailed, non-negative: log1p first
    z = scaler.transform(x[:300])
    assert np.allclose(z[:, :2].mean(axis=0), 0, atol=1e-5) and np.all(z[:, 2] == 0)  # a constant column stays 0
    assert not np.allclose(scaler.transform(x[300:])[:, :2].mean(axis=0), 0, atol=1e-3)  # fitted on 300 rows only


def test_autoencoder_trains_on_normal_rows_beside_pca_and_isolation_forest():
    config = an.Config(**TINY)
    data = an.load_data(config)
    result = an.train(config, data, Progress())
    m = result.metrics
    tr, _, te = an.split(len(data.x), config)
    assert m["n_train"] == int(np.sum(data.y[tr] == 0))  # known frauds left out of "normal"
    for scores in (m, m["pca"], m["iforest"]):
        assert 0.5 < scores["roc_auc"] <= 1 and 0 < scores["pr_auc"] <= 1 and 0 <= scores["precision_at_k"] <= 1
    assert m["k"] == an.K_ALERTS and m["threshold"]["rule"] == "best_f1"
    assert len(result.arrays["ae_test"]) == len(result.arrays["y_test"]) == te.stop - te.start
    assert result.arrays["latent"].shape[1] == config.bottleneck
    assert result.arrays["explain_errors"].shape == (an.EXPLAIN_ROWS, len(data.feature_names))
    # the stored test scores reproduce the reported metric (the page recomputes views from them)
    from sklearn.metrics import roc_auc_score

    assert roc_auc_score(result.arrays["y_test"], result.arrays["iforest_test"]) == pytest.approx(m["iforest"]["roc_auc"])


def test_bad_settings_are_one_line_errors():
    config = an.Config(**TINY, bottleneck=40)
    with pytest.raises(ConfigError, match=r"bottleneck \(40\) must be smaller than the number of input features"):
        an.train(config, an.load_data(config), Progress())
    with pytest.raises(ConfigError):
        an.Config(val_fraction=0.4, test_fraction=0.5)
    with pytest.raises(DataError, match="CSV files are not read yet"):
        an.load_data(an.Config(), "x.csv")


def test_cli_json_has_the_issue_keys_and_bad_input_exits_2(tmp_path):
    env = {**os.environ, "FINDL_STORE": str(tmp_path / "store")}
    sets = [arg for k, v in TINY.items() for arg in ("--set", f"{k}={v}")]
    cmd = [sys.executable, "-m", "core.cli", "train", "anomaly", *sets]
    out = subprocess.run([*cmd, "--json"], capture_output=True, text=True, cwd=ROOT, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    metrics = json.loads(out.stdout)["metrics"]
    for scores in (metrics, metrics["iforest"], metrics["pca"]):
        assert {"roc_auc", "pr_auc", "precision_at_k"} <= set(scores)
    bad = subprocess.run([*cmd, "--set", "bottleneck=40"], capture_output=True, text=True, cwd=ROOT, timeout=300,
                         env=env)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
