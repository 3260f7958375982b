"""Sentiment settings: the Config every entry point validates (widgets, links, CLI).

Not here on purpose: the sentence a student types and a file to score. They are inputs to a
trained run (``core.tasks.sentiment.predict``), never settings: typing never retrains.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.config import TaskConfig, param
from core.errors import ConfigError
from core.lessons import (
    NUMBER,
    PERCENT,
    Answer,
    Check,
    Claim,
    Notes,
    Question,
    above,
    all_of,
    below,
    between,
    by_verdict,
    verdict,
    yes_no,
)
from core.nn.keras_loop import min_steps_setting
from core.tasks import Preset

NAME = "sentiment"

SOURCES = ("bundled", "csv")
ARCHS = ("bilstm", "transformer")
CLASS_WEIGHTS = ("balanced", "none")
WORD_LIST = ("input", "none")
SCORERS = {"model": "network", "tfidf_logreg": "TF-IDF + logistic regression", "lexicon": "lexicon (rule)"}


@dataclass(frozen=True)
class Config(TaskConfig):
    TASK = NAME

    seed: int = param(0, min=0, max=2**31 - 1, help="Seed of the weights, the batch order and the validation split.")
    source: str = param("bundled", choices=SOURCES,
                        help="bundled: the project's corpus (its training files train; its separately written "
                             "evaluation file is the test set). csv: your labelled file, split stratified into "
                             "training and test.")
    arch: str = param("bilstm", choices=ARCHS,
                      help="bilstm: a bidirectional LSTM reads the sentence both ways; transformer: self-attention "
                           "blocks over token + position embeddings.")
    word_list: str = param("input", choices=WORD_LIST,
                           help="input: each word also brings the finance word list's polarity and negation flag "
                                "(the lexicon baseline's list; its words join the vocabulary); none: the network "
                                "learns every word from the training sentences alone.")
    vocab_size: int = param(10_000, min=500, max=30_000, help="Most frequent training words kept; others are unknown.")
    seq_len: int = param(40, min=8, max=256, help="Tokens per sentence; longer ones are cut.")
    embed_dim: int = param(32, min=8, max=256, help="Size of each word's vector.")
    units: int = param(32, min=4, max=256, help="BiLSTM: units per direction.")
    lstm_layers: int = param(1, min=1, max=3, help="BiLSTM: stacked layers.")
    heads: int = param(2, min=1, max=8, help="Transformer: attention heads per block.")
    ff_dim: int = param(64, min=8, max=512, help="Transformer: width of the feed-forward layer.")
    blocks: int = param(1, min=1, max=4, help="Transformer: stacked blocks.")
    dropout: float = param(0.2, min=0.0, max=0.8, help="Dropout before the output layer (and inside the blocks).")
    word_dropout: float = param(0.4, min=0.0, max=0.8,
                                help="Share of word vectors left out at each training step (the word-list inputs "
                                     "stay): the network cannot lean on a few memorised words.")
    epochs: int = param(20, min=1, max=200, help="Most passes over the training sentences (early stopping may end "
                                                  "sooner).")
    min_steps: int = min_steps_setting()
    batch_size: int = param(64, min=8, max=1024, help="Sentences per gradient step.")
    learning_rate: float = param(0.006, min=1e-5, max=0.1, help="Adam step size (log scale).")
    class_weights: str = param("balanced", choices=CLASS_WEIGHTS,
                               help="balanced: rarer classes weigh more in the training loss; none: every sentence "
                                    "counts the same.")
    patience: int = param(3, min=1, max=50, help="Epochs without a better validation accuracy before stopping "
                                                  "(the best epoch's weights are kept).")
    val_fraction: float = param(0.15, min=0.05, max=0.4,
                                help="Share of the training sentences (stratified) held out for early stopping.")
    test_fraction: float = param(0.2, min=0.1, max=0.5, help="csv: share of your file (stratified) kept for the test.")
    train_rows: int = param(0, min=0, max=1_000_000,
                            help="Use only this many training sentences (stratified sample; 0 = all): how much data "
                                 "does each model need?")

    def check(self) -> None:
        if self.arch == "transformer" and self.embed_dim % self.heads:
            raise ConfigError(f"embed_dim ({self.embed_dim}) must be a multiple of heads ({self.heads})")
        if 0 < self.train_rows < 60:
            raise ConfigError("train_rows must be 0 (all) or at least 60 sentences")


# Each sentence says what to look at; each claim is decided on the run shown (core.lessons) and
# holds on at least two of seeds 0-2 (tests/test_lessons.py prints how often).
_ACCURACY = {"network": "accuracy", "TF-IDF": "baselines.tfidf_logreg.accuracy", "lexicon": "baselines.lexicon.accuracy"}


def _most_accurate(scorer: str) -> Check:
    """``scorer`` (a key of _ACCURACY) is right on more test sentences than both others."""
    return all_of(*(above(_ACCURACY[scorer], path, fmt=PERCENT, names=(f"{scorer} accuracy", f"{other} accuracy"))
                    for other, path in _ACCURACY.items() if other != scorer))


PRESETS = {
    "small-data-baseline-wins": Preset(
        "Trained from scratch on the bundled training sentences, does the BiLSTM beat TF-IDF + logistic "
        "regression on the separately written evaluation sentences? Compare the table row by row and read the "
        "McNemar verdict under it. A few thousand sentences are the bag of words' home ground; then set "
        "'Finance word list as input' to no and train again to see what the list adds.", {},
        (Claim("The network does not beat TF-IDF + logistic regression (McNemar: a tie or worse)",
               verdict("tfidf_logreg", "tie", "worse")),
         Claim("The network beats the lexicon, a rule with no training (McNemar)",
               verdict("lexicon", "better")),
         Claim("On the plain sentences of the sanity set (never trained on) the network is right at least 90 % of "
               "the time", between("sanity.model", 0.9, 1.0, fmt=PERCENT, name="network on the sanity set"))),
        question=by_verdict("Does the BiLSTM beat TF-IDF + logistic regression on the evaluation sentences?",
                            "tfidf_logreg", better="Yes, beyond sampling error", tie="No real difference",
                            worse="No, it is worse"),
        notes=Notes(
            point_at="The table of the three scorers and the McNemar verdicts under it, then the Plain sentences "
                     "tab: what each scorer gets wrong on easy sentences.",
            misconception="A neural network always beats a simple bag of words. With a few thousand training "
                          "sentences, TF-IDF + logistic regression is hard to beat, and a higher accuracy on one "
                          "test set can be sampling error.",
            follow_up="Set 'Finance word list as input' to no and train again: how much of the network's lead over "
                      "the lexicon came from the list?")),
    "300-sentences": Preset(
        "Train on only 300 of the training sentences (train_rows; a share of them validates) and rank the three "
        "scorers: the finance lexicon, a rule that learns nothing, against TF-IDF + logistic regression and the "
        "network, which learn from those few examples. The network also gets the lexicon's word list as an "
        "input: does that make up for the missing examples?", {"train_rows": 300},
        (Claim("The lexicon, with no training at all, beats the network (McNemar)", verdict("lexicon", "worse")),
         Claim("The lexicon is more accurate than TF-IDF + logistic regression",
               above("baselines.lexicon.accuracy", "baselines.tfidf_logreg.accuracy", fmt=PERCENT,
                     names=("lexicon accuracy", "TF-IDF accuracy"))),
         Claim("The network, helped by the word list, is more accurate than TF-IDF, which has only the 300 examples",
               above("accuracy", "baselines.tfidf_logreg.accuracy", fmt=PERCENT,
                     names=("network accuracy", "TF-IDF accuracy")))),
        question=Question("Trained on 300 sentences, which scorer is right most often on the test sentences?", (
            Answer("The network", _most_accurate("network")),
            Answer("TF-IDF + logistic regression", _most_accurate("TF-IDF")),
            Answer("The lexicon, which learns nothing", _most_accurate("lexicon")))),
        notes=Notes(
            point_at="The three accuracies at the top and the McNemar verdicts under the table; the caption under "
                     "them says how many sentences trained.",
            misconception="A model that learns always beats a fixed rule. With a few hundred examples a hand-made "
                          "word list can win, and the network does better than TF-IDF partly because it is given "
                          "that list.",
            follow_up="Raise 'Training sentences used' step by step (1000, 3000, then 0 for all) and see where "
                      "TF-IDF and the network overtake the lexicon.")),
    "negation-is-hard": Preset(
        "Open the Negation tab: compare each scorer's accuracy on the test sentences with a cue like 'not', "
        "'no longer' or 'failed to' with its accuracy on all test sentences, the lexicon's negation rule and the "
        "BiLSTM's word order included. Type 'did not cut its dividend' and watch which words light up.", {},
        (Claim("The network is at least 5 points less accurate on the sentences with a negation cue",
               below("negation.model", "accuracy", by=0.05, fmt=PERCENT,
                     names=("network on negations", "network on all"))),
         Claim("The lexicon's negation rule does not save it: it is at least 10 points less accurate on them",
               below("negation.lexicon", "baselines.lexicon.accuracy", by=0.10, fmt=PERCENT,
                     names=("lexicon on negations", "lexicon on all"))),
         Claim("Reading word order does not help here: on the negated sentences the BiLSTM is less accurate than "
               "TF-IDF's bag of words",
               below("negation.model", "negation.tfidf_logreg", fmt=PERCENT,
                     names=("network on negations", "TF-IDF on negations")))),
        question=yes_no("Is the BiLSTM less accurate on the test sentences with a negation cue than on all of them?",
                        below("negation.model", "accuracy", fmt=PERCENT,
                              names=("network on negations", "network on all")),
                        yes="Yes, negations trip it up", no="No"),
        notes=Notes(
            point_at="The Negation tab: each scorer's accuracy on the sentences with a cue beside its accuracy on "
                     "all test sentences. Then type 'did not cut its dividend' under Try a sentence and watch "
                     "which words light up.",
            misconception="A network that reads word order understands 'not'. It needs many negated examples to "
                          "learn what a cue applies to, and the lexicon's flip rule misfires on phrases like "
                          "'failed to'.",
            follow_up="Set Architecture to Transformer, or 'Finance word list as input' to no, and compare the "
                      "Negation tab.")),
    "what-attention-looks-at": Preset(
        "A one-block Transformer: type a sentence and look at the attention heatmap of each head, then at its "
        "accuracy beside TF-IDF's and the lexicon's. Trained on a few thousand sentences, does it learn where to "
        "look, or a bag of word vectors with a pale heatmap?",
        {"arch": "transformer", "learning_rate": 0.001},
        (Claim("Its attention is not an even spread: on the test sentences, the strongest attention weight of a "
               "sentence averages over 1.2 times an even share",
               above("attention_peak", 1.2, fmt=NUMBER, names=("average strongest weight / even share", "the mark"))),
         Claim("It ties TF-IDF + logistic regression (McNemar: within sampling error)",
               verdict("tfidf_logreg", "tie")),
         Claim("It beats the lexicon, a rule with no training (McNemar)", verdict("lexicon", "better"))),
        question=yes_no("Does the Transformer's attention pick out some words, or spread almost evenly?",
                        above("attention_peak", 1.2, fmt=NUMBER,
                              names=("average strongest weight / even share", "the mark")),
                        yes="It picks out some words", no="It spreads almost evenly"),
        notes=Notes(
            point_at="The attention heatmap under Try a sentence, head by head, then the network's accuracy "
                     "beside TF-IDF's and the lexicon's, with the McNemar verdicts.",
            misconception="Attention shows why the model decided. It shows where information flows between "
                          "words; a bright word is not proof of what set the class (compare the gradient view of "
                          "a BiLSTM run).",
            follow_up="Raise 'Attention heads' or 'Transformer blocks' and see whether the heatmap sharpens and "
                      "whether the verdict against TF-IDF changes.")),
}
