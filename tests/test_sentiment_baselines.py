"""The sentiment baselines: TF-IDF + logistic regression and the lexicon with negation, on tiny
hand-made sets and on the bundled evaluation file (both must beat always-neutral)."""

import pickle

import numpy as np
import pytest
from sklearn.metrics import accuracy_score

from core.data import sentences
from core.data.sentences import LABELS, tokens
from core.tasks.sentiment.baselines import Lexicon, TfidfLogreg

NEG, NEU, POS = (LABELS.index(name) for name in ("negative", "neutral", "positive"))
GOOD = ["profit rose strongly", "sales rose again", "margins rose sharply", "orders rose fast"]
BAD = ["profit fell sharply", "sales fell again", "margins fell hard", "orders fell fast"]
FLAT = ["meeting is on monday", "report due on friday", "call is on tuesday", "vote is on thursday"]


def test_tfidf_learns_a_separable_set():
    model = TfidfLogreg(seed=0).fit(GOOD + BAD + FLAT, [POS] * 4 + [NEG] * 4 + [NEU] * 4)
    assert model.predict(["revenue rose", "revenue fell", "board meets on monday"]).tolist() == [POS, NEG, NEU]
    proba = model.predict_proba(["revenue rose"])
    assert proba.shape == (1, 3) and np.isclose(proba.sum(), 1) and proba[0].argmax() == POS


def test_predict_proba_keeps_label_order_when_a_class_is_missing():
    model = TfidfLogreg().fit(GOOD + BAD, [POS] * 4 + [NEG] * 4)
    proba = model.predict_proba(["revenue rose", "revenue fell", "nothing here"])
    assert proba.shape == (3, 3)
    assert (proba[:, NEU] == 0).all() and np.allclose(proba.sum(axis=1), 1)
    assert proba[0].argmax() == POS and proba[1].argmax() == NEG
    weights = model.word_weights("revenue fell", label=NEG)
    assert weights[1] > 0 and model.word_weights("revenue fell", label=NEU) == [0.0, 0.0]


def test_tfidf_pickles_and_word_weights():
    model = TfidfLogreg().fit(GOOD + BAD + FLAT, [POS] * 4 + [NEG] * 4 + [NEU] * 4)
    again = pickle.loads(pickle.dumps(model))
    texts = ["Profit ROSE, again!", "sales fell on monday"]
    assert np.allclose(again.predict_proba(texts), model.predict_proba(texts))
    text = "Profit rose -- and rose, unlike peers."
    weights = model.word_weights(text)
    assert len(weights) == len(tokens(text)) == len(sentences.word_spans(text))
    assert weights[tokens(text).index("unlike")] == 0.0  # a word never seen in training
    # the weights add up to the predicted class's logit minus its intercept
    x = model.vectorizer.transform([text])
    label = int(model.predict([text])[0])
    logit = (x @ model.model.coef_[list(model.model.classes_).index(label)])[0]
    assert np.isclose(sum(weights), logit)


def test_lexicon_negation_flips_a_term():
    lexicon = Lexicon.bundled()
    assert lexicon.predict(["Quorvel beat estimates", "Quorvel did not beat estimates"]).tolist() == [POS, NEG]
    assert lexicon.matches("Quorvel did not beat estimates") == [("beat estimates", 1, True)]
    assert lexicon.word_weights("Quorvel did not beat estimates") == [0.0, 0.0, 0.0, -0.5, -0.5]
    # a cue more than three tokens before the term does not reach it
    assert lexicon.predict(["no comment was made on whether it beat estimates"]).tolist() == [POS]


def test_lexicon_multi_word_term_longest_first(tmp_path):
    (tmp_path / "lex.csv").write_text("term,polarity\nloss,negative\nnarrower loss,positive\nbeat-and-raise,positive\n")
    (tmp_path / "neg.txt").write_text("# cues\nnot\nfailed to\n")
    lexicon = Lexicon.from_files(tmp_path / "lex.csv", tmp_path / "neg.txt")
    assert lexicon.matches("a narrower loss this year") == [("narrower loss", 1, False)]
    assert lexicon.word_weights("a narrower loss") == [0.0, 0.5, 0.5]
    assert lexicon.predict(["a loss", "a narrower loss", "it failed to post a loss", "a Beat-and-Raise quarter"]
                           ).tolist() == [NEG, POS, POS, POS]
    assert lexicon.matches("it failed to post a loss") == [("loss", -1, True)]


def test_lexicon_neutral_without_hits_and_one_hot_proba():
    lexicon = Lexicon.bundled()
    text = "The annual meeting is on Tuesday in Oslo"
    assert lexicon.matches(text) == [] and lexicon.predict([text]).tolist() == [NEU]
    proba = lexicon.predict_proba([text, "Quorvel beat estimates"])
    assert proba.tolist() == [[0, 1, 0], [0, 0, 1]]
    assert lexicon.word_weights(text) == [0.0] * len(tokens(text))


@pytest.mark.parametrize("make", [lambda train: TfidfLogreg().fit(train.texts, train.labels),
                                  lambda train: Lexicon.bundled()], ids=["tfidf_logreg", "lexicon"])
def test_baselines_beat_the_majority_class_on_bundled_eval(make):
    train, evaluation = sentences.bundled("train"), sentences.bundled("eval")
    majority = np.bincount(evaluation.labels).max() / len(evaluation)
    accuracy = accuracy_score(evaluation.labels, make(train).predict(evaluation.texts))
    assert accuracy > majority + 0.15, (accuracy, majority)
