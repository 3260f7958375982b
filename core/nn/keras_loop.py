"""A compiled Keras training loop over in-memory arrays, shared by the lesson pages that train a
Keras model: forecasting (and its walk-forward windows), the anomaly autoencoder, sentiment.

Why not ``model.fit``: on the 2-core CPU ``fit`` with batch 32 spends most of its time in
per-batch Python and callback overhead (``findl bench forecast``). Here one ``tf.function`` with a
fixed input signature (batch dimension ``None``) is traced once per Trainer and reused for every
epoch, batch size and walk-forward window; the arrays stay in NumPy and each batch is a fancy
index. AutoGraph is off: Keras layers already build their loops with ``tf.while_loop``, and
converting their Python saves nothing but costs ~0.1 s of tracing and ~0.2 s of graph
optimisation on the first step.

What differs between tasks is a parameter, not a copy of the loop:

* ``loss``: "mse" (regression, autoencoders: x -> x), "sparse_categorical_crossentropy"
  (integer class labels, model outputs logits), or a callable ``loss(y_true, y_pred)`` returning
  per-sample losses (or their mean).
* the input signature comes from the model (``keras.Input(shape, dtype=...)``): float windows
  (n, lookback, features), float rows (n, features), int32 token ids (n, seq_len) all work;
  the target signature follows from the loss (float with the output's shape, or int32 labels)
  unless ``target_shape`` / ``target_dtype`` say otherwise.
* ``class_weight`` ({class: weight}) weights the training loss per sample (sparse labels only);
  the validation loss is unweighted, so early stopping compares like with like.
* ``min_steps``: the training budget adapts to the data size (``epoch_limit``): on small data the
  epoch limit is raised until it allows that many gradient steps.

Honest early stopping: ``fit`` watches only the validation arrays it is given and restores the
weights of the best validation epoch. A fit that ends at its epoch limit before early stopping
could end it (the validation score improved within the last ``patience`` epochs) says so:
``FitHistory.hit_limit``, in every Keras task's metrics (``FitHistory.metrics``) and, in words,
``limit_note`` on its page. ``progress`` (``core.result.Progress``) gets one event per
epoch and raises ``Cancelled`` when the user cancels; a NaN/inf loss raises ``TrainingDiverged``.
TensorFlow is imported when a Trainer is built, never at module import.

Use (the seed first: ``keras.utils.set_random_seed``)::

    trainer = Trainer(model, "mse", learning_rate=1e-3)               # autoencoder: fit(x, x, xv, xv, ...)
    trainer = Trainer(model, "sparse_categorical_crossentropy",       # text: int32 ids -> logits
                      learning_rate=1e-3, class_weight={0: 1.0, 1: 3.0})
    history = trainer.fit(x, y, x_val, y_val, epochs=20, batch_size=256, patience=3, seed=0,
                          progress=progress)                          # FitHistory: loss, val_loss, best_*
    outputs = trainer.predict(x_test)                                 # float32, chunked
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.errors import TrainingDiverged

PREDICT_CHUNK = 4096  # rows per scoring step: every task's predict/score path chunks by this (bounded memory)
MIN_STEPS = 1000  # the fewest gradient steps a Keras task's fit is allowed (its ``min_steps`` setting's default)


def epoch_limit(epochs: int, n_rows: int, batch_size: int, min_steps: int = 0) -> int:
    """The most epochs a fit runs: ``epochs``, raised on small data until they allow ``min_steps``
    gradient steps. Why: epoch counts are set for the bundled data; a 3,000-row file at batch 512
    has 4 steps an epoch, so 20 epochs were 80 steps and the autoencoder stopped at its limit while
    still improving. Early stopping still ends a fit that no longer improves, so the bundled
    defaults (thousands of steps, or stopped early) train as before."""
    per_epoch = max(1, math.ceil(n_rows / batch_size))
    return max(epochs, math.ceil(min_steps / per_epoch))


def min_steps_setting() -> Any:
    """The ``min_steps`` field of every Keras task's Config (one definition for the three tasks)."""
    from core.config import param

    return param(MIN_STEPS, min=0, max=100_000,
                 help="Fewest gradient steps: on small data the epoch limit is raised until it allows this many "
                      "(early stopping may still end sooner); 0 = the epoch limit alone.")


def limit_note(metrics: dict[str, Any]) -> str | None:
    """The page's sentence when training ended at its epoch limit while still improving
    (``metrics["hit_limit"]``), else None."""
    if not metrics.get("hit_limit"):
        return None
    return (f"Training stopped at its limit of {metrics['epoch_limit']} epochs while the validation score was "
            f"still improving (best epoch {metrics['best_epoch']}): early stopping had not ended it, so this model "
            "may be under-trained. Raise epochs (or min_steps) to train longer.")


def save_model(model, prefix: str) -> str:
    """Save a Keras model to a new temporary ``.keras`` file (the store copies it and
    ``jobs.execute`` removes the temporary one); returns the path."""
    import os
    import tempfile

    fd, path = tempfile.mkstemp(suffix=".keras", prefix=f"findl-{prefix}-")
    os.close(fd)
    model.save(path)
    return path


def _tf():
    from core.device import tensorflow

    return tensorflow()


def mse(y_true, y_pred):
    """Per-sample mean squared error (float32 even under mixed precision)."""
    tf = _tf()
    err = tf.cast(y_pred, tf.float32) - tf.cast(y_true, tf.float32)
    return tf.reduce_mean(tf.reshape(tf.square(err), [tf.shape(err)[0], -1]), axis=1)


def sparse_categorical_crossentropy(y_true, y_pred):
    """Per-sample cross-entropy of integer labels against logits."""
    tf = _tf()
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(y_true, tf.int32),
                                                          logits=tf.cast(y_pred, tf.float32))


LOSSES: dict[str, Callable] = {"mse": mse, "sparse_categorical_crossentropy": sparse_categorical_crossentropy}


def _lengths(ids: np.ndarray) -> np.ndarray:
    """Tokens up to the last non-padding id (0 = padding), per row."""
    positions = np.arange(1, ids.shape[1] + 1)
    return np.where(ids != 0, positions, 0).max(axis=1, initial=0)


@dataclass
class FitHistory:
    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)  # monitor="accuracy" only
    best_epoch: int = 0
    best_val: float = math.inf  # the validation loss of the best epoch
    limit: int = 0  # the most epochs this fit could run (``epoch_limit``)
    stopped_early: bool = False

    @property
    def epochs_run(self) -> int:
        return len(self.loss)

    @property
    def hit_limit(self) -> bool:
        """Ended by the epoch limit, not by early stopping: the validation score improved within
        the last ``patience`` epochs, so more epochs might still help."""
        return not self.stopped_early and self.epochs_run == self.limit

    def metrics(self) -> dict[str, Any]:
        """The training keys of a Keras task's metrics (the same names in every task)."""
        return {"val_loss": float(self.best_val), "best_epoch": int(self.best_epoch),
                "epochs_run": int(self.epochs_run), "epoch_limit": int(self.limit), "hit_limit": self.hit_limit}


class Trainer:
    """A model with its optimizer (Adam) and compiled train / predict steps (traced once).

    ``Trainer(model, loss="mse", learning_rate=1e-3, mixed=False, class_weight=None,
    target_shape=None, target_dtype=None)``; then ``fit(x, y, x_val, y_val, epochs=, batch_size=,
    patience=, seed=, progress=)``, ``predict(x)``, ``evaluate(x, y)``.
    """

    def __init__(self, model, loss: str | Callable = "mse", *, learning_rate: float = 1e-3,
                 mixed: bool = False, class_weight: dict[int, float] | None = None,
                 target_shape: tuple[int, ...] | None = None, target_dtype: str | None = None):
        import keras

        tf = _tf()
        self.model = model
        loss_fn = LOSSES[loss] if isinstance(loss, str) else loss
        sparse = loss == "sparse_categorical_crossentropy"
        optimizer = keras.optimizers.Adam(learning_rate)
        if mixed:
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        self.optimizer = optimizer
        variables = model.trainable_variables
        optimizer.build(variables)

        x_spec = tf.TensorSpec([None, *model.input_shape[1:]], tf.as_dtype(model.inputs[0].dtype))
        if target_shape is None:
            target_shape = () if sparse else tuple(model.output_shape[1:])
        y_spec = tf.TensorSpec([None, *target_shape], tf.as_dtype(target_dtype or ("int32" if sparse else "float32")))
        self.x_dtype, self.y_dtype = x_spec.dtype.as_numpy_dtype, y_spec.dtype.as_numpy_dtype
        weights = None
        if class_weight:
            if not sparse:
                raise ValueError("class_weight needs integer labels (loss='sparse_categorical_crossentropy')")
            table = np.ones(max(class_weight) + 1, np.float32)
            for label, w in class_weight.items():
                table[label] = w
            weights = tf.constant(table)

        def train_step(x, y):
            with tf.GradientTape() as tape:
                per_sample = loss_fn(y, model(x, training=True))
                if weights is not None:
                    per_sample = per_sample * tf.gather(weights, y)
                value = tf.reduce_mean(per_sample)
                scaled = optimizer.scale_loss(value) if mixed else value
            grads = tape.gradient(scaled, variables)
            optimizer.apply(grads, variables)
            return value

        def predict_step(x):
            return tf.cast(model(x, training=False), tf.float32)

        compile_ = dict(autograph=False)  # see the module docstring
        self._train_step = tf.function(train_step, input_signature=[x_spec, y_spec], **compile_)
        self._predict_step = tf.function(predict_step, input_signature=[x_spec], **compile_)
        self._loss_fn, self._tf = loss_fn, tf
        # Token ids of any length (Input((None,), "int32")): batches are cut to their longest row
        # and built from rows of similar length (see ``_batches``); the model's padding masks make
        # the cut padding irrelevant (tests/test_sentiment_models.py checks padding invariance).
        self.trim = x_spec.dtype.is_integer and x_spec.shape.rank == 2 and model.input_shape[1] is None

    def _x(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=self.x_dtype)

    def _y(self, y: np.ndarray) -> np.ndarray:
        return np.asarray(y, dtype=self.y_dtype)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Model outputs as float32, in chunks of PREDICT_CHUNK rows (token ids: rows sorted by
        length, each chunk cut to its longest row, outputs put back in the input order)."""
        x = self._x(x)
        if len(x) == 0:
            return np.zeros((0, *self.model.output_shape[1:]), np.float32)
        if not self.trim:
            parts = [self._predict_step(x[i:i + PREDICT_CHUNK]).numpy() for i in range(0, len(x), PREDICT_CHUNK)]
            return np.concatenate(parts)
        lengths = _lengths(x)
        order = np.argsort(lengths, kind="stable")
        out = np.empty((len(x), *self.model.output_shape[1:]), np.float32)
        for i in range(0, len(x), PREDICT_CHUNK):
            rows = order[i:i + PREDICT_CHUNK]
            out[rows] = self._predict_step(x[rows, :max(1, lengths[rows].max())]).numpy()
        return out

    def _batches(self, x: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
        """Row indices of each training batch, shuffled. Token ids: each window of 50 batches of the
        shuffled rows is sorted by length before it is cut into batches, and the batches are
        shuffled again: a batch holds rows of similar length, so cutting it to its longest row
        drops most of the padding (headlines average 15 words in 40 slots), with the rows still
        drawn at random."""
        order = rng.permutation(len(x))
        if not self.trim:
            return [order[i:i + batch_size] for i in range(0, len(x), batch_size)]
        lengths = _lengths(x)
        window = 50 * batch_size
        batches = []
        for w in range(0, len(x), window):
            chunk = order[w:w + window]
            chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
            batches += [chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size)]
        return [batches[i] for i in rng.permutation(len(batches))]

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> float:
        """Mean unweighted loss over ``x``, ``y`` (the validation loss early stopping watches):
        the traced predict step, then the loss on its outputs eagerly (a few ops: cheaper than
        tracing a third function)."""
        y = self._y(y)
        if len(y) == 0:
            return math.nan
        per_sample = self._loss_fn(self._tf.constant(y), self._tf.constant(self.predict(x)))
        return float(self._tf.reduce_mean(self._tf.cast(per_sample, self._tf.float64)))

    def fit(self, x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, *, epochs: int,
            batch_size: int, patience: int, seed: int = 0, progress: Any = None, step: int = 0,
            total: int | None = None, phase: str = "train", monitor: str = "loss", min_steps: int = 0
            ) -> FitHistory:
        """Shuffled mini-batches; early stopping on the validation loss (``patience`` epochs
        without a better one) with the best epoch's weights restored. ``monitor="accuracy"``
        (classifiers): the best epoch is the one with the highest validation accuracy (ties: the
        lower loss). Why offered: a classifier's cross-entropy rises as it grows confident while
        its accuracy still improves (the sentiment page: validation loss bottomed at epoch 1-2).
        Runs at most ``epoch_limit(epochs, len(x), batch_size, min_steps)`` epochs. Reports each
        epoch to ``progress.update(step + epoch, total, loss=, val_loss=, phase=)``; ``total`` grows
        to cover a limit raised by ``min_steps``."""
        if monitor not in ("loss", "accuracy"):
            raise ValueError("monitor must be 'loss' or 'accuracy'")
        x, y, x_val, y_val = self._x(x), self._y(y), self._x(x_val), self._y(y_val)
        lengths = _lengths(x) if self.trim else None
        rng = np.random.default_rng(seed)
        n = len(x)
        history = FitHistory(limit=epoch_limit(epochs, n, batch_size, min_steps))
        best_weights = self.model.get_weights()
        total = max(total or 0, step + history.limit)
        for epoch in range(history.limit):
            losses = []
            for idx in self._batches(x, batch_size, rng):
                xb = x[idx]
                if self.trim:
                    xb = xb[:, :max(1, lengths[idx].max())]
                losses.append(self._train_step(xb, y[idx]) * len(idx))
            train_loss = float(np.sum([t.numpy() for t in losses]) / n)
            val = self.evaluate(x_val, y_val)
            history.loss.append(train_loss)
            history.val_loss.append(val)
            extra = {}
            if monitor == "accuracy":
                right = self.predict(x_val).argmax(axis=-1) == y_val
                extra["val_accuracy"] = float(np.mean(right)) if len(y_val) else math.nan
                history.val_accuracy.append(extra["val_accuracy"])
            if progress is not None:
                progress.update(step + epoch + 1, total, loss=train_loss, val_loss=val, phase=phase, **extra)
            if not (math.isfinite(train_loss) and math.isfinite(val)):
                raise TrainingDiverged()
            if monitor == "accuracy":
                best_acc = history.val_accuracy[history.best_epoch - 1] if history.best_epoch else -math.inf
                better = (extra["val_accuracy"], -val) > (best_acc, -history.best_val)
            else:
                better = val < history.best_val
            if better:
                history.best_val, history.best_epoch = val, epoch + 1
                best_weights = self.model.get_weights()
            elif epoch + 1 - history.best_epoch >= patience:
                history.stopped_early = True
                break
        self.model.set_weights(best_weights)
        return history
