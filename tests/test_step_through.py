"""The step-through view's numbers: one update of a 2-2-1 network on one point, written out by
hand as in Klaas (Machine Learning for Finance, ch. 1), and the walk's mini-batches and epochs."""

import math

import numpy as np
import pytest

from core.nn import mlp
from core.tasks.playground import step_through

X, Y = [1.0, 0.5], 1.0
W1 = [[0.1, -0.2], [0.3, 0.4]]
B1 = [0.0, 0.1]
W2 = [[0.5], [-0.6]]
B2 = [0.2]
ALPHA = 0.5


def _setting(x, y, batch_size=1, hidden=(2,), activation="sigmoid"):
    spec = mlp.MLPSpec(2, hidden, activation, optimizer="sgd")
    x = np.asarray(x, np.float64)
    return step_through.Setting(spec, x, np.asarray(y, np.float64), x[:1], batch_size, ("x1", "x2"))


def _params():
    return [np.array(W1), np.array(B1), np.array(W2), np.array(B2)]


def _sig(z):
    return 1 / (1 + math.exp(-z))


def test_one_update_equals_the_hand_computed_one():
    # forward
    z1 = [X[0] * W1[0][j] + X[1] * W1[1][j] + B1[j] for j in range(2)]      # 0.25, 0.10
    h1 = [_sig(z) for z in z1]
    z2 = h1[0] * W2[0][0] + h1[1] * W2[1][0] + B2[0]
    p = _sig(z2)
    loss = -math.log(p)                                                        # y = 1
    # backward
    dz2 = p - Y
    dW2 = [h1[0] * dz2, h1[1] * dz2]
    db2 = dz2
    dh1 = [dz2 * W2[0][0], dz2 * W2[1][0]]
    dz1 = [dh1[j] * h1[j] * (1 - h1[j]) for j in range(2)]
    dW1 = [[X[i] * dz1[j] for j in range(2)] for i in range(2)]
    db1 = dz1

    s = _setting([X], [Y])
    t = step_through.trace(s, _params(), 0)
    assert t.z[0][0] == pytest.approx(z1) and t.h[0][0] == pytest.approx(h1)
    assert float(t.out[0]) == pytest.approx(p) and t.loss == pytest.approx(loss)
    assert t.grads[0] == pytest.approx(np.array(dW1)) and t.grads[1] == pytest.approx(np.array(db1))
    assert t.grads[2][:, 0] == pytest.approx(np.array(dW2)) and t.grads[3] == pytest.approx(np.array([db2]))

    walk = step_through.step(s, step_through.start(s, _params(), seed=0), "example", ALPHA, point=0)
    W1_new, b1_new, W2_new, b2_new = walk.params
    assert W1_new == pytest.approx(np.array(W1) - ALPHA * np.array(dW1))
    assert b1_new == pytest.approx(np.array(B1) - ALPHA * np.array(db1))
    assert W2_new[:, 0] == pytest.approx(np.array([0.5, -0.6]) - ALPHA * np.array(dW2))
    assert b2_new == pytest.approx(np.array(B2) - ALPHA * db2)
    assert walk.updates == 1 and walk.history[-1][1] < walk.history[0][1]  # the update lowered the loss

    text = step_through.equations(s, _params(), t, ALPHA)
    assert f"p = sigmoid(z[2]) = {p:.4f}" in text and f"{loss:.4g}" in text
    assert f"dz[2] = p - y = [{dz2:+.4g}]" in text and "W[l] -= α dW[l]" in text


def _moons_setting(batch_size):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(float)
    return _setting(x, y, batch_size, hidden=(6,), activation="tanh")


def test_an_epoch_visits_every_point_once_in_minibatches():
    s = _moons_setting(batch_size=16)
    walk = step_through.start(s, mlp.init_params(s.spec, np.random.default_rng(0)), seed=3)
    first = walk.order.copy()
    walk = step_through.step(s, walk, "batch", 0.1)
    assert walk.updates == 1 and walk.cursor == 16
    walk = step_through.step(s, walk, "epoch", 0.1)  # the rest of the epoch: 34 points in 3 updates
    assert walk.updates == 4 and walk.epochs_done == 1 and walk.cursor == 0
    assert not np.array_equal(walk.order, first)  # the next epoch is reshuffled
    for _ in range(30):
        walk = step_through.step(s, walk, "epoch", 0.1)
    assert walk.history[-1][1] < walk.history[0][1] - 0.1  # stepping learns


def test_steps_and_edits_leave_the_previous_walk_untouched():
    s = _moons_setting(batch_size=8)
    walk = step_through.start(s, mlp.init_params(s.spec, np.random.default_rng(1)), seed=0)
    before = [p.copy() for p in walk.params]
    step_through.step(s, walk, "example", 1.0, point=3)
    edited = step_through.set_parameter(walk, 0, (1, 2), 2.5)
    assert all(np.array_equal(a, b) for a, b in zip(walk.params, before))
    assert edited.params[0][1, 2] == 2.5 and edited.last == "W1[2,3] set to 2.5 by hand"
    assert step_through.parameter_name(3, (0,)) == "b2[1]"
    # moving a weight moves the boundary
    assert not np.allclose(step_through.boundary(s, edited.params), step_through.boundary(s, walk.params))


def test_setting_scales_like_training_and_bounds_the_work():
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    raw = rng.normal(3, 2, (40, 2))
    raw[:, 1] = 5.0  # a constant feature keeps a spread of 1
    s = step_through.setting(mlp.MLPSpec(2, (4,)), raw, np.zeros(40), raw[:5], 8, ("x1", "x2"))
    np.testing.assert_allclose(s.x, StandardScaler().fit_transform(raw))
    assert s.spec.dropout == 0 and s.spec.optimizer == "sgd"
    assert step_through.cost(s) is None
    wide = step_through.setting(mlp.MLPSpec(2, (512,) * 6), np.zeros((20, 2)), np.zeros(20), raw[:1], 20, ("a", "b"))
    assert "too many to list" in step_through.cost(wide)
    big = step_through.setting(mlp.MLPSpec(2, (64, 64, 64)), np.zeros((8000, 2)), np.zeros(8000), raw[:1], 500,
                               ("a", "b"))
    assert "too much" in step_through.cost(big)
    many = step_through.setting(mlp.MLPSpec(2, (4,)), np.zeros((4000, 2)), np.zeros(4000), raw[:1], 1, ("a", "b"))
    assert "4,000 updates" in step_through.cost(many)


def test_the_tensorflow_check_gives_the_same_gradients():
    """What "Check with TensorFlow" shows: the playground's predict hook (run on a worker) at the
    weights and on the point the view shows."""
    import dataclasses

    from core.tasks import playground as pg

    s = _moons_setting(batch_size=8)
    params = mlp.init_params(s.spec, np.random.default_rng(4))
    numpy_trace = step_through.trace(s, params, 7)
    check = pg.predict(None, {"params": params, "x": s.x[[7]], "y": s.y[[7]], "spec": dataclasses.asdict(s.spec)})
    assert abs(check["loss"] - numpy_trace.loss) < 1e-5
    for a, b in zip(numpy_trace.grads, check["grads"]):
        np.testing.assert_allclose(a, b, atol=1e-5)
