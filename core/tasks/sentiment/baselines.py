"""The two baselines a sentiment network has to beat: TF-IDF + logistic regression (a strong,
fast bag of words and word pairs) and a finance lexicon with negation (a rule, no learning).

Both read words through ``sentences.tokens``, the exact words Keras TextVectorization gives the
neural models, so "the network learned something the baseline could not" is not an artefact of
different tokenisation. Both give one weight per token (``word_weights``) for the page to
highlight. No TensorFlow here.

The fitted TF-IDF model is stored as plain arrays (``TfidfLogreg.save``/``load``: an ``.npz`` read
with ``allow_pickle=False``), never as a pickle: loading a pickle runs whatever code the file names,
and a store's checksums sit beside the files they check, so they prove nothing against a writer.
"""

from __future__ import annotations

import csv
import itertools
import json
import zipfile
from pathlib import Path

import numpy as np

from core.data import sentences
from core.data.sentences import LABELS, tokens
from core.errors import DataError

NEGATION_WINDOW = 3  # a cue ending within this many tokens before a term flips it
_POLARITY = {"positive": 1, "negative": -1}
# What ``TfidfLogreg.save`` writes beside the arrays and ``load`` requires: the vectorizer it rebuilds
# must be the one that was fitted (a file from other code is refused, not misread).
TFIDF_FORMAT = {"format": 1, "analyzer": "words_and_pairs", "sublinear_tf": True, "norm": "l2", "use_idf": True,
                "smooth_idf": True}


def words_and_pairs(text: str) -> list[str]:
    """Tokens and adjacent token pairs ("beat", "estimates", "beat estimates"): the TF-IDF
    features."""
    words = tokens(text)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def _one_hot(labels: np.ndarray) -> np.ndarray:
    proba = np.zeros((len(labels), len(LABELS)))
    proba[np.arange(len(labels)), labels] = 1.0
    return proba


class TfidfLogreg:
    """Sublinear TF-IDF of words and word pairs, then a class-balanced logistic regression.

    C=10 was chosen by 5-fold cross-validation on the bundled training sentences only (macro-F1
    0.729 / 0.739 / 0.746 / 0.745 for C = 1 / 3 / 10 / 30); the evaluation file was not used."""

    def __init__(self, seed: int = 0, C: float = 10.0):
        self.seed = seed
        self.C = C
        self.vectorizer = None  # a fitted sklearn TfidfVectorizer
        self.model = None  # a fitted sklearn LogisticRegression

    def _estimators(self, vocabulary: dict[str, int] | None = None):
        # scikit-learn imported here: the web server imports this module for the page, never fits
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        settings = {k: v for k, v in TFIDF_FORMAT.items() if k not in ("format", "analyzer")}
        vectorizer = TfidfVectorizer(analyzer=words_and_pairs, min_df=1, vocabulary=vocabulary, **settings)
        # newton-cg: the same optimum as the default lbfgs, reached in ~5 iterations instead of ~50
        # (0.4 s instead of 6 s on the first corpus: 2,366 sentences x 25,545 features, 2 cores).
        model = LogisticRegression(C=self.C, max_iter=2000, class_weight="balanced", solver="newton-cg",
                                   random_state=self.seed)
        return vectorizer, model

    def fit(self, texts: list[str], y) -> TfidfLogreg:
        y = np.asarray(y, dtype=np.int64)
        self.vectorizer, self.model = self._estimators()
        self.model.fit(self.vectorizer.fit_transform(texts), y)
        return self

    def save(self, file) -> None:
        """Write the fitted model as arrays (a path or a binary file): the vocabulary in feature
        order, idf, coefficients, intercepts, classes and ``TFIDF_FORMAT`` with C and seed as JSON."""
        self._check_fitted()
        vocabulary = self.vectorizer.vocabulary_
        np.savez_compressed(file, vocabulary=np.array(sorted(vocabulary, key=vocabulary.get), dtype=str),
                            idf=self.vectorizer.idf_, coef=self.model.coef_, intercept=self.model.intercept_,
                            classes=self.model.classes_.astype(np.int64),
                            settings=np.array(json.dumps({**TFIDF_FORMAT, "C": self.C, "seed": self.seed})))

    @classmethod
    def load(cls, file) -> TfidfLogreg:
        """The model ``save`` wrote, rebuilt into fitted scikit-learn objects without unpickling
        anything. A file that is not exactly that (a pickle, garbage, other settings, arrays of
        the wrong kind or shape) is refused with a one-line DataError."""
        try:
            arrays = _arrays(file, ("vocabulary", "idf", "coef", "intercept", "classes", "settings"))
            settings = json.loads(str(arrays["settings"]))
            model = cls(seed=int(settings["seed"]), C=float(settings["C"]))
            if {k: settings.get(k) for k in TFIDF_FORMAT} != TFIDF_FORMAT:
                raise ValueError("it was written with other settings")
            model._restore(**{k: v for k, v in arrays.items() if k != "settings"})
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
            raise DataError(f"the stored TF-IDF baseline is not valid ({_first_line(exc)}); "
                            "train the run again") from None
        return model

    def _restore(self, vocabulary, idf, coef, intercept, classes) -> None:
        n, rows = len(vocabulary), 1 if len(classes) == 2 else len(classes)
        if not (vocabulary.dtype.kind == "U" and vocabulary.ndim == idf.ndim == classes.ndim == intercept.ndim == 1
                and idf.dtype.kind == coef.dtype.kind == intercept.dtype.kind == "f" and classes.dtype.kind == "i"
                and coef.shape == (rows, n) and idf.shape == (n,) and intercept.shape == (rows,)
                and 2 <= len(classes) == len(set(classes.tolist())) and set(classes.tolist()) <= set(range(len(LABELS)))
                and np.isfinite(idf).all() and np.isfinite(coef).all() and np.isfinite(intercept).all()):
            raise ValueError("its arrays have the wrong kind or shape")
        self.vectorizer, self.model = self._estimators({word: i for i, word in enumerate(vocabulary.tolist())})
        self.vectorizer.idf_ = idf
        self.model.classes_, self.model.coef_, self.model.intercept_ = classes, coef, intercept
        self.model.n_features_in_ = n

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """(n, 3) probabilities in LABELS order; a class absent from training gets 0."""
        self._check_fitted()
        proba = np.zeros((len(texts), len(LABELS)))
        if len(texts):
            proba[:, self.model.classes_] = self.model.predict_proba(self.vectorizer.transform(texts))
        return proba

    def predict(self, texts: list[str]) -> np.ndarray:
        return self.predict_proba(texts).argmax(axis=1).astype(np.int64)

    def word_weights(self, text: str, label: int | None = None) -> list[float]:
        """One number per token of ``tokens(text)``: how much it pushes the score of ``label`` (by
        default the predicted class) up (> 0) or down. A word gets tf-idf x coefficient of its
        unigram, plus half of each word pair it is in; a feature seen k times is shared k ways.
        So the weights add up to the class's logit minus its intercept; unknown words get 0."""
        self._check_fitted()
        words = tokens(text)
        if label is None:
            label = int(self.predict([text])[0])
        classes = list(self.model.classes_)
        if label not in classes:
            return [0.0] * len(words)
        if len(classes) == 2:  # binary model: one coefficient row, for classes_[1]
            coef = self.model.coef_[0] * (1.0 if label == classes[1] else -1.0)
        else:
            coef = self.model.coef_[classes.index(label)]
        row = self.vectorizer.transform([text])
        contribution = dict(zip(row.indices, row.data * coef[row.indices], strict=True))
        vocabulary = self.vectorizer.vocabulary_
        features = words_and_pairs(text)
        counts: dict[str, int] = {}
        for feature in features:
            counts[feature] = counts.get(feature, 0) + 1

        def share(feature: str) -> float:
            index = vocabulary.get(feature)
            return 0.0 if index is None else float(contribution.get(index, 0.0)) / counts[feature]

        weights = [share(word) for word in words]
        for i in range(len(words) - 1):
            half = share(f"{words[i]} {words[i + 1]}") / 2
            weights[i] += half
            weights[i + 1] += half
        return weights

    def _check_fitted(self) -> None:
        if self.model is None:
            raise RuntimeError("TfidfLogreg is not fitted: call fit() first")


def _arrays(file, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The named arrays of an ``.npz``, never unpickling; anything else raises ValueError/TypeError."""
    try:
        npz = np.load(file, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        raise ValueError("it is not an .npz array file (a pickle, or damaged)") from None
    if not isinstance(npz, np.lib.npyio.NpzFile):  # one bare .npy array
        raise TypeError("it is not an .npz array file")
    with npz:
        missing = [name for name in names if name not in npz.files]
        if missing:
            raise ValueError(f"{', '.join(missing)} missing")
        return {name: npz[name] for name in names}


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]


class Lexicon:
    """A finance word list with negation: a rule, not a learned model.

    Terms (1-3 words, standardised by ``tokens`` so "beat-and-raise" and "beat estimates" match
    what a sentence's tokens are) are matched left to right, longest first, without overlap. A
    negation cue (NEGATIONS.txt, also 1-3 words) ending within the NEGATION_WINDOW tokens before
    a term flips its sign; cue tokens themselves score 0 and are never part of a term. A term's
    +1/-1 is spread evenly over its tokens (a three-word term gives each word 1/3), so every word
    of it is highlighted and each term adds exactly 1 to the sentence score. The sentence is
    positive when the sum is > 0, negative when < 0, neutral when 0 (no hits, or hits that cancel).
    Its "probabilities" are a one-hot of that decision: a rule has no confidence to report."""

    def __init__(self, terms: dict[tuple[str, ...], int], negations: list[tuple[str, ...]]):
        self.terms = dict(terms)
        self.negations = set(negations)
        self._longest = max((len(t) for t in (*self.terms, *self.negations)), default=1)

    @classmethod
    def bundled(cls) -> Lexicon:
        return cls.from_files(sentences.CORPUS / "lexicon.csv", sentences.CORPUS / "NEGATIONS.txt")

    @classmethod
    def from_files(cls, lexicon_csv: Path, negations_txt: Path) -> Lexicon:
        terms = {}
        with open(lexicon_csv, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                key = tuple(tokens(row["term"]))
                if key:
                    terms[key] = _POLARITY[row["polarity"].strip().lower()]
        negations = []
        for line in Path(negations_txt).read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line and (key := tuple(tokens(line))):
                negations.append(key)
        return cls(terms, negations)

    def _scan(self, words: list[str]) -> list[tuple[int, int, int, bool]]:
        """(start, end, polarity, negated) of each matched term, in order."""
        found, last_cue_end, i = [], None, 0
        while i < len(words):
            for size in range(min(self._longest, len(words) - i), 0, -1):
                key = tuple(words[i:i + size])
                if key in self.negations:
                    last_cue_end, i = i + size, i + size
                    break
                if key in self.terms:
                    negated = last_cue_end is not None and i - last_cue_end < NEGATION_WINDOW
                    found.append((i, i + size, self.terms[key], negated))
                    i += size
                    break
            else:
                i += 1
        return found

    def score_tokens(self, words: list[str]) -> list[float]:
        """Per-token polarity: a term's sign (flipped after a cue) spread over its tokens; 0 elsewhere."""
        scores = [0.0] * len(words)
        for start, end, polarity, negated in self._scan(words):
            for j in range(start, end):
                scores[j] = (-polarity if negated else polarity) / (end - start)
        return scores

    def has_negation(self, text: str) -> bool:
        """Whether a negation cue occurs in the sentence (the page's "negation" slice)."""
        words = tokens(text)
        return any(tuple(words[i:i + size]) in self.negations
                   for i in range(len(words)) for size in range(1, self._longest + 1))

    def _sum(self, text: str) -> int:
        return sum(-p if negated else p for _, _, p, negated in self._scan(tokens(text)))

    def predict(self, texts: list[str]) -> np.ndarray:
        sums = np.array([self._sum(t) for t in texts], dtype=np.int64)
        return (np.sign(sums) + 1).astype(np.int64)  # -1 -> 0 negative, 0 -> 1 neutral, 1 -> 2 positive

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """A one-hot of the rule's decision (probability 1 for its label), not a calibrated probability."""
        return _one_hot(self.predict(texts))

    def word_weights(self, text: str) -> list[float]:
        return self.score_tokens(tokens(text))

    def matches(self, text: str) -> list[tuple[str, int, bool]]:
        """(term as standardised words, lexicon polarity +1/-1, negated) for each hit, for the page's
        explanation; a negated term counts as -polarity."""
        words = tokens(text)
        return [(" ".join(words[s:e]), p, negated) for s, e, p, negated in self._scan(words)]
