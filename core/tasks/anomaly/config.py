"""Anomaly-detection settings: the Config every entry point validates (widgets, links, CLI).

What is *not* here on purpose: the threshold rule, its k and the number of alerts reviewed. They
are view settings of a trained run (moving them never retrains), computed from the stored scores
(``core.tasks.anomaly.thresholds``).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.config import TaskConfig, param
from core.errors import ConfigError
from core.tasks import Preset

NAME = "anomaly"

SOURCES = ("transactions", "market", "csv")
ACTIVATIONS = ("relu", "tanh", "elu")
TRAIN_ON = ("normal", "all")
SCALINGS = ("log-standard", "standard", "robust")
MODELS = ("dense", "conv1d")
SCORERS = {"ae": "autoencoder", "pca": "PCA (linear)", "iforest": "IsolationForest"}


@dataclass(frozen=True)
class Config(TaskConfig):
    TASK = NAME

    seed: int = param(0, min=0, max=2**31 - 1, help="Seed of the weights, the batch order and the IsolationForest.")
    epochs: int = param(20, min=1, max=500, help="Most passes over the training rows (early stopping may end sooner).")
    learning_rate: float = param(0.01, min=1e-6, max=1.0, help="Adam step size (log scale).")
    batch_size: int = param(512, min=8, max=8192, help="Rows per gradient step.")
    source: str = param("transactions", choices=SOURCES,
                        help="Data: generated card transactions with known fraud scenarios, market days of the "
                             "bundled S&P 500 / NASDAQ with known stress days, or a CSV of numeric columns with an "
                             "optional 0/1 label column (label, Class or y).")
    index: str = param("sp500", choices=("sp500", "nasdaq"), help="Market mode: the bundled index.")
    customers: int = param(500, min=50, max=20_000, help="Generated customers.")
    days: int = param(120, min=30, max=730, help="Generated days of transactions.")
    fraud_rate: float = param(0.01, min=0.001, max=0.05, help="Share of fraudulent transactions generated.")
    data_seed: int = param(0, min=0, max=2**31 - 1, help="Seed of the generated transactions.")
    scaling: str = param("log-standard", choices=SCALINGS,
                         help="Feature scaling fitted on the training rows: log1p of non-negative heavy-tailed "
                              "columns then z-score, plain z-score, or median/IQR.")
    model: str = param("dense", choices=MODELS,
                       help="dense: a row of features; conv1d (market days): the 10-day return window read as a "
                            "sequence by 1-D convolutions.")
    encoder: tuple[int, ...] = param((32, 16), item_min=1, item_max=512, max_items=4,
                                     help="Encoder layer sizes, e.g. 32,16 (the decoder mirrors them).")
    bottleneck: int = param(4, min=1, max=256, help="Size of the code in the middle; smaller than the inputs.")
    activation: str = param("relu", choices=ACTIVATIONS, help="Activation of the hidden layers.")
    dropout: float = param(0.0, min=0.0, max=0.8, help="Dropout after each hidden layer while training.")
    train_on: str = param("normal", choices=TRAIN_ON,
                          help="Train on the normal training rows only (labels used for that alone), or on all.")
    val_fraction: float = param(0.2, min=0.05, max=0.4,
                                help="Share of rows (after the training rows, in time order) for early stopping "
                                     "and threshold choice.")
    test_fraction: float = param(0.2, min=0.05, max=0.5, help="Last share of rows, in time order, for the test.")
    patience: int = param(4, min=1, max=100, help="Epochs without a better validation loss before stopping.")

    def check(self) -> None:
        if self.model == "conv1d" and self.source != "market":
            raise ConfigError("model=conv1d reads market windows: use it with source=market")
        if self.val_fraction + self.test_fraction > 0.7:
            raise ConfigError("val_fraction + test_fraction must leave at least 30 % of rows for training")


# Each sentence is what the numbers show over data seeds 0-2 (tests/test_anomaly.py checks it).
PRESETS = {
    "threshold-trade-off": Preset(
        "Same scores, four rules: the largest training error flags almost no test rows; mean + 1 std flags over "
        "five times as many as best F1 on validation, mostly false alarms. Where to draw the line is a business "
        "choice, not a property of the model.", {}),
    "rare-fraud": Preset(
        "0.2 % fraud: answering 'normal' is right 99.8 % of the time and catches nothing. PR-AUC stays near zero "
        "for every scorer (about 0.1 at best) and precision@k shows how few of the top alerts are fraud.",
        {"fraud_rate": 0.002}),
    "ae-vs-pca": Preset(
        "Does the non-linearity help? Not here: with a 2-unit bottleneck, PCA with 2 components ranks the frauds "
        "better than the autoencoder (ROC-AUC 0.02-0.09 higher over three seeds), and IsolationForest beats both.",
        {"bottleneck": 2}),
    "crash-days-conv": Preset(
        "The same stress days through a 1-D convolutional autoencoder over the 10-day return window (the baselines "
        "see the same window): it ranks the two test-year stress days near the top too (ROC-AUC above 0.9).",
        {"source": "market", "model": "conv1d", "encoder": (16, 8)}),
    "crash-days": Preset(
        "Market days, with seven known stress days as the only labels: the two in the test years (2015-2018) rank "
        "near the top for every scorer (ROC-AUC above 0.9), but two days are an anecdote, not evidence.",
        {"source": "market"}),
}

