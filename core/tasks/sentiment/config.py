"""Sentiment settings: the Config every entry point validates (widgets, links, CLI).

Not here on purpose: the sentence a student types and a file to score. They are inputs to a
trained run (``core.tasks.sentiment.predict``), never settings: typing never retrains.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.config import TaskConfig, param
from core.errors import ConfigError
from core.nn.keras_loop import min_steps_setting
from core.tasks import Preset

NAME = "sentiment"

SOURCES = ("bundled", "csv")
ARCHS = ("bilstm", "transformer")
CLASS_WEIGHTS = ("balanced", "none")
SCORERS = {"model": "network", "tfidf_logreg": "TF-IDF + logistic regression", "lexicon": "lexicon (rule)"}


@dataclass(frozen=True)
class Config(TaskConfig):
    TASK = NAME

    seed: int = param(0, min=0, max=2**31 - 1, help="Seed of the weights, the batch order and the validation split.")
    source: str = param("bundled", choices=SOURCES,
                        help="bundled: the project's corpus (2,366 training sentences; the 604 evaluation "
                             "sentences are the test set). csv: your labelled file, split stratified into "
                             "training and test.")
    arch: str = param("bilstm", choices=ARCHS,
                      help="bilstm: a bidirectional LSTM reads the sentence both ways; transformer: self-attention "
                           "blocks over token + position embeddings.")
    vocab_size: int = param(5000, min=500, max=30_000, help="Most frequent training words kept; others are unknown.")
    seq_len: int = param(40, min=8, max=256, help="Tokens per sentence; longer ones are cut.")
    embed_dim: int = param(32, min=8, max=256, help="Size of each word's vector.")
    units: int = param(32, min=4, max=256, help="BiLSTM: units per direction.")
    lstm_layers: int = param(1, min=1, max=3, help="BiLSTM: stacked layers.")
    heads: int = param(2, min=1, max=8, help="Transformer: attention heads per block.")
    ff_dim: int = param(64, min=8, max=512, help="Transformer: width of the feed-forward layer.")
    blocks: int = param(1, min=1, max=4, help="Transformer: stacked blocks.")
    dropout: float = param(0.2, min=0.0, max=0.8, help="Dropout before the output layer (and inside the blocks).")
    epochs: int = param(20, min=1, max=200, help="Most passes over the training sentences (early stopping may end "
                                                  "sooner).")
    min_steps: int = min_steps_setting()
    batch_size: int = param(64, min=8, max=1024, help="Sentences per gradient step.")
    learning_rate: float = param(0.003, min=1e-5, max=0.1, help="Adam step size (log scale).")
    class_weights: str = param("balanced", choices=CLASS_WEIGHTS,
                               help="balanced: rarer classes weigh more in the training loss; none: every sentence "
                                    "counts the same.")
    patience: int = param(3, min=1, max=50, help="Epochs without a better validation loss before stopping.")
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


# Each sentence is what the numbers show over seeds 0-2 (tests/test_sentiment.py checks it).
PRESETS = {
    "small-data-baseline-wins": Preset(
        "Trained from scratch on 2,366 sentences, the BiLSTM does not beat TF-IDF + logistic regression on the 604 "
        "evaluation sentences: over three seeds it ties or loses by McNemar. A few thousand sentences are the bag "
        "of words' home ground; the network needs more data or pretrained word vectors.", {}),
    "300-sentences": Preset(
        "With 300 training sentences a rule that learns nothing wins: the finance lexicon (73 %) beats TF-IDF, "
        "which beats the network (by McNemar, over three seeds). Knowledge written down beats learning from too "
        "few examples.", {"train_rows": 300}),
    "negation-is-hard": Preset(
        "Open the Negation tab: on the test sentences with a cue like 'not', 'no longer' or 'failed to', every "
        "scorer is less accurate than on all sentences, the lexicon's negation rule and the BiLSTM's word order "
        "included. Type 'did not cut its dividend' and watch which words light up.", {}),
    "what-attention-looks-at": Preset(
        "A one-block Transformer trains fastest but is the least stable: over three seeds its test accuracy moves "
        "by more than 5 points and stays below TF-IDF's. Its attention is spread almost evenly (the strongest "
        "weight in a sentence averages under 1.2 times an even share): with 2,366 sentences it learned a bag of "
        "word vectors, not where to look, and the pale heatmap shows it.",
        {"arch": "transformer", "learning_rate": 0.001}),
}
