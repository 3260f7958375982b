"""Keras layers of the sentiment classifiers: the token embedding (with positions and fixed word
features when asked), a Transformer encoder block, and mean pooling over the real (non-padded)
tokens.

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
class TokenEmbedding(keras.layers.Layer):
    """A learned vector per token, plus (optionally) a learned vector per position and a learned
    projection of fixed word features:

        x[t] = E[id_t]  (+ P[t])  (+ F[id_t] @ W)

    - ``maxlen`` > 0 adds the position embedding ``P`` (0 .. maxlen-1). Self-attention is
      order-blind; the position embedding is what tells "profit fell, costs rose" from "costs fell,
      profit rose". A recurrent network reads in order already (``maxlen=0``). Inputs longer than
      ``maxlen`` have no position vector: an error on CPU.
    - ``features`` > 0 adds ``F``, a fixed (not trained) table of ``features`` numbers per token id,
      set once with ``set_features`` (``wordlist.features``: the finance word list's polarity and
      whether the token is a negation cue), through a trained ``W`` (features x embed_dim). Why: a
      few thousand sentences cannot teach every polar word of real news; the word list knows
      "plunged" is bad even if no training sentence used it, and the network still learns how much
      to trust it and what a "not" before it does.
    - ``word_dropout`` > 0: while training, each token's own vector ``E[id]`` is zeroed with this
      probability (position and word-list parts stay). A network trained on one corpus's style
      leans on a few memorised words and templates; made to do without a random share of them at
      every step, it spreads its evidence over more words and over the word list, which is what
      carries over to text written elsewhere (measured on real news: README).

    Inputs are int token ids ``(batch, seq)``; the output mask is ``ids != 0``: padded positions get
    vectors too, but no later layer looks at them.
    """

    def __init__(self, vocab_size: int, embed_dim: int, maxlen: int = 0, features: int = 0,
                 word_dropout: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.embed_dim = int(vocab_size), int(embed_dim)
        self.maxlen, self.features, self.word_dropout = int(maxlen), int(features), float(word_dropout)
        self.seed_generator = keras.random.SeedGenerator() if self.word_dropout else None
        self.token_emb = keras.layers.Embedding(self.vocab_size, self.embed_dim, name="token")
        self.pos_emb = keras.layers.Embedding(self.maxlen, self.embed_dim, name="position") if self.maxlen else None

    def build(self, input_shape):
        self.token_emb.build(input_shape)
        if self.pos_emb is not None:
            self.pos_emb.build((input_shape[-1],))
        if self.features:
            self.table = self.add_weight(shape=(self.vocab_size, self.features), initializer="zeros",
                                         trainable=False, name="word_features")
            self.projection = self.add_weight(shape=(self.features, self.embed_dim), initializer="glorot_uniform",
                                              name="feature_projection")
        self.built = True

    def set_features(self, table) -> None:
        """The fixed feature table, one row per token id (``(vocab_size, features)``)."""
        self.table.assign(ops.cast(table, self.table.dtype))

    def call(self, ids, training=False):
        x = self.token_emb(ids)
        if training and self.word_dropout:
            keep = keras.random.uniform(ops.shape(ids), seed=self.seed_generator) >= self.word_dropout
            x = x * ops.expand_dims(ops.cast(keep, x.dtype), -1)
        if self.pos_emb is not None:
            x = x + self.pos_emb(ops.arange(ops.shape(ids)[-1]))
        if self.features:
            x = x + ops.matmul(ops.cast(ops.take(self.table, ids, axis=0), x.dtype), ops.cast(self.projection, x.dtype))
        return x

    def compute_mask(self, ids, mask=None):
        return ops.not_equal(ids, 0)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.embed_dim)

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "embed_dim": self.embed_dim,
                "maxlen": self.maxlen, "features": self.features, "word_dropout": self.word_dropout}


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
