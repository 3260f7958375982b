"""The shared compiled Keras loop (core/nn/keras_loop.py) on tiny synthetic data, for the three
kinds of model the lesson pages train: a forecast-like regression, a Dense autoencoder (x -> x)
and an Embedding classifier on integer token ids with sparse categorical cross-entropy. Plus early
stopping with the best weights restored, per-epoch progress, cancel and divergence."""

import threading

import numpy as np
import pytest

from core.errors import Cancelled, TrainingDiverged
from core.nn.keras_loop import Trainer
from core.result import Progress


@pytest.fixture(autouse=True)
def _seed():
    import keras

    from core.device import tensorflow

    tensorflow()
    keras.utils.set_random_seed(0)


def _regression(n=600, seed=0):
    """Windows (n, 8, 2) whose target is a linear function of the last step."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8, 2)).astype(np.float32)
    y = (0.8 * x[:, -1, :1] - 0.5 * x[:, -2, 1:]).astype(np.float32)
    return x, y


def _lstm():
    import keras

    inputs = keras.Input((8, 2))
    return keras.Model(inputs, keras.layers.Dense(1)(keras.layers.LSTM(8)(inputs)))


def test_forecast_like_regression_learns_and_predicts_in_chunks(monkeypatch):
    x, y = _regression()
    trainer = Trainer(_lstm(), "mse", learning_rate=0.01)
    before = trainer.evaluate(x[500:], y[500:])
    history = trainer.fit(x[:500], y[:500], x[500:], y[500:], epochs=30, batch_size=64, patience=30, seed=0)
    assert history.epochs_run == 30 and len(history.val_loss) == 30
    assert history.best_val < 0.2 * before
    assert trainer.evaluate(x[500:], y[500:]) == pytest.approx(history.best_val, rel=1e-5)
    monkeypatch.setattr("core.nn.keras_loop.PREDICT_CHUNK", 7)  # several chunks, one ragged
    pred = trainer.predict(x[500:])
    assert pred.shape == (100, 1) and pred.dtype == np.float32
    assert float(np.mean((pred - y[500:]) ** 2)) == pytest.approx(history.best_val, rel=1e-4)
    assert trainer.predict(x[:0]).shape == (0, 1)


def test_dense_autoencoder_on_x_to_x_lowers_the_validation_loss():
    import keras

    rng = np.random.default_rng(1)
    latent = rng.normal(size=(800, 2))
    x = (latent @ rng.normal(size=(2, 6)) + 0.05 * rng.normal(size=(800, 6))).astype(np.float32)
    inputs = keras.Input((6,))
    code = keras.layers.Dense(2)(keras.layers.Dense(8, activation="tanh")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(6)(keras.layers.Dense(8, activation="tanh")(code)))
    trainer = Trainer(model, "mse", learning_rate=0.01)
    start = trainer.evaluate(x[600:], x[600:])
    history = trainer.fit(x[:600], x[:600], x[600:], x[600:], epochs=40, batch_size=64, patience=5, seed=0)
    assert history.best_val < 0.3 * start
    assert history.val_loss[-1] < history.val_loss[0]


def _tokens(n, seed):
    """Token ids 1..19; a sequence is class 1 when it holds token 7 (or 8), else class 0."""
    rng = np.random.default_rng(seed)
    ids = rng.choice(np.r_[1:7, 9:20], size=(n, 12)).astype(np.int32)
    labels = rng.integers(0, 2, n).astype(np.int32)
    spots = rng.integers(0, 12, n)
    ids[labels == 1, spots[labels == 1]] = rng.choice([7, 8], size=int(labels.sum()))
    return ids, labels


def _text_model():
    import keras

    inputs = keras.Input((12,), dtype="int32")
    pooled = keras.layers.GlobalMaxPooling1D()(keras.layers.Embedding(20, 8)(inputs))
    return keras.Model(inputs, keras.layers.Dense(2)(pooled))  # logits


def test_embedding_classifier_on_int_token_ids_with_sparse_cross_entropy_and_class_weights():
    x, y = _tokens(1200, 0)
    xv, yv = _tokens(300, 1)
    trainer = Trainer(_text_model(), "sparse_categorical_crossentropy", learning_rate=0.02,
                      class_weight={0: 1.0, 1: 2.0})
    assert trainer._train_step.input_signature[0].dtype.name == "int32"
    assert trainer._train_step.input_signature[1].shape.rank == 1  # integer labels, not one-hot
    history = trainer.fit(x, y, xv, yv, epochs=25, batch_size=64, patience=5, seed=0)
    accuracy = float(np.mean(trainer.predict(xv).argmax(axis=1) == yv))
    assert accuracy > 0.9, accuracy
    assert history.best_val < history.val_loss[0]
    with pytest.raises(ValueError, match="class_weight"):
        Trainer(_lstm(), "mse", class_weight={0: 1.0})


def test_class_weight_changes_the_training_loss_only():
    x, y = _tokens(200, 2)
    weighted = Trainer(_text_model(), "sparse_categorical_crossentropy", class_weight={0: 1.0, 1: 5.0})
    plain_loss = weighted.evaluate(x, y)  # validation loss: unweighted
    per_sample = weighted.predict(x)
    logp = per_sample - np.log(np.exp(per_sample).sum(axis=1, keepdims=True))
    ce = -logp[np.arange(len(y)), y]
    assert plain_loss == pytest.approx(float(ce.mean()), rel=1e-4)
    step_loss = float(weighted._train_step(x, y))  # before the update: weighted mean of the same losses
    assert step_loss == pytest.approx(float(np.mean(ce * np.where(y == 1, 5.0, 1.0))), rel=1e-4)


def test_early_stopping_restores_the_best_weights():
    """Scripted validation losses (best at epoch 2, then three worse epochs): training stops after
    epoch 5 and the model holds the weights it had when epoch 2 was scored."""
    x, y = _regression(400, 3)
    trainer = Trainer(_lstm(), "mse", learning_rate=0.01)
    losses = iter([0.5, 0.3, 0.4, 0.6, 0.7, 0.1])  # epochs 1..5; stops after 3 worse ones

    weights_at = {}

    def fake_evaluate(xv, yv):
        value = next(losses)
        weights_at[value] = [w.copy() for w in trainer.model.get_weights()]
        return value

    trainer.evaluate = fake_evaluate
    history = trainer.fit(x[:300], y[:300], x[300:], y[300:], epochs=10, batch_size=50, patience=3, seed=0)
    assert history.epochs_run == 5 and history.best_epoch == 2 and history.best_val == 0.3
    for got, want in zip(trainer.model.get_weights(), weights_at[0.3], strict=True):
        np.testing.assert_array_equal(got, want)
    assert any(not np.array_equal(a, b) for a, b in zip(weights_at[0.7], weights_at[0.3], strict=True))


def test_progress_gets_one_event_per_epoch_and_cancel_stops():
    x, y = _regression(200, 4)
    progress = Progress()
    trainer = Trainer(_lstm(), "mse", learning_rate=0.01)
    trainer.fit(x[:150], y[:150], x[150:], y[150:], epochs=4, batch_size=50, patience=10, seed=0,
                progress=progress, step=2, total=9, phase="window 2")
    assert [e["step"] for e in progress.history] == [3, 4, 5, 6]
    assert all(e["total"] == 9 and e["phase"] == "window 2" and e["val_loss"] > 0 for e in progress.history)
    seen = []
    cancel = threading.Event()

    def listener(event):
        seen.append(event["step"])
        cancel.set()  # the user presses cancel during the first epoch

    with pytest.raises(Cancelled):
        trainer.fit(x[:150], y[:150], x[150:], y[150:], epochs=4, batch_size=50, patience=10, seed=0,
                    progress=Progress(cancel=cancel, listener=listener))
    assert seen == [1]


def test_nan_loss_raises_training_diverged_with_or_without_progress():
    import tensorflow as tf

    def nan_loss(y_true, y_pred):
        return tf.reduce_mean(y_pred, axis=1) * np.float32("nan")

    x, y = _regression(100, 5)
    for progress in (Progress(), None):
        trainer = Trainer(_lstm(), nan_loss)
        with pytest.raises(TrainingDiverged):
            trainer.fit(x[:80], y[:80], x[80:], y[80:], epochs=3, batch_size=40, patience=3, progress=progress)


def test_min_steps_raises_the_epoch_limit_on_small_data_only():
    """The training budget adapts to the data size: a 3,000-row file's 1,800 training rows at
    batch 512 are 4 steps an epoch, so 20 epochs would be 80 steps; the bundled transactions
    (52k rows) already take 2,000."""
    from core.nn.keras_loop import epoch_limit

    assert epoch_limit(20, 1800, 512, 1000) == 250
    assert epoch_limit(20, 52_000, 512, 1000) == 20
    assert epoch_limit(3, 100, 512, 0) == 3  # min_steps=0: the epoch limit alone


def test_a_fit_that_ends_at_its_limit_while_improving_says_so():
    """100 rows at batch 50 are 2 steps an epoch: epochs=2 with min_steps=10 runs up to 5 epochs,
    progress counts to 5, and a run still improving at the end reports hit_limit; one that early
    stopping ended does not."""
    x, y = _regression(150, 6)
    progress = Progress()
    trainer = Trainer(_lstm(), "mse", learning_rate=0.01)
    losses = iter([0.5, 0.4, 0.3, 0.2, 0.1])
    trainer.evaluate = lambda xv, yv: next(losses)
    history = trainer.fit(x[:100], y[:100], x[100:], y[100:], epochs=2, min_steps=10, batch_size=50, patience=3,
                          seed=0, progress=progress)
    assert history.epochs_run == history.limit == 5 and history.hit_limit
    assert [e["total"] for e in progress.history] == [5] * 5
    assert history.metrics() == {"val_loss": 0.1, "best_epoch": 5, "epochs_run": 5, "epoch_limit": 5,
                                 "hit_limit": True}
    worse = iter([0.1, 0.2, 0.3, 0.4, 0.5])
    trainer.evaluate = lambda xv, yv: next(worse)
    stopped = trainer.fit(x[:100], y[:100], x[100:], y[100:], epochs=2, min_steps=10, batch_size=50, patience=3,
                          seed=0)
    assert stopped.epochs_run == 4 and stopped.stopped_early and not stopped.hit_limit


def test_every_keras_page_says_when_training_hit_its_limit():
    """Under the headline and in the training tab of the anomaly, forecast and sentiment pages."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    def page():
        from core.ui import frame

        frame.training_limit({"hit_limit": True, "epoch_limit": 20, "best_epoch": 20})
        frame.training_limit({"hit_limit": False, "epoch_limit": 20, "best_epoch": 5})

    at = AppTest.from_function(page).run()
    assert [c.value for c in at.caption] == [
        ("Training stopped at its limit of 20 epochs while the validation score was still improving (best epoch "
         "20): early stopping had not ended it, so this model may be under-trained. Raise epochs (or min_steps) to "
         "train longer.")]
    pages = Path(__file__).resolve().parents[1] / "app_pages"
    for name in ("anomaly", "forecasting", "sentiment"):
        assert (pages / f"{name}.py").read_text().count("frame.training_limit(m)") == 2, name
