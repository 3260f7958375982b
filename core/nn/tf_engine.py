"""The TensorFlow engine: autodiff (GradientTape) inside one XLA-compiled loop over many steps.

Why not ``model.fit``: for a 2-input network on 1000 points Keras spends ~60 ms per epoch on
overhead (28.5 s for the reference run); this loop runs the same 200 epochs in about 1 s
including compilation (see bench/playground.py). The network is functional (weights are tensors
passed in and out), hyperparameters are tensors (changing them does not recompile) and the batch
schedule is an input with padded rows masked out, so every step has one shape.
"""

from __future__ import annotations

import functools

import numpy as np

from core.device import tensorflow
from core.nn import mlp


def _activation(tf, name: str):
    return {"relu": tf.nn.relu, "tanh": tf.tanh, "sigmoid": tf.sigmoid}.get(name, lambda z: z)


def _loss(tf, params, x, y, w, spec_key, masks=None):
    activation, regularizer, _, _, head = spec_key
    act = _activation(tf, activation)
    h = x
    n_layers = len(params) // 2
    for i in range(n_layers - 1):
        h = act(h @ params[2 * i] + params[2 * i + 1])
        if masks is not None:
            h = h * masks[i]
    z = h @ params[-2] + params[-1]
    if head == "softmax":
        per_row = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(y, tf.int32), logits=z)
    elif head == "linear":
        per_row = tf.square(z[:, 0] - y)
    else:
        per_row = tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=z[:, 0])
    return tf.reduce_sum(w * per_row) / tf.maximum(tf.reduce_sum(w), 1.0), regularizer


def _penalty(tf, params, regularizer, reg_rate):
    weights = params[0::2]
    if regularizer == "l1":
        return reg_rate * tf.add_n([tf.reduce_sum(tf.abs(W)) for W in weights])
    if regularizer == "l2":
        return reg_rate * tf.add_n([tf.reduce_sum(W * W) for W in weights])
    return tf.constant(0.0)


@functools.lru_cache(maxsize=32)
def _compiled_chunk(spec_key: tuple):
    """One compiled training loop per (activation, regularizer, optimizer, dropout on/off, head)."""
    tf = tensorflow()
    _, regularizer, optimizer, use_dropout, _ = spec_key

    def step(flat, m, v, t, xb, yb, wb, lr, reg_rate, keep, seed, shapes):
        masks = None
        with tf.GradientTape() as tape:
            tape.watch(flat)
            params = _unflatten(tf, flat, shapes)
            if use_dropout:
                masks = []
                for i in range(len(params) // 2 - 1):
                    shape = tf.stack([tf.shape(xb)[0], tf.shape(params[2 * i])[1]])
                    u = tf.random.stateless_uniform(shape, seed=tf.stack([seed, tf.cast(t, tf.int32) * 16 + i]))
                    masks.append(tf.cast(u < keep, tf.float32) / keep)
            data_loss, _ = _loss(tf, params, xb, yb, wb, spec_key, masks)
            loss = data_loss + _penalty(tf, params, regularizer, reg_rate)
        g = tape.gradient(loss, flat)
        t = t + 1.0
        # one flat vector: the optimizer is a handful of fused element-wise ops (less to compile)
        if optimizer == "sgd":
            flat = flat - lr * g
        elif optimizer == "momentum":
            m = mlp.MOMENTUM * m - lr * g
            flat = flat + m
        elif optimizer == "rmsprop":
            v = mlp.RMS_RHO * v + (1 - mlp.RMS_RHO) * g * g
            flat = flat - lr * g / (tf.sqrt(v) + mlp.EPSILON)
        else:
            b1, b2 = mlp.ADAM_BETA1, mlp.ADAM_BETA2
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            alpha = lr * tf.sqrt(1 - b2**t) / (1 - b1**t)
            flat = flat - alpha * m / (tf.sqrt(v) + mlp.EPSILON)
        return flat, m, v, t

    def make(shapes: tuple):
        @tf.function(jit_compile=True, autograph=False)
        def chunk(flat, m, v, t, x, y, schedule, n_steps, lr, reg_rate, keep, seed):
            def body(s, flat, m, v, t):
                rows = schedule[s]
                valid = rows >= 0
                idx = tf.where(valid, rows, 0)
                xb, yb = tf.gather(x, idx), tf.gather(y, idx)
                flat, m, v, t = step(flat, m, v, t, xb, yb, tf.cast(valid, tf.float32),
                                     lr, reg_rate, keep, seed, shapes)
                return s + 1, flat, m, v, t

            _, flat, m, v, t = tf.while_loop(lambda s, *_: s < n_steps, body,
                                             [tf.constant(0), flat, m, v, t])
            return flat, m, v, t

        return chunk

    return functools.lru_cache(maxsize=8)(make)


def _key(spec: mlp.MLPSpec, use_dropout: bool) -> tuple:
    return spec.activation, spec.regularizer, spec.optimizer, use_dropout, spec.head


def _unflatten(tf, flat, shapes: tuple):
    sizes = [int(np.prod(shape)) for shape in shapes]
    return [tf.reshape(part, shape) for part, shape in zip(tf.split(flat, sizes), shapes)]


class TFTrainer:
    """Same interface as numpy_engine.NumpyTrainer: ``run(schedule_rows)``, ``weights()``."""

    def __init__(self, spec: mlp.MLPSpec, params: list[np.ndarray], x: np.ndarray, y: np.ndarray,
                 lr: float, seed: int, chunk_steps: int):
        tf = tensorflow()
        self.tf, self.spec, self.chunk_steps = tf, spec, chunk_steps
        self.shapes = tuple(tuple(int(d) for d in p.shape) for p in params)
        self.fn = _compiled_chunk(_key(spec, spec.dropout > 0))(self.shapes)
        # Calling the concrete function skips tf.function's per-call signature matching: about 3 ms
        # per chunk, 0.15 s of a 200-epoch run in 50 chunks (cProfile of the reference run)
        self.concrete = None
        self.flat = tf.constant(np.concatenate([p.ravel() for p in params]), tf.float32)
        self.m = tf.zeros_like(self.flat)
        self.v = tf.zeros_like(self.flat)
        self.t = tf.constant(0.0)
        self.x = tf.constant(x, tf.float32)
        self.y = tf.constant(y, tf.float32)
        self.scalars = [tf.constant(lr, tf.float32), tf.constant(spec.reg_rate, tf.float32),
                        tf.constant(1.0 - spec.dropout, tf.float32), tf.constant(seed % 2**31, tf.int32)]

    def run(self, schedule: np.ndarray) -> None:
        # pad to a fixed number of rows so a shorter last chunk reuses the compiled loop
        n = len(schedule)
        padded = np.full((self.chunk_steps, schedule.shape[1]), -1, np.int32)
        padded[:n] = schedule
        lr, reg_rate, keep, seed = self.scalars
        args = (self.flat, self.m, self.v, self.t, self.x, self.y, self.tf.constant(padded),
                self.tf.constant(n, self.tf.int32), lr, reg_rate, keep, seed)
        if self.concrete is None:  # traced (or found in the cache) once per trainer
            self.concrete = self.fn.get_concrete_function(*args)
        self.flat, self.m, self.v, self.t = self.concrete(*args)

    def weights(self) -> list[np.ndarray]:
        flat = self.flat.numpy()
        sizes = np.cumsum([int(np.prod(s)) for s in self.shapes])[:-1]
        return [part.reshape(shape) for part, shape in zip(np.split(flat, sizes), self.shapes)]


def loss_and_grads(params: list[np.ndarray], x: np.ndarray, y: np.ndarray, spec: mlp.MLPSpec
                   ) -> tuple[float, list[np.ndarray]]:
    """Autodiff loss and gradients for one batch (used to check the NumPy engine)."""
    tf = tensorflow()
    tensors = [tf.constant(p, tf.float32) for p in params]
    key = _key(spec, False)
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        data_loss, _ = _loss(tf, tensors, tf.constant(x, tf.float32), tf.constant(y, tf.float32),
                             tf.ones(len(x)), key)
        loss = data_loss + _penalty(tf, tensors, spec.regularizer, spec.reg_rate)
    grads = tape.gradient(loss, tensors)
    return float(loss), [g.numpy() for g in grads]
