"""Network description, initialisation, NumPy forward pass and batch schedule shared by engines."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")
REGULARIZERS = ("none", "l1", "l2")
HEADS = ("sigmoid", "softmax", "linear")  # binary (one unit), k classes (k units), a number (one unit)

# Keras defaults, so the exported Keras snippet trains the same way
MOMENTUM = 0.9
ADAM_BETA1, ADAM_BETA2 = 0.9, 0.999
RMS_RHO = 0.9
EPSILON = 1e-7


@dataclass(frozen=True)
class MLPSpec:
    inputs: int
    hidden: tuple[int, ...]
    activation: str = "tanh"
    dropout: float = 0.0
    regularizer: str = "none"
    reg_rate: float = 0.0
    optimizer: str = "adam"
    head: str = "sigmoid"
    outputs: int = 1

    @property
    def sizes(self) -> list[int]:
        return [self.inputs, *self.hidden, self.outputs]

    @property
    def n_layers(self) -> int:
        return len(self.sizes) - 1


def init_params(spec: MLPSpec, rng: np.random.Generator) -> list[np.ndarray]:
    """[W0, b0, W1, b1, ...]: Glorot-uniform weights, zero biases (float32)."""
    params = []
    for fan_in, fan_out in zip(spec.sizes[:-1], spec.sizes[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
        params.append(np.zeros(fan_out, np.float32))
    return params


def activate(name: str, z: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "tanh":
        return np.tanh(z)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    return z


def forward(params: list[np.ndarray], x: np.ndarray, activation: str) -> tuple[np.ndarray, list[np.ndarray]]:
    """Output layer pre-activations (n, outputs) and every hidden layer's activations (no dropout:
    inference)."""
    h = x
    hidden = []
    n_layers = len(params) // 2
    for i in range(n_layers):
        z = h @ params[2 * i] + params[2 * i + 1]
        if i < n_layers - 1:
            h = activate(activation, z)
            hidden.append(h)
        else:
            h = z
    return h, hidden


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def output(z: np.ndarray, head: str) -> np.ndarray:
    """What the network says from its output pre-activations: P(class 1) (n,) for sigmoid, class
    probabilities (n, k) for softmax, the predicted number (n,) for linear."""
    if head == "softmax":
        return softmax(z)
    return sigmoid(z[:, 0]) if head == "sigmoid" else z[:, 0]


def predict(params: list[np.ndarray], x: np.ndarray, activation: str, head: str = "sigmoid") -> np.ndarray:
    with np.errstate(all="ignore"):  # a diverged network overflows; the caller reports divergence
        z, _ = forward(params, x, activation)
        return output(z, head)


def predict_proba(params: list[np.ndarray], x: np.ndarray, activation: str) -> np.ndarray:
    return predict(params, x, activation, "sigmoid")


def bce(p: np.ndarray, y: np.ndarray) -> float:
    if not np.isfinite(p).all():
        return float("nan")
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def penalty(params: list[np.ndarray], spec: MLPSpec) -> float:
    weights = params[0::2]
    if spec.regularizer == "l1":
        return spec.reg_rate * float(sum(np.abs(w).sum() for w in weights))
    if spec.regularizer == "l2":
        return spec.reg_rate * float(sum((w * w).sum() for w in weights))
    return 0.0


def batch_schedule(n: int, batch_size: int, epochs: int, rng: np.random.Generator) -> np.ndarray:
    """Row indices for every step of ``epochs`` shuffled epochs, shape (epochs * steps, batch).
    The last batch of an epoch is padded with -1 (masked out by the engines), so every step has
    the same shape and a compiled loop never recompiles for a ragged batch."""
    steps = -(-n // batch_size)
    out = np.full((epochs, steps * batch_size), -1, dtype=np.int32)
    for e in range(epochs):
        out[e, :n] = rng.permutation(n)
    return out.reshape(epochs * steps, batch_size)


def steps_per_epoch(n: int, batch_size: int) -> int:
    return -(-n // batch_size)
