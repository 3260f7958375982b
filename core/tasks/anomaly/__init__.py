"""The "anomaly" task: a dense autoencoder learns normal card transactions and flags the ones it
cannot reconstruct, next to PCA (a linear autoencoder) and IsolationForest on the same rows.

Honest evaluation: rows are in time order (a file: in file order, or shuffled with a fixed seed
when ``order=shuffled``); the first rows train, the next validate (early stopping, threshold
rules), the last test, touched once for the numbers. The scaler is fitted on the training rows the
models see. Labels, where known, are used in three places and nowhere else: on the training rows,
to leave the known anomalies out of "normal" (``train_on=normal``); on the validation rows, to
leave them out of early stopping's loss (``train_on=normal``) and to choose the threshold the run
reports (the best F1 there, ``thresholds.default_rule``); on the test rows, to evaluate. Thresholds
and the number of alerts reviewed are view settings (``thresholds``), computed from the stored
scores. A file's labels are checked for a sort order the split would turn into a false result
(``label_order``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core import classification, comparisons
from core.data import market, tabular, transactions
from core.errors import ConfigError, DataError, TrainingDiverged
from core.nn.keras_loop import PREDICT_CHUNK
from core.result import Progress, Result, jsonable
from core.split import Split, chronological
from core.tasks.anomaly import label_order, models, thresholds
from core.tasks.anomaly.config import NAME, PRESETS, SCORERS, Config

SCHEMA = 4  # 2: comparisons with their bootstrap interval; 100 trees; 3: metrics["comparisons"] (core.comparisons);
# 4: min_steps training budget, hit_limit, the threshold rule's reason, a file's label_order
SHUFFLE_SEED = 0  # order=shuffled: a fixed order, so runs with other seeds are tested on the same rows
K_ALERTS = 100  # alerts a review team checks: precision@k in the CLI's metrics (the page lets you move it)
MIN_TRAIN_ROWS = 200
LATENT_ROWS = 3000  # test rows kept with their code for the latent view
EXPLAIN_ROWS = 200  # top-scored test rows kept with their per-feature errors ("why flagged")
BOOTSTRAP = 500  # resamples of the test rows behind each PR-AUC comparison

__all__ = ["NAME", "PRESETS", "SCHEMA", "AnomalyData", "Config", "load_data", "predict", "thresholds", "train"]


@dataclass(frozen=True)
class AnomalyData:
    """Rows in time order: numeric features ``x``, labels ``y`` (1 = anomaly) when known."""

    x: np.ndarray
    feature_names: list[str]
    y: np.ndarray | None
    amount: np.ndarray | None
    scenario: np.ndarray | None
    fingerprint: str
    notes: list[str] = field(default_factory=list)
    dates: np.ndarray | None = None  # market mode: the trading day of each row
    from_config: bool = False  # generated or bundled: a worker rebuilds it from the config (core.engine.shipped)
    label_order: dict | None = None  # a labelled file: where its anomalies fall in the split (``label_order``)
    known_rate: float | None = None  # generated transactions: the fraud rate they were generated with


def load_data(config: Config, path=None) -> AnomalyData:
    """Generated transactions, or a CSV (``path``: a file path, bytes or an upload) of numeric
    columns with an optional 0/1 label column (``core.data.tabular``)."""
    if path is not None:
        return _from_file(config, tabular.from_csv(path))
    if config.source == "csv":
        raise DataError("source=csv needs a file: upload one (or findl train anomaly --data PATH)")
    if config.order != "file":
        raise ConfigError("order=shuffled is for a CSV whose rows are not in time order; generated transactions "
                          "and market days are in time order")
    if config.source == "market":
        frame, names = market.market_days(config.index)
        if config.model == "conv1d":  # the return window, oldest day first: a sequence for the convolutions
            names = [f"return_t-{lag}" if lag else "return_t" for lag in reversed(range(market.WINDOW))]
        notes = [(f"{int(frame['label'].sum())} known stress days are marked (labels used to leave them out of "
                  "'normal' training rows, for the threshold on validation rows and for evaluation); every other "
                  "day counts as normal.")]
        if config.model == "conv1d":
            notes.append("conv1d reads the 10-day return window only; PCA and IsolationForest see the same window.")
        return AnomalyData(x=frame[names].to_numpy(np.float64), feature_names=names,
                           y=frame["label"].to_numpy(np.int8), amount=None, scenario=None,
                           fingerprint=market.fingerprint(config.index), notes=notes,
                           dates=frame.index.strftime("%Y-%m-%d").to_numpy(str), from_config=True)
    tx = transactions.generate(n_customers=config.customers, days=config.days, fraud_rate=config.fraud_rate,
                               seed=config.data_seed)
    frame = tx.frame
    return AnomalyData(x=frame[tx.feature_columns].to_numpy(np.float64), feature_names=list(tx.feature_columns),
                       y=frame["label"].to_numpy(np.int8), amount=frame["amount"].to_numpy(np.float64),
                       scenario=frame["scenario"].to_numpy(str), fingerprint=tx.fingerprint, notes=list(tx.notes),
                       from_config=True, known_rate=config.fraud_rate)


def _from_file(config: Config, table: tabular.Table) -> AnomalyData:
    """A file's rows in file order or, with ``order=shuffled``, in a fixed random order; a
    labelled file in file order gets the label-order check, its sentence among the notes."""
    x, y, amount, notes = table.x, table.y, table.amount, list(table.notes)
    checked = None
    if config.order == "shuffled":
        rows = np.random.default_rng(SHUFFLE_SEED).permutation(len(x))
        x, y = x[rows], None if y is None else y[rows]
        amount = None if amount is None else amount[rows]
        notes.append("Rows are shuffled (order=shuffled, a fixed seed) before the split: the test rows are a "
                     "random sample, not the latest rows; use it only for a file that is not in time order.")
    else:
        notes.append("Rows are split in file order (first training, then validation, then test): sort the file "
                     "by time first, or set order=shuffled for a file that is not in time order.")
        if y is not None:
            checked = label_order.check(y, config.val_fraction, config.test_fraction)
            if checked["suspect"]:
                notes.append(checked["sentence"])
    return AnomalyData(x=x, feature_names=table.feature_names, y=y, amount=amount, scenario=None,
                       fingerprint=table.fingerprint, notes=notes, label_order=checked)


class Scaler:
    """Fitted on the training rows only. ``log-standard``: log1p of non-negative columns whose
    maximum is over 10x their median (amounts, counts, seconds), then z-score. The centre and
    scale are scikit-learn's (``StandardScaler``, or ``RobustScaler``: median and interquartile
    range), whose scale is 1 for a constant column, so it stays 0; kept as plain arrays so a
    stored run's ``info["scaler"]`` rebuilds it (``from_dict``)."""

    def __init__(self, kind: str):
        self.kind = kind

    def fit(self, x: np.ndarray) -> Scaler:
        from sklearn.preprocessing import RobustScaler, StandardScaler

        self.log = np.zeros(x.shape[1], bool)
        if self.kind == "log-standard":
            median = np.median(x, axis=0)
            self.log = (x.min(axis=0) >= 0) & (x.max(axis=0) > 10 * np.maximum(median, 1e-12))
        z = self._log(x)
        if self.kind == "robust":
            fitted = RobustScaler().fit(z)
            self.center = fitted.center_
        else:
            fitted = StandardScaler().fit(z)
            self.center = fitted.mean_
        self.scale = fitted.scale_
        return self

    def _log(self, x: np.ndarray) -> np.ndarray:
        out = np.array(x, dtype=np.float64)
        out[:, self.log] = np.log1p(np.maximum(out[:, self.log], 0))
        return out

    def transform(self, x: np.ndarray) -> np.ndarray:
        return ((self._log(x) - self.center) / self.scale).astype(np.float32)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "log": self.log.tolist(), "center": self.center.tolist(),
                "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> Scaler:
        scaler = cls(d["kind"])
        scaler.log = np.asarray(d["log"], bool)
        scaler.center, scaler.scale = np.asarray(d["center"]), np.asarray(d["scale"])
        return scaler


def split(n: int, config: Config) -> Split:
    """Chronological: training rows, then validation, then test."""
    return chronological(n, config.test_fraction, config.val_fraction)


def _scores_metrics(y: np.ndarray, scores: np.ndarray, k: int) -> dict:
    curves = classification.curves(y, scores)
    return {"roc_auc": curves["roc_auc"], "pr_auc": curves["pr_auc"],
            "precision_at_k": classification.precision_at_k(y, scores, k)}


def _versus(baseline: str, y_test: np.ndarray, ae_scores: np.ndarray, baseline_scores: np.ndarray, metrics: dict,
            seed: int) -> dict:
    """The autoencoder against one baseline by PR-AUC on the test rows, with the sampling error of
    the difference (a paired, stratified bootstrap); it rests on the test anomalies, so a handful
    of them is too few to test."""
    boot = classification.bootstrap_pr_auc_difference(y_test, ae_scores, baseline_scores, n_boot=BOOTSTRAP, seed=seed)
    interval = None if boot["low"] is None else (boot["low"], boot["high"])
    return comparisons.comparison(
        scorer="ae", scorer_label=SCORERS["ae"], baseline=baseline, baseline_label=SCORERS[baseline],
        metric="pr_auc", model_value=metrics["pr_auc"], baseline_value=metrics[baseline]["pr_auc"],
        test=f"paired stratified bootstrap ({BOOTSTRAP} resamples)", p_value=boot["p_value"], interval=interval,
        n=int(y_test.sum()), unit="test anomalies")


def _rules(ae: dict, y_val: np.ndarray | None, y_test: np.ndarray | None, known_rate: float | None) -> dict:
    """Each threshold rule this run can compute at its page default (mean + 1 std; contamination
    only at a known anomaly rate; best F1 only with validation anomalies), with the test rows it
    flags and, with labels, how many of them are anomalies: the trade-off in numbers."""
    options: dict[str, dict] = {"max_train": {}, "mean_std": {"k": 1.0}}
    if known_rate is not None:
        options["contamination"] = {"contamination": known_rate}
    if y_val is not None and y_val.any():
        options["best_f1"] = {}
    out = {}
    for rule, opts in options.items():
        cut = thresholds.threshold(rule, ae["train"], ae["val"], y_val, **opts)
        flagged = ae["test"] >= cut
        out[rule] = {**opts, "value": cut, "flagged": int(flagged.sum())}
        if y_test is not None:
            at = classification.binary_metrics(y_test, flagged, threshold=0.5)
            out[rule] |= {k: at[k] for k in ("precision", "recall", "f1", "confusion")}
    return out


@dataclass
class Prepared:
    """The scaled arrays of one run: ``fit``/``val_fit`` are what the models train and early-stop
    on (normal rows when ``train_on=normal``); ``val``/``test`` are every row of those slices."""

    fit_rows: np.ndarray
    val: slice
    test: slice
    scaler: Scaler
    x_fit: np.ndarray
    x_val_fit: np.ndarray
    x_val: np.ndarray
    x_test: np.ndarray


def prepare(config: Config, data: AnomalyData) -> Prepared:
    n_features = data.x.shape[1]
    if config.bottleneck >= n_features:
        raise ConfigError(f"bottleneck ({config.bottleneck}) must be smaller than the number of input features "
                          f"({n_features}): otherwise the autoencoder can copy its input")
    tr, va, te = split(len(data.x), config)
    fit_rows, val_rows = np.arange(tr.start, tr.stop), np.arange(va.start, va.stop)
    val_fit = val_rows
    if config.train_on == "normal" and data.y is not None:
        fit_rows = fit_rows[data.y[fit_rows] == 0]
        val_fit = val_rows[data.y[val_rows] == 0]  # early stopping watches normal validation rows
    if len(fit_rows) < MIN_TRAIN_ROWS:
        raise DataError(f"only {len(fit_rows)} training rows; at least {MIN_TRAIN_ROWS} are needed")
    scaler = Scaler(config.scaling).fit(data.x[fit_rows])
    return Prepared(fit_rows, va, te, scaler, scaler.transform(data.x[fit_rows]),
                    scaler.transform(data.x[val_fit]), scaler.transform(data.x[va]), scaler.transform(data.x[te]))


def make_trainer(config: Config, n_features: int):
    """A fresh autoencoder (weights from Keras' global seed) in the shared compiled loop, and its encoder."""
    from core.nn.keras_loop import Trainer

    autoencoder, encoder = models.build_autoencoder(config, n_features)
    return Trainer(autoencoder, models.LOSS, learning_rate=config.learning_rate), encoder


def train(config: Config, data: AnomalyData, progress: Progress) -> Result:
    from core.device import tensorflow

    n_features = data.x.shape[1]
    p = prepare(config, data)
    fit_rows, va, te, scaler = p.fit_rows, p.val, p.test, p.scaler
    x_fit, x_val_fit, x_val, x_test = p.x_fit, p.x_val_fit, p.x_val, p.x_test
    labelled = data.y is not None

    tensorflow()
    import keras

    from core.nn.keras_loop import save_model

    keras.utils.set_random_seed(config.seed)
    trainer, encoder = make_trainer(config, n_features)
    history = trainer.fit(x_fit, x_fit, x_val_fit, x_val_fit, epochs=config.epochs, min_steps=config.min_steps,
                          batch_size=config.batch_size, patience=config.patience, seed=config.seed,
                          progress=progress)
    recon_test = trainer.predict(x_test)
    if not np.isfinite(recon_test).all():
        raise TrainingDiverged()
    ae = {"train": models.reconstruction_errors(x_fit, trainer.predict(x_fit)),
          "val": models.reconstruction_errors(x_val, trainer.predict(x_val)),
          "test": models.reconstruction_errors(x_test, recon_test)}
    pca = models.PCAScorer(config.bottleneck, config.seed).fit(x_fit)
    forest = models.IForestScorer(config.seed).fit(x_fit)
    # the baselines are compared on the test rows only (the threshold rules are the autoencoder's)
    baselines = {name: {"test": s.score(x_test)} for name, s in (("pca", pca), ("iforest", forest))}

    y_val = data.y[va] if labelled else None
    y_test = data.y[te] if labelled else None
    metrics: dict = {"n_train": len(fit_rows), "n_val": va.stop - va.start, "n_test": int(te.stop - te.start),
                     "n_features": n_features, "k": K_ALERTS, "train_on": config.train_on, **history.metrics()}
    if data.label_order is not None:
        metrics["label_order"] = data.label_order
    if labelled:
        metrics["test_anomaly_share"] = float(y_test.mean())
        metrics["n_test_anomalies"] = int(y_test.sum())
        metrics.update(_scores_metrics(y_test, ae["test"], K_ALERTS))
        metrics["comparisons"] = []
        for name, scores in baselines.items():
            metrics[name] = _scores_metrics(y_test, scores["test"], K_ALERTS)
            metrics["comparisons"].append(_versus(name, y_test, ae["test"], scores["test"], metrics, config.seed))
    metrics["threshold_rules"] = _rules(ae, y_val, y_test, data.known_rate)
    rule, _, why = thresholds.default_rule(y_val, data.known_rate)
    metrics["threshold"] = {"rule": rule, "why": why, **metrics["threshold_rules"][rule]}

    order = np.argsort(-ae["test"], kind="stable")[:EXPLAIN_ROWS]
    latent_rows = np.linspace(0, len(x_test) - 1, min(LATENT_ROWS, len(x_test))).astype(int)
    arrays = {"ae_train": ae["train"].astype(np.float32), "ae_val": ae["val"].astype(np.float32),
              "ae_test": ae["test"].astype(np.float32),
              **{f"{n}_test": s["test"].astype(np.float32) for n, s in baselines.items()},
              "explain_rows": order, "explain_errors": ((x_test[order] - recon_test[order]) ** 2).astype(np.float32),
              "latent_rows": latent_rows,
              "latent": encoder.predict(x_test[latent_rows], batch_size=PREDICT_CHUNK, verbose=0).astype(np.float32),
              "loss": np.asarray(history.loss), "val_loss": np.asarray(history.val_loss)}
    if labelled:
        arrays |= {"y_val": y_val, "y_test": y_test}
    if data.amount is not None:
        arrays["amount_test"] = data.amount[te].astype(np.float32)
    if data.scenario is not None:
        arrays["scenario_test"] = data.scenario[te].astype("U24")
    if data.dates is not None:
        arrays["dates_test"] = data.dates[te].astype("U10")
    info = {"feature_names": data.feature_names, "notes": data.notes, "scaler": scaler.to_dict(),
            "scaler_log_columns": [n for n, flag in zip(data.feature_names, scaler.log) if flag]}
    return Result(metrics=jsonable(metrics), arrays=arrays, info=info,
                  files={"model.keras": save_model(trainer.model, "anomaly")})



def predict(result: Result, inputs) -> np.ndarray:
    """Anomaly scores (reconstruction errors) of new rows with a stored run, on a worker
    (``Engine.predict``): ``inputs`` is a 2-D array of the run's features in its column order.
    The loaded model is kept in ``result.memo`` for the next call."""
    x = np.asarray(inputs, dtype=np.float64)
    names = result.info["feature_names"]
    if x.ndim != 2 or x.shape[1] != len(names):
        raise DataError(f"rows to score need {len(names)} columns ({', '.join(names)}); got shape {x.shape}")
    if not np.isfinite(x).all():
        raise DataError("rows to score contain empty or infinite values")
    if "trainer" not in result.memo:
        from core.device import tensorflow

        tensorflow()
        import keras

        from core.nn.keras_loop import Trainer

        result.memo["trainer"] = Trainer(keras.saving.load_model(result.files["model.keras"], compile=False),
                                         models.LOSS)
    z = Scaler.from_dict(result.info["scaler"]).transform(x)
    return models.reconstruction_errors(z, result.memo["trainer"].predict(z))
