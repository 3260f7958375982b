"""Sentences with sentiment labels: the bundled corpus (docs/CORPUS.md), a user's CSV or Financial
PhraseBank file, or one sentence typed on a page; and the word tokens every sentiment model sees.

Why one module: the baselines, the neural models and the page that highlights words must agree on
what a "word" is, and every way a sentence enters the app (upload, bundled file, text box) must be
cleaned the same way. Reading bytes (size cap, encoding, delimiter) is ``csvio``'s; what the cells
mean is decided here, and every problem is a one-line DataError that says how to fix the file.

Labels are case-insensitive and may be written ``positive/negative/neutral``, ``pos/neg/neu`` or
``1/0/-1`` (1 positive, 0 neutral, -1 negative); they become class indices into ``LABELS``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.data import csvio, quality
from core.errors import DataError

LABELS = ("negative", "neutral", "positive")
MAX_CHARS = 2000
CORPUS = Path(__file__).resolve().parent / "corpus"
BUNDLED = {"train": tuple(f"train_part_{part}.csv" for part in "abcdefg"), "eval": ("eval.csv",), "sanity": ("sanity.csv",)}

TEXT_NAMES = ("text", "sentence", "headline", "title", "news")  # news: PhraseBank-style CSV exports
LABEL_NAMES = ("label", "sentiment", "class")
_LABEL_VALUES = {
    "negative": 0, "neg": 0, "-1": 0, "-1.0": 0,
    "neutral": 1, "neu": 1, "0": 1, "0.0": 1, "-0": 1,
    "positive": 2, "pos": 2, "1": 2, "+1": 2, "1.0": 2,
}
_LABEL_HELP = "use positive/negative/neutral (or pos/neg/neu, or 1/0/-1)"
_PHRASEBANK_LINE = re.compile(r"@\s*(positive|negative|neutral)\s*$", re.IGNORECASE)
_UNIT_SEPARATOR = "\x1f"  # a "delimiter" no sentence contains: reads a one-column file whole

# Keras TextVectorization(standardize="lower_and_strip_punctuation", split="whitespace"):
# tf.strings.lower (ASCII letters only: "É" stays "É"), then DEFAULT_STRIP_REGEX removed, then
# tf.strings.split, which splits on ASCII whitespace only (a non-breaking space joins two words).
STRIP_REGEX = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_TF_SPACE = re.compile(r"[^ \t\n\r\v\f]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class Sentences:
    """Sentences ready for a model. ``labels`` are int64 indices into LABELS (None when the file
    has no label column); ``dates`` are datetime64[D] when the file has a date column, else None;
    ``notes`` say what was interpreted or skipped, one sentence each, for the page to show."""

    texts: list[str]
    labels: np.ndarray | None
    fingerprint: str
    notes: list[str]
    dates: np.ndarray | None
    source_name: str

    def __len__(self) -> int:
        return len(self.texts)


# ---- words as the models see them ---------------------------------------------------------------
def _standardise(word: str) -> str:
    return STRIP_REGEX.sub("", word.translate(_ASCII_LOWER))


def tokens(text: str) -> list[str]:
    """The word tokens exactly as Keras ``TextVectorization(standardize="lower_and_strip_punctuation",
    split="whitespace")`` makes them, so baselines, lexicon and neural models count the same words:
    ASCII lowercase, ASCII punctuation removed ("wider-than-expected" -> "widerthanexpected",
    "$3.4bn" -> "34bn"), split on whitespace. Curly quotes and dashes are kept, as TF keeps them."""
    return [word for word in (_standardise(m.group()) for m in _TF_SPACE.finditer(text)) if word]


def word_spans(text: str) -> list[tuple[int, int]]:
    """For each token of ``tokens(text)``, the (start, end) of the whitespace-separated word of
    ``text`` it came from, so a page can highlight the words the user wrote. A word that is only
    punctuation gives no token and no span."""
    return [m.span() for m in _TF_SPACE.finditer(text) if _standardise(m.group())]


# ---- one sentence typed by a user ---------------------------------------------------------------
_WHITESPACE = re.compile(r"\s+")


def _normalise(text: str) -> str:
    """Whitespace of any kind (newlines, tabs, non-breaking and other Unicode spaces) becomes one
    space; invisible format characters (zero-width space, BOM, soft hyphen) are removed."""
    text = _WHITESPACE.sub(" ", text)
    if not text.isascii():
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
        text = _WHITESPACE.sub(" ", text)
    return text.strip()


def _outside_latin(text: str) -> tuple[int, int]:
    """(letters not in the Latin script, emoji and other pictographic symbols) in ``text``."""
    if text.isascii():
        return 0, 0
    letters = symbols = 0
    for ch in text:
        category = unicodedata.category(ch)
        if category[0] == "L" and not ch.isascii() and "LATIN" not in unicodedata.name(ch, ""):
            letters += 1
        elif category == "So":
            symbols += 1
    return letters, symbols


def _script_notes(letters: int, symbols: int, where: str = "") -> list[str]:
    notes = []
    if letters:
        notes.append(f"the models were trained on English text: {letters} character(s){where} are outside the "
                     "Latin alphabet and will be unknown to them")
    if symbols:
        notes.append(f"{symbols} emoji or symbol(s){where} are unknown to the models: emoji are ignored")
    return notes


def clean_text(text: str) -> tuple[str, list[str]]:
    """One sentence typed by a user, cleaned as a file's sentences are, and notes about what the
    models will not understand. Errors are the things a prediction cannot be made from: nothing
    typed, no letter or digit, or more than MAX_CHARS characters (a sentence model is not a
    document model; the check comes before any per-character work so a pasted book fails fast)."""
    cleaned = _normalise(str(text))
    if not cleaned:
        raise DataError("the text is empty: type a sentence, e.g. 'Quarterly profit rose 12 %'")
    if len(cleaned) > MAX_CHARS:
        raise DataError(f"the text has {len(cleaned):,} characters; the limit is {MAX_CHARS:,} "
                        "(one or a few sentences): shorten it")
    if not any(ch.isalnum() for ch in cleaned):
        raise DataError("the text has only punctuation/symbols: type a sentence with words")
    return cleaned, _script_notes(*_outside_latin(cleaned))


# ---- files --------------------------------------------------------------------------------------
def bundled(part: str) -> Sentences:
    """The corpus shipped with the app (docs/CORPUS.md): "train" (its parts in file order), "eval"
    (never used for training or tuning) or "sanity" (plain sentences a student would type, written
    separately, never trained on)."""
    if part not in BUNDLED:
        raise DataError(f"unknown bundled part {part!r}; use one of {', '.join(BUNDLED)}")
    pieces = [from_file(CORPUS / name) for name in BUNDLED[part]]
    fingerprint = hashlib.sha256("".join(p.fingerprint for p in pieces).encode()).hexdigest()
    return Sentences(texts=[t for p in pieces for t in p.texts],
                     labels=np.concatenate([p.labels for p in pieces]),
                     fingerprint=fingerprint, notes=[n for p in pieces for n in p.notes], dates=None,
                     source_name=f"bundled {part}")


def from_file(source: csvio.Source, *, labelled: bool = True) -> Sentences:
    """Sentences from a CSV file with a header (a text column: text, sentence, headline, title or
    news; a label column: label, sentiment or class; optional date column: ``quality.DATE_NAMES``;
    any case and order, other columns ignored) or a Financial PhraseBank file (lines
    ``sentence@label``, no header). ``labelled=False`` (scoring new sentences) needs only the text
    column; labels that are present are read too, or dropped with a note when they are not valid."""
    file = csvio.read(source, max_line=None)  # a text longer than a CSV line is cut at MAX_CHARS (``_finish``)
    first = next((line for line in _lines(file.text) if line.strip()), "")
    csvio.check_lines(first, file.name, csvio.MAX_LINE)  # long texts, yes; a header of a million columns, no
    header = next(iter(_rows(file, first)), [])
    if csvio.find_column(header, *TEXT_NAMES) is None and _PHRASEBANK_LINE.search(first):
        return _phrasebank(file, labelled)
    return _csv(file, labelled)


def _lines(text: str):
    """The lines of ``text`` one at a time (``splitlines`` would split a 50 MB file to find its first)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        yield text[start:end].rstrip("\r")
        start = end + 1


def _rows(file: csvio.CsvText, first_line: str) -> list[list[str]]:
    return csvio.CsvText(first_line, file.name, "", file.delimiter).rows()


def _csv(file: csvio.CsvText, labelled: bool) -> Sentences:
    rows = file.rows()
    header = rows[0]
    notes = list(file.notes)
    if len(header) == 1 and _index(header, TEXT_NAMES) is not None:  # one column: commas inside a sentence are text
        rows = dataclasses.replace(file, delimiter=_UNIT_SEPARATOR).rows()
        notes = [n for n in notes if not n.startswith("columns are separated")]
    text_col = _index(header, TEXT_NAMES)
    label_col = _index(header, LABEL_NAMES)
    date_col = _index(header, quality.DATE_NAMES)
    if text_col is None:
        raise DataError(f"{file.name} has no text column (its header is {csvio.listed(rows[0]) or 'empty'}); "
                        f"name the column with the sentences 'text' (or {', '.join(TEXT_NAMES[1:])})")
    if labelled and label_col is None:
        raise DataError(f"{file.name} has no label column; add one named 'label' holding positive, negative or "
                        "neutral for each sentence")
    ignored = [rows[0][i].strip() for i in range(len(header)) if i not in (text_col, label_col, date_col)]
    if ignored:
        notes.append(f"ignored column(s): {csvio.listed(ignored)}")
    body = rows[1:]
    if not body:
        raise DataError(f"{file.name} has a header but no rows; add one sentence per row")
    for i, row in enumerate(body):
        if len(row) > len(header):
            raise DataError(f"line {i + 2} of {file.name} has {len(row)} fields but the header has {len(header)}: "
                            "put sentences that contain the separator in double quotes")
    raw_texts = [_cell(row, text_col) for row in body]
    lines = list(range(2, len(body) + 2))
    labels = None
    if label_col is not None:
        labels, label_note = _labels([_cell(row, label_col) for row in body], lines, rows[0][label_col].strip(),
                                     must=labelled)
        notes += label_note
    dates = None
    if date_col is not None:
        name = rows[0][date_col].strip()
        parsed, date_note = quality.parse_dates(pd.Series([_cell(row, date_col) for row in body]), name)
        dates = parsed.to_numpy().astype("datetime64[D]")
        notes += [date_note] if date_note else []
    return _finish(file, raw_texts, labels, dates, notes)


def _phrasebank(file: csvio.CsvText, labelled: bool) -> Sentences:
    """Financial PhraseBank lines ``sentence@label``: the label is after the LAST '@' (sentences
    may contain '@'); the files are Latin-1, which ``csvio`` reads with a note."""
    notes = [n for n in file.notes if not n.startswith("columns are separated")]
    notes.append(f"read {file.name} as Financial PhraseBank lines (sentence@label)")
    texts, raw_labels, lines = [], [], []
    for number, line in enumerate(file.text.splitlines(), start=1):
        if not line.strip():
            continue
        text, at, label = line.rpartition("@")
        if not at:
            raise DataError(f"line {number} of {file.name} has no '@label' at its end; PhraseBank lines look like "
                            "'Profit rose 5 %.@positive'")
        texts.append(text)
        raw_labels.append(label)
        lines.append(number)
    labels, label_note = _labels(raw_labels, lines, "@label", must=labelled)
    return _finish(file, texts, labels, None, notes + label_note)


def _cell(row: list[str], column: int) -> str:
    return row[column] if column < len(row) else ""  # a short row's missing cells are empty


def _index(header: list[str], names: tuple[str, ...]) -> int | None:
    """Position of the header cell ``csvio.find_column`` picks for ``names``."""
    column = csvio.find_column(header, *names)
    return None if column is None else header.index(column)


def _labels(raw: list[str], lines: list[int], column: str, must: bool) -> tuple[np.ndarray | None, list[str]]:
    values = [_LABEL_VALUES.get(v.strip().lower()) for v in raw]
    bad = [(v.strip(), line) for v, value, line in zip(raw, values, lines, strict=True) if value is None]
    if not bad:
        return np.asarray(values, dtype=np.int64), []
    listed = ", ".join(f"{v!r} (line {line})" if v else f"empty (line {line})" for v, line in bad[:5])
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    message = f"label column '{column}' has {len(bad)} unknown label(s): {listed}{more}"
    if must:
        raise DataError(f"{message}; {_LABEL_HELP}")
    return None, [f"{message}, so labels were not read"]


def _finish(file: csvio.CsvText, raw_texts: list[str], labels: np.ndarray | None, dates: np.ndarray | None,
            notes: list[str]) -> Sentences:
    """Clean every text; skip the empty ones (and their labels and dates), truncate long ones."""
    keep, texts = [], []
    truncated = letters = symbols = 0
    for i, raw in enumerate(raw_texts):
        text = _normalise(raw)
        if not any(ch.isalnum() for ch in text):
            continue
        if len(text) > MAX_CHARS:
            text, truncated = text[:MAX_CHARS].rstrip(), truncated + 1
        counts = _outside_latin(text)
        letters, symbols = letters + counts[0], symbols + counts[1]
        keep.append(i)
        texts.append(text)
    if not texts:
        raise DataError(f"every text in {file.name} is empty (or only punctuation); put one sentence per row")
    skipped = len(raw_texts) - len(texts)
    if skipped:
        notes.append(f"skipped {skipped} row(s) with an empty text (or only punctuation)")
    if truncated:
        notes.append(f"cut {truncated} text(s) longer than {MAX_CHARS:,} characters to {MAX_CHARS:,}")
    notes += _script_notes(letters, symbols, " in the file")
    index = np.asarray(keep, dtype=np.int64)
    return Sentences(texts=texts, labels=None if labels is None else labels[index], fingerprint=file.fingerprint,
                     notes=notes, dates=None if dates is None else dates[index], source_name=file.name)


# ---- training checks ----------------------------------------------------------------------------
def check_training(s: Sentences, *, min_per_class: int = 10) -> None:
    """Refuse to train on sentences a classifier cannot learn from: no labels, one class, or a
    class too small to appear in both the training and the test split. Two classes are fine."""
    if s.labels is None:
        raise DataError(f"{s.source_name} has no labels; training needs a label column with "
                        "positive/negative/neutral")
    counts = np.bincount(s.labels, minlength=len(LABELS))
    present = [LABELS[i] for i in np.flatnonzero(counts)]
    if len(present) < 2:
        raise DataError(f"{s.source_name} has only {present[0] if present else 'no'} sentences; training needs at "
                        "least two of negative/neutral/positive")
    small = [f"{LABELS[i]} has {counts[i]}" for i in np.flatnonzero(counts) if counts[i] < min_per_class]
    if small:
        raise DataError(f"too few sentences per class in {s.source_name}: {', '.join(small)}; each class present "
                        f"needs at least {min_per_class}")


def stratified_split(labels: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (train, test) row indices with each class in the same share on both sides, so a
    small class is never missing from the test set."""
    from sklearn.model_selection import train_test_split  # here: the web server imports this module

    labels = np.asarray(labels)
    try:
        train, test = train_test_split(np.arange(len(labels)), test_size=test_fraction, random_state=seed,
                                       stratify=labels)
    except ValueError as exc:
        raise DataError(f"cannot split {len(labels)} sentences {1 - test_fraction:.0%}/{test_fraction:.0%} by "
                        f"class: {str(exc).splitlines()[0]}") from None
    return np.sort(train), np.sort(test)
