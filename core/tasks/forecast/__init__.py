"""Time-series forecasting: a recurrent (or convolutional) network against the baselines a finance
student should always beat first: the random walk (naive), the random walk with drift and the
historical mean.

Honest set-up: a chronological train / validation / test split of the rows; scalers are fit on the
training rows only; early stopping (best weights restored) watches the validation slice; a window
never puts a test value into a training input, a training target or a scaler statistic. Headline
metrics use the one-step-ahead forecasts of the test slice; ``per_horizon`` has every step.

The package, by idea:

* ``config.py``: Config, PRESETS and the names the page offers;
* ``windows.py``: data loading, causal features, the split, train-only scalers, windows, baselines;
* ``models.py``: the Keras networks and how they are fit (the shared ``core.nn.keras_loop``);
* ``evaluate.py`` (+ ``verdict.py``): test metrics, verdict, interval, lag diagnostic, toy backtest;
* ``walk_forward.py``: the walk-forward backtest, a task of its own ("forecast-walk-forward").

This module is the "forecast" task (the main run). It does not retrain walk-forward windows: that
is a separate cached job started from the page's Walk-forward tab, so the main result shows after
one fit. ``key_config`` leaves ``walk_forward`` out of the main run's store key, so changing it
never retrains the main model.

Speed (docs/DESIGN.md, "Forecasting"): a compiled train step over in-memory arrays, batch 512,
learning rate 4e-3, early stopping (patience 3); ``bench/forecast.py`` measures it against ``fit``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.data import quality
from core.data.prices import PriceData
from core.errors import TrainingDiverged
from core.nn.keras_loop import FitHistory, Trainer, save_model
from core.result import Progress, Result, jsonable
from core.tasks.forecast import models
from core.tasks.forecast.config import FEATURE_HELP, FEATURES, MODEL_LABELS, MODELS, NAME, PRESETS, TARGETS, Config
from core.tasks.forecast.evaluate import (
    MAX_LAG,
    Evaluation,
    evaluate,
    lag_diagnostic,
    mase_scale,
    periods_per_year,
    toy_backtest,
)
from core.tasks.forecast.models import build_model
from core.tasks.forecast.windows import (
    MIN_TEST,
    MIN_TRAIN,
    MIN_VAL,
    ROLL,
    RSI_DAYS,
    Dataset,
    baselines,
    feature_frame,
    load_data,
    prepare,
    required_rows,
    warmup_rows,
)

SCHEMA = 5  # 2: data_quality, robustness, verdict_kind, ...; 3: walk-forward left to its own task; 4: comparisons;
# 5: backtest hit_test (hit rate against chance), price_fit naive_r2

__all__ = ["FEATURES", "FEATURE_HELP", "MAX_LAG", "MIN_TEST", "MIN_TRAIN", "MIN_VAL", "MODELS", "MODEL_LABELS",
           "NAME", "PRESETS", "ROLL", "RSI_DAYS", "SCHEMA", "TARGETS", "Config", "Dataset", "Evaluation",
           "FitHistory", "Trainer", "baselines", "build_model", "evaluate", "feature_frame",
           "info", "key_config", "lag_diagnostic", "load_data", "mase_scale", "models", "periods_per_year",
           "prepare", "required_rows", "toy_backtest", "train", "warmup_rows"]


def key_config(config: Config) -> Config:
    """The settings that decide the main run's result (core.jobs.key_for hashes these):
    ``walk_forward`` only matters to the walk-forward task, so it is reset to its default here."""
    return config.replace(walk_forward=Config().walk_forward)


def companions(config: Config) -> list:
    """Tasks ``findl prewarm`` runs after this one for the same settings: the walk-forward
    backtest when the settings ask for one."""
    if config.walk_forward <= 0:
        return []
    from core.tasks.forecast import walk_forward

    return [walk_forward]


def train(config: Config, data: PriceData, progress: Progress) -> Result:
    """One fit on the chronological split, then the test slice's metrics and chart arrays."""
    from core.device import tensorflow

    tensorflow()
    import keras

    ds = prepare(config, data)
    keras.utils.set_random_seed(config.seed)
    trainer = models.make_trainer(config, len(ds.feature_names), models.policy())
    history = models.fit(trainer, config, ds, progress, phase="train")
    te, va = ds.test_origins, ds.val_origins
    forecast = ds.unscale(trainer.predict(ds.inputs(te)))
    val_forecast = ds.unscale(trainer.predict(ds.inputs(va)))
    if not np.isfinite(forecast).all():
        raise TrainingDiverged()
    evaluation = evaluate(config, ds, te, forecast, val_forecast, quality.flagged_dates(data.quality))
    model = trainer.model
    summary: list[str] = []
    model.summary(print_fn=lambda line, *a, **k: summary.append(line))
    m = evaluation.metrics
    m["data_quality"] = [f.to_dict() for f in data.quality]
    m.update(history.metrics())
    arrays = {**evaluation.arrays, "loss": np.asarray(history.loss), "val_loss": np.asarray(history.val_loss)}
    return Result(metrics=jsonable(m), arrays=arrays, info=info(config, data, ds, summary, history),
                  model_path=save_model(model, "forecast"))



def info(config: Config, data: PriceData, ds: Dataset, summary: list[str], history: FitHistory) -> dict[str, Any]:
    """What the page shows beside the numbers: data, split dates, features, model, notes, scaler."""
    def span(lo: int, hi: int) -> dict[str, Any]:
        return {"start": str(ds.dates[lo].date()), "end": str(ds.dates[hi - 1].date()), "rows": int(hi - lo)}

    notes = list(data.notes)
    if config.target == "price":
        notes.append("target=price: the price level is added as an input and scaled with the training "
                     "rows' mean and spread; test prices outside the training range are extrapolation")
    if history.stopped_early:
        notes.append(f"early stopping ended training after {history.epochs_run} of {history.limit} epochs "
                     f"(best validation loss at epoch {history.best_epoch})")
    if config.horizon > 1:
        notes.append(f"headline metrics use the 1-step-ahead forecasts; per_horizon has steps 1-{config.horizon}")
    return {
        "data": {"name": data.name, "description": data.description, "rows": len(data), "source": data.source},
        "splits": {"train": span(0, ds.train_end), "validation": span(ds.train_end, ds.val_end),
                   "test": span(ds.val_end, ds.n)},
        "features": list(ds.feature_names),
        "target": config.target,
        "model_label": MODEL_LABELS[config.model],
        "model_summary": "\n".join(summary),
        "notes": notes,
        "scaler": {"x_mean": ds.x_scaler.mean_.tolist(), "x_std": ds.x_scaler.scale_.tolist(),
                   "y_mean": float(ds.y_scaler.mean_[0]), "y_std": float(ds.y_scaler.scale_[0])},
    }
