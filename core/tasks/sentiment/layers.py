"""Keras layers of the sentiment classifiers: token + position embedding, a Transformer encoder
block, and mean pooling over the real (non-padded) tokens.

This module imports Keras (through ``core.device.tensorflow()``) when it is imported, because
the classes must subclass ``keras.layers.Layer``. Only code that builds, trains, loads or
explains a model imports it (``core.tasks.sentiment.models`` does so inside its functions), so
the app and the CLI start without TensorFlow. Import it before ``keras.saving.load_model`` on a
saved ``.keras`` file: the ``register_keras_serializable`` decorators below are what let Keras
find these classes again.

Masks are explicit. Token id 0 is TextVectorization's padding; the embedding's ``compute_mask``
says ``ids != 0`` and every layer after it uses that mask itself instead of trusting Keras to do
the right thing implicitly: MultiHeadAttention picks up the query's mask on its own in some Keras
versions and not in others, so the block builds the whole (query, key) attention mask and hands
it over. The test that guards all of this: the same sentence padded to 12 or to 40 tokens gives
the same logits.
"""

from __future__ import annotations

from core.device import tensorflow

tensorflow()  # configure TF (quiet logs, GPU memory growth) before Keras touches it

import keras
from keras import ops

PACKAGE = "findl"


@keras.saving.register_keras_serializable(package=PACKAGE)
class TokenAndPositionEmbedding(keras.layers.Layer):
    """Token embedding plus a learned embedding of each position (0 .. maxlen-1).

    Self-attention is order-blind; the position embedding is what tells "profit fell, costs rose"
    from "costs fell, profit rose". Inputs are int token ids ``(batch, seq)`` with ``seq <=
    maxlen`` (longer inputs have no position vector: an error on CPU). The output mask is
    ``ids != 0``: padded positions get vectors too, but no later layer looks at them.
    """

    def __init__(self, maxlen: int, vocab_size: int, embed_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.maxlen, self.vocab_size, self.embed_dim = int(maxlen), int(vocab_size), int(embed_dim)
        self.token_emb = keras.layers.Embedding(self.vocab_size, self.embed_dim, name="token")
        self.pos_emb = keras.layers.Embedding(self.maxlen, self.embed_dim, name="position")

    def build(self, input_shape):
        self.token_emb.build(input_shape)
        self.pos_emb.build((input_shape[-1],))
        self.built = True

    def call(self, ids):
        positions = ops.arange(ops.shape(ids)[-1])
        return self.token_emb(ids) + self.pos_emb(positions)

    def compute_mask(self, ids, mask=None):
        return ops.not_equal(ids, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.embed_dim)

    def get_config(self):
        return {**super().get_config(), "maxlen": self.maxlen, "vocab_size": self.vocab_size,
                "embed_dim": self.embed_dim}


@keras.saving.register_keras_serializable(package=PACKAGE)
class TransformerBlock(keras.layers.Layer):
    """One encoder block (keras-io "Text classification with Transformer"): multi-head
    self-attention, residual + LayerNorm, a position-wise feed-forward network, residual +
    LayerNorm.

    The padding mask becomes an explicit ``(batch, query, key)`` attention mask: a real token
    never attends to a padded one, so its output does not depend on how much padding follows.
    Padded query rows are fully masked (Keras then spreads them evenly over all keys); their
    outputs are never read (the pooling skips them). ``call(..., return_attention=True)`` also
    returns the attention weights ``(batch, heads, seq, seq)`` for the heatmaps.
    """

    def __init__(self, embed_dim: int, num_heads: int, ff_dim: int, dropout: float = 0.1, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim, self.num_heads, self.ff_dim = int(embed_dim), int(num_heads), int(ff_dim)
        self.dropout = float(dropout)
        self.supports_masking = True  # the padding mask passes through to the pooling
        self.att = keras.layers.MultiHeadAttention(self.num_heads, key_dim=max(1, self.embed_dim // self.num_heads),
                                                   name="attention")
        self.ffn = keras.Sequential([keras.layers.Dense(self.ff_dim, activation="relu"),
                                     keras.layers.Dense(self.embed_dim)], name="ffn")
        self.norm1 = keras.layers.LayerNormalization(epsilon=1e-6, name="norm1")
        self.norm2 = keras.layers.LayerNormalization(epsilon=1e-6, name="norm2")
        self.drop1 = keras.layers.Dropout(self.dropout)
        self.drop2 = keras.layers.Dropout(self.dropout)

    def build(self, input_shape):
        self.att.build(input_shape, input_shape)
        self.ffn.build(input_shape)
        self.norm1.build(input_shape)
        self.norm2.build(input_shape)
        self.built = True

    def call(self, x, mask=None, training=False, return_attention=False):
        attention_mask = None
        if mask is not None:
            mask = ops.cast(mask, "bool")
            attention_mask = ops.logical_and(ops.expand_dims(mask, 2), ops.expand_dims(mask, 1))
        attended, scores = self.att(x, x, attention_mask=attention_mask, training=training,
                                    return_attention_scores=True)
        x = self.norm1(x + self.drop1(attended, training=training))
        x = self.norm2(x + self.drop2(self.ffn(x), training=training))
        return (x, scores) if return_attention else x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "embed_dim": self.embed_dim, "num_heads": self.num_heads,
                "ff_dim": self.ff_dim, "dropout": self.dropout}


@keras.saving.register_keras_serializable(package=PACKAGE)
class MaskedMeanPooling(keras.layers.Layer):
    """Mean of ``(batch, seq, features)`` over the positions where the mask is true.

    ``GlobalAveragePooling1D`` would average the padding in too, and a short sentence would then
    look different depending on the padded length. An all-padding row gives zeros. Without a mask
    it is the plain mean.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, x, mask=None):
        if mask is None:
            return ops.mean(x, axis=1)
        weights = ops.expand_dims(ops.cast(mask, x.dtype), -1)
        total = ops.sum(x * weights, axis=1)
        return total / ops.maximum(ops.sum(weights, axis=1), ops.cast(1, x.dtype))

    def compute_mask(self, x, mask=None):
        return None  # one vector per sentence: nothing left to mask

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])
