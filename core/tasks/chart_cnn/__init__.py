"""The "chart-cnn" task: a CNN reads daily price charts drawn as small images (Jiang, Kelly and
Xiu, "(Re-)Imag(in)ing Price Trends", J. Finance 2023) and says whether the price rises over the
next ``horizon`` days, next to the baselines that read the same windows as numbers: the base rate
(the training period's majority direction), momentum (the sign of the window's return) and
logistic regression on the window's daily returns and volume.

Honest set-up (``windows``): images end every ``horizon`` days, so test outcomes do not overlap;
a chronological split with a gap; early stopping on the validation images; every scorer is tested
on the same test images (McNemar). The package: ``config.py`` (settings, lessons), ``windows.py``
(series, images, labels, split), ``models.py`` (the network, occlusion), ``baselines.py``.
"""

from __future__ import annotations

import numpy as np

from core import comparisons
from core.errors import TrainingDiverged
from core.result import Progress, Result, jsonable
from core.tasks.chart_cnn import baselines, windows
from core.tasks.chart_cnn.config import NAME, PRESETS, SCORERS, Config
from core.tasks.chart_cnn.windows import ChartData

SCHEMA = 3  # 2: model_up_share; 3: occlusion of every test image
EXPLAINED = 6  # the most confident right and wrong test images (every test image has an occlusion map)
GALLERY = 6    # training images per class for the gallery

__all__ = ["NAME", "PRESETS", "SCHEMA", "ChartData", "Config", "load_data", "train"]


def load_data(config: Config, path=None) -> ChartData:
    """The labelled images of the settings: bundled or generated series, or an OHLC CSV (``path``)."""
    return windows.build(config, path)


def train(config: Config, data: ChartData, progress: Progress) -> Result:
    parts, gap = windows.split(config, len(data))
    train_, val, test = parts
    from core.device import tensorflow

    tensorflow()
    import keras

    from core.nn.keras_loop import Trainer, save_model
    from core.tasks.chart_cnn import models

    keras.utils.set_random_seed(config.seed)
    x = models.as_input(data.images)
    y = data.labels.astype(np.int32)
    network = models.build(data.images.shape[1:], config.blocks, config.filters, config.dropout)
    trainer = Trainer(network, "sparse_categorical_crossentropy", learning_rate=config.learning_rate)
    history = trainer.fit(x[train_], y[train_], x[val], y[val], epochs=config.epochs, batch_size=config.batch_size,
                          patience=config.patience, seed=config.seed, progress=progress)
    logits = trainer.predict(x[test])
    if not np.isfinite(logits).all():
        raise TrainingDiverged()
    probs = {"model": models.softmax_up(logits), **baselines.scores(data, train_, test)}
    y_test = data.labels[test]
    predicted = {key: (p > 0.5).astype(np.int8) for key, p in probs.items()}
    predicted["base_rate"] = np.full(len(y_test), baselines.majority(data.labels[train_]), np.int8)

    def predict_up(inputs: np.ndarray) -> np.ndarray:
        return models.softmax_up(trainer.predict(inputs))

    explained = _explained(probs["model"], y_test)
    occlusion = models.occlusion_by_day(predict_up, data.images[test], config.window)
    metrics = _metrics(config, data, parts, gap, y_test, probs, predicted) | history.metrics()
    arrays = {"test_images": data.images[test], "test_labels": y_test, "test_dates": data.dates[test].astype(str),
              "explained": explained, "occlusion": occlusion,
              "gallery": data.images[train_][_gallery(data.labels[train_])],
              "gallery_labels": data.labels[train_][_gallery(data.labels[train_])],
              "loss": np.asarray(history.loss), "val_loss": np.asarray(history.val_loss),
              **{f"probs_{key}": p.astype(np.float32) for key, p in probs.items()},
              **{f"equity_{key}": v for key, v in _equity(config, data, test, predicted["model"]).items()}}
    info = {"notes": data.notes, "name": data.name, "scorers": SCORERS}
    return Result(metrics=jsonable(metrics), arrays=arrays, info=info,
                  files={"model.keras": save_model(network, "chart-cnn")})


def _metrics(config, data, parts, gap, y_test, probs, predicted) -> dict:
    from core import classification

    scorers = {key: {"label": label, "accuracy": float(np.mean(predicted[key] == y_test)),
                     "auc": classification.binary_metrics(y_test, probs[key])["auc"]}
               for key, label in SCORERS.items()}
    right = {key: predicted[key] == y_test for key in SCORERS}
    compared = [comparisons.mcnemar(y_test, right["model"], right[key], scorer="model", scorer_label="CNN",
                                    baseline=key, baseline_label=SCORERS[key], unit="test windows")
                for key in ("base_rate", "momentum", "logistic")]
    years = data.dates[parts.test].astype("datetime64[Y]").astype(int) + 1970
    by_year = {str(year): {"n": int(np.sum(years == year)),
                           "model": float(np.mean(right["model"][years == year])),
                           "base_rate": float(np.mean(right["base_rate"][years == year]))}
               for year in np.unique(years)}
    out = {"test_accuracy": scorers["model"]["accuracy"], "test_auc": scorers["model"]["auc"],
           "model_up_share": float(np.mean(predicted["model"])),  # near 1 or 0: it learned the base rate
           "scorers": scorers, "comparisons": compared, "accuracy_by_year": by_year,
           "share_up_train": float(np.mean(data.labels[parts.train])), "share_up_test": float(np.mean(y_test)),
           "n_train": parts.train.stop, "n_val": parts.val.stop - parts.val.start, "n_test": len(y_test),
           "gap_images": gap, "image_shape": list(np.shape(data.images)[1:]),
           "test_start": str(data.dates[parts.test][0]), "test_end": str(data.dates[parts.test][-1])}
    if data.planted is not None:
        planted = data.planted[parts.test]
        out["planted"] = {"n_test": int(planted.sum()),
                          "model_accuracy_on_planted": float(np.mean(right["model"][planted])) if planted.any()
                          else None}
    return out


def _explained(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Test image positions: the most confident right ones, then the most confident wrong ones."""
    confidence = np.abs(probs - 0.5)
    right = np.flatnonzero((probs > 0.5) == (labels == 1))
    wrong = np.flatnonzero((probs > 0.5) != (labels == 1))
    pick = [group[np.argsort(-confidence[group], kind="stable")][:EXPLAINED // 2] for group in (right, wrong)]
    return np.concatenate(pick).astype(np.int64)


def _gallery(labels: np.ndarray) -> np.ndarray:
    """The first GALLERY // 2 training images of each class, in time order."""
    return np.concatenate([np.flatnonzero(labels == c)[:GALLERY // 2] for c in (0, 1)]).astype(np.int64)


def _equity(config, data: ChartData, test: slice, up: np.ndarray) -> dict[str, np.ndarray]:
    """The toy long/flat strategy on the test windows (long over the next ``horizon`` days when the
    CNN says up, in cash otherwise, ``cost_bps`` per change of position) against buy-and-hold.
    The windows' futures follow each other (one image every ``horizon`` days), so they compound."""
    realised = data.future_returns[test]
    position = up.astype(float)
    turnover = np.abs(np.diff(np.concatenate([[0.0], position])))
    strategy = position * realised - config.cost_bps / 1e4 * turnover
    return {"strategy": np.cumprod(1 + strategy), "buy_and_hold": np.cumprod(1 + realised)}
