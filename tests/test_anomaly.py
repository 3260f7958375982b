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

from core import comparisons
from core.errors import ConfigError, DataError
from core.result import Progress
from core.tasks import anomaly as an
from core.tasks.anomaly import label_order, thresholds

ROOT = Path(__file__).resolve().parents[1]
TINY = dict(customers=100, days=60, epochs=3, min_steps=0)


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


def test_the_headline_says_which_scorer_wins_only_beyond_sampling_error():
    from core import comparisons

    def versus(baseline, d, low, high, anomalies=170):
        return comparisons.comparison(scorer="ae", scorer_label="autoencoder", baseline=baseline,
                                      baseline_label=an.SCORERS[baseline], metric="pr_auc", model_value=0.3 + d,
                                      baseline_value=0.3, test="bootstrap", interval=(low, high), n=anomalies,
                                      unit="test anomalies")

    kind, text = comparisons.headline([versus("iforest", -0.05, -0.08, -0.02), versus("pca", -0.2, -0.3, -0.1)])
    assert kind == "warning" and text.startswith("**PCA (linear) does better")  # the larger loss is named
    kind, text = comparisons.headline([versus("pca", 0.1, 0.05, 0.2), versus("iforest", 0.02, -0.01, 0.05)])
    assert kind == "info" and "better than PCA" in text and "no better than IsolationForest" in text
    kind, _ = comparisons.headline([versus("pca", 0.1, 0.05, 0.2), versus("iforest", 0.1, 0.05, 0.2)])
    assert kind == "success"
    # two test anomalies: an interval that excludes 0 is still an anecdote (crash-days)
    kind, text = comparisons.headline([versus("pca", 0.1, 0.0001, 0.2, anomalies=2)])
    assert kind == "info" and "not testable" in text


def test_bad_settings_are_one_line_errors():
    config = an.Config(**TINY, bottleneck=40)
    with pytest.raises(ConfigError, match=r"bottleneck \(40\) must be smaller than the number of input features"):
        an.train(config, an.load_data(config), Progress())
    with pytest.raises(ConfigError):
        an.Config(val_fraction=0.4, test_fraction=0.5)
    with pytest.raises(DataError, match="file not found"):
        an.load_data(an.Config(), "x.csv")


@pytest.mark.slow  # starts processes that import TensorFlow
def test_cli_json_has_the_issue_keys_and_bad_input_exits_2(tmp_path):
    env = {**os.environ, "FINDL_STORE": str(tmp_path / "store")}
    sets = [arg for k, v in TINY.items() for arg in ("--set", f"{k}={v}")]
    cmd = [sys.executable, "-m", "core.cli", "train", "anomaly", *sets]
    out = subprocess.run([*cmd, "--json"], capture_output=True, text=True, cwd=ROOT, timeout=300, env=env)
    assert out.returncode == 0, out.stderr
    metrics = json.loads(out.stdout)["metrics"]
    for scores in (metrics, metrics["iforest"], metrics["pca"]):
        assert {"roc_auc", "pr_auc", "precision_at_k"} <= set(scores)
    for c in metrics["comparisons"]:  # the autoencoder minus each baseline, with its sampling error
        low, high = c["interval"]
        assert low <= c["difference"] <= high and c["metric"] == "pr_auc"
        assert c["verdict"] == comparisons.decide(c["difference"], not low <= 0 <= high, True, c["n"])
        assert c["difference"] == pytest.approx(metrics["pr_auc"] - metrics[c["baseline"]]["pr_auc"])
    assert [c["baseline"] for c in metrics["comparisons"]] == ["pca", "iforest"]
    bad = subprocess.run([*cmd, "--set", "bottleneck=40"], capture_output=True, text=True, cwd=ROOT, timeout=300,
                         env=env)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    flat = tmp_path / "flat.csv"
    flat.write_text("a,label\n" + "1,0\n" * 500)
    bad = subprocess.run([*cmd, "--data", str(flat)], capture_output=True, text=True, cwd=ROOT, timeout=300, env=env)
    assert bad.returncode == 2 and "holds only 0s" in bad.stderr and bad.stderr.count("\n") == 1


def _csv(tmp_path, rows=600, extra=None, name="data.csv"):
    rng = np.random.default_rng(0)
    frame = {"v1": rng.normal(size=rows), "v2": rng.normal(size=rows), "Amount": rng.lognormal(3, 1, rows),
             "merchant": ["shop"] * rows, "flat": np.ones(rows), "Class": (rng.random(rows) < 0.05).astype(int)}
    frame["v1"][frame["Class"] == 1] += 4  # anomalies stand out in v1
    text = ",".join(frame) + "\n" + "\n".join(",".join(str(frame[c][i]) for c in frame) for i in range(rows))
    path = tmp_path / name
    path.write_text(extra(text) if extra else text)
    return path


def test_csv_numeric_columns_label_and_notes(tmp_path):
    data = an.load_data(an.Config(source="csv"), _csv(tmp_path))
    assert data.feature_names == ["v1", "v2", "Amount"] and data.amount is not None
    assert set(np.unique(data.y)) == {0, 1}
    notes = " ".join(data.notes)
    assert "Ignored non-numeric column(s): merchant" in notes and "Dropped constant column(s)" in notes
    assert "file order" in notes
    result = an.train(an.Config(source="csv", epochs=3, min_steps=0, bottleneck=2), data, Progress())
    assert result.metrics["roc_auc"] > 0.8  # the anomalies are shifted in v1: every model sees it
    with pytest.raises(DataError, match="source=csv needs a file"):
        an.load_data(an.Config(source="csv"))


@pytest.mark.parametrize("edit,message", [
    (lambda t: "name,Class\n" + "\n".join(f"n{i},{i % 2}" for i in range(500)), "no numeric columns"),
    (lambda t: t.replace(",0\n", ",2\n", 1), "must hold 0 \\(normal\\) or 1 \\(anomaly\\); found '2'"),
    (lambda t: t.replace(",1\n", ",0\n").rsplit("\n", 1)[0].replace(",1", ",0"), "holds only 0s"),
    (lambda t: "\n".join(t.splitlines()[:100]), "at least 400 are needed"),
    (lambda t: t.replace("\n", "\nnan,", 1).replace("nan,v1", "v1", 1), None),  # a row with one cell too many
])
def test_bad_csv_files_are_one_line_messages(tmp_path, edit, message):
    with pytest.raises(DataError, match=message) as caught:
        an.load_data(an.Config(source="csv"), _csv(tmp_path, extra=edit))
    assert "\n" not in str(caught.value)


def test_a_column_with_a_text_cell_is_ignored_with_a_note(tmp_path):
    path = _csv(tmp_path, extra=lambda t: t.replace("v1,v2,Amount", "a,b,c", 1).replace("\n0.", "\nx", 1))
    data = an.load_data(an.Config(source="csv"), path)
    assert data.feature_names == ["b", "c"]
    assert "Ignored non-numeric column(s): a, merchant." in data.notes


def test_csv_with_empty_cells_names_the_column_and_line(tmp_path):
    path = _csv(tmp_path)
    lines = path.read_text().splitlines()
    lines[5] = "," + lines[5].split(",", 1)[1]  # v1 empty on line 6
    path.write_text("\n".join(lines))
    with pytest.raises(DataError, match=r"column 'v1' has 1 empty or infinite value\(s\) \(first at line 6\)"):
        an.load_data(an.Config(source="csv"), path)


def test_predict_scores_new_rows_with_the_stored_model_like_training_did(tmp_path, monkeypatch):
    """The run keeps its model and scaler: scoring the test rows again (on a worker, through
    Engine.predict, or here) gives the stored test scores; bad rows are one-line errors."""
    from core import jobs
    from core.store import Store

    monkeypatch.setenv("FINDL_STORE", str(tmp_path / "store"))
    config = an.Config(**TINY)
    data = an.load_data(config)
    key, _ = jobs.run_sync(an, config, data, Store())
    stored = Store().get(key)
    assert "model.keras" in stored.files
    _, _, te = an.split(len(data.x), config)
    scores = an.predict(stored, data.x[te])
    assert np.allclose(scores, stored.arrays["ae_test"], rtol=1e-3, atol=1e-5)
    assert "trainer" in stored.memo  # loaded once, kept for the next call
    with pytest.raises(DataError, match="need 17 columns"):
        an.predict(stored, data.x[te][:, :3])
    bad = data.x[te][:2].copy()
    bad[0, 0] = np.nan
    with pytest.raises(DataError, match="empty or infinite"):
        an.predict(stored, bad)


def _label_sorted_csv(rows=1000, share=0.1):
    """A file sorted by its label (as ADBench's files are): every anomaly in the last rows."""
    rng = np.random.default_rng(0)
    y = np.sort((rng.random(rows) < share).astype(int))
    x = rng.normal(size=(rows, 3))
    x[:, 0] += 4 * y
    return ("a,b,c,label\n" + "\n".join(f"{a},{b},{c},{label}" for (a, b, c), label in zip(x, y))).encode()


def test_label_order_check_finds_anomalies_bunched_by_position():
    rng = np.random.default_rng(1)
    spread = (rng.random(2000) < 0.05).astype(int)
    assert not label_order.check(spread, 0.2, 0.2)["suspect"]
    absent = np.sort(spread)  # none before the test rows
    found = label_order.check(absent, 0.2, 0.2)
    assert found["suspect"] and found["train_share"] == found["val_share"] == 0 and found["test_share"] > 0.2
    assert "order=shuffled" in found["sentence"]
    late = spread.copy()
    late[1600:] = rng.random(400) < 0.25  # five times the share in the test rows, some before them too
    found = label_order.check(late, 0.2, 0.2)
    assert found["suspect"] and found["p_value"] < 0.05 and "Fisher" in found["sentence"]
    assert label_order.check(np.r_[np.ones(100, int), np.zeros(900, int)], 0.2, 0.2)["suspect"]  # none in test


def test_a_label_sorted_file_is_flagged_and_order_shuffled_fixes_it():
    """In file order the sorted file trains and validates without anomalies: the run says so
    (notes, metrics), and its threshold falls back to a rule that needs no setting, never to the
    transaction generator's fraud rate. order=shuffled spreads them; it is for files only."""
    sorted_file = _label_sorted_csv()
    config = an.Config(source="csv", bottleneck=2, epochs=3, min_steps=0)
    data = an.load_data(config, sorted_file)
    assert data.label_order["suspect"] and any("bunched by position" in n for n in data.notes)
    m = an.train(config, data, Progress()).metrics
    assert m["label_order"]["suspect"] and m["label_order"]["train_share"] == 0
    assert m["threshold"]["rule"] == "max_train" and "contamination" not in m["threshold"]
    assert "needs no setting" in m["threshold"]["why"]

    shuffled = config.replace(order="shuffled")
    data = an.load_data(shuffled, sorted_file)
    assert data.label_order is None and any("shuffled" in n for n in data.notes)
    _, va, te = an.split(len(data.x), shuffled)
    assert data.y[va].any() and 0.05 < data.y[te].mean() < 0.15
    assert an.train(shuffled, data, Progress()).metrics["threshold"]["rule"] == "best_f1"
    with pytest.raises(ConfigError, match="order=shuffled is for a CSV"):
        an.load_data(an.Config(order="shuffled"))


def test_generated_data_without_validation_frauds_uses_the_generators_rate():
    rule, options, why = thresholds.default_rule(np.zeros(50), known_rate=0.002)
    assert (rule, options) == ("contamination", {"contamination": 0.002}) and "generator" in why
    assert thresholds.default_rule(np.r_[np.zeros(49), 1.0], known_rate=0.002)[0] == "best_f1"
    assert thresholds.default_rule(None)[0] == "max_train"


def test_a_small_file_gets_more_gradient_steps_than_its_epochs(tmp_path):
    """600 rows (360 training) at batch 512 are one step an epoch: the budget raises the epoch
    limit to min_steps and records whether training ended there while still improving."""
    data = an.load_data(an.Config(source="csv"), _csv(tmp_path))
    m = an.train(an.Config(source="csv", bottleneck=2, epochs=3, min_steps=40), data, Progress()).metrics
    assert m["epoch_limit"] == 40 and m["epochs_run"] > 3 and isinstance(m["hit_limit"], bool)


def test_the_docs_say_every_use_of_the_labels():
    """Validation labels choose the reported threshold (best F1) and leave known anomalies out
    of early stopping: the module docstring and the train_on help say so, not 'one thing only'."""
    doc = " ".join(an.__doc__.split())
    assert "one thing only" not in doc and "choose the threshold" in doc and "validation rows" in doc
    assert "alone" not in an.Config.meta("train_on")["help"]
