"""The forecasting networks and how they are trained.

One block per network type, stacked ``layers`` times, then ``Dense(horizon)`` in float32 (so a
mixed-precision run still outputs float32). Recurrent layers keep the cuDNN conditions (tanh /
sigmoid, no recurrent dropout, not unrolled, with bias) so they run on cuDNN on a GPU. The 1-D CNN
uses causal, dilated convolutions: a step never sees a later step of its window.

Training is the shared compiled loop (``core.nn.keras_loop.Trainer``) with the MSE of the scaled
targets. Keras and TensorFlow are imported inside the functions only.
"""

from __future__ import annotations

from collections.abc import Callable

from core.tasks.forecast.config import Config

LOSS: str | Callable = "mse"   # training loss (a module attribute so a test can swap in a NaN loss)


def _lstm(units: int, more: bool, policy: str, i: int):
    import keras

    return keras.layers.LSTM(units, return_sequences=more, dtype=policy, name=f"lstm_{i}")


def _gru(units: int, more: bool, policy: str, i: int):
    import keras

    return keras.layers.GRU(units, return_sequences=more, dtype=policy, name=f"gru_{i}")


def _bilstm(units: int, more: bool, policy: str, i: int):
    import keras

    return keras.layers.Bidirectional(keras.layers.LSTM(units, return_sequences=more, dtype=policy),
                                      dtype=policy, name=f"bilstm_{i}")


def _cnn(units: int, more: bool, policy: str, i: int):
    """Causal convolution, kernel 5, dilation doubling per layer (1, 2, 4, ...); keeps the sequence."""
    import keras

    return keras.layers.Conv1D(units, 5, padding="causal", dilation_rate=2 ** (i - 1), activation="relu",
                               dtype=policy, name=f"conv_{i}")


BLOCKS: dict[str, Callable] = {"lstm": _lstm, "gru": _gru, "bilstm": _bilstm, "cnn": _cnn}


def build_model(config: Config, n_features: int, policy: str = "float32"):
    """Keras model: (lookback, n_features) windows -> (horizon,) scaled forecasts."""
    import keras

    inputs = keras.Input((config.lookback, n_features), name="window")
    x = inputs
    for i in range(1, config.layers + 1):
        more = i < config.layers or config.model == "cnn"  # the CNN flattens its whole last sequence
        x = BLOCKS[config.model](config.units, more, policy, i)(x)
        if config.dropout > 0:
            x = keras.layers.Dropout(config.dropout, name=f"dropout_{i}")(x)
    if config.model == "cnn":
        x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(config.horizon, dtype="float32", name="forecast")(x)
    return keras.Model(inputs, outputs, name=f"forecast_{config.model}")


def policy() -> str:
    """'mixed_float16' on a GPU, 'float32' on a CPU (core.device)."""
    from core.device import mixed_precision_policy

    return mixed_precision_policy()


def make_trainer(config: Config, n_features: int, dtype_policy: str = "float32"):
    """A fresh model (weights from Keras' global seed) inside the shared compiled loop."""
    from core.nn.keras_loop import Trainer

    model = build_model(config, n_features, dtype_policy)
    return Trainer(model, LOSS, learning_rate=config.learning_rate, mixed=dtype_policy != "float32")


def fit(trainer, config: Config, ds, progress=None, *, epochs: int | None = None, seed: int | None = None,
        step: int = 0, total: int | None = None, phase: str = "train"):
    """Train on ``ds``'s training windows, early-stopped on its validation windows only.
    ``epochs=None``: the run's own budget (``config.epochs``, raised to ``config.min_steps``
    gradient steps on a short series); a number (walk-forward's later windows): that many at most."""
    tr, va = ds.train_origins, ds.val_origins
    return trainer.fit(ds.inputs(tr), ds.scaled_targets(tr), ds.inputs(va), ds.scaled_targets(va),
                       epochs=epochs or config.epochs, min_steps=config.min_steps if epochs is None else 0,
                       batch_size=config.batch_size, patience=config.patience,
                       seed=config.seed if seed is None else seed, progress=progress, step=step, total=total,
                       phase=phase)
