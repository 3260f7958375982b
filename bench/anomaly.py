"""Anomaly speed: the default autoencoder trained and scored by the project against plain
``model.fit`` / ``model.predict`` on the same rows, in one process.

Both sides use the task's own ``prepare`` (chronological split, normal training rows, scaler fit
on them) and the same model from ``build_autoencoder``; the plain side compiles it with Adam
(Keras' default learning rate 1e-3) and fits with batch 32 for the same number of epochs, early
stopping not used (what a plain script does). Validation loss is the mean reconstruction error of
the normal validation rows for the weights each side hands back. Targets (issue 8, 2-core CPU):
trained and scored >= 3x faster than plain fit + predict at equal or better validation loss;
scoring 100k rows < 1 s. Also: a 50,000 x 60 CSV read through the page's loader and trained.

Run: ``findl bench anomaly`` or ``python -m bench.anomaly [--json]``.
"""

from __future__ import annotations

import argparse

import numpy as np

from bench.common import report, timer

FIT_BATCH = 32
FIT_LEARNING_RATE = 1e-3
TARGET_SPEEDUP = 3.0
VAL_TOLERANCE = 0.02  # "equal": within 2 % of the plain fit's validation loss
SCORE_ROWS = 100_000


def run(epochs: int | None = None) -> dict:
    from core.device import tensorflow
    from core.result import Progress
    from core.tasks import anomaly as an

    config = an.Config() if epochs is None else an.Config(epochs=epochs)
    data = an.load_data(config)
    p = an.prepare(config, data)
    x, xv, n = p.x_fit, p.x_val_fit, p.x_fit.shape[1]
    many = np.resize(p.x_test, (SCORE_ROWS, n))  # 100k rows to score
    seconds: dict[str, float] = {}
    with timer(seconds, "import_tensorflow"):
        tf = tensorflow()
        tf.constant(1.0) + 1.0
    import keras

    keras.utils.set_random_seed(config.seed)
    with timer(seconds, "plain_fit"):
        model, _ = an.models.build_autoencoder(config, n)
        model.compile(optimizer=keras.optimizers.Adam(FIT_LEARNING_RATE), loss="mse")
        model.fit(x, x, batch_size=FIT_BATCH, epochs=config.epochs, validation_data=(xv, xv), verbose=0, shuffle=True)
    with timer(seconds, "plain_predict_test"):
        model.predict(p.x_test, verbose=0)
    fit_val = float(np.mean((model.predict(xv, verbose=0) - xv) ** 2))
    with timer(seconds, "plain_score_100k"):
        an.models.reconstruction_errors(many, model.predict(many, verbose=0))

    keras.utils.set_random_seed(config.seed)
    with timer(seconds, "project"):
        trainer, _ = an.make_trainer(config, n)
        history = trainer.fit(x, x, xv, xv, epochs=config.epochs, batch_size=config.batch_size,
                              patience=config.patience, seed=config.seed, progress=Progress())
    with timer(seconds, "project_predict_test"):
        trainer.predict(p.x_test)
    project_val = trainer.evaluate(xv, xv)
    with timer(seconds, "project_score_100k"):
        an.models.reconstruction_errors(many, trainer.predict(many))
    return {"seconds": seconds, "val_loss": {"plain_fit": fit_val, "project": project_val},
            "project": {"batch_size": config.batch_size, "learning_rate": config.learning_rate,
                        "patience": config.patience, "epochs_run": history.epochs_run, "max_epochs": config.epochs},
            "rows": {"train": len(x), "validation": len(xv), "test": len(p.x_test), "features": n}}


def wide_csv(rows: int = 50_000, columns: int = 60) -> dict:
    """A CSV of ``rows`` x ``columns`` Gaussian features (1 % anomalies shifted in three columns):
    seconds to read it through the page's loader and to train the default on it."""
    import os
    import tempfile
    import time

    import pandas as pd

    from core.result import Progress
    from core.tasks import anomaly as an

    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, columns))
    y = (rng.random(rows) < 0.01).astype(int)
    x[y == 1, :3] += 3
    frame = pd.DataFrame(x, columns=[f"V{i}" for i in range(columns)]).assign(Class=y)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "wide.csv")
        frame.to_csv(path, index=False)
        size = os.path.getsize(path) / 1e6
        start = time.perf_counter()
        data = an.load_data(an.Config(source="csv"), path)
        read = time.perf_counter() - start
        start = time.perf_counter()
        result = an.train(an.Config(source="csv"), data, Progress())
        train = time.perf_counter() - start
    m = result.metrics
    return {"megabytes": round(size, 1), "read": read, "train": train, "roc_auc": round(m["roc_auc"], 3),
            "iforest_roc_auc": round(m["iforest"]["roc_auc"], 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.anomaly")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--epochs", type=int, default=None, help="epochs for both sides (default: the task's)")
    args = parser.parse_args(argv)
    out = run(args.epochs)
    wide = wide_csv()
    s, v, p = out["seconds"], out["val_loss"], out["project"]
    plain = s["plain_fit"] + s["plain_predict_test"]
    project = s["project"] + s["project_predict_test"]
    ratio = plain / project
    rows = [("TensorFlow start-up (not counted)", s["import_tensorflow"], ""),
            (f"plain fit (batch {FIT_BATCH}, Adam {FIT_LEARNING_RATE:g}) + predict test", plain,
             f"val loss {v['plain_fit']:.5f}"),
            (f"project (batch {p['batch_size']}, lr {p['learning_rate']:g}, compiled, early stop) + predict",
             project, f"val loss {v['project']:.5f}, {p['epochs_run']}/{p['max_epochs']} epochs, {ratio:.1f}x faster"),
            (f"plain predict + score {SCORE_ROWS:,} rows", s["plain_score_100k"], ""),
            (f"project predict + score {SCORE_ROWS:,} rows", s["project_score_100k"], ""),
            (f"read a 50,000 x 60 CSV ({wide['megabytes']} MB)", wide["read"], ""),
            ("train the default on it", wide["train"],
             f"ROC-AUC autoencoder {wide['roc_auc']}, IsolationForest {wide['iforest_roc_auc']}")]
    checks = [(f"project >= {TARGET_SPEEDUP:g}x faster than plain fit + predict ({ratio:.2f}x)", ratio >= TARGET_SPEEDUP),
              ((f"project validation loss <= plain fit's within {VAL_TOLERANCE:.0%} "
                f"({v['project']:.5f} vs {v['plain_fit']:.5f})"), v["project"] <= v["plain_fit"] * (1 + VAL_TOLERANCE)),
              (f"scoring {SCORE_ROWS:,} rows in {s['project_score_100k']:.2f} s < 1 s", s["project_score_100k"] < 1.0)]
    extra = {"speedup_vs_fit": round(ratio, 3), "val_loss": {k: round(x, 6) for k, x in v.items()}, "project": p,
             "rows": out["rows"]}
    return report("anomaly default: dense autoencoder on normal transaction rows", rows, checks, extra, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
