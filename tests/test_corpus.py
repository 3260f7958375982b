"""The bundled sentiment corpus (docs/CORPUS.md): the sizes the issue asks for, valid labels with
neutral the largest class, and no evaluation sentence repeated in the training files."""

import re
from pathlib import Path

import pandas as pd

CORPUS = Path(__file__).resolve().parents[1] / "core" / "data" / "corpus"
LABELS = {"positive", "negative", "neutral"}


def _norm(text: str) -> str:
    return re.sub(r"[^a-z ]", "", text.lower()).strip()


def _read(name: str) -> pd.DataFrame:
    frame = pd.read_csv(CORPUS / name, dtype=str, keep_default_na=False)
    assert list(frame.columns) == ["text", "label"], name
    return frame


def test_sizes_labels_and_balance():
    train = pd.concat([_read("train_part_a.csv"), _read("train_part_b.csv")])
    evaluation = _read("eval.csv")
    assert len(train) >= 2000 and len(evaluation) >= 500
    for frame in (train, evaluation):
        assert set(frame.label) == LABELS
        counts = frame.label.value_counts()
        assert counts.idxmax() == "neutral"
        assert frame.text.str.split().str.len().between(6, 40).all()


def test_no_duplicates_and_no_evaluation_sentence_in_training():
    train = pd.concat([_read("train_part_a.csv"), _read("train_part_b.csv")]).text.map(_norm)
    evaluation = _read("eval.csv").text.map(_norm)
    assert not train.duplicated().any() and not evaluation.duplicated().any()
    assert set(train) & set(evaluation) == set()


def test_lexicon_and_negations():
    lexicon = pd.read_csv(CORPUS / "lexicon.csv", dtype=str, keep_default_na=False)
    assert list(lexicon.columns) == ["term", "polarity"]
    assert set(lexicon.polarity) == {"positive", "negative"} and lexicon.term.is_unique
    assert (lexicon.term == lexicon.term.str.lower().str.strip()).all()
    assert (lexicon.polarity.value_counts() >= 300).all()
    negations = [line for line in (CORPUS / "NEGATIONS.txt").read_text().splitlines() if line.strip()]
    assert {"not", "no", "never", "no longer"} <= set(negations)
