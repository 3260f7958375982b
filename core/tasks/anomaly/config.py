"""Anomaly-detection settings: the Config every entry point validates (widgets, links, CLI).

What is *not* here on purpose: the threshold rule, its k and the number of alerts reviewed. They
are view settings of a trained run (moving them never retrains), computed from the stored scores
(``core.tasks.anomaly.thresholds``).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.config import TaskConfig, param
from core.errors import ConfigError
from core.lessons import PERCENT, Answer, Check, Claim, Notes, Question, above, all_of, below, not_, verdict, yes_no
from core.nn.keras_loop import min_steps_setting
from core.tasks import Preset

NAME = "anomaly"

SOURCES = ("transactions", "market", "csv")
ACTIVATIONS = ("relu", "tanh", "elu")
TRAIN_ON = ("normal", "all")
SCALINGS = ("log-standard", "standard", "robust")
MODELS = ("dense", "conv1d")
ORDERS = ("file", "shuffled")
SCORERS = {"ae": "autoencoder", "pca": "PCA (linear)", "iforest": "IsolationForest"}


@dataclass(frozen=True)
class Config(TaskConfig):
    TASK = NAME

    seed: int = param(0, min=0, max=2**31 - 1, help="Seed of the weights, the batch order and the IsolationForest.")
    epochs: int = param(20, min=1, max=500, help="Most passes over the training rows (early stopping may end sooner).")
    min_steps: int = min_steps_setting()
    learning_rate: float = param(0.01, min=1e-6, max=1.0, help="Adam step size (log scale).")
    batch_size: int = param(512, min=8, max=8192, help="Rows per gradient step.")
    source: str = param("transactions", choices=SOURCES,
                        help="Data: generated card transactions with known fraud scenarios, market days of the "
                             "bundled S&P 500 / NASDAQ with known stress days, or a CSV of numeric columns with an "
                             "optional 0/1 label column (label, Class or y).")
    index: str = param("sp500", choices=("sp500", "nasdaq"), help="Market mode: the bundled index.")
    customers: int = param(500, min=50, max=20_000, help="Generated customers.")
    days: int = param(120, min=30, max=730, help="Generated days of transactions.")
    fraud_rate: float = param(0.01, min=0.001, max=0.05, help="Share of fraudulent transactions generated.")
    data_seed: int = param(0, min=0, max=2**31 - 1, help="Seed of the generated transactions.")
    order: str = param("file", choices=ORDERS,
                       help="CSV: split the rows in file order (first training, then validation, then test: for a "
                            "file in time order), or shuffled with a fixed seed (for a file in no time order, "
                            "e.g. sorted by label).")
    scaling: str = param("log-standard", choices=SCALINGS,
                         help="Feature scaling fitted on the training rows: log1p of non-negative heavy-tailed "
                              "columns then z-score, plain z-score, or median/IQR.")
    model: str = param("dense", choices=MODELS,
                       help="dense: a row of features; conv1d (market days): the 10-day return window read as a "
                            "sequence by 1-D convolutions.")
    encoder: tuple[int, ...] = param((32, 16), item_min=1, item_max=512, max_items=4,
                                     help="Encoder layer sizes, e.g. 32,16 (the decoder mirrors them).")
    bottleneck: int = param(4, min=1, max=256, help="Size of the code in the middle; smaller than the inputs.")
    activation: str = param("relu", choices=ACTIVATIONS, help="Activation of the hidden layers.")
    dropout: float = param(0.0, min=0.0, max=0.8, help="Dropout after each hidden layer while training.")
    train_on: str = param("normal", choices=TRAIN_ON,
                          help="Train on the normal training rows only (known anomalies left out of training and "
                               "of early stopping's validation loss), or on all.")
    val_fraction: float = param(0.2, min=0.05, max=0.4,
                                help="Share of rows (after the training rows, in time order) for early stopping "
                                     "and threshold choice.")
    test_fraction: float = param(0.2, min=0.05, max=0.5, help="Last share of rows, in time order, for the test.")
    patience: int = param(4, min=1, max=100, help="Epochs without a better validation loss before stopping.")

    def check(self) -> None:
        if self.model == "conv1d" and self.source != "market":
            raise ConfigError("model=conv1d reads market windows: use it with source=market")
        if self.val_fraction + self.test_fraction > 0.7:
            raise ConfigError("val_fraction + test_fraction must leave at least 30 % of rows for training")


# Each sentence says what to look at; its claims are decided on the run shown (core.lessons) and
# hold on at least two of three seeds (tests/test_lessons.py).
COUNT = "{:.0f}"


def _verdicts(text: str, baseline: str, better: str, tie: str, worse: str, too_few: str) -> Question:
    """One answer per verdict of the autoencoder against ``baseline``, too few to test included: a
    comparison on a handful of test anomalies still decides the question."""
    return Question(text, tuple(Answer(answer, verdict(baseline, v)) for answer, v in (
        (better, "better"), (tie, "tie"), (worse, "worse"), (too_few, "too-few-to-test"))))


_AE_ROC, _PCA_ROC, _IFOREST_ROC = "roc_auc", "pca.roc_auc", "iforest.roc_auc"
_ROC_NAMES = {_AE_ROC: "autoencoder ROC-AUC", _PCA_ROC: "PCA ROC-AUC", _IFOREST_ROC: "IsolationForest ROC-AUC"}


def _highest(path: str, *others: str) -> Check:
    """metrics[path] is above every one of ``others`` (the scorer that ranks best)."""
    return all_of(*(above(path, other, names=(_ROC_NAMES[path], _ROC_NAMES[other])) for other in others))


_MEAN_STD_CATCHES_MORE = above("threshold_rules.mean_std.recall", "threshold_rules.best_f1.recall", fmt=PERCENT,
                               names=("recall at mean + 1 std", "at best F1"))
_MEAN_STD_LESS_PRECISE = below("threshold_rules.mean_std.precision", "threshold_rules.best_f1.precision",
                               fmt=PERCENT, names=("precision at mean + 1 std", "at best F1"))
_NO_BASELINE_TOLD_APART = all_of(verdict("pca", "tie", "too-few-to-test"), verdict("iforest", "tie", "too-few-to-test"))
PRESETS = {
    "threshold-trade-off": Preset(
        "Same scores, four threshold rules (the Threshold rule box under the table): compare how many test rows "
        "each flags and how many of those are frauds. The largest training error flags almost nothing; mean + 1 "
        "std flags far more rows than best F1 on validation and catches more frauds, but most of its alerts are "
        "false alarms. Where to draw the line is a business choice, not a property of the model.",
        {},
        claims=(
            Claim("the largest training error flags fewer than ten test rows",
                  below("threshold_rules.max_train.flagged", 10, fmt=COUNT,
                        names=("rows flagged by the largest training error", "ten"))),
            Claim("mean + 1 std flags more test rows than best F1 and catches more frauds (recall), but a smaller "
                  "share of its alerts are frauds (precision)",
                  all_of(above("threshold_rules.mean_std.flagged", "threshold_rules.best_f1.flagged", fmt=COUNT,
                               names=("rows flagged by mean + 1 std", "by best F1")),
                         above("threshold_rules.mean_std.recall", "threshold_rules.best_f1.recall", fmt=PERCENT,
                               names=("recall at mean + 1 std", "at best F1")),
                         below("threshold_rules.mean_std.precision", "threshold_rules.best_f1.precision",
                               fmt=PERCENT, names=("precision at mean + 1 std", "at best F1")))),
            Claim("fewer than one in ten of mean + 1 std's alerts is a fraud",
                  below("threshold_rules.mean_std.precision", 0.1, fmt=PERCENT,
                        names=("precision at mean + 1 std", "the mark"))),
        ),
        question=Question("Switch the threshold rule from best F1 to mean + 1 std: what happens?", (
            Answer("More frauds caught, but a smaller share of the alerts are frauds",
                   all_of(_MEAN_STD_CATCHES_MORE, _MEAN_STD_LESS_PRECISE)),
            Answer("More frauds caught, and the alerts are no less precise",
                   all_of(_MEAN_STD_CATCHES_MORE, not_(_MEAN_STD_LESS_PRECISE))),
            Answer("No more frauds caught", not_(_MEAN_STD_CATCHES_MORE)))),
        notes=Notes(
            point_at="The Threshold rule box under the scorer table and the numbers under it (flagged test rows, "
                     "precision, recall), rule by rule; then the Threshold sweep tab.",
            misconception="The model decides which rows are frauds. It only ranks the rows; the threshold, a "
                          "business choice about how many alerts a team can review, decides which are flagged.",
            follow_up="Choose the mean_std rule and raise k (mean + k·std) step by step: flagged rows, precision "
                      "and recall move, and nothing retrains.")),
    "rare-fraud": Preset(
        "Two frauds in a thousand transactions (fraud_rate): answering 'normal' every time is almost always right "
        "and catches nothing, so accuracy is not shown. Look at PR-AUC and precision@k instead, which stay low for "
        "every scorer, and at the verdicts: with so few test frauds no scorer is told apart from the autoencoder.",
        {"fraud_rate": 0.002},
        claims=(
            Claim("always answering 'normal' would be right on more than 99.5 % of the test rows",
                  below("test_anomaly_share", 0.005, fmt=PERCENT, names=("share of frauds in the test rows",
                                                                          "the mark"))),
            Claim("every scorer's PR-AUC stays below 0.15 and fewer than one in ten of the autoencoder's top alerts "
                  "is a fraud (precision@k)",
                  all_of(below("pr_auc", 0.15, names=("autoencoder PR-AUC", "the mark")),
                         below("pca.pr_auc", 0.15, names=("PCA PR-AUC", "the mark")),
                         below("iforest.pr_auc", 0.15, names=("IsolationForest PR-AUC", "the mark")),
                         below("precision_at_k", 0.1, fmt=PERCENT, names=("precision@k", "the mark")))),
            Claim("neither baseline's PR-AUC differs from the autoencoder's beyond sampling error",
                  _NO_BASELINE_TOLD_APART),
        ),
        question=yes_no("With this few frauds, can the test tell PCA or IsolationForest apart from the autoencoder "
                        "by PR-AUC?", not_(_NO_BASELINE_TOLD_APART),
                        yes="Yes, one of them differs beyond sampling error",
                        no="No, not beyond sampling error"),
        notes=Notes(
            point_at="The caption under the scorer table (how accurate always answering 'normal' would be), the "
                     "PR-AUC and precision@k columns, and the verdicts in the headline.",
            misconception="High accuracy, or a respectable ROC-AUC, means the detector works. With frauds this "
                          "rare only the top of the ranking counts: PR-AUC and precision@k say how many alerts "
                          "are real.",
            follow_up="Raise the Fraud rate step by step back to the default and watch PR-AUC, precision@k and "
                      "the verdicts.")),
    "ae-vs-pca": Preset(
        "Does the non-linearity help? With a 2-unit bottleneck, compare the autoencoder with PCA of 2 components "
        "(a linear autoencoder) and with IsolationForest, first by ROC-AUC (the whole ranking), then by the "
        "verdicts, which use PR-AUC (the top of the ranking, where the alerts are). By ROC-AUC PCA ranks the "
        "frauds better than the autoencoder and IsolationForest best of all, yet by PR-AUC IsolationForest does not "
        "beat the autoencoder: the two measures can disagree, so read which metric a verdict uses before its winner.",
        {"bottleneck": 2},
        claims=(
            Claim("PCA's ROC-AUC is above the autoencoder's",
                  above("pca.roc_auc", "roc_auc", names=("PCA ROC-AUC", "autoencoder"))),
            Claim("IsolationForest has the highest ROC-AUC of the three",
                  all_of(above("iforest.roc_auc", "roc_auc", names=("IsolationForest ROC-AUC", "autoencoder")),
                         above("iforest.roc_auc", "pca.roc_auc", names=("IsolationForest ROC-AUC", "PCA")))),
            Claim("by PR-AUC IsolationForest does not beat the autoencoder (a tie or the autoencoder ahead)",
                  verdict("iforest", "better", "tie")),
        ),
        question=Question("Which scorer ranks the frauds best by ROC-AUC?", (
            Answer("The autoencoder", _highest(_AE_ROC, _PCA_ROC, _IFOREST_ROC)),
            Answer("PCA", _highest(_PCA_ROC, _AE_ROC, _IFOREST_ROC)),
            Answer("IsolationForest", _highest(_IFOREST_ROC, _AE_ROC, _PCA_ROC)))),
        notes=Notes(
            point_at="The ROC-AUC and PR-AUC columns of the scorer table side by side, the ROC & PR tab, then the "
                     "verdicts in the headline, which compare PR-AUC.",
            misconception="A non-linear network must beat a linear method, and one metric names one winner. A "
                          "linear PCA can rank the frauds as well, and ROC-AUC and PR-AUC can crown different "
                          "scorers.",
            follow_up="Raise the Bottleneck (PCA's components follow it) and see whether the autoencoder catches "
                      "up, by either measure.")),
    "crash-days-conv": Preset(
        "The same stress days through a 1-D convolutional autoencoder over the 10-day return window (the baselines "
        "see the same window): look at where the test-year stress days rank, and at the verdicts. Two days in the "
        "test years are an anecdote: too few to say which scorer is better.",
        {"source": "market", "model": "conv1d", "encoder": (16, 8)},
        claims=(
            Claim("the convolutional autoencoder ranks the test stress days above almost every normal test day "
                  "(ROC-AUC above 0.95)",
                  above("roc_auc", 0.95, names=("autoencoder ROC-AUC", "the mark"))),
            Claim("two test stress days are too few to test any difference between the scorers",
                  all_of(verdict("pca", "too-few-to-test"), verdict("iforest", "too-few-to-test"))),
        ),
        question=_verdicts("Does the convolutional autoencoder find the stress days better than IsolationForest?",
                           "iforest", better="Yes, beyond sampling error", tie="No real difference",
                           worse="No, it is worse", too_few="Too few stress days to tell"),
        notes=Notes(
            point_at="The Timeline tab, where the test years' stress days sit among the scores, the ROC-AUC "
                     "column, and the headline verdicts.",
            misconception="Ranking two crashes near the top proves the detector. Two cases are an anecdote: any "
                          "scorer that reacts to large moves ranks them high, and no test can pick a winner.",
            follow_up="Set Network to dense (features) for the crash-days lesson, or switch Data to card "
                      "transactions, which have enough frauds for a verdict.")),
    "crash-days": Preset(
        "Market days, with seven known stress days as the only labels: look at where the ones in the test years "
        "(2015-2018) rank for each scorer, and at the verdicts. Every scorer puts them above most normal days, but "
        "two days are an anecdote, not evidence: too few to say which scorer is better.",
        {"source": "market"},
        claims=(
            Claim("every scorer ranks the test stress days above most normal test days (ROC-AUC above 0.85)",
                  all_of(above("roc_auc", 0.85, names=("autoencoder ROC-AUC", "the mark")),
                         above("pca.roc_auc", 0.85, names=("PCA ROC-AUC", "the mark")),
                         above("iforest.roc_auc", 0.85, names=("IsolationForest ROC-AUC", "the mark")))),
            Claim("two test stress days are too few to test any difference between the scorers",
                  all_of(verdict("pca", "too-few-to-test"), verdict("iforest", "too-few-to-test"))),
        ),
        question=_verdicts("Is the autoencoder better at finding the stress days than PCA?", "pca",
                           better="Yes, beyond sampling error", tie="No real difference",
                           worse="No, PCA is better", too_few="Too few stress days to tell"),
        notes=Notes(
            point_at="The Timeline tab with the stress days of the test years, the ROC-AUC column of all three "
                     "scorers, and the headline verdicts.",
            misconception="The scorer that ranks the crash days highest is the better detector. With two test "
                          "days no test can tell the scorers apart, however different the numbers look.",
            follow_up="Set Network to 1-D conv (return window) for the crash-days-conv lesson, or switch Data to "
                      "card transactions, which have enough frauds for a verdict.")),
}
