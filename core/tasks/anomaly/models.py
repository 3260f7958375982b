"""The dense autoencoder and the two baselines it must beat, all scoring rows the same way
(higher = more anomalous) on the same training rows.

- Autoencoder: inputs -> encoder layers -> bottleneck -> mirrored decoder -> inputs; the score is
  the row's mean squared reconstruction error on the scaled features.
- PCA with as many components as the bottleneck: a linear autoencoder. If it scores as well, the
  non-linearity bought nothing.
- IsolationForest: ADBench's tables show it is hard to beat on tabular data; score is
  ``-score_samples`` (scikit-learn's "higher = more normal", turned around).
"""

from __future__ import annotations

import numpy as np

from core.tasks.anomaly.config import Config

LOSS = "mse"


def build_autoencoder(config: Config, n_features: int):
    """(autoencoder, encoder): dense layers over a row, or 1-D convolutions over a window
    (``config.model``). Both take and return 2-D rows, so scoring and explanations are the same."""
    if config.model == "conv1d":
        return _conv_autoencoder(config, n_features)
    import keras

    inputs = keras.Input((n_features,), name="features")
    x = inputs
    for i, units in enumerate(config.encoder, 1):
        x = keras.layers.Dense(units, activation=config.activation, name=f"encoder_{i}")(x)
        if config.dropout > 0:
            x = keras.layers.Dropout(config.dropout, name=f"encoder_dropout_{i}")(x)
    code = keras.layers.Dense(config.bottleneck, name="bottleneck")(x)  # linear code: the latent view
    x = code
    for i, units in enumerate(reversed(config.encoder), 1):
        x = keras.layers.Dense(units, activation=config.activation, name=f"decoder_{i}")(x)
    outputs = keras.layers.Dense(n_features, dtype="float32", name="reconstruction")(x)
    return keras.Model(inputs, outputs, name="autoencoder"), keras.Model(inputs, code, name="encoder")


def _conv_autoencoder(config: Config, window: int):
    """Conv1D encoder (``config.encoder`` filters, kernel 3) -> dense code -> mirrored Conv1D decoder."""
    import keras

    layers = keras.layers
    inputs = keras.Input((window,), name="window")
    x = layers.Reshape((window, 1))(inputs)
    for i, filters in enumerate(config.encoder, 1):
        x = layers.Conv1D(filters, 3, padding="same", activation=config.activation, name=f"encoder_conv_{i}")(x)
        if config.dropout > 0:
            x = layers.Dropout(config.dropout, name=f"encoder_dropout_{i}")(x)
    code = layers.Dense(config.bottleneck, name="bottleneck")(layers.Flatten()(x))
    channels = config.encoder[-1] if config.encoder else 1
    x = layers.Reshape((window, channels))(
        layers.Dense(window * channels, activation=config.activation, name="decoder_dense")(code))
    for i, filters in enumerate(reversed(config.encoder), 1):
        x = layers.Conv1D(filters, 3, padding="same", activation=config.activation, name=f"decoder_conv_{i}")(x)
    x = layers.Conv1D(1, 3, padding="same", dtype="float32", name="decoder_out")(x)
    outputs = layers.Flatten(name="reconstruction")(x)
    return keras.Model(inputs, outputs, name="conv_autoencoder"), keras.Model(inputs, code, name="encoder")


def reconstruction_errors(x: np.ndarray, reconstruction: np.ndarray) -> np.ndarray:
    """Per-row mean squared error (the anomaly score) of scaled features."""
    return np.mean((np.asarray(x, dtype=np.float64) - reconstruction) ** 2, axis=1)


class PCAScorer:
    """Reconstruction error through the first ``components`` principal components."""

    def __init__(self, components: int, seed: int):
        from sklearn.decomposition import PCA

        self.pca = PCA(n_components=components, random_state=seed)

    def fit(self, x: np.ndarray) -> PCAScorer:
        self.pca.fit(x)
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        return reconstruction_errors(x, self.pca.inverse_transform(self.pca.transform(x)))


class IForestScorer:
    def __init__(self, seed: int):
        from sklearn.ensemble import IsolationForest

        self.forest = IsolationForest(n_estimators=100, random_state=seed, n_jobs=1)

    def fit(self, x: np.ndarray) -> IForestScorer:
        self.forest.fit(x)
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        return -self.forest.score_samples(x)
