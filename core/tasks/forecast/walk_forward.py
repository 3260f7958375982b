"""Walk-forward backtest of the forecast settings: a task of its own ("forecast-walk-forward").

Why a separate task: each window retrains, which took most of a forecast run's time, while the
headline verdict uses the chronological test slice only. The page starts this job from its
Walk-forward tab (its own panel, progress and cache); ``findl train forecast-walk-forward`` runs
it from the command line. It takes the same Config and data as the main task.

Method: the test slice is cut into ``walk_forward`` consecutive windows. Window 1 is predicted by a
model trained exactly like the main run (same rows, settings and seed): its training data are
"everything before the window". Each later window warm-starts from the previous window's weights
and trains up to ``max(2, epochs // 4)`` more epochs on all rows before the window, early-stopped
on the validation-sized slice just before it, with scalers refit on those training rows. Every
window is scored against the naive forecast on its own days.

Store key: ``interval_level`` and ``cost_bps`` only change the main run's evaluation, so
``key_config`` resets them; changing them never reruns this job.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core import comparisons
from core import metrics as fm
from core.data.prices import PriceData
from core.errors import ConfigError, DataError
from core.result import Progress, Result, jsonable
from core.tasks.forecast import models
from core.tasks.forecast.config import MODEL_LABELS, Config
from core.tasks.forecast.evaluate import baseline_label, mase_scale
from core.tasks.forecast.windows import MIN_TEST, Dataset, baselines, prepare, required_rows, warmup_rows
from core.tasks.forecast.windows import load_data as _load_forecast_data

NAME = "forecast-walk-forward"
SCHEMA = 2  # 2: metrics["comparisons"] (core.comparisons)
PRESETS: dict = {}  # the forecast presets apply: findl prewarm trains this after each one with walk_forward > 0
MIN_PER_WINDOW = 5  # test windows per walk-forward window

__all__ = ["NAME", "PRESETS", "SCHEMA", "Config", "key_config", "load_data", "train", "walk_forward"]


def key_config(config: Config) -> Config:
    """Settings that decide this result: all but the main run's evaluation-only ones."""
    default = Config()
    return config.replace(interval_level=default.interval_level, cost_bps=default.cost_bps)


def _min_test(config: Config) -> int:
    return max(MIN_TEST, MIN_PER_WINDOW * config.walk_forward)


def _check(config: Config) -> None:
    if config.walk_forward < 1:
        raise ConfigError("walk_forward=0 turns the walk-forward backtest off; set walk_forward to 2 or more")


def load_data(config: Config, path: Any = None) -> PriceData:
    """The forecast task's data, checked for enough test windows: 5 per walk-forward window."""
    _check(config)
    data = _load_forecast_data(config, path)
    need = required_rows(config, _min_test(config))
    if len(data) - warmup_rows(config.features) < need:
        raise DataError(f"{data.name} is too short for walk_forward={config.walk_forward} (each window needs "
                        f"{MIN_PER_WINDOW} test days; {need} usable rows needed); lower walk_forward or use more data")
    return data


def train(config: Config, data: PriceData, progress: Progress) -> Result:
    from core.device import tensorflow

    _check(config)
    tensorflow()
    import keras

    try:
        ds = prepare(config, data, min_test=_min_test(config))
    except DataError as exc:
        raise DataError(f"{exc} (walk_forward={config.walk_forward} needs {MIN_PER_WINDOW} test windows per "
                        "walk-forward window; lower walk_forward)") from None
    keras.utils.set_random_seed(config.seed)
    trainer = models.make_trainer(config, len(ds.feature_names), models.policy())
    metrics, arrays = walk_forward(config, ds, trainer, progress)
    te = ds.test_origins
    arrays.update({"test_dates": ds.dates[te + 1].asi8.astype(np.int64),
                   "actual": ds.targets(te)[:, 0].astype(float),
                   "naive": baselines(ds, te)["naive"][:, 0].astype(float)})
    info = {"data": {"name": data.name, "source": data.source}, "target": config.target,
            "model_label": MODEL_LABELS[config.model], "notes": list(data.notes)}
    versus = metrics.pop("comparisons")
    return Result(metrics=jsonable({"walk_forward": metrics, "comparisons": versus,
                                    "target": config.target, "n_test": len(te)}),
                  arrays=arrays, info=info)


def epochs_per_window(config: Config) -> int:
    return max(2, config.epochs // 4)


def walk_forward(config: Config, ds: Dataset, trainer, progress: Progress | None = None
                 ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Expanding-window backtest over ``ds``'s test slice (see the module docstring). ``trainer``
    holds a fresh model; window 1 fits it like the main run, later windows warm-start from it."""
    k = config.walk_forward
    wf_epochs = epochs_per_window(config)
    total = config.epochs + (k - 1) * wf_epochs
    te = ds.test_origins
    arrays = {"wf_forecast": np.full(len(te), np.nan), "wf_window": np.zeros(len(te), dtype=np.int64)}
    method = ("expanding window: window 1 uses a model trained like the main run (same rows, settings and seed); "
              f"each later window warm-starts from the previous weights and trains up to {wf_epochs} epochs on all "
              "earlier rows, early-stopped on the slice just before it, with scalers refit on those rows")
    n_val = ds.val_end - ds.train_end
    windows, forecasts, step = [], [], 0
    for j, part in enumerate(np.array_split(np.arange(len(te)), k)):
        origins = te[part]
        first = int(origins[0]) + 1
        wds = ds if j == 0 else ds.with_split(first - n_val, first)
        hist = models.fit(trainer, config, wds, progress, epochs=None if j == 0 else wf_epochs,
                          seed=config.seed + j, step=step, total=total, phase=f"walk-forward {j + 1}/{k}")
        step += hist.limit
        fc = wds.unscale(trainer.predict(wds.inputs(origins)))
        actual = ds.targets(origins)[:, 0]
        naive = baselines(ds, origins)["naive"][:, 0]
        ref = ds.close[origins] if config.target == "price" else None
        scale = mase_scale(config, ds.target[: wds.train_end])
        mm = fm.forecast_metrics(actual, fc[:, 0], scale=scale, reference=ref)
        nm = fm.forecast_metrics(actual, naive, scale=scale, reference=ref)
        ratio = mm["rmse"] / nm["rmse"] if mm["rmse"] is not None and nm["rmse"] else None
        windows.append({"window": j + 1, "start": str(ds.dates[first].date()),
                        "end": str(ds.dates[int(origins[-1]) + 1].date()), "n": len(origins),
                        "train_rows": int(wds.train_end), "epochs_run": int(hist.epochs_run), "model": mm,
                        "naive": nm, "rmse_ratio": ratio, "beat_naive": bool(ratio is not None and ratio < 1)})
        arrays["wf_forecast"][part] = fc[:, 0]
        arrays["wf_window"][part] = j + 1
        forecasts.append(fc[:, 0])
    actual = ds.targets(te)[:, 0]
    naive = baselines(ds, te)["naive"][:, 0]
    ref = ds.close[te] if config.target == "price" else None
    all_fc = np.concatenate(forecasts)
    scale = mase_scale(config, ds.target[: ds.train_end])
    ratios = [w["rmse_ratio"] for w in windows if w["rmse_ratio"] is not None]
    dm = fm.diebold_mariano(actual, all_fc, naive, horizon=1)
    mean = {"model": fm.forecast_metrics(actual, all_fc, scale=scale, reference=ref),
            "naive": fm.forecast_metrics(actual, naive, scale=scale, reference=ref),
            "mean_rmse_ratio": float(np.mean(ratios)) if ratios else None,
            "windows_beating_naive": int(sum(w["beat_naive"] for w in windows)), "dm": dm}
    versus = comparisons.comparison(
        scorer="model", scorer_label=MODEL_LABELS[config.model], baseline="naive",
        baseline_label=baseline_label(config, "naive"), metric="rmse", higher_is_better=False,
        model_value=mean["model"]["rmse"], baseline_value=mean["naive"]["rmse"],
        test="Diebold-Mariano (squared error), all windows", p_value=dm["p_value"], n=dm["n"], unit="test points")
    return {"enabled": True, "windows": windows, "mean": mean, "method": method, "comparisons": [versus],
            "sentence": _sentence(config, windows, mean, versus)}, arrays


def _sentence(config: Config, windows: list[dict], mean: dict, versus: dict) -> str:
    label = MODEL_LABELS[config.model]
    won = mean["windows_beating_naive"]
    ratio = mean["mean_rmse_ratio"]
    return (f"The {label} had a lower RMSE than the naive forecast in {won} of {len(windows)} windows "
            f"(mean RMSE ratio {'n/a' if ratio is None else format(ratio, '.3f')}); over all windows it is "
            f"{comparisons.phrase(versus)}.")
