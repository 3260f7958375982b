"""Step through backpropagation by hand (Klaas, *Machine Learning for Finance*, ch. 1): the
forward pass, the loss and the gradients of the network the page shows for one training point,
then one update ``W -= alpha * dW`` over one example, one mini-batch or one epoch.

It runs in the web server, not on a worker: it is NumPy only (``numpy_engine.forward_backward``,
the engine a test holds to TensorFlow's gradients) and ``cost`` bounds what one click may compute,
so a step answers in milliseconds instead of a worker round trip (docs/DESIGN.md, "Step through").
Plain gradient descent, not the run's optimizer: the update a student can check by hand. No
dropout: every neuron takes part, as when the network predicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.nn import mlp, numpy_engine
from core.nn.numpy_engine import Trace

MAX_UPDATES = 2000        # updates one click may run ("one epoch" at batch 1 on 2000 points)
MAX_WORK = 50_000_000     # rows x parameters one click may touch (about a tenth of a second)
MAX_PARAMETERS = 10_000   # weights and biases the view lists and offers to edit (the overfit preset has 8,577)


@dataclass(frozen=True)
class Setting:
    """What the walk needs from the run: the network's shape, its training points in the inputs it
    was trained on (the chosen features, standardised with the training rows' mean and spread),
    and the picture's grid in the same inputs."""
    spec: mlp.MLPSpec
    x: np.ndarray        # (n_train, inputs) float64
    y: np.ndarray        # (n_train,)
    grid: np.ndarray     # (GRID * GRID, inputs)
    batch_size: int
    feature_labels: tuple[str, ...]
    target: tuple[float, float] = (0.0, 1.0)  # regression: y was standardised, (mean, spread) undo it


def setting(spec: mlp.MLPSpec, raw_train: np.ndarray, y_train: np.ndarray, raw_grid: np.ndarray,
            batch_size: int, feature_labels: tuple[str, ...], target: tuple[float, float] = (0.0, 1.0)) -> Setting:
    """``raw_*``: the chosen features before scaling. The scaler is refitted on the training rows
    exactly as training fitted it (population spread, 1 where a feature is constant). ``y_train``:
    what the network was trained on (a regression target standardised by ``target``)."""
    mean, spread = raw_train.mean(axis=0), raw_train.std(axis=0)
    spread = np.where(spread > 0, spread, 1.0)
    plain = mlp.MLPSpec(spec.inputs, spec.hidden, spec.activation, 0.0, spec.regularizer, spec.reg_rate,
                        "sgd", spec.head, spec.outputs)
    return Setting(plain, (raw_train - mean) / spread, np.asarray(y_train, np.float64), (raw_grid - mean) / spread,
                   min(batch_size, len(y_train)), tuple(feature_labels), tuple(target))


def cost(s: Setting) -> str | None:
    """Why one epoch is too much to step through here, or None when it is fine."""
    n = len(s.y)
    updates = -(-n // s.batch_size)
    n_params = sum(a * b + b for a, b in zip(s.spec.sizes[:-1], s.spec.sizes[1:]))
    if updates > MAX_UPDATES:
        return (f"one epoch is {updates:,} updates at batch size {s.batch_size}: too many to step through here "
                f"(at most {MAX_UPDATES:,}); raise the batch size or use fewer points")
    if n_params > MAX_PARAMETERS:
        return (f"the network has {n_params:,} weights and biases, too many to list and edit by hand here "
                f"(at most {MAX_PARAMETERS:,}); use a smaller network")
    if n * n_params > MAX_WORK:
        return (f"{n:,} training points x {n_params:,} parameters is too much to step through here; "
                "use a smaller network or fewer points")
    return None


@dataclass
class Walk:
    """The weights being stepped, and what happened so far. ``order`` is the shuffled order the
    mini-batches follow; ``cursor`` where the next mini-batch starts in it."""
    params: list[np.ndarray]
    seed: int
    updates: int = 0
    epochs_done: int = 0
    cursor: int = 0
    order: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    history: list[tuple[int, float]] = field(default_factory=list)   # (updates, training loss)
    last: str = ""             # what the last click did, in words

    def copy(self) -> Walk:
        return Walk([p.copy() for p in self.params], self.seed, self.updates, self.epochs_done, self.cursor,
                    self.order.copy(), list(self.history), self.last)


def start(s: Setting, params: list[np.ndarray], seed: int) -> Walk:
    walk = Walk([np.array(p, np.float64) for p in params], seed)
    walk.order = np.random.default_rng([seed, 0]).permutation(len(s.y))
    walk.history.append((0, training_loss(s, walk.params)))
    return walk


def trace(s: Setting, params: list[np.ndarray], rows) -> Trace:
    """Every number of the forward and backward pass on ``rows`` of the training points."""
    rows = np.atleast_1d(np.asarray(rows, np.int64))
    return numpy_engine.forward_backward(params, s.x[rows], s.y[rows], s.spec)


def training_loss(s: Setting, params: list[np.ndarray]) -> float:
    """The mean loss over all training points (with the weight penalty: what the updates lower)."""
    with np.errstate(all="ignore"):
        return numpy_engine.forward_backward(params, s.x, s.y, s.spec).loss


def _update(s: Setting, walk: Walk, rows: np.ndarray, lr: float) -> None:
    grads = numpy_engine.forward_backward(walk.params, s.x[rows], s.y[rows], s.spec).grads
    for p, g in zip(walk.params, grads):
        p -= lr * g
    walk.updates += 1


def _next_batch(s: Setting, walk: Walk) -> np.ndarray:
    """The next mini-batch in the shuffled order; the epoch's last one may be smaller. A new epoch
    reshuffles, as training does."""
    rows = walk.order[walk.cursor:walk.cursor + s.batch_size]
    walk.cursor += len(rows)
    if walk.cursor >= len(walk.order):
        walk.epochs_done += 1
        walk.cursor = 0
        walk.order = np.random.default_rng([walk.seed, walk.epochs_done]).permutation(len(s.y))
    return rows


def step(s: Setting, walk: Walk, how: str, lr: float, point: int = 0) -> Walk:
    """A new walk one click further: ``how`` is "example" (the chosen ``point`` alone), "batch"
    (the next mini-batch) or "epoch" (every mini-batch to the end of the current epoch)."""
    walk = walk.copy()
    with np.errstate(all="ignore"):
        if how == "example":
            _update(s, walk, np.array([point]), lr)
            walk.last = f"one update on point {point}"
        elif how == "batch":
            rows = _next_batch(s, walk)
            _update(s, walk, rows, lr)
            walk.last = f"one update on a mini-batch of {len(rows)} points"
        elif how == "epoch":
            before, epoch = walk.updates, walk.epochs_done
            while walk.epochs_done == epoch:
                _update(s, walk, _next_batch(s, walk), lr)
            walk.last = f"one epoch: {walk.updates - before} updates of up to {s.batch_size} points"
        else:
            raise ValueError(f"unknown step {how!r}")
    walk.history.append((walk.updates, training_loss(s, walk.params)))
    return walk


def set_parameter(walk: Walk, index: int, position: tuple[int, ...], value: float) -> Walk:
    """A new walk with one weight or bias set by hand (TensorFlow Playground's weight editing)."""
    walk = walk.copy()
    walk.params[index][position] = value
    walk.last = f"{parameter_name(index, position)} set to {value:g} by hand"
    return walk


def parameter_name(index: int, position: tuple[int, ...]) -> str:
    """W2[3,1] (from neuron 3 of layer 1 to neuron 1 of layer 2) or b2[1], counted from 1."""
    layer = index // 2 + 1
    if index % 2 == 0:
        return f"W{layer}[{position[0] + 1},{position[1] + 1}]"
    return f"b{layer}[{position[0] + 1}]"


def boundary(s: Setting, params: list[np.ndarray]) -> np.ndarray:
    """What the network says over the picture's grid, per cell: P(class 1) for two classes, the
    class probabilities (cells, k), or the number in the target's own units."""
    out = mlp.predict(params, s.grid, s.spec.activation, s.spec.head)
    return out * s.target[1] + s.target[0] if s.spec.head == "linear" else out


def _vector(v: np.ndarray, limit: int = 8) -> str:
    values = np.ravel(v)
    shown = " ".join(f"{x:+.4g}" for x in values[:limit])
    return f"[{shown}{' …' if len(values) > limit else ''}]"


def equations(s: Setting, params: list[np.ndarray], t: Trace, lr: float) -> str:
    """The equations of ``numpy_engine.EQUATIONS`` line by line with one point's numbers in them
    (``t``: the trace of that point at ``params``). Layers count from 1, as in the equations."""
    act, n_layers, head = s.spec.activation, s.spec.n_layers, s.spec.head
    lines = ["Forward", f"h[0] = inputs ({', '.join(s.feature_labels)}) = {_vector(t.inputs)}"]
    for i in range(n_layers):
        lines.append(f"z[{i + 1}] = h[{i}] W[{i + 1}] + b[{i + 1}] = {_vector(t.z[i])}")
        if i < n_layers - 1:
            lines.append(f"h[{i + 1}] = {act}(z[{i + 1}]) = {_vector(t.h[i])}")
    top = f"z[{n_layers}]"
    if head == "softmax":
        lines += [f"P = softmax({top}) = {_vector(t.out)}", f"loss = -log P[y] = {t.data_loss:.4g}"]
    elif head == "linear":
        lines += [f"ŷ = {top} = {float(t.out[0]):.4f}", f"loss = (ŷ - y)² = {t.data_loss:.4g}"]
    else:
        lines += [f"p = sigmoid({top}) = {float(t.out[0]):.4f}",
                  f"loss = -(y log p + (1 - y) log(1 - p)) = {t.data_loss:.4g}"]
    if s.spec.regularizer != "none":
        lines.append(f"loss + {s.spec.regularizer} penalty = {t.loss:.4g}")
    lines += ["", "Backward"]
    first = {"sigmoid": "p - y", "softmax": "P - onehot(y)", "linear": "2 (ŷ - y)"}[head]
    for i in reversed(range(n_layers)):
        k = i + 1
        rule = first if i == n_layers - 1 else f"dh[{k}] * {act}'(z[{k}])"
        penalty = {"l1": " + rate sign(W)", "l2": " + 2 rate W"}.get(s.spec.regularizer, "")
        lines.append(f"dz[{k}] = {rule} = {_vector(t.dz[i])}")
        lines.append(f"dW[{k}] = h[{i}]ᵀ dz[{k}]{penalty} = {_vector(t.grads[2 * i])}")
        lines.append(f"db[{k}] = dz[{k}] = {_vector(t.grads[2 * i + 1])}")
        if i > 0:
            lines.append(f"dh[{i}] = dz[{k}] W[{k}]ᵀ = {_vector(t.dz[i] @ params[2 * i].T)}")
    lines += ["", f"Update (α = {lr:g}):  W[l] -= α dW[l],  b[l] -= α db[l]"]
    return "\n".join(lines)
