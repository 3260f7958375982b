"""A file of new sentences scored by a stored run: read, scored in chunks, and the table a user
downloads. The page's "Score a file" tab (scoring on a worker) and ``findl score sentiment``
(scoring in the process) share it, so the CSV from either has the same rows and columns."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from core.data import csvio, sentences
from core.data.sentences import LABELS, Sentences

CHUNK = 500  # sentences per predict call: the page's progress bar moves once per chunk

Predict = Callable[[list[str]], dict[str, np.ndarray]]


def read(source: csvio.Source) -> Sentences:
    """The file's sentences (a text column, an optional date column; labels are not needed).
    Raises a one-line DataError for a file that cannot be scored."""
    return sentences.from_file(source, labelled=False)


def score(texts: Sequence[str], predict: Predict,
          on_chunk: Callable[[int, int], None] | None = None) -> dict[str, np.ndarray]:
    """``predict({"texts": ...})``'s arrays for all ``texts``, asked ``CHUNK`` sentences at a time;
    ``on_chunk(done, total)`` after each."""
    parts = []
    for start in range(0, len(texts), CHUNK):
        parts.append(predict(list(texts[start:start + CHUNK])))
        if on_chunk is not None:
            on_chunk(min(start + CHUNK, len(texts)), len(texts))
    if not parts:
        parts.append(predict([]))
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def table(read_file: Sentences, scores: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per sentence: its date (when the file has one), the text, the network's label and
    class probabilities, TF-IDF's and the lexicon's labels."""
    out = pd.DataFrame({"text": read_file.texts})
    if read_file.dates is not None:
        out.insert(0, "date", pd.to_datetime(read_file.dates).strftime("%Y-%m-%d"))
    probs = scores["probs_model"]
    out["network"] = [LABELS[i] for i in probs.argmax(1)]
    for i, label in enumerate(LABELS):
        out[f"p_{label}"] = probs[:, i].round(4)
    out["tfidf_logreg"] = [LABELS[i] for i in scores["probs_tfidf_logreg"].argmax(1)]
    out["lexicon"] = [LABELS[i] for i in scores["pred_lexicon"]]
    return out
