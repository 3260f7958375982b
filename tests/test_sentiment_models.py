"""Sentiment classifiers (core/tasks/sentiment): padding never changes a prediction (the masks
work), both architectures learn a tiny separable token task with the project's Trainer, the
downloadable end-to-end model survives save/load, and the explanations have the right shapes with
nothing on the padding. Tiny models: the file runs in well under a minute on 2 CPU cores."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from core.nn.keras_loop import Trainer
from core.tasks.sentiment import models

ARCHS = models.ARCHS
TINY = dict(embed_dim=16, units=16, lstm_layers=1, heads=2, ff_dim=32, blocks=1, dropout=0.1)


@pytest.fixture(autouse=True)
def _seed():
    import keras

    from core.device import tensorflow

    tensorflow()
    keras.utils.set_random_seed(0)


def _tiny(arch, vocab_size=30, seq_len=40, **kw):
    return models.build_classifier(arch, vocab_size=vocab_size, seq_len=seq_len, **{**TINY, **kw})


def _sentences(n, seed, width=12):
    """Right-padded ids (n, width): 3..width real tokens from 7..29; class 2 if the sentence holds
    token 5, class 0 if it holds token 6, else class 1."""
    rng = np.random.default_rng(seed)
    ids = np.zeros((n, width), np.int32)
    labels = rng.integers(0, 3, n).astype(np.int32)
    for row, label in enumerate(labels):
        length = rng.integers(3, width + 1)
        ids[row, :length] = rng.integers(7, 30, length)
        if label != 1:
            ids[row, rng.integers(0, length)] = 5 if label == 2 else 6
    return ids, labels


def _pad(ids, width):
    return np.pad(ids, ((0, 0), (0, width - ids.shape[1])))


def test_masked_mean_pooling_is_the_mean_over_real_positions():
    from core.tasks.sentiment.layers import MaskedMeanPooling

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5, 4)).astype(np.float32)
    mask = np.array([[1, 1, 1, 0, 0], [1, 0, 0, 0, 0], [1, 1, 1, 1, 1]], bool)
    out = np.asarray(MaskedMeanPooling()(x, mask=mask))
    expected = np.stack([x[i, mask[i]].mean(axis=0) for i in range(3)])
    np.testing.assert_allclose(out, expected, atol=1e-6)
    assert not np.allclose(out[0], x[0].mean(axis=0))  # the plain mean would count the padding
    assert np.all(np.asarray(MaskedMeanPooling()(x, mask=np.zeros((3, 5), bool))) == 0)  # all padding: zeros


@pytest.mark.parametrize("arch", ARCHS)
def test_padding_does_not_change_the_logits(arch):
    model = _tiny(arch)
    ids, _ = _sentences(6, seed=1)
    short, long = model(_pad(ids, 12), training=False), model(_pad(ids, 40), training=False)
    np.testing.assert_allclose(np.asarray(short), np.asarray(long), atol=1e-5)
    # The same weights with the padding mask left out: the padding is read as words and the
    # logits move. This is what the test above would catch if a mask got lost.
    one = ids[:1]
    assert np.abs(models.logits_without_mask(model, _pad(one, 12))
                  - models.logits_without_mask(model, _pad(one, 40))).max() > 1e-3


def test_transformer_block_uses_the_mask_it_is_given():
    """Keras 3.15 would also mask the keys from a mask attached to the tensor (MHA's value_mask is
    filled in by ``Layer.__call__``); other versions do not. Plain arrays carry no attached mask,
    so only the block's own explicit attention mask keeps real tokens off the padding here."""
    from core.tasks.sentiment.layers import TransformerBlock

    block = TransformerBlock(8, 2, 16, 0.0)
    real = np.random.default_rng(0).normal(size=(2, 5, 8)).astype(np.float32)
    pad = np.random.default_rng(1).normal(size=(2, 30, 8)).astype(np.float32)  # junk vectors on the padding
    mask = np.r_[np.ones(5, bool), np.zeros(30, bool)][None].repeat(2, 0)
    short = np.asarray(block(np.concatenate([real, pad[:, :7]], 1), mask=mask[:, :12]))[:, :5]
    long = np.asarray(block(np.concatenate([real, pad], 1), mask=mask))[:, :5]
    np.testing.assert_allclose(short, long, atol=1e-5)
    unmasked = np.asarray(block(np.concatenate([real, pad], 1)))[:, :5]
    assert np.abs(unmasked - long).max() > 1e-3


@pytest.mark.parametrize("arch", ARCHS)
def test_each_arch_learns_a_separable_token_task_with_the_trainer(arch):
    x, y = _sentences(600, seed=2)
    xv, yv = _sentences(150, seed=3)
    model = _tiny(arch)
    trainer = Trainer(model, "sparse_categorical_crossentropy", learning_rate=1e-2,
                      class_weight={0: 1.5, 1: 1.0, 2: 1.5})
    trainer.fit(x, y, xv, yv, epochs=15, batch_size=64, patience=15, seed=0)
    assert np.mean(trainer.predict(x).argmax(1) == y) > 0.9
    assert np.mean(trainer.predict(xv).argmax(1) == yv) > 0.85
    # the compiled predict step (signature (None, None)) is padding-invariant too
    np.testing.assert_allclose(trainer.predict(xv[:20]), trainer.predict(_pad(xv[:20], 40)), atol=1e-5)


def test_class_weight_reaches_the_loss():
    """Weight 0 on class 2: the model gets no reason to ever predict it."""
    x, y = _sentences(600, seed=4)
    trainer = Trainer(_tiny("transformer"), "sparse_categorical_crossentropy", learning_rate=1e-2,
                      class_weight={0: 1.0, 1: 1.0, 2: 0.0})
    trainer.fit(x, y, x[:100], y[:100], epochs=6, batch_size=64, patience=6, seed=0)
    pred = trainer.predict(x).argmax(1)
    assert np.mean(pred[y == 2] == 2) < 0.1
    assert np.mean(pred[y == 0] == 0) > 0.8


TEXTS = ["Profit rose 18 % on strong demand.", "The loss widened as costs jumped!",
         "Results are due on Tuesday.", "profit FELL; shares slid"]


def test_end_to_end_model_saves_and_loads_with_identical_probabilities(tmp_path):
    import keras
    import tensorflow as tf

    vectorizer = models.make_vectorizer(TEXTS[:3], vocab_size=50, seq_len=12)
    vocabulary = vectorizer.get_vocabulary()
    assert vocabulary[:2] == ["", "[UNK]"] and "profit" in vocabulary and "fell" not in vocabulary  # train texts only
    path = str(tmp_path / "sentiment.keras")
    for arch in ARCHS:
        model = models.end_to_end(vectorizer, _tiny(arch, vocab_size=50, seq_len=12))
        probs = model(tf.constant(TEXTS)).numpy()
        assert probs.shape == (4, 3)
        np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-5)
        model.save(path)
        loaded = keras.saving.load_model(path)
        np.testing.assert_array_equal(loaded(tf.constant(TEXTS)).numpy(), probs)
        np.testing.assert_allclose(loaded.predict(np.array(TEXTS, dtype=object), verbose=0), probs, atol=1e-6)
    # a fresh process that only imports the layers module (which registers the custom classes)
    code = textwrap.dedent(f"""
        import numpy as np, keras
        import core.tasks.sentiment.layers
        import tensorflow as tf
        model = keras.saving.load_model({path!r})
        np.save({str(tmp_path / "fresh.npy")!r}, model(tf.constant({TEXTS!r})).numpy())
    """)
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=120)
    np.testing.assert_array_equal(np.load(tmp_path / "fresh.npy"), probs)  # the transformer's, saved last


def test_attention_maps_skip_the_padding():
    model = _tiny("transformer", blocks=2)
    ids = np.array([8, 9, 10, 11, 12, 0, 0, 0, 0, 0], np.int32)
    maps = models.attention_maps(model, ids)
    assert maps.shape == (2, 2, 10, 10)
    np.testing.assert_allclose(maps[:, :, :5, :5].sum(axis=-1), 1, atol=1e-5)  # real rows over real keys
    assert np.all(maps[:, :, :, 5:] == 0) and np.all(maps[:, :, 5:, :] == 0)
    importance = models.attention_importance(model, ids)
    assert importance.shape == (10,) and np.all(importance[5:] == 0)
    assert importance.sum() == pytest.approx(1, abs=1e-5)
    with pytest.raises(ValueError):
        models.attention_maps(_tiny("bilstm"), ids)


def test_attention_peak_is_each_sentences_strongest_weight_in_even_shares():
    """The lesson "what attention looks at" checks this number: over a batch (padded, one row
    without words) it must equal the heatmaps' strongest weight x words, averaged per sentence."""
    model = _tiny("transformer", blocks=2)
    ids, _ = _sentences(12, seed=3)
    ids = np.vstack([ids, np.zeros((1, ids.shape[1]), np.int32)])
    expected = np.mean([models.attention_maps(model, row).max() * np.count_nonzero(row) for row in ids[:-1]])
    assert models.attention_peak(model, ids) == pytest.approx(expected, rel=1e-5)
    assert models.attention_peak(model, ids) >= 1  # a real row's weights sum to 1 over its words
    with pytest.raises(ValueError):
        models.attention_peak(_tiny("bilstm"), ids)


@pytest.mark.parametrize("arch", ARCHS)
def test_token_importances_are_zero_on_the_padding(arch):
    model = _tiny(arch)
    ids = np.array([8, 5, 10, 11, 0, 0, 0, 0], np.int32)
    for explain in (models.gradient_x_input, models.occlusion):
        scores = explain(model, ids, 2)
        assert scores.shape == (8,) and scores.dtype == np.float32
        assert np.all(scores[4:] == 0) and np.any(scores[:4] != 0)
    # the explanations run the layers by hand: they must see the model's own logits
    x, mask = models._embed(model, ids)
    np.testing.assert_allclose(models._forward(model, x, mask).numpy(),
                               model(ids[None], training=False).numpy(), atol=1e-6)
