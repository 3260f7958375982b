"""What a sentiment model reads: the sentence with its names replaced by one placeholder word and
every run of digits by "0", so that neither a name nor an exact figure can be a cue.

Why names: a model trained on a few thousand sentences learns whatever separates the labels, and a
company that happens to appear in three bad-news sentences becomes a "negative word" (the old
corpus taught the network that "Brightwater" is bad news). Real news names thousands of
companies the corpus never saw; what a sentence says about them is in the other words.

How a name is recognised, without a name list: a word that starts with a capital letter and that
never occurs in the training corpus other than capitalised. "Shares" and "Profit" at the start of
a sentence are ordinary words (they occur in lower case elsewhere), "EUR" and "EBITDA" too (they
occur in capitals mid-sentence, not only as a capitalised start); "Brightwater", "Nokia" or
"Helsinki" are names. Months, weekdays and a few short words are always ordinary.

Why digits: "rose to EUR 41.0 mn from EUR 33.1 mn" says "rose"; the figures are different in every
sentence, so each number in the vocabulary is a word seen a few times, with whatever labels those
few sentences had. "EUR 41.0 mn" reads as "eur 00 mn"; "Q3" as "q0".

A masked sentence has the same tokens (``sentences.tokens``) as the original, one for one (a name
word becomes one ``PLACEHOLDER``, a digit run one "0"): the page highlights the words the user
typed with weights computed on the masked sentence.
"""

from __future__ import annotations

import csv
import functools
import re

from core.data.sentences import BUNDLED, CORPUS, STRIP_REGEX, tokens

PLACEHOLDER = "xxname"  # one token after TextVectorization's standardisation; in no sentence
_WORD = re.compile(r"[^ \t\n\r\v\f]+")  # TextVectorization's whitespace split (see sentences.tokens)
_POSSESSIVE = re.compile(r"['\u2019]s$")
_DIGITS = re.compile(r"[0-9]+")
_ALWAYS_ORDINARY = frozenset((
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "i", "a", "an", "the", "q1", "q2", "q3", "q4", "h1", "h2", "ok", "ceo", "cfo", "coo", "ipo", "eps"))


def _written_capitalised(word: str) -> bool:
    """Capital first letter and some lower-case letter after it: "Brightwater", "McKinsey", "Shares"
    (not "EUR", "Q3" or "eur")."""
    return word[:1].isupper() and any(ch.islower() for ch in word[1:])


@functools.cache
def ordinary_words() -> frozenset[str]:
    """Standardised words the bundled training corpus uses other than capitalised (lower case, or
    all capitals like "EUR"), the lexicon's words, and ``_ALWAYS_ORDINARY``."""
    words = set(_ALWAYS_ORDINARY)
    for name in BUNDLED["train"]:
        with open(CORPUS / name, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                for raw in _WORD.findall(row["text"]):
                    core = STRIP_REGEX.sub("", raw)
                    if core and not _written_capitalised(core):
                        words.update(tokens(core))
    with open(CORPUS / "lexicon.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            words.update(tokens(row["term"]))
    return frozenset(words)


def is_name(raw_word: str) -> bool:
    """Whether one whitespace-separated word of a sentence (punctuation and a possessive "'s"
    included) is a name."""
    core = STRIP_REGEX.sub("", _POSSESSIVE.sub("", raw_word))
    if not _written_capitalised(core) or len(core) < 2:
        return False
    return not set(tokens(core)) <= ordinary_words()


def mask(text: str) -> str:
    """``text`` as the models read it: every name word replaced by ``PLACEHOLDER``, every run of
    digits by "0" (other words, spacing and punctuation unchanged)."""
    return _DIGITS.sub("0", _WORD.sub(lambda m: PLACEHOLDER if is_name(m.group()) else m.group(), text))


def mask_all(texts: list[str]) -> list[str]:
    return [mask(text) for text in texts]
