"""The "sentiment" task: a BiLSTM or a small Transformer reads financial sentences and says
negative, neutral or positive, beside TF-IDF + logistic regression and a finance lexicon.

Honest evaluation: the bundled corpus trains on its training files and tests on its separate
evaluation file (written apart, never used for training or tuning); a user's file is split
stratified (a fixed split, so runs with other seeds are compared on the same sentences). The
vectorizer's vocabulary, the TF-IDF vocabulary and early stopping see training sentences only:
a stratified validation share of them stops the network; the baselines fit on the same rows the
network takes gradient steps on. Differences come with an exact McNemar test on the test rows.
Every model reads a sentence through ``core.data.masking`` (names and digit runs replaced), so
neither a company name nor an exact figure can be a cue. The network's probabilities are
temperature-scaled on its validation rows (``calibration``); every run is also scored on the
sanity set (plain sentences, never trained on).

Scoring new sentences (``predict``) runs on a worker with the stored run; the typed sentence and
a file to score are inputs, never settings.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field

import numpy as np

from core import comparisons
from core.data import masking, sentences
from core.data.sentences import LABELS, Sentences
from core.errors import DataError, TrainingDiverged
from core.nn.keras_loop import PREDICT_CHUNK
from core.result import Progress, Result, jsonable
from core.tasks.sentiment import baselines, calibration, wordlist
from core.tasks.sentiment.config import NAME, PRESETS, SCORERS, Config

SCHEMA = 4  # 2: metrics["comparisons"] in the shared schema (core.comparisons); 3: tfidf.npz, no pickle;
# 4: names and digits masked, word-list inputs, temperature scaling, the sanity set
SPLIT_SEED = 0  # the test split of a user's file: fixed, so every run is tested on the same sentences
MIN_PER_CLASS = 10
MONITOR = "accuracy"  # early stopping: see Trainer.fit (validation cross-entropy bottoms out at epoch 1-2)
# No counts: train_rows and the validation share change how many sentences a run learns from, and
# the page states the run's own counts (metrics n_train, n_val, n_test) under its scores.
BUNDLED_NOTE = ("Bundled corpus: the network and TF-IDF learn from its training sentences; its evaluation sentences "
                "(written separately) are the test set.")
BATCH_MAX = 5000  # sentences per predict call (the page sends a large file in chunks, with progress)
TFIDF_FILE = "tfidf.npz"  # the TF-IDF baseline's arrays (baselines.TfidfLogreg.save; never a pickle)

__all__ = ["LABELS", "NAME", "PRESETS", "SCHEMA", "Config", "SentimentData", "evaluate_file", "load_data", "predict",
           "train"]


@dataclass(frozen=True)
class SentimentData:
    """Training and test sentences (labels are indices into ``LABELS``)."""

    train: Sentences
    test: Sentences
    fingerprint: str
    notes: list[str] = field(default_factory=list)
    from_config: bool = False  # bundled: a worker rebuilds it (core.engine.shipped)


def load_data(config: Config, path=None) -> SentimentData:
    """The bundled corpus, or a labelled file (``path``: a path, bytes or an upload; CSV
    ``text,label`` in any column order or PhraseBank ``sentence@label``) split stratified."""
    if path is None and config.source == "csv":
        raise DataError("source=csv needs a file: upload one (or findl train sentiment --data PATH)")
    if path is None:
        train, test = sentences.bundled("train"), sentences.bundled("eval")
        return SentimentData(train, test, f"bundled:{train.fingerprint[:16]}:{test.fingerprint[:16]}",
                             [BUNDLED_NOTE], from_config=True)
    table = sentences.from_file(path)
    sentences.check_training(table, min_per_class=MIN_PER_CLASS)
    fit, test = sentences.stratified_split(table.labels, config.test_fraction, SPLIT_SEED)

    def part(rows: np.ndarray) -> Sentences:
        return Sentences([table.texts[i] for i in rows], table.labels[rows], table.fingerprint, [], None,
                         table.source_name)

    counts = ", ".join(f"{label} {int(np.sum(table.labels == i))}" for i, label in enumerate(LABELS))
    notes = [*table.notes, (f"{len(table)} labelled sentences ({counts}); {len(test)} kept for the test "
                           "(stratified, the same for every run).")]
    return SentimentData(part(fit), part(test), f"file:{table.fingerprint}:{config.test_fraction}", notes)


def _training_rows(config: Config, data: SentimentData) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training sentences the network steps on and of its validation share."""
    y = data.train.labels
    rows = np.arange(len(y))
    if config.train_rows and config.train_rows < len(y):
        _, rows = sentences.stratified_split(y, config.train_rows / len(y), config.seed)
    fit, val = sentences.stratified_split(y[rows], config.val_fraction, config.seed)
    return rows[fit], rows[val]


def _scores(y: np.ndarray, predicted: np.ndarray) -> dict:
    from sklearn import metrics as skm

    precision, recall, f1, support = skm.precision_recall_fscore_support(y, predicted, labels=[0, 1, 2],
                                                                         zero_division=0)
    return {"accuracy": float(skm.accuracy_score(y, predicted)),
            "macro_f1": float(skm.f1_score(y, predicted, labels=[0, 1, 2], average="macro", zero_division=0)),
            "per_class": {label: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                                  "support": int(support[i])} for i, label in enumerate(LABELS)},
            "confusion": skm.confusion_matrix(y, predicted, labels=[0, 1, 2]).tolist()}


def _versus(y: np.ndarray, model: np.ndarray, baseline: np.ndarray, key: str) -> dict:
    """McNemar on right/wrong per sentence: only sentences where the two disagree on being right count."""
    return comparisons.mcnemar(y, model == y, baseline == y, scorer="model", scorer_label=SCORERS["model"],
                               baseline=key, baseline_label=SCORERS[key], unit="test sentences")


def _evaluate(y: np.ndarray, texts: list[str], predicted: dict[str, np.ndarray], lexicon: baselines.Lexicon) -> dict:
    """The issue's metric keys for the network and both baselines on one labelled set, plus the
    slice of sentences with a negation cue (where bag-of-words is expected to stumble)."""
    out = _scores(y, predicted["model"])
    out["baselines"] = {key: _scores(y, predicted[key]) for key in ("tfidf_logreg", "lexicon")}
    out["comparisons"] = [_versus(y, predicted["model"], predicted[key], key) for key in ("tfidf_logreg", "lexicon")]
    out["majority_share"] = float(np.bincount(y, minlength=3).max() / len(y))
    negated = np.array([lexicon.has_negation(t) for t in texts], bool)
    out["negation"] = {"n": int(negated.sum()), **{
        key: float(np.mean(predicted[key][negated] == y[negated])) if negated.any() else None
        for key in ("model", "tfidf_logreg", "lexicon")}}
    out["n_test"] = len(y)
    return out


def _class_weights(config: Config, y: np.ndarray) -> dict[int, float] | None:
    if config.class_weights == "none":
        return None
    counts = np.bincount(y, minlength=3).astype(float)
    present = counts > 0
    return {i: float(len(y) / (present.sum() * counts[i])) for i in range(3) if present[i]}


def train(config: Config, data: SentimentData, progress: Progress) -> Result:
    fit, val = _training_rows(config, data)
    texts = masking.mask_all(data.train.texts)  # what every model reads: no name can be a cue
    y = data.train.labels
    fit_texts, val_texts = [texts[i] for i in fit], [texts[i] for i in val]
    sentences.check_training(Sentences(fit_texts, y[fit], "", [], None, ""), min_per_class=MIN_PER_CLASS)

    from core.device import tensorflow

    tensorflow()
    import keras

    from core.nn.keras_loop import Trainer, save_model
    from core.tasks.sentiment import models

    keras.utils.set_random_seed(config.seed)
    lexicon = baselines.Lexicon.bundled()
    use_list = config.word_list == "input"
    vectorizer = models.make_vectorizer(fit_texts, config.vocab_size, config.seq_len,
                                        wordlist.extra_words(lexicon) if use_list else ())
    vocabulary = vectorizer.get_vocabulary()
    classifier = models.build_classifier(config.arch, vocab_size=len(vocabulary), seq_len=config.seq_len,
                                         embed_dim=config.embed_dim, units=config.units,
                                         lstm_layers=config.lstm_layers, heads=config.heads, ff_dim=config.ff_dim,
                                         blocks=config.blocks, dropout=config.dropout,
                                         word_dropout=config.word_dropout,
                                         word_features=wordlist.features(vocabulary, lexicon) if use_list else None)

    def ids(batch: list[str]) -> np.ndarray:
        return vectorizer(np.array(batch, dtype=object)).numpy().astype(np.int32)

    trainer = Trainer(classifier, "sparse_categorical_crossentropy", learning_rate=config.learning_rate,
                      class_weight=_class_weights(config, y[fit]))
    history = trainer.fit(ids(fit_texts), y[fit], ids(val_texts), y[val], epochs=config.epochs,
                          min_steps=config.min_steps, batch_size=config.batch_size, patience=config.patience,
                          seed=config.seed, progress=progress, monitor=MONITOR)
    test_texts, y_test = data.test.texts, data.test.labels
    test_ids = ids(masking.mask_all(test_texts))
    logits, val_logits = trainer.predict(test_ids), trainer.predict(ids(val_texts))
    if not (np.isfinite(logits).all() and np.isfinite(val_logits).all()):
        raise TrainingDiverged()
    temperature = calibration.fit_temperature(val_logits, y[val])
    probs = calibration.softmax(logits, temperature)

    tfidf = baselines.TfidfLogreg(seed=config.seed).fit(fit_texts, y[fit])
    tfidf_probs = tfidf.predict_proba(masking.mask_all(test_texts))
    predicted = {"model": probs.argmax(1), "tfidf_logreg": tfidf_probs.argmax(1),
                 "lexicon": lexicon.predict(test_texts)}
    metrics = _evaluate(y_test, test_texts, predicted, lexicon)
    sanity = sentences.bundled("sanity")
    sanity_predicted = {"model": trainer.predict(ids(masking.mask_all(sanity.texts))).argmax(1),
                        "tfidf_logreg": tfidf.predict(masking.mask_all(sanity.texts)),
                        "lexicon": lexicon.predict(sanity.texts)}
    metrics |= {"n_train": len(fit), "n_val": len(val), "vocabulary": len(vocabulary), "arch": config.arch,
                **history.metrics(),
                "val_accuracy": float(np.mean(val_logits.argmax(1) == y[val])),
                "calibration": _calibration(temperature, val_logits, y[val], logits, y_test),
                "sanity": {"n": len(sanity), **{key: float(np.mean(p == sanity.labels))
                                                for key, p in sanity_predicted.items()}},
                "attention_peak": models.attention_peak(classifier, test_ids) if config.arch == "transformer" else None}

    fd, tfidf_path = tempfile.mkstemp(suffix=".npz", prefix="findl-sentiment-")
    with os.fdopen(fd, "wb") as handle:
        tfidf.save(handle)
    arrays = {"test_texts": np.array(test_texts, dtype=str), "y_test": y_test.astype(np.int8),
              "probs_model": probs.astype(np.float32),
              "probs_model_uncalibrated": calibration.softmax(logits).astype(np.float32),
              "probs_tfidf_logreg": tfidf_probs.astype(np.float32),
              "pred_lexicon": predicted["lexicon"].astype(np.int8),
              "sanity_texts": np.array(sanity.texts, dtype=str), "sanity_y": sanity.labels.astype(np.int8),
              **{f"sanity_{key}": p.astype(np.int8) for key, p in sanity_predicted.items()},
              "loss": np.asarray(history.loss), "val_loss": np.asarray(history.val_loss),
              "val_accuracy": np.asarray(history.val_accuracy)}  # what early stopping watched
    info = {"notes": data.notes, "labels": list(LABELS)}
    return Result(metrics=jsonable(metrics), arrays=arrays, info=info,
                  files={"model.keras": save_model(models.end_to_end(vectorizer, classifier, temperature),
                                                   "sentiment"),
                         TFIDF_FILE: tfidf_path})


def _calibration(temperature: float, val_logits: np.ndarray, y_val: np.ndarray, test_logits: np.ndarray,
                 y_test: np.ndarray) -> dict:
    """The fitted temperature and the expected calibration error before (T = 1) and after, on the
    validation rows it was fitted on and on the test rows it never saw."""
    ece = calibration.expected_calibration_error
    return {"temperature": temperature,
            "ece_val_before": ece(calibration.softmax(val_logits), y_val),
            "ece_val_after": ece(calibration.softmax(val_logits, temperature), y_val),
            "ece_test_before": ece(calibration.softmax(test_logits), y_test),
            "ece_test_after": ece(calibration.softmax(test_logits, temperature), y_test)}


# ---- scoring new sentences (on a worker, through Engine.predict; the CLI's --eval) ---------------
class _Loaded:
    """A stored run made ready to score: the end-to-end model split into its vectorizer and its
    classifier (explanations need the token ids), the TF-IDF model, the lexicon."""

    def __init__(self, result: Result):
        if TFIDF_FILE not in result.files:
            raise DataError("this run has no TF-IDF baseline file (stored by another version?): train it again")
        self.tfidf = baselines.TfidfLogreg.load(result.files[TFIDF_FILE])  # refused before any model loads
        from core.device import tensorflow

        tf = tensorflow()
        import keras

        from core.tasks.sentiment import layers  # noqa: F401  (registers the custom layers)

        model = keras.saving.load_model(result.files["model.keras"], compile=False)
        self.vectorizer = model.get_layer("vectorizer")
        self.classifier = next(layer for layer in model.layers if isinstance(layer, keras.Model))
        self.vocabulary = self.vectorizer.get_vocabulary()
        self.transformer = any(layer.name.startswith("block_") for layer in self.classifier.layers)
        from core.tasks.sentiment import models

        self.temperature = models.temperature_of(model)
        self.lexicon = baselines.Lexicon.bundled()
        classifier = self.classifier
        self._logits = tf.function(lambda x: classifier(x, training=False), autograph=False,
                                   input_signature=[tf.TensorSpec([None, None], tf.int32)])
        if not self.transformer:
            self.towards_positive = models.compiled_gradient_x_input(classifier)

    def ids(self, texts: list[str]) -> np.ndarray:
        """Token ids of the texts masked (``masking.mask``: names and digits), as in training."""
        return self.vectorizer(np.array(masking.mask_all(texts), dtype=object)).numpy().astype(np.int32)

    def tfidf_probs(self, texts: list[str]) -> np.ndarray:
        return self.tfidf.predict_proba(masking.mask_all(texts))

    def probs(self, texts: list[str]) -> np.ndarray:
        """Calibrated class probabilities per text, PREDICT_CHUNK texts at a time (bounded memory); NaN for a
        text with no token at all (an empty cell).

        Why rows without tokens never reach the network: a fully padded row makes cuDNN's LSTM
        kernel (Keras 3 on a GPU) fail an assertion instead of falling back, and the run would end
        on the first empty cell of a scored file. Readers skip empty texts already; this is the
        guard for every other caller of ``predict``."""
        return np.concatenate([self.probs_of_ids(self.ids(texts[i:i + PREDICT_CHUNK]))
                               for i in range(0, len(texts), PREDICT_CHUNK)])

    def probs_of_ids(self, ids: np.ndarray) -> np.ndarray:
        has_words = (ids != 0).any(axis=1)
        out = np.full((len(ids), len(LABELS)), np.nan, dtype=np.float32)
        if has_words.any():
            out[has_words] = calibration.softmax(self._logits(ids[has_words]).numpy(), self.temperature)
        return out


def _loaded(result: Result) -> _Loaded:
    if "loaded" not in result.memo:
        result.memo["loaded"] = _Loaded(result)
    return result.memo["loaded"]


def predict(result: Result, inputs) -> dict:
    """Score sentences with a stored run (on a worker: ``Engine.predict``).

    ``inputs``: ``{"texts": [str, ...]}`` -> probabilities of the network and TF-IDF, the
    lexicon's label, per sentence. ``{"text": str, "explain": True}`` -> one typed sentence,
    cleaned (``sentences.clean_text``: one-line DataError for empty, symbols only or too long),
    with its words, their character spans, and each scorer's word weights: the Transformer's
    attention received (and the maps per head) or the BiLSTM's gradient x input, TF-IDF's
    contributions, the lexicon's matched terms."""
    if not isinstance(inputs, dict):
        raise DataError("inputs must be {'texts': [...]} or {'text': ..., 'explain': True}")
    loaded = _loaded(result)
    if "text" in inputs:
        return _explain(loaded, inputs["text"])
    texts = inputs.get("texts")
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise DataError("texts must be a list of strings")
    if len(texts) > BATCH_MAX:
        raise DataError(f"at most {BATCH_MAX} sentences per call; send a large file in chunks")
    if not texts:
        return {"probs_model": np.zeros((0, 3), np.float32), "probs_tfidf_logreg": np.zeros((0, 3)),
                "pred_lexicon": np.zeros(0, np.int64)}
    return {"probs_model": loaded.probs(texts).astype(np.float32), "probs_tfidf_logreg": loaded.tfidf_probs(texts),
            "pred_lexicon": loaded.lexicon.predict(texts)}


POSITIVE, NEGATIVE = LABELS.index("positive"), LABELS.index("negative")
UNSURE_BELOW = 0.5  # calibrated top probability under this: less than even odds for any one class
UNSURE_MARGIN = 0.15  # the two likeliest classes closer than this: a coin toss between them
UNKNOWN_OVER = 0.5  # share of the words the vocabulary does not know


def _unsure(probs, unknown: int, words: int) -> str | None:
    """Why the network's answer to a typed sentence should not be trusted, or None."""
    second, top = np.sort(np.asarray(probs, float))[-2:]
    if words and unknown / words > UNKNOWN_OVER:
        return f"{unknown} of its {words} words are not in the vocabulary"
    if top < UNSURE_BELOW:
        return f"its top probability is {top:.0%}, under {UNSURE_BELOW:.0%}"
    if top - second < UNSURE_MARGIN:
        return f"its two likeliest answers are {top:.0%} and {second:.0%}"
    return None


def _explain(loaded: _Loaded, raw: str) -> dict:
    """One sentence, explained in one direction for all three scorers: a word's weight is how much
    it pushes towards positive (> 0) rather than negative (< 0). Network: gradient x input of the
    positive minus the negative logit (BiLSTM), or, for the Transformer, the attention each word
    receives relative to an even share (``weights["model"]`` > 0: read more than average; attention
    has no direction); TF-IDF: its positive minus negative contributions; lexicon: its terms."""
    from core.tasks.sentiment import models

    text, notes = sentences.clean_text(raw if isinstance(raw, str) else "")
    masked = masking.mask(text)
    words, spans = sentences.tokens(text), sentences.word_spans(text)
    ids = loaded.ids([text])[0]
    n = int(np.count_nonzero(ids))
    if len(words) > n:
        notes.append(f"only the first {n} words are read (sequence length)")
    words, spans = words[:n], spans[:n]  # the vectorizer cuts at seq_len
    read_as_name = [text[a:b] for (a, b), m in zip(spans, sentences.tokens(masked)) if m == masking.PLACEHOLDER]
    if read_as_name:
        notes.append(f"read as a name (every name reads the same, so none can sway the models): "
                     f"{', '.join(read_as_name[:8])}")
    unknown = [w for w, i in zip(words, ids) if i == 1]
    if n and len(unknown) == n:
        notes.append("none of these words is in the model's vocabulary: its answer is a guess from the sentence "
                     "length alone")
    elif unknown:
        notes.append(f"not in the vocabulary (read as one unknown word): {', '.join(unknown[:8])}")
    row = ids[:max(n, 1)]
    probs = loaded.probs_of_ids(row[None, :])[0]
    tfidf = [p - q for p, q in zip(loaded.tfidf.word_weights(masked, POSITIVE),
                                   loaded.tfidf.word_weights(masked, NEGATIVE))]
    out = {"text": text, "notes": notes, "words": words, "spans": spans, "label": int(probs.argmax()),
           "unsure": _unsure(probs, len(unknown), n), "confidence": float(np.max(probs)),
           "probs": {"model": probs.tolist(), "tfidf_logreg": loaded.tfidf_probs([text])[0].tolist(),
                     "lexicon": loaded.lexicon.predict_proba([text])[0].tolist()},
           "weights": {"tfidf_logreg": tfidf[:n], "lexicon": loaded.lexicon.word_weights(text)[:n]},
           "lexicon_matches": loaded.lexicon.matches(text), "transformer": loaded.transformer}
    if loaded.transformer:
        out["attention"] = models.attention_maps(loaded.classifier, row)[:, :, :n, :n]
        received = models.attention_importance(loaded.classifier, row)[:n]
        out["weights"]["model"] = (received * n - 1).tolist() if n else []  # 0 = an even share
        out["model_method"] = "attention received in the last block, relative to an even share (no direction)"
    else:
        direction = np.zeros(len(LABELS))
        direction[POSITIVE], direction[NEGATIVE] = 1.0, -1.0
        out["weights"]["model"] = loaded.towards_positive(row, direction)[:n].tolist()
        out["model_method"] = "gradient x input of the positive minus the negative logit"
    return out


def evaluate_file(result: Result, path) -> dict:
    """``findl train sentiment --eval PATH``: the trained run and both baselines on a labelled file,
    with the same keys as the test metrics."""
    table = sentences.from_file(path)
    if table.labels is None:
        raise DataError("--eval needs a labelled file (a label column, or PhraseBank sentence@label lines)")
    loaded = _loaded(result)
    probs = loaded.probs(table.texts)
    predicted = {"model": probs.argmax(1), "tfidf_logreg": loaded.tfidf_probs(table.texts).argmax(1),
                 "lexicon": loaded.lexicon.predict(table.texts)}
    return jsonable(_evaluate(table.labels, table.texts, predicted, loaded.lexicon) | {"notes": table.notes})


