"""The from-scratch engine: forward and backward propagation written out in NumPy.

For a layer l with input h[l-1]:   z[l] = h[l-1] W[l] + b[l],   h[l] = f(z[l])
Output and loss, by problem:       binary       p = sigmoid(z[L]),  loss = mean BCE(p, y)
                                   multi-class  P = softmax(z[L]),  loss = mean -log P[y]
                                   regression   ŷ = z[L],           loss = mean (ŷ - y)²
                                   (+ penalty(W) for L1/L2)
Backward (chain rule):             dz[L] = (p - y) / n,  (P - onehot(y)) / n  or  2 (ŷ - y) / n
                                   dW[l] = h[l-1]^T dz[l] + d penalty / dW[l],   db[l] = sum_rows dz[l]
                                   dh[l-1] = dz[l] W[l]^T,   dz[l-1] = dh[l-1] * f'(z[l-1])
Update (plain gradient descent):   W[l] -= alpha * dW[l],   b[l] -= alpha * db[l]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.nn import mlp

EQUATIONS = __doc__.split("\n\n", 1)[1].strip()


def _derivative(name: str, z: np.ndarray, h: np.ndarray) -> np.ndarray:
    """f'(z), through h = f(z) where that is cheaper."""
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "tanh":
        return 1.0 - h * h
    if name == "sigmoid":
        return h * (1.0 - h)
    return np.ones_like(z)


@dataclass
class Trace:
    """Every number of one forward and backward pass (what the step-through view shows).
    z[l], h[l], dz[l] are per layer l = 0..L-1 (h[-1] is not the output: ``out`` is);
    ``inputs`` is h before the first layer."""
    inputs: np.ndarray
    z: list[np.ndarray]
    h: list[np.ndarray]
    out: np.ndarray          # p (n,), P (n, k) or ŷ (n,)
    data_loss: float
    loss: float              # data loss + penalty
    dz: list[np.ndarray]
    grads: list[np.ndarray]  # [dW1, db1, dW2, db2, ...]


def _data_loss(head: str, out: np.ndarray, y: np.ndarray, w: np.ndarray, n_eff: float) -> tuple[float, np.ndarray]:
    """The mean loss over the (weighted) rows and its gradient with respect to the output layer's z."""
    if head == "softmax":
        labels = y.astype(np.int64)
        picked = np.clip(out[np.arange(len(labels)), labels], 1e-12, 1.0)
        onehot = np.eye(out.shape[1], dtype=out.dtype)[labels]
        return float(-(w * np.log(picked)).sum() / n_eff), (out - onehot) * (w / n_eff)[:, None]
    if head == "linear":
        err = out - y
        return float((w * err * err).sum() / n_eff), (2.0 * err * w / n_eff)[:, None]
    pc = np.clip(out, 1e-7, 1 - 1e-7)
    loss = float(-(w * (y * np.log(pc) + (1 - y) * np.log(1 - pc))).sum() / n_eff)
    return loss, ((out - y) * w / n_eff)[:, None]


def forward_backward(params: list[np.ndarray], x: np.ndarray, y: np.ndarray, spec: mlp.MLPSpec,
                     weights: np.ndarray | None = None, masks: list[np.ndarray] | None = None) -> Trace:
    """One forward and backward pass. ``weights`` masks padded rows; ``masks`` are inverted
    dropout masks (already divided by the keep probability), one per hidden layer."""
    w = np.ones(len(x), x.dtype) if weights is None else weights
    n_eff = max(w.sum(), 1.0)
    n_layers = spec.n_layers
    zs, hs, inputs = [], [], [x]  # inputs[l]: what layer l multiplies (after dropout)
    for i in range(n_layers):
        z = inputs[-1] @ params[2 * i] + params[2 * i + 1]
        zs.append(z)
        if i < n_layers - 1:
            h = mlp.activate(spec.activation, z)
            hs.append(h)
            inputs.append(h * masks[i] if masks is not None else h)
    out = mlp.output(zs[-1], spec.head)
    data_loss, dz = _data_loss(spec.head, out, y, w, n_eff)
    loss = data_loss + mlp.penalty(params, spec)

    grads: list[np.ndarray] = [None] * len(params)  # type: ignore[list-item]
    dzs: list[np.ndarray] = [None] * n_layers  # type: ignore[list-item]
    for i in reversed(range(n_layers)):
        dzs[i] = dz
        W = params[2 * i]
        grads[2 * i] = inputs[i].T @ dz
        grads[2 * i + 1] = dz.sum(axis=0)
        if spec.regularizer == "l1":
            grads[2 * i] = grads[2 * i] + spec.reg_rate * np.sign(W)
        elif spec.regularizer == "l2":
            grads[2 * i] = grads[2 * i] + 2.0 * spec.reg_rate * W
        if i > 0:
            dh = dz @ W.T
            if masks is not None:
                dh = dh * masks[i - 1]
            dz = dh * _derivative(spec.activation, zs[i - 1], hs[i - 1])
    return Trace(x, zs, hs, out, data_loss, loss, dzs, grads)


def loss_and_grads(params: list[np.ndarray], x: np.ndarray, y: np.ndarray, spec: mlp.MLPSpec,
                   weights: np.ndarray | None = None, masks: list[np.ndarray] | None = None
                   ) -> tuple[float, list[np.ndarray]]:
    trace = forward_backward(params, x, y, spec, weights, masks)
    return trace.loss, trace.grads


class Optimizer:
    """Keras' update rules for SGD, SGD+momentum, Adam and RMSprop."""

    def __init__(self, spec: mlp.MLPSpec, params: list[np.ndarray], lr: float):
        self.kind, self.lr, self.t = spec.optimizer, lr, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        self.t += 1
        for i, (p, g) in enumerate(zip(params, grads)):
            if self.kind == "sgd":
                p -= self.lr * g
            elif self.kind == "momentum":
                self.m[i] = mlp.MOMENTUM * self.m[i] - self.lr * g
                p += self.m[i]
            elif self.kind == "rmsprop":
                self.v[i] = mlp.RMS_RHO * self.v[i] + (1 - mlp.RMS_RHO) * g * g
                p -= self.lr * g / (np.sqrt(self.v[i]) + mlp.EPSILON)
            else:  # adam
                b1, b2 = mlp.ADAM_BETA1, mlp.ADAM_BETA2
                self.m[i] = b1 * self.m[i] + (1 - b1) * g
                self.v[i] = b2 * self.v[i] + (1 - b2) * g * g
                alpha = self.lr * np.sqrt(1 - b2**self.t) / (1 - b1**self.t)
                p -= alpha * self.m[i] / (np.sqrt(self.v[i]) + mlp.EPSILON)


class NumpyTrainer:
    """Trains in chunks of steps: ``run(schedule_rows)`` advances the network by those steps."""

    def __init__(self, spec: mlp.MLPSpec, params: list[np.ndarray], x: np.ndarray, y: np.ndarray,
                 lr: float, seed: int):
        self.spec = spec
        self.params = [p.astype(np.float64) for p in params]
        self.x, self.y = x.astype(np.float64), y.astype(np.float64)
        self.opt = Optimizer(spec, self.params, lr)
        self.rng = np.random.default_rng(seed + 7919)

    def run(self, schedule: np.ndarray) -> None:
        keep = 1.0 - self.spec.dropout
        for rows in schedule:
            valid = rows >= 0
            idx = np.where(valid, rows, 0)
            masks = None
            if self.spec.dropout > 0:
                masks = [(self.rng.random((len(idx), h)) < keep) / keep for h in self.spec.hidden]
            _, grads = loss_and_grads(self.params, self.x[idx], self.y[idx], self.spec,
                                      valid.astype(np.float64), masks)
            self.opt.step(self.params, grads)

    def weights(self) -> list[np.ndarray]:
        return [p.astype(np.float32) for p in self.params]
