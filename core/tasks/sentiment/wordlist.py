"""The finance word list as an input of the network: two fixed numbers per vocabulary word.

    polarity: +1 for a one-word positive term of the lexicon ("soared"), -1 for a negative one
              ("plunged"), 0 otherwise;
    negation: 1 for a one-word negation cue ("not", "never", "without"), 0 otherwise.

The network adds a learned projection of them to each word's embedding (``layers.TokenEmbedding``),
so it starts knowing what the list knows and learns how far to trust it, and what a cue before a
term does, from the training sentences. Multi-word terms ("narrower loss") stay with the lexicon
baseline: one number per token cannot say which neighbours it needs.

The list's one-word terms and cues join the vocabulary even when no training sentence uses them:
real news is full of polar words a few thousand sentences never saw, and without a vocabulary id
they could not carry their polarity. Such a word's own embedding is never trained (it stays near
its small random start); its polarity is what it brings.
"""

from __future__ import annotations

import numpy as np

from core.tasks.sentiment.baselines import Lexicon

FEATURES = ("polarity", "negation")


def extra_words(lexicon: Lexicon) -> list[str]:
    """The list's one-word terms and cues, sorted (a vocabulary must not depend on set order)."""
    return sorted({term[0] for term in lexicon.terms if len(term) == 1} |
                  {cue[0] for cue in lexicon.negations if len(cue) == 1})


def features(vocabulary: list[str], lexicon: Lexicon) -> np.ndarray:
    """``(len(vocabulary), len(FEATURES))`` float32: each vocabulary word's polarity and negation."""
    table = np.zeros((len(vocabulary), len(FEATURES)), np.float32)
    for i, word in enumerate(vocabulary):
        table[i, 0] = lexicon.terms.get((word,), 0)
        table[i, 1] = float((word,) in lexicon.negations)
    return table
