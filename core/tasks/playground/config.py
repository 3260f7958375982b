"""The playground's settings (with their limits: links, CLI and widgets share them), its lesson
presets and the capacity sweep. No TensorFlow: the web server imports this."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.config import TaskConfig, param
from core.data import toy2d
from core.errors import ConfigError
from core.nn import mlp
from core.split import chronological
from core.tasks import Preset

NAME = "playground"
MAX_SNAPSHOTS = 50  # snapshots of the boundary over training (the epoch scrubber)
SPLITS = ("auto", "random", "time")

FEATURES = {
    "x1": ("X1", lambda a, b: a),
    "x2": ("X2", lambda a, b: b),
    "x1sq": ("X1²", lambda a, b: a * a),
    "x2sq": ("X2²", lambda a, b: b * b),
    "x1x2": ("X1·X2", lambda a, b: a * b),
    "sinx1": ("sin X1", lambda a, b: np.sin(a)),
    "sinx2": ("sin X2", lambda a, b: np.sin(b)),
}


@dataclass(frozen=True)
class Config(TaskConfig):
    TASK = NAME

    seed: int = param(0, min=0, max=2**31 - 1, help="Seed of the weights and batch order.")
    epochs: int = param(200, min=1, max=2000, help="Passes over the training points.")
    learning_rate: float = param(0.03, min=1e-5, max=10.0, help="Step size of the optimizer (log scale).")
    batch_size: int = param(32, min=1, max=200_000, help="Points per gradient step; = number of training points is full batch.")
    dataset: str = param("moons", choices=toy2d.DATASETS, help="Which 2-D dataset.")
    n_samples: int = param(500, min=20, max=5000, help="Number of generated points.")
    noise: float = param(0.2, min=0.0, max=1.0, help="Noise of the generated points.")
    test_ratio: float = param(0.3, min=0.1, max=0.9, help="Share of points held out for testing.")
    split: str = param("auto", choices=SPLITS,
                       help="How test points are chosen. random: a stratified random share. time: the last "
                            "rows of a file in time order (a random split would let the network see the "
                            "future). auto: time when the CSV has a date column, else random.")
    data_seed: int = param(0, min=0, max=2**31 - 1, help="Seed of the data and of the train/test split.")
    features: tuple[str, ...] = param(("x1", "x2"), choices=tuple(FEATURES), max_items=len(FEATURES),
                                      help="Input features fed to the network.")
    hidden: tuple[int, ...] = param((8, 8), item_min=1, item_max=512, max_items=6,
                                    help="Neurons per hidden layer, e.g. 8,8; empty = no hidden layer.")
    activation: str = param("tanh", choices=mlp.ACTIVATIONS, help="Activation of the hidden layers.")
    dropout: float = param(0.0, min=0.0, max=0.9, help="Share of hidden units dropped in each training step.")
    regularizer: str = param("none", choices=mlp.REGULARIZERS, help="Weight penalty.")
    reg_rate: float = param(0.001, min=0.0, max=1.0, help="Strength of the weight penalty.")
    optimizer: str = param("adam", choices=mlp.OPTIMIZERS, help="Update rule.")
    engine: str = param("tensorflow", choices=("tensorflow", "numpy"), help="Who computes the gradients.")
    seeds: int = param(1, min=1, max=8, help="Train this many seeds at once to see how much runs disagree.")

    def check(self) -> None:
        if not self.features:
            raise ConfigError("choose at least one input feature")
        if len(set(self.features)) != len(self.features):
            raise ConfigError("each input feature may be chosen once")
        if self.split == "time" and self.dataset != "csv":
            raise ConfigError("split=time is for a CSV whose rows are in time order; generated datasets "
                              "have no time order (use split=random or auto)")
        if self.dataset != "csv":
            n_train = train_size(self.n_samples, self.test_ratio)
            if self.batch_size > n_train:
                raise ConfigError(f"batch_size {self.batch_size} is larger than the {n_train} training "
                                  f"points; use at most {n_train} (that is full batch)")

    @property
    def snapshot_every(self) -> int:
        return max(1, math.ceil(self.epochs / MAX_SNAPSHOTS))


def train_size(n: int, test_ratio: float) -> int:
    """Training rows after the split, random or in time order (both round the test share up)."""
    return chronological(n, test_ratio, round_test_up=True).train.stop


PRESETS = {
    "default": Preset("Two moons with a small tanh network: the boundary bends to follow the data."),
    "underfit-linear": Preset("No hidden layer is logistic regression: a straight line cannot separate the moons.",
                              dict(hidden=(), activation="linear")),
    "overfit": Preset("100 noisy points, three wide layers, 1000 epochs: train accuracy 94-100 %, test accuracy "
                      "10-17 points lower, and the test loss climbs far above its best value.",
                      dict(n_samples=100, noise=0.35, hidden=(64, 64, 64), activation="relu", epochs=1000,
                           learning_rate=0.01, batch_size=16)),
    "dropout-cures-overfit": Preset("The overfit setup with 30 % dropout and an L2 penalty: a smoother boundary and a "
                                    "much lower test loss; on 30 test points the accuracy hardly changes.",
                                    dict(n_samples=100, noise=0.35, hidden=(64, 64, 64), activation="relu", epochs=1000,
                                         learning_rate=0.01, batch_size=16, dropout=0.3, regularizer="l2", reg_rate=0.001)),
    "features-not-depth": Preset("Circles with X1² and X2² as inputs: a network with no hidden layer solves them.",
                                 dict(dataset="circles", noise=0.1, hidden=(), features=("x1sq", "x2sq"))),
    "xor-product": Preset("XOR needs interaction: the single feature X1·X2 makes it linear.",
                          dict(dataset="xor", noise=0.05, hidden=(), features=("x1x2",))),
    "lr-too-high": Preset("Plain SGD with learning rate 8: the loss jumps up and down from epoch to epoch instead of "
                          "falling smoothly.",
                          dict(optimizer="sgd", learning_rate=8.0, epochs=100)),
    "lr-too-low": Preset("Plain SGD with learning rate 0.0001: after 200 epochs the loss has barely fallen (about "
                         "0.8 to 0.66) and the boundary is still crude.",
                         dict(optimizer="sgd", learning_rate=0.0001)),
    "spiral-deep": Preset("Spirals need depth: four ReLU layers of 16 trace both arms from x1, x2 alone, where no "
                          "hidden layer reaches only about 65 % even with sin features.",
                          dict(dataset="spiral", noise=0.1, n_samples=800, hidden=(16, 16, 16, 16), activation="relu",
                               epochs=600, learning_rate=0.01)),
    "seeds-disagree": Preset("Eight seeds on 80 noisy points: where the data is thin, the boundaries disagree.",
                             dict(n_samples=80, noise=0.35, hidden=(16, 16), seeds=8, batch_size=8)),
    "credit-default": Preset("Credit default: income vs debt-to-income. Set the costs of a missed default and of a refused good client to find the cost-optimal threshold.",
                             dict(dataset="credit", noise=0.1, n_samples=1500, hidden=(8, 8), epochs=150)),
    "fraud-imbalance": Preset("3 % fraud overlapping legitimate payments: about 97 % accuracy, no better than always "
                              "saying 'legit'; recall and F1 show how few frauds the 0.5 threshold catches, AUC that "
                              "the network still ranks most of them higher.",
                              dict(dataset="fraud", noise=0.1, n_samples=2000, hidden=(8, 8), epochs=150)),
}

# The classic capacity lesson (Klaas, Machine Learning for Finance, ch. 1): one hidden layer of 1, 3
# and 500 tanh neurons on 90 noisy training moons. One tanh neuron is a monotone function of one
# linear combination, so its boundary is a straight line. Over data seeds 0-5 the 500-neuron network
# reaches ~99 % train accuracy with the largest train-test gap and a test loss about three times the
# 3-neuron network's (tests/test_playground_task.py::test_capacity_sweep_teaches_what_it_claims).
CAPACITY_SWEEP = {
    "description": "One hidden layer of 1, 3 and 500 tanh neurons on 90 noisy training moons. One neuron can only "
                   "draw a straight line (underfits); three follow the moons; five hundred fit the noise: near "
                   "perfect on the training points, a larger train-test gap and a higher test loss.",
    "base": dict(n_samples=150, test_ratio=0.4, noise=0.35, activation="tanh", epochs=2000, learning_rate=0.03,
                 batch_size=16),
    "hidden": [(1,), (3,), (500,)],
}


def sweep_configs(data_seed: int = 0) -> list[Config]:
    return [Config(**CAPACITY_SWEEP["base"], hidden=h, data_seed=data_seed) for h in CAPACITY_SWEEP["hidden"]]


