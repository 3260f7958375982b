"""The NumPy engine's hand-written backward pass against TensorFlow's autodiff and finite
differences, and both engines' training trajectories against each other."""

import numpy as np
import pytest

from core.nn import mlp, numpy_engine, tf_engine

OUTPUTS = {"sigmoid": 1, "softmax": 4, "linear": 1}


def _targets(head, rng, n):
    if head == "softmax":
        return rng.integers(0, OUTPUTS[head], n).astype(np.float32)  # class ids
    if head == "linear":
        return rng.normal(1.0, 2.0, n).astype(np.float32)
    return (rng.uniform(size=n) > 0.5).astype(np.float32)


def _setup(activation, regularizer, hidden=(5, 4), seed=0, head="sigmoid"):
    rng = np.random.default_rng(seed)
    spec = mlp.MLPSpec(3, hidden, activation, 0.0, regularizer, 0.01 if regularizer != "none" else 0.0,
                       head=head, outputs=OUTPUTS[head])
    params = mlp.init_params(spec, rng)
    params = [p + rng.normal(0, 0.1, p.shape).astype(np.float32) for p in params]  # non-zero biases too
    x = rng.normal(size=(17, 3)).astype(np.float32)
    return spec, params, x, _targets(head, rng, 17)


@pytest.mark.parametrize("head", mlp.HEADS)
@pytest.mark.parametrize("activation", mlp.ACTIVATIONS)
@pytest.mark.parametrize("regularizer", mlp.REGULARIZERS)
def test_numpy_gradients_match_tensorflow(activation, regularizer, head):
    spec, params, x, y = _setup(activation, regularizer, head=head)
    np_loss, np_grads = numpy_engine.loss_and_grads([p.astype(np.float64) for p in params], x.astype(np.float64),
                                                    y.astype(np.float64), spec)
    tf_loss, tf_grads = tf_engine.loss_and_grads(params, x, y, spec)
    assert abs(np_loss - tf_loss) < 1e-5
    for g_np, g_tf in zip(np_grads, tf_grads):
        np.testing.assert_allclose(g_np, g_tf, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("head", mlp.HEADS)
def test_numpy_gradients_match_finite_differences(head):
    spec, params, x, y = _setup("tanh", "l2", hidden=(3,), head=head)
    params = [p.astype(np.float64) for p in params]
    _, grads = numpy_engine.loss_and_grads(params, x.astype(np.float64), y.astype(np.float64), spec)
    eps = 1e-6
    for i, p in enumerate(params):
        for idx in np.ndindex(p.shape):
            up = [q.copy() for q in params]
            down = [q.copy() for q in params]
            up[i][idx] += eps
            down[i][idx] -= eps
            numeric = (numpy_engine.loss_and_grads(up, x, y, spec)[0] - numpy_engine.loss_and_grads(down, x, y, spec)[0]) / (2 * eps)
            assert abs(numeric - grads[i][idx]) < 1e-6


def test_padded_rows_do_not_count():
    spec, params, x, y = _setup("relu", "none")
    loss_a, grads_a = numpy_engine.loss_and_grads(params, x[:10], y[:10], spec)
    weights = np.r_[np.ones(10), np.zeros(7)]
    loss_b, grads_b = numpy_engine.loss_and_grads(params, x, y, spec, weights)
    assert abs(loss_a - loss_b) < 1e-6
    for a, b in zip(grads_a, grads_b):
        np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("optimizer,head", [(o, "sigmoid") for o in mlp.OPTIMIZERS]
                         + [("adam", "softmax"), ("sgd", "linear")])
def test_engines_follow_the_same_trajectory(optimizer, head):
    rng = np.random.default_rng(1)
    spec = mlp.MLPSpec(2, (6,), "tanh", 0.0, "l2", 1e-3, optimizer, head=head, outputs=OUTPUTS[head])
    params = mlp.init_params(spec, rng)
    x = rng.normal(size=(50, 2)).astype(np.float32)
    y = {"sigmoid": (x[:, 0] * x[:, 1] > 0), "softmax": (x[:, 0] > 0) + (x[:, 1] > 0),
         "linear": x[:, 0] - 0.5 * x[:, 1]}[head].astype(np.float32)
    schedule = mlp.batch_schedule(50, 16, 5, rng)
    a = numpy_engine.NumpyTrainer(spec, params, x, y, 0.05, 0)
    b = tf_engine.TFTrainer(spec, params, x, y, 0.05, 0, len(schedule))
    a.run(schedule)
    b.run(schedule)
    for wa, wb in zip(a.weights(), b.weights()):
        np.testing.assert_allclose(wa, wb, atol=2e-4)
    assert not np.allclose(a.weights()[0], params[0])  # it did train


def test_batch_schedule_covers_each_row_once_per_epoch():
    rng = np.random.default_rng(0)
    sched = mlp.batch_schedule(10, 4, 3, rng)
    assert sched.shape == (9, 4)
    for epoch in sched.reshape(3, -1):
        assert sorted(epoch[epoch >= 0].tolist()) == list(range(10))
        assert (epoch < 0).sum() == 2


def test_dropout_training_runs_and_differs():
    rng = np.random.default_rng(2)
    spec = mlp.MLPSpec(2, (8,), "relu", 0.5, "none", 0.0, "adam")
    params = mlp.init_params(spec, rng)
    x = rng.normal(size=(40, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    schedule = mlp.batch_schedule(40, 8, 10, rng)
    for trainer in (numpy_engine.NumpyTrainer(spec, params, x, y, 0.05, 0),
                    tf_engine.TFTrainer(spec, params, x, y, 0.05, 0, len(schedule))):
        trainer.run(schedule)
        w = trainer.weights()
        assert all(np.isfinite(p).all() for p in w)
        p = mlp.predict_proba(w, x, "relu")
        assert np.mean((p > 0.5) == y) > 0.8
