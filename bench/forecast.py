"""Forecast speed: the project's default training vs plain ``model.fit`` (batch 32) on the
reference run in docs/DESIGN.md: S&P 500 log returns (bundled, offline), lookback 60, one LSTM(64) +
Dense, 10 epochs. Target on a 2-core CPU: the project's training >= 4x faster than the plain fit
at equal or better validation loss (the loss of the model each procedure hands back: the last
epoch's weights for plain fit, the restored best weights for the project).

Both trainings run in this one process on the same windows, built by the task's own
``prepare`` (scalers fit on the training rows), with the same model from ``build_model``; the
project side is the shared compiled loop ``core.nn.keras_loop.Trainer`` as the task builds it
(``core.tasks.forecast.models.make_trainer``).

Run: ``findl bench forecast`` or ``python -m bench.forecast [--json]``.
"""

from __future__ import annotations

import argparse

import numpy as np

from bench.common import report, timer

REFERENCE = {"source": "sp500", "target": "log_return", "lookback": 60, "horizon": 1, "features": ("returns",),
             "model": "lstm", "units": 64, "layers": 1, "dropout": 0.0, "epochs": 10, "walk_forward": 0, "seed": 0}
FIT_BATCH = 32
FIT_LEARNING_RATE = 1e-3  # Keras' Adam default: what a plain fit would use
TARGET_SPEEDUP = 4.0
VAL_TOLERANCE = 1e-3      # "equal" allows 0.1 % for float noise


def run(epochs: int = 10) -> dict:
    from core.device import tensorflow
    from core.result import Progress
    from core.tasks import forecast as fc

    config = fc.Config(**{**REFERENCE, "epochs": epochs})
    data = fc.load_data(config)
    ds = fc.prepare(config, data)
    tr, va = ds.train_origins, ds.val_origins
    x, y, xv, yv = ds.inputs(tr), ds.scaled_targets(tr), ds.inputs(va), ds.scaled_targets(va)
    seconds: dict[str, float] = {}
    with timer(seconds, "import_tensorflow"):
        tf = tensorflow()
        tf.constant(1.0) + 1.0  # initialise the runtime outside both timings
    import keras  # after tensorflow(): TF's start-up log stays muted

    # plain model.fit, batch 32
    keras.utils.set_random_seed(config.seed)
    with timer(seconds, "plain_fit"):
        model = fc.build_model(config, len(ds.feature_names))
        model.compile(optimizer=keras.optimizers.Adam(FIT_LEARNING_RATE), loss="mse")
        fit_history = model.fit(x, y, batch_size=FIT_BATCH, epochs=config.epochs, validation_data=(xv, yv),
                                verbose=0, shuffle=True)
    fit_val = float(np.mean((model.predict(xv, verbose=0, batch_size=1024) - yv) ** 2))

    # the project's default training (what train() runs for this config)
    keras.utils.set_random_seed(config.seed)
    with timer(seconds, "project"):
        trainer = fc.models.make_trainer(config, len(ds.feature_names))
        history = trainer.fit(x, y, xv, yv, epochs=config.epochs, batch_size=config.batch_size,
                              patience=config.patience, seed=config.seed, progress=Progress())
    project_val = trainer.evaluate(xv, yv)

    # the same compiled loop without early stopping: how much of the gain is per-epoch speed
    keras.utils.set_random_seed(config.seed)
    with timer(seconds, "project_all_epochs"):
        full = fc.models.make_trainer(config, len(ds.feature_names))
        full_history = full.fit(x, y, xv, yv, epochs=config.epochs, batch_size=config.batch_size,
                                patience=config.epochs, seed=config.seed, progress=Progress())
    zero_val = float(np.mean(yv.astype(float) ** 2))  # a constant zero forecast, for scale
    return {
        "seconds": seconds,
        "val_loss": {"plain_fit_final": fit_val, "plain_fit_best_epoch": float(min(fit_history.history["val_loss"])),
                     "project": project_val, "project_all_epochs_best": float(full_history.best_val),
                     "zero_forecast": zero_val},
        "project": {"batch_size": config.batch_size, "learning_rate": config.learning_rate,
                    "patience": config.patience, "epochs_run": history.epochs_run,
                    "best_epoch": history.best_epoch, "max_epochs": config.epochs},
        "windows": {"train": len(x), "validation": len(xv)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.forecast")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--epochs", type=int, default=10, help="epochs of the reference run (default 10)")
    args = parser.parse_args(argv)
    out = run(args.epochs)
    s, v, p = out["seconds"], out["val_loss"], out["project"]
    ratio = s["plain_fit"] / s["project"]
    per_epoch = s["plain_fit"] / s["project_all_epochs"]
    val_ok = v["project"] <= v["plain_fit_final"] * (1 + VAL_TOLERANCE)
    rows = [("TensorFlow start-up (not counted)", s["import_tensorflow"], ""),
            (f"plain model.fit, batch {FIT_BATCH}, Adam {FIT_LEARNING_RATE:g}", s["plain_fit"],
             f"val loss {v['plain_fit_final']:.5f} (best epoch {v['plain_fit_best_epoch']:.5f})"),
            (f"project default (batch {p['batch_size']}, lr {p['learning_rate']:g}, compiled step, early stop)",
             s["project"],
             f"val loss {v['project']:.5f}, {p['epochs_run']}/{p['max_epochs']} epochs, {ratio:.1f}x faster"),
            ("same loop, all epochs (no early stopping; not the default)", s["project_all_epochs"],
             f"best val loss {v['project_all_epochs_best']:.5f}, {per_epoch:.1f}x faster per epoch")]
    checks = [(f"project >= {TARGET_SPEEDUP:g}x faster than plain fit ({ratio:.2f}x)", ratio >= TARGET_SPEEDUP),
              ((f"project validation loss <= plain fit's ({v['project']:.5f} vs {v['plain_fit_final']:.5f}, "
                f"tolerance {VAL_TOLERANCE:.1%})"), val_ok)]
    extra = {"speedup_vs_fit": round(ratio, 3), "speedup_all_epochs": round(per_epoch, 3), "val_loss": {k: round(x, 6) for k, x in v.items()},
             "project": p, "windows": out["windows"],
             "note": f"zero-forecast validation loss {v['zero_forecast']:.5f}: returns are close to unpredictable"}
    return report("forecast reference run: S&P 500 log returns, lookback 60, LSTM(64) + Dense, "
                  f"{args.epochs} epochs", rows, checks, extra, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
