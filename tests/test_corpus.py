"""The bundled sentiment corpus (docs/CORPUS.md): the sizes the issue asks for, valid labels with
neutral the largest class, no duplicates, and no evaluation or sanity sentence in the training
files."""

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


TRAIN_PARTS = sorted(path.name for path in CORPUS.glob("train_part_*.csv"))


def _train() -> pd.DataFrame:
    return pd.concat([_read(name) for name in TRAIN_PARTS])


def test_sizes_labels_and_balance():
    from core.data import sentences

    assert tuple(TRAIN_PARTS) == sentences.BUNDLED["train"]  # every part file trains
    train, evaluation, sanity = _train(), _read("eval.csv"), _read("sanity.csv")
    assert len(train) >= 6000 and len(evaluation) >= 500 and len(sanity) >= 200
    for frame in (train, evaluation):
        assert set(frame.label) == LABELS
        assert frame.label.value_counts().idxmax() == "neutral"
        assert frame.text.str.split().str.len().between(5, 40).all()
    shares = train.label.value_counts(normalize=True)
    assert shares["neutral"] < 0.55 and shares["negative"] > 0.18
    assert set(sanity.label) == LABELS and sanity.label.value_counts().min() >= 60
    assert sanity.text.str.split().str.len().between(4, 16).all()
    assert not train.text.str.contains(r"\{(?:CO2?|P)\}").any()  # every placeholder was filled


def test_no_duplicates_and_no_held_out_sentence_in_training():
    train = _train().text.map(_norm)
    held_out = {name: _read(name).text.map(_norm) for name in ("eval.csv", "sanity.csv")}
    assert not train.duplicated().any()
    for name, texts in held_out.items():
        assert not texts.duplicated().any(), name
        assert set(train) & set(texts) == set(), name
    assert set(held_out["eval.csv"]) & set(held_out["sanity.csv"]) == set()


def test_lexicon_and_negations():
    lexicon = pd.read_csv(CORPUS / "lexicon.csv", dtype=str, keep_default_na=False)
    assert list(lexicon.columns) == ["term", "polarity"]
    assert set(lexicon.polarity) == {"positive", "negative"} and lexicon.term.is_unique
    assert (lexicon.term == lexicon.term.str.lower().str.strip()).all()
    assert (lexicon.polarity.value_counts() >= 300).all()
    negations = [line for line in (CORPUS / "NEGATIONS.txt").read_text().splitlines() if line.strip()]
    assert {"not", "no", "never", "no longer"} <= set(negations)
