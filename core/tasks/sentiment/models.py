"""The two sentiment classifiers (a bidirectional LSTM and a small Transformer encoder), the text
vectorizer in front of them, the end-to-end model users download, and three ways to ask which
words a prediction rests on.

Classes: 0 negative, 1 neutral, 2 positive. The classifiers map int32 token ids ``(batch, seq)``
(0 = padding, any ``seq``: only the real tokens count) to LOGITS (3), which is what
``core.nn.keras_loop.Trainer(model, "sparse_categorical_crossentropy")`` expects; the end-to-end
model adds the vectorizer in front and a softmax behind.

Keras and TensorFlow are imported inside the functions (the app starts without them); the layer
classes live in ``core.tasks.sentiment.layers``, imported here only when a model is built,
loaded or explained.

Explanations, cheapest first:

- ``attention_maps`` / ``attention_importance`` (Transformer): what the model attended to. A
  heatmap per head; the importance of a word is the attention it receives. Attention is where
  information flows, not proof of what decided the class. ``attention_peak`` says over many
  sentences how far the attention is from an even spread.
- ``gradient_x_input`` (any arch): gradient of the class logit w.r.t. each token's embedding,
  dotted with that embedding: a first-order estimate of what removing the token would change.
- ``occlusion`` (any arch): actually remove each token and watch the class probability; slower
  (one forward pass per token) but needs no calculus to explain in class.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CLASSES = ("negative", "neutral", "positive")
N_CLASSES = len(CLASSES)
ARCHS = ("bilstm", "transformer")


def _tf():
    from core.device import tensorflow

    return tensorflow()


def make_vectorizer(texts: Sequence[str], vocab_size: int, seq_len: int, extra_words: Sequence[str] = ()):
    """A ``TextVectorization`` adapted on ``texts`` (the training texts only: the vocabulary must
    not peek at validation or evaluation sentences), its ``vocab_size`` most frequent words then
    ``extra_words`` it lacks (the word list's: ``wordlist.extra_words``). Lower-cases, strips
    punctuation, splits on whitespace; id 0 is padding, 1 is out-of-vocabulary; output ``(batch,
    seq_len)`` int64, right padded. Only built-in standardize/split, so a saved model needs no
    custom function to load."""
    tf = _tf()
    import keras

    settings = dict(output_sequence_length=int(seq_len), standardize="lower_and_strip_punctuation",
                    split="whitespace", name="vectorizer")
    vectorizer = keras.layers.TextVectorization(max_tokens=int(vocab_size), **settings)
    vectorizer.adapt(tf.constant(list(texts), dtype=tf.string), batch_size=1024)
    learned = vectorizer.get_vocabulary()[2:]  # without "" and "[UNK]"
    known = set(learned)
    missing = [w for w in extra_words if w not in known]
    if not missing:
        return vectorizer
    return keras.layers.TextVectorization(vocabulary=learned + missing, **settings)


def build_classifier(arch: str, *, vocab_size: int, seq_len: int, embed_dim: int = 32, units: int = 32,
                     lstm_layers: int = 1, heads: int = 2, ff_dim: int = 64, blocks: int = 1,
                     dropout: float = 0.2, word_features=None, word_dropout: float = 0.0):
    """int32 token ids ``(batch, None)`` -> 3 logits.

    - ``"bilstm"``: ``TokenEmbedding`` -> ``lstm_layers`` x ``Bidirectional(LSTM(units,
      return_sequences=True))`` -> masked mean -> Dropout -> Dense(3). No position embedding: the
      recurrence already reads the words in order. Default activations and right padding keep
      the LSTM on the cuDNN kernel on a GPU.
    - ``"transformer"``: ``TokenEmbedding(maxlen=seq_len)`` (positions) -> ``blocks`` x
      ``TransformerBlock(embed_dim, heads, ff_dim, dropout)`` -> masked mean -> Dropout -> Dense(3).
      Inputs longer than ``seq_len`` have no position vector.

    ``word_features`` (``(vocab_size, k)``, ``wordlist.features``): fixed numbers per token id
    added to the embedding through a learned projection (``layers.TokenEmbedding``); None: none.
    ``word_dropout``: the share of token vectors zeroed at each training step (``TokenEmbedding``).
    ``units``/``lstm_layers`` only matter for the BiLSTM, ``heads``/``ff_dim``/``blocks`` only for
    the Transformer. The logits layer is float32 so mixed precision leaves the loss in float32.
    Layer names (``embedding``, ``bilstm_i`` / ``block_i``, ``pool``, ``dropout``, ``logits``) are
    what the explanation functions walk.
    """
    _tf()
    import keras

    from core.tasks.sentiment import layers

    if arch not in ARCHS:
        raise ValueError(f"arch must be one of {ARCHS}, not {arch!r}")
    ids = keras.Input((None,), dtype="int32", name="token_ids")
    embedding = layers.TokenEmbedding(vocab_size, embed_dim, maxlen=seq_len if arch == "transformer" else 0,
                                      features=0 if word_features is None else np.shape(word_features)[1],
                                      word_dropout=word_dropout, name="embedding")
    x = embedding(ids)
    if word_features is not None:
        embedding.set_features(word_features)
    if arch == "bilstm":
        for i in range(1, lstm_layers + 1):
            x = keras.layers.Bidirectional(keras.layers.LSTM(units, return_sequences=True), name=f"bilstm_{i}")(x)
    else:
        for i in range(1, blocks + 1):
            x = layers.TransformerBlock(embed_dim, heads, ff_dim, dropout, name=f"block_{i}")(x)
    x = layers.MaskedMeanPooling(name="pool")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    logits = keras.layers.Dense(N_CLASSES, dtype="float32", name="logits")(x)
    return keras.Model(ids, logits, name=f"sentiment_{arch}")


def end_to_end(vectorizer, classifier, temperature: float = 1.0):
    """One string per row -> calibrated probabilities of (negative, neutral, positive): the file
    users download. The logits are divided by ``temperature`` (a ``Rescaling`` layer named
    "temperature", fitted on validation: ``calibration.fit_temperature``) before the softmax.
    Input shape ``()`` of dtype string: ``model(tf.constant(["Profit rose."]))`` or
    ``model.predict(np.array(texts, dtype=object))`` (a NumPy ``<U`` array is refused by Keras:
    "Invalid dtype: str..."). The model reads the text as given: pass it through
    ``core.data.masking.mask`` first, as the page and the CLI do, so names and figures read as the
    placeholders it was trained on. The vectorizer's int64 ids are cast to int32 by the
    classifier's Input.
    The vocabulary travels in the ``.keras`` file; load with ``keras.saving.load_model(path)``
    after importing ``core.tasks.sentiment.layers`` (it registers the custom layers)."""
    _tf()
    import keras

    from core.tasks.sentiment import layers  # noqa: F401  (registers the custom layers)

    text = keras.Input((), dtype="string", name="text")
    logits = keras.layers.Rescaling(1.0 / float(temperature), dtype="float32", name="temperature")(
        classifier(vectorizer(text)))
    probs = keras.layers.Softmax(dtype="float32", name="probabilities")(logits)
    return keras.Model(text, probs, name=f"{classifier.name}_end_to_end")


def temperature_of(model) -> float:
    """The temperature ``end_to_end`` built into a model (1.0 for a model saved without one)."""
    try:
        return 1.0 / float(model.get_layer("temperature").scale)
    except ValueError:
        return 1.0


# -- explanations -------------------------------------------------------------------------------

def _ids_batch(ids) -> np.ndarray:
    """One sentence's ids as a (1, seq) int32 array."""
    ids = np.asarray(ids, dtype=np.int32)
    return ids[None, :] if ids.ndim == 1 else ids


def _forward(classifier, x, mask, *, attention: list | None = None):
    """Run the classifier's layers after the embedding on ``x`` (embedding outputs) with the
    padding ``mask`` passed explicitly (inference mode). ``attention`` collects each block's
    weights. ``mask=None`` runs it maskless (the padding counts as words): the test uses this to
    show the mask matters."""
    import keras

    from core.tasks.sentiment import layers

    if mask is None:
        x = _tf().identity(x)  # a new tensor: no Keras mask attached for the next layers to pick up
    for layer in classifier.layers[2:]:  # [0] Input, [1] embedding
        if isinstance(layer, layers.TransformerBlock):
            x, scores = layer(x, mask=mask, training=False, return_attention=True)
            if attention is not None:
                attention.append(scores)
        elif isinstance(layer, (keras.layers.Bidirectional, layers.MaskedMeanPooling)):
            x = layer(x, mask=mask)
        elif isinstance(layer, keras.layers.Dropout):
            x = layer(x, training=False)
        else:
            x = layer(x)
    return x


def _embed(classifier, ids):
    tf = _tf()
    ids = tf.constant(_ids_batch(ids))
    embedding = classifier.get_layer("embedding")
    return embedding(ids), tf.not_equal(ids, 0)


def logits_without_mask(classifier, ids) -> np.ndarray:
    """Logits with the padding mask left out (the padding is read as words): for the test and
    the lesson's "why masks" demo only."""
    x, _ = _embed(classifier, ids)
    return _forward(classifier, x, None).numpy()


def _require_transformer(classifier) -> None:
    if not any(layer.name.startswith("block_") for layer in classifier.layers):
        raise ValueError("attention maps need the Transformer classifier")


def attention_maps(classifier, ids) -> np.ndarray:
    """Attention weights ``(blocks, heads, seq, seq)`` (query rows, key columns) of one sentence
    ``ids`` (seq,) through a Transformer classifier. Rows of real tokens sum to 1 over the real
    tokens; padded rows and columns are 0."""
    _require_transformer(classifier)
    x, mask = _embed(classifier, ids)
    scores: list = []
    _forward(classifier, x, mask, attention=scores)
    real = mask.numpy()[0].astype(np.float32)
    maps = np.stack([s.numpy()[0] for s in scores])  # (blocks, heads, seq, seq)
    return maps * real[None, None, :, None] * real[None, None, None, :]


def attention_importance(classifier, ids) -> np.ndarray:
    """Per-token importance ``(seq,)`` from attention: the attention each token receives in the
    LAST block, averaged over heads and over the real (non-padded) query tokens. Sums to 1 over
    the real tokens; padded positions 0."""
    last = attention_maps(classifier, ids)[-1]  # (heads, seq, seq)
    real = _ids_batch(ids)[0] != 0
    if not real.any():
        return np.zeros(real.shape, np.float32)
    return last[:, real, :].mean(axis=(0, 1)).astype(np.float32)


def attention_peak(classifier, ids) -> float:
    """How far a Transformer's attention is from an even spread, over a batch of sentences
    ``ids`` (batch, seq): the strongest attention weight of each sentence (any block, head and
    reading word) in units of an even share (1 / its words), averaged over the sentences. 1: every
    word reads every word equally (a bag of word vectors); well above 1: the model learned where
    to look. What the "what attention looks at" lesson checks on its run."""
    _require_transformer(classifier)
    ids = _ids_batch(ids)
    x, mask = _embed(classifier, ids)
    scores: list = []
    _forward(classifier, x, mask, attention=scores)
    words = (ids != 0).sum(axis=1)
    strongest = np.max([s.numpy().max(axis=(1, 2, 3)) for s in scores], axis=0)  # padded keys get 0 weight
    has_words = words > 0
    return float(np.mean(strongest[has_words] * words[has_words]))


def gradient_x_input(classifier, ids, class_index: int) -> np.ndarray:
    """Per-token importance ``(seq,)``: gradient of the ``class_index`` logit w.r.t. each
    token's embedding vector (position included for the Transformer), dotted with that vector
    (summed over the embedding dimension). Positive = pushes towards the class. Padded
    positions 0."""
    tf = _tf()
    x, mask = _embed(classifier, ids)
    with tf.GradientTape() as tape:
        tape.watch(x)
        logit = _forward(classifier, x, mask)[0, int(class_index)]
    grad = tape.gradient(logit, x)
    scores = tf.reduce_sum(grad * x, axis=-1)[0] * tf.cast(mask[0], x.dtype)
    return scores.numpy().astype(np.float32)


def compiled_gradient_x_input(classifier):
    """``f(ids, direction)``: gradient x input of ``direction . logits`` (e.g. positive minus
    negative: ``[-1, 0, 1]``) for one sentence ``ids`` (seq,), traced once per classifier. What a
    page calls for every typed sentence: the eager ``gradient_x_input`` runs the BiLSTM's loop op
    by op (~70 ms for 15 words on 2 cores); traced, a few milliseconds."""
    tf = _tf()
    embedding = classifier.get_layer("embedding")

    @tf.function(autograph=False, input_signature=[tf.TensorSpec([1, None], tf.int32), tf.TensorSpec([N_CLASSES])])
    def scores(ids, direction):
        x, mask = embedding(ids), tf.not_equal(ids, 0)
        with tf.GradientTape() as tape:
            tape.watch(x)
            logit = tf.reduce_sum(_forward(classifier, x, mask)[0] * direction)
        grad = tape.gradient(logit, x)
        return tf.reduce_sum(grad * x, axis=-1)[0] * tf.cast(mask[0], x.dtype)

    def run(ids, direction) -> np.ndarray:
        return scores(tf.constant(_ids_batch(ids)), tf.constant(direction, tf.float32)).numpy().astype(np.float32)

    return run


def occlusion(classifier, ids, class_index: int) -> np.ndarray:
    """Per-token importance ``(seq,)``: the ``class_index`` probability of the sentence minus
    that of the sentence with the token removed (the rest shift left, padding stays right), so
    positive = the token supports the class. One batch of ``n_tokens + 1`` forward passes.
    Padded positions 0."""
    tf = _tf()
    row = _ids_batch(ids)[0]
    real = np.flatnonzero(row)
    variants = [row]
    for i in real:
        variants.append(np.r_[np.delete(row, i), 0].astype(np.int32))
    logits = classifier(tf.constant(np.stack(variants)), training=False)
    probs = tf.nn.softmax(tf.cast(logits, tf.float32)).numpy()[:, int(class_index)]
    scores = np.zeros(row.shape, np.float32)
    scores[real] = probs[0] - probs[1:]
    return scores
