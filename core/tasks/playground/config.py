"""The playground's settings (with their limits: links, CLI and widgets share them), its lesson
presets and the capacity sweep, each a sentence plus the claims decided on the run shown
(``core.lessons``). No TensorFlow: the web server imports this."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.config import TaskConfig, param
from core.data import toy2d
from core.errors import ConfigError
from core.lessons import (
    NUMBER,
    PERCENT,
    Answer,
    Claim,
    Notes,
    Question,
    above,
    all_of,
    below,
    by_verdict,
    not_,
    verdict,
    yes_no,
)
from core.nn import mlp
from core.split import chronological
from core.tasks import Preset
from core.tasks.playground import overfitting

NAME = "playground"
MAX_SNAPSHOTS = 50  # snapshots of the boundary over training (the epoch scrubber)
SPLITS = ("auto", "random", "time")

FEATURES = {
    "x1": ("X1", lambda a, b: a),
    "x2": ("X2", lambda a, b: b),
    "x1sq": ("X1²", lambda a, b: a * a),
    "x2sq": ("X2²", lambda a, b: b * b),
    "x1x2": ("X1·X2", lambda a, b: a * b),
    "sinx1": ("sin X1", lambda a, b: np.sin(a)),
    "sinx2": ("sin X2", lambda a, b: np.sin(b)),
}


@dataclass(frozen=True)
class Config(TaskConfig):
    TASK = NAME

    seed: int = param(0, min=0, max=2**31 - 1, help="Seed of the weights and batch order.")
    epochs: int = param(200, min=1, max=2000, help="Passes over the training points.")
    learning_rate: float = param(0.03, min=1e-5, max=10.0, help="Step size of the optimizer (log scale).")
    batch_size: int = param(32, min=1, max=200_000, help="Points per gradient step; = number of training points is full batch.")
    problem: str = param("binary", choices=toy2d.PROBLEMS,
                         help="What the network learns: binary = two classes, multiclass = 3-6 classes, "
                              "regression = a number (a price).")
    dataset: str = param("moons", choices=toy2d.DATASETS, help="Which 2-D dataset (one of the problem's, or csv).")
    classes: int = param(3, min=3, max=toy2d.MAX_CLASSES, help="Number of classes of the blobs dataset.")
    n_samples: int = param(500, min=20, max=5000, help="Number of generated points.")
    noise: float = param(0.2, min=0.0, max=1.0, help="Noise of the generated points.")
    test_ratio: float = param(0.3, min=0.1, max=0.9, help="Share of points held out for testing.")
    split: str = param("auto", choices=SPLITS,
                       help="How test points are chosen. random: a stratified random share. time: the last "
                            "rows of a file in time order (a random split would let the network see the "
                            "future). auto: time when the CSV has a date column, else random.")
    data_seed: int = param(0, min=0, max=2**31 - 1, help="Seed of the data and of the train/test split.")
    features: tuple[str, ...] = param(("x1", "x2"), choices=tuple(FEATURES), max_items=len(FEATURES),
                                      help="Input features fed to the network.")
    hidden: tuple[int, ...] = param((8, 8), item_min=1, item_max=512, max_items=6,
                                    help="Neurons per hidden layer, e.g. 8,8; empty = no hidden layer.")
    activation: str = param("tanh", choices=mlp.ACTIVATIONS, help="Activation of the hidden layers.")
    dropout: float = param(0.0, min=0.0, max=0.9, help="Share of hidden units dropped in each training step.")
    regularizer: str = param("none", choices=mlp.REGULARIZERS, help="Weight penalty.")
    reg_rate: float = param(0.001, min=0.0, max=1.0, help="Strength of the weight penalty.")
    optimizer: str = param("adam", choices=mlp.OPTIMIZERS, help="Update rule.")
    engine: str = param("tensorflow", choices=("tensorflow", "numpy"), help="Who computes the gradients.")
    seeds: int = param(1, min=1, max=8, help="Train this many seeds at once to see how much runs disagree.")

    def check(self) -> None:
        if not self.features:
            raise ConfigError("choose at least one input feature")
        if len(set(self.features)) != len(self.features):
            raise ConfigError("each input feature may be chosen once")
        if self.dataset != "csv" and toy2d.PROBLEM_OF[self.dataset] != self.problem:
            raise ConfigError(f"dataset {self.dataset} is a {toy2d.PROBLEM_OF[self.dataset]} problem; set "
                              f"problem={toy2d.PROBLEM_OF[self.dataset]} or choose one of "
                              f"{', '.join(datasets_for(self.problem))}")
        if self.split == "time" and self.dataset != "csv":
            raise ConfigError("split=time is for a CSV whose rows are in time order; generated datasets "
                              "have no time order (use split=random or auto)")
        if self.dataset != "csv":
            n_train = train_size(self.n_samples, self.test_ratio)
            if self.batch_size > n_train:
                raise ConfigError(f"batch_size {self.batch_size} is larger than the {n_train} training "
                                  f"points; use at most {n_train} (that is full batch)")

    @property
    def snapshot_every(self) -> int:
        return max(1, math.ceil(self.epochs / MAX_SNAPSHOTS))


def datasets_for(problem: str) -> tuple[str, ...]:
    """The datasets of a problem, the file upload last."""
    return tuple(d for d in toy2d.GENERATED if toy2d.PROBLEM_OF[d] == problem) + ("csv",)


def train_size(n: int, test_ratio: float) -> int:
    """Training rows after the split, random or in time order (both round the test share up)."""
    return chronological(n, test_ratio, round_test_up=True).train.stop


DEFAULT_COSTS = (5000.0, 1000.0)  # the Costs tab's starting costs (missed default, refused good client)

POINTS = "{:.1f} points"
ACCURACIES = dict(fmt=PERCENT, names=("train accuracy", "test accuracy"))
GAP = dict(fmt=POINTS, names=("train minus test accuracy", "the mark"))
TEST_LOSSES = dict(names=("the final test loss", "its best value during training"))
FEATURES_OVER_RAW = below("baselines.logistic_x1x2.test_accuracy", "test_accuracy", by=0.30, fmt=PERCENT,
                          names=("logistic regression on x1, x2", "the network's test accuracy"))


def _mark(name: str, fmt: str = PERCENT) -> dict:
    """Names for a claim against a fixed mark: the run's value, then the mark."""
    return dict(fmt=fmt, names=(name, "the mark"))


# The classroom questions: each answer's check is one of the claims' predicates, so the run decides
# the right answer (on most seeds the lesson's own; on a seed where it is not, the page says so).
TEST_LOSS_CLIMBS = above("test_loss", "test_loss_min", by=overfitting.LOSS_CLIMB, **TEST_LOSSES)
TEST_LOSS_END = Question("After 1000 epochs, where does the test loss end?",
                         (Answer("Well above its best value during training", TEST_LOSS_CLIMBS),
                          Answer("Close to its best value during training", not_(TEST_LOSS_CLIMBS))))
LOSS_JUMPS = above("train_loss_max_rise", 0.5, **_mark("the largest rise", NUMBER))
SEEDS_SPREAD = above("seed_test_accuracy_std", 0.02, **_mark("standard deviation of test accuracy"))


def _beats(text: str, baseline: str) -> Question:
    """Does the network beat ``baseline`` on the test points: one answer per verdict of the test."""
    return by_verdict(text, baseline, better="Yes, clearly better", tie="About the same (within sampling error)",
                      worse="No, clearly worse")


def _solved(text: str, mark: float) -> Question:
    """Does the run's test accuracy clear ``mark`` (the preset's claim): nearly every point, or not."""
    return yes_no(text, above("test_accuracy", mark, **_mark("test accuracy")),
                  yes="Yes, nearly every test point is right", no="No, it misses a fair share of them")


PRESETS = {
    "default": Preset(
        "Two moons with a small tanh network: the boundary bends to follow the data.", {},
        (Claim("the network beats logistic regression (a straight line) on the test points",
               verdict("logistic", "better")),
         Claim("train accuracy is less than 5 points above test accuracy: no overfitting",
               below("train_test_gap_points", 5, **GAP))),
        question=_beats("Does the network beat logistic regression (a straight line) on the test points?", "logistic"),
        notes=Notes(
            point_at="The Boundary tab: press ▶ replay and watch the border bend around the moons. Then the Test "
                     "accuracy tile: its delta against logistic is green only when the test says the difference "
                     "is real.",
            misconception="That any higher accuracy than the baseline is an improvement; on a few hundred test points "
                          "a small difference can be chance, which is why the page gives the sampling error.",
            follow_up="Clear Hidden layers (no hidden layer) and run again: the border becomes a straight line, as in "
                      "the underfit-linear preset.")),
    "underfit-linear": Preset(
        "No hidden layer is logistic regression: a straight line cannot separate the moons.",
        dict(hidden=(), activation="linear"),
        (Claim("the network and logistic regression are the same model: a tie on the test points",
               verdict("logistic", "tie")),
         Claim("even on its training points the line stays below 92 % accuracy",
               below("train_accuracy", 0.92, **_mark("train accuracy")))),
        question=_beats("With no hidden layer, does the network beat logistic regression on the test points?",
                        "logistic"),
        notes=Notes(
            point_at="The Boundary tab: one straight border cutting through both moons. The Neurons tab says there is "
                     "no hidden layer: this network is logistic regression.",
            misconception="That training longer fixes underfitting; more epochs cannot bend a line, the model itself "
                          "is the limit.",
            follow_up="Set Hidden layers to 8 with Activation tanh, or keep no hidden layer and add X1² and X1·X2 in "
                      "'Features fed to the network'.")),
    "overfit": Preset(
        "100 noisy points, three wide layers, 1000 epochs: the network learns the training points by heart, "
        "and the test loss climbs away from its best value.",
        dict(n_samples=100, noise=0.35, hidden=(64, 64, 64), activation="relu", epochs=1000,
             learning_rate=0.01, batch_size=16),
        (Claim(f"train accuracy is more than {overfitting.GAP_POINTS} points above test accuracy",
               above("train_test_gap_points", overfitting.GAP_POINTS, **GAP)),
         Claim(f"the test loss ends more than {overfitting.LOSS_CLIMB} above its best value during training",
               TEST_LOSS_CLIMBS),
         Claim("on the test points the network is no better than logistic regression (a straight line)",
               verdict("logistic", "tie", "worse"))),
        question=TEST_LOSS_END,
        notes=Notes(
            point_at="The Training curves tab: the training loss keeps falling while the test loss turns and climbs. "
                     "Then the Boundary tab with test points shown: look for the border bending around single "
                     "noisy points.",
            misconception="That a lower training loss always means a better model, and that more neurons and more "
                          "epochs can only help.",
            follow_up="Raise Dropout and choose L2 in Regularization (the dropout-cures-overfit preset), or raise "
                      "Number of points to 1000 with the same network.")),
    "dropout-cures-overfit": Preset(
        "The overfit setup with dropout and an L2 penalty: the boundary is smoother and the test loss no longer "
        "climbs away from its best value, though train accuracy still tops test accuracy on 30 test points.",
        dict(n_samples=100, noise=0.35, hidden=(64, 64, 64), activation="relu", epochs=1000,
             learning_rate=0.01, batch_size=16, dropout=0.3, regularizer="l2", reg_rate=0.003),
        (Claim(f"the test loss ends within {overfitting.LOSS_CLIMB} of its best value during training",
               below("test_loss", "test_loss_min", by=-overfitting.LOSS_CLIMB, **TEST_LOSSES)),
         Claim("train accuracy is still above test accuracy", above("train_accuracy", "test_accuracy", **ACCURACIES))),
        question=TEST_LOSS_END,
        notes=Notes(
            point_at="The Training curves tab, against the overfit preset's: does the test loss still turn and climb? "
                     "Then the Train accuracy and Test accuracy tiles: the gap between them need not close.",
            misconception="That regularization closes the train-test accuracy gap completely; on thirty test points "
                          "one point more or less moves accuracy a lot, and the test loss is the steadier sign.",
            follow_up="Set Dropout back to zero and keep L2, then the reverse, to see which of the two does the "
                      "taming.")),
    "features-not-depth": Preset(
        "Circles with X1² and X2² as inputs: a network with no hidden layer solves them.",
        dict(dataset="circles", noise=0.1, hidden=(), features=("x1sq", "x2sq")),
        (Claim("the network without a hidden layer scores above 95 % on the test points",
               above("test_accuracy", 0.95, **_mark("test accuracy"))),
         Claim("logistic regression on the raw x1, x2 is more than 30 points worse: the features do the work",
               FEATURES_OVER_RAW)),
        question=_solved("Fed X1² and X2², can a network with no hidden layer separate the circles?", 0.95),
        notes=Notes(
            point_at="The Boundary tab: a circular border from a network with no hidden layer. The caption under the "
                     "headline tiles gives logistic regression on the raw x1, x2 for comparison.",
            misconception="That a curved border always needs a deeper network; the right input features can make a "
                          "problem linear.",
            follow_up="Set 'Features fed to the network' back to X1 and X2 and run again: with no hidden layer the "
                      "circle is gone.")),
    "xor-product": Preset(
        "XOR needs interaction: the single feature X1·X2 makes it linear.",
        dict(dataset="xor", noise=0.05, hidden=(), features=("x1x2",)),
        (Claim("the network without a hidden layer scores above 90 % on the test points",
               above("test_accuracy", 0.90, **_mark("test accuracy"))),
         Claim("logistic regression on the raw x1, x2 is more than 30 points worse: no line separates XOR",
               FEATURES_OVER_RAW)),
        question=_solved("Fed only X1·X2, can a network with no hidden layer separate XOR?", 0.90),
        notes=Notes(
            point_at="The Network tab: one input, X1·X2, and its weight decide the class. The Boundary tab shows the "
                     "four quadrants, and the caption under the headline tiles what a straight line on x1, x2 scores.",
            misconception="That XOR needs a hidden layer in any case; it does on the raw inputs, not once their "
                          "product is an input.",
            follow_up="Replace X1·X2 by X1 and X2 in 'Features fed to the network' and set Hidden layers to 4 with "
                      "Activation tanh: now a hidden layer has to learn the product itself.")),
    "lr-too-high": Preset(
        "Plain SGD with learning rate 8: the loss jumps up and down from epoch to epoch instead of falling "
        "smoothly.",
        dict(optimizer="sgd", learning_rate=8.0, epochs=100),
        (Claim("the training loss jumps up by more than 0.5 between two snapshots", LOSS_JUMPS),
         Claim("the network ends no better than logistic regression (a straight line)",
               verdict("logistic", "tie", "worse"))),
        question=Question("With plain SGD at learning rate 8, what does the training loss do?",
                          (Answer("It falls smoothly", not_(LOSS_JUMPS)),
                           Answer("It jumps up and down", LOSS_JUMPS))),
        notes=Notes(
            point_at="The Training curves tab: the training loss zigzags from snapshot to snapshot. Press ▶ replay on "
                     "the Boundary tab to see the border jump about.",
            misconception="That a bigger learning rate simply learns faster; past a point each step overshoots the "
                          "minimum and the loss bounces instead of falling.",
            follow_up="Lower Learning rate to 1, then further, and find where the curve turns smooth.")),
    "lr-too-low": Preset(
        "Plain SGD with learning rate 1e-4: after 200 epochs the loss has barely fallen and the boundary is "
        "still crude.",
        dict(optimizer="sgd", learning_rate=0.0001),
        (Claim("the training loss is still above 0.6 (guessing with probability one half scores 0.69)",
               above("train_loss", 0.6, **_mark("the final training loss", NUMBER))),
         Claim("the network is worse than logistic regression: it has not learnt the moons yet",
               verdict("logistic", "worse"))),
        question=_beats("After 200 epochs at learning rate 1e-4, does the network beat logistic regression?",
                        "logistic"),
        notes=Notes(
            point_at="The Training curves tab: the loss curve is almost flat. Press ▶ replay on the Boundary tab: the "
                     "border barely moves.",
            misconception="That a small learning rate is the safe choice; it is safe, but at this pace hundreds of "
                          "epochs are not enough.",
            follow_up="Raise Learning rate tenfold at a time (1e-3, 1e-2, ...) with the same 200 epochs, or switch "
                      "Optimizer to adam.")),
    "spiral-deep": Preset(
        "Spirals need depth: four ReLU layers of 16 trace both arms from x1, x2 alone. Remove the hidden layers "
        "(even with the sin features added) to see what depth buys.",
        dict(dataset="spiral", noise=0.1, n_samples=800, hidden=(16, 16, 16, 16), activation="relu",
             epochs=600, learning_rate=0.01),
        (Claim("the network beats logistic regression on x1, x2", verdict("logistic", "better")),
         Claim("it scores above 95 % on the test points",
               above("test_accuracy", 0.95, **_mark("test accuracy")))),
        question=_beats("Do four ReLU layers beat logistic regression on the spirals' test points?", "logistic"),
        notes=Notes(
            point_at="The Boundary tab: press ▶ replay to watch the border wind along both arms over the epochs. The "
                     "Neurons tab shows what each layer's units draw.",
            misconception="That a clever feature always replaces depth, as with the circles and XOR; for the spirals "
                          "no feature on the list straightens the border, the layers build it.",
            follow_up="Clear Hidden layers and add sin X1 and sin X2 in 'Features fed to the network'; then try a "
                      "single hidden layer of 16.")),
    "seeds-disagree": Preset(
        "Eight seeds on 80 noisy points: where the data is thin, the boundaries disagree.",
        dict(n_samples=80, noise=0.35, hidden=(16, 16), seeds=8, batch_size=8),
        (Claim("the eight seeds draw different classes on more than 5 % of the picture",
               above("seed_disagreement", 0.05, **_mark("share of the picture in dispute"))),
         Claim("their test accuracies differ: a standard deviation above 2 % over the seeds", SEEDS_SPREAD)),
        question=Question("Eight runs differ only in their random start. Do they score the same on the test points?",
                          (Answer("Yes, about the same", not_(SEEDS_SPREAD)),
                           Answer("No, their test accuracies spread out", SEEDS_SPREAD))),
        notes=Notes(
            point_at="The Seeds tab: eight boundaries laid over each other, and the spread of their test accuracies in "
                     "the caption. The disputed areas are where training points are few.",
            misconception="That training is deterministic, so one run is 'the' result of a setting; the random start "
                          "alone moves the border and the score.",
            follow_up="Raise Number of points to 500 and run the eight seeds again: where the data is dense, the "
                      "boundaries agree.")),
    "credit-default": Preset(
        "Credit default: income vs debt-to-income. Set the costs of a missed default and of a refused good client "
        "to find the cost-optimal threshold.",
        dict(dataset="credit", noise=0.1, n_samples=1500, hidden=(8, 8), epochs=150),
        (Claim(f"when a missed default costs {DEFAULT_COSTS[0] / DEFAULT_COSTS[1]:.0f} times a refused good client "
               "(the Costs tab's starting costs), the cheapest threshold is below 0.5",
               below("costs.best_threshold", 0.5, **_mark("the cheapest threshold", NUMBER))),
         Claim("and it costs less per applicant than the 0.5 threshold",
               below("costs.best_cost", "costs.cost_at_half", fmt="{:,.0f}",
                     names=("the cheapest threshold's cost", "the cost at 0.5")))),
        question=yes_no(f"A missed default costs {DEFAULT_COSTS[0] / DEFAULT_COSTS[1]:.0f} times a refused good client "
                        "(the Costs tab's starting costs). Is the cheapest threshold below one half?",
                        below("costs.best_threshold", 0.5, **_mark("the cheapest threshold", NUMBER)),
                        yes="Yes, below one half: refuse more applicants", no="No, one half or above"),
        notes=Notes(
            point_at="The Costs & threshold tab: the cost curve over the thresholds, its lowest point, and the cost at "
                     "the default threshold of one half.",
            misconception="That one half is the natural threshold; it is the cheapest only when both mistakes cost the "
                          "same and the probabilities are well calibrated.",
            follow_up="In the Costs & threshold tab, set both costs equal and watch the cheapest threshold move back "
                      "towards one half.")),
    "fraud-imbalance": Preset(
        "Rare frauds overlapping legitimate payments: accuracy looks fine but is no better than always saying "
        "'legit'; recall and F1 show how few frauds the default threshold catches, AUC that the network still ranks "
        "most of them higher.",
        dict(dataset="fraud", noise=0.1, n_samples=2000, hidden=(8, 8), epochs=150),
        (Claim("the network's accuracy is no better than always saying 'legit'", verdict("majority", "tie", "worse")),
         Claim("at the 0.5 threshold it catches fewer than half of the frauds",
               below("test_recall", 0.5, **_mark("recall"))),
         Claim("its AUC is above 0.7: it still ranks most frauds above legitimate payments",
               above("test_auc", 0.7, **_mark("AUC", NUMBER)))),
        question=_beats("Does the network's accuracy beat always saying 'legit'?", "majority"),
        notes=Notes(
            point_at="The headline tiles: Test accuracy beside the Majority baseline tile, then Test F1 and Test AUC, "
                     "and the blue note on how many frauds the network catches.",
            misconception="That a high accuracy means a good fraud detector; with rare frauds, always saying 'legit' "
                          "scores just as high.",
            follow_up="In the Costs & threshold tab, raise the cost of a missed fraud: the cheapest threshold falls, "
                      "catching more frauds at the price of blocking legitimate payments.")),
    "black-scholes": Preset(
        "A network learns the Black-Scholes price of a call from noisy examples with moneyness up to 1.3. "
        "Inside that region it prices close to the formula; beyond it, where it never saw an example, it does not "
        "extrapolate, and a cubic polynomial in the two inputs does better there.",
        dict(problem="regression", dataset="option-call", n_samples=1000),
        (Claim("inside the region it trained on, its price is within 0.02 of the formula (RMSE, in units of the strike)",
               below("formula.rmse_inside", 0.02, **_mark("RMSE against the formula inside", "{:.4f}"))),
         Claim("outside it (moneyness above 1.3, never trained on) the error is more than five times larger",
               above("formula.outside_over_inside", 5, **_mark("outside / inside", "{:.1f}x"))),
         Claim("on the test points (most of them outside) it is worse than a cubic polynomial in x1, x2",
               verdict("poly3", "worse"))),
        question=_beats("On the test points, most of them beyond moneyness 1.3, does the network beat a cubic "
                        "polynomial in x1, x2?", "poly3"),
        notes=Notes(
            point_at="The line under the headline tiles: the error against the formula inside the trained region and "
                     "outside it. The Boundary tab's error chart shows where the error grows.",
            misconception="That a network that fits its examples well has learnt the formula; it has learnt the "
                          "region it saw, and does not extrapolate beyond it.",
            follow_up="Switch Activation between tanh and relu and compare the prices beyond moneyness 1.3: see how "
                      "each network continues where it saw no example.")),
    "memorise": Preset(
        "Too few points: 40 noisy points on a bump and three wide layers for 1000 epochs. The network fits its "
        "training points almost exactly and predicts the test points no better than the training mean.",
        dict(problem="regression", dataset="bump", n_samples=40, noise=0.5, hidden=(64, 64, 64), activation="relu",
             epochs=1000, learning_rate=0.01, batch_size=8),
        (Claim("its test RMSE is more than three times its training RMSE",
               above("test_over_train_rmse", 3, **_mark("test RMSE / training RMSE", "{:.1f}x"))),
         Claim("on the test points it is no better than always predicting the training mean",
               verdict("mean", "tie", "worse"))),
        question=_beats("On the test points, does the network beat always predicting the training mean?", "mean"),
        notes=Notes(
            point_at="The headline tiles: Train RMSE against Test RMSE, and Test RMSE beside the Mean baseline tile. "
                     "The Boundary tab's predicted-vs-actual chart separates training and test points.",
            misconception="That a near-perfect fit on the training points shows the pattern was learnt; with forty "
                          "points and thousands of weights the network has learnt the noise.",
            follow_up="Raise Number of points to 1000 with the same layers and epochs, and compare Test RMSE with the "
                      "Mean baseline again.")),
    "three-arms": Preset(
        "Three interleaved spiral arms, one class each: straight borders cannot separate them; three ReLU layers can.",
        dict(problem="multiclass", dataset="spiral3", noise=0.1, n_samples=600, hidden=(16, 16, 16), activation="relu",
             epochs=400, learning_rate=0.01),
        (Claim("the network beats multinomial logistic regression (straight borders)", verdict("logistic", "better")),
         Claim("it scores above 95 % on the test points", above("test_accuracy", 0.95, **_mark("test accuracy")))),
        question=_beats("Does the network beat multinomial logistic regression (straight borders) on the test points?",
                        "logistic"),
        notes=Notes(
            point_at="The Boundary tab with 'Discretize' on: three regions winding around each other. The confusion "
                     "matrix below it shows which arms get mixed up.",
            misconception="That more classes only need more output units; the borders between the classes are as "
                          "curved as the arms, and only hidden layers draw them.",
            follow_up="Clear Hidden layers (multinomial logistic regression) and run again: the three regions become "
                      "wedges with straight borders.")),
    "rating-buckets": Preset(
        "Four rating buckets from income and debt-to-income, with applicants near the borders in either bucket: "
        "the network beats always predicting the most frequent bucket, and straight borders do about as well.",
        dict(problem="multiclass", dataset="credit-rating", n_samples=1500, epochs=150),
        (Claim("the network beats always predicting the most frequent bucket", verdict("majority", "better")),
         Claim("multinomial logistic regression (straight borders) is within sampling error of the network",
               verdict("logistic", "tie"))),
        question=by_verdict("Does the network beat multinomial logistic regression (straight borders) on the rating "
                          "buckets?", "logistic", better="Yes, clearly better",
                          tie="No, about the same (within sampling error)", worse="No, clearly worse"),
        notes=Notes(
            point_at="The Test accuracy tile's delta against logistic (grey within sampling error) and the Majority "
                     "baseline tile. The confusion matrix on the Boundary tab shows mistakes between neighbouring "
                     "buckets.",
            misconception="That a neural network always beats a simpler model; when the true borders are nearly "
                          "straight, logistic regression does as well.",
            follow_up="Pin this run in the Compare tab, clear Hidden layers, and run again: both boundaries side by "
                      "side.")),
}

# The classic capacity lesson (Klaas, Machine Learning for Finance, ch. 1): one hidden layer of 1, 3
# and 500 tanh neurons on 90 noisy training moons. One tanh neuron is a monotone function of one
# linear combination, so its boundary is a straight line. The claims are decided on the three runs
# the page shows (``sweep_metrics``); tests/test_playground_task.py checks them over data seeds 0-2.
CAPACITY_SWEEP = {
    "description": "One hidden layer of 1, 3 and 500 tanh neurons on 90 noisy training moons. One neuron can only "
                   "draw a straight line (underfits); three follow the moons; five hundred fit the noise.",
    "claims": (
        Claim("one neuron fits the training points worse than three",
              below("1.train_accuracy", "3.train_accuracy", fmt=PERCENT,
                    names=("train accuracy with 1", "with 3"))),
        Claim("five hundred neurons reach the highest train accuracy",
              all_of(above("500.train_accuracy", "3.train_accuracy", fmt=PERCENT,
                           names=("train accuracy with 500", "with 3")),
                     above("500.train_accuracy", "1.train_accuracy", fmt=PERCENT,
                           names=("with 500", "with 1")))),
        Claim("five hundred neurons fit the noise: the largest train-test gap, and a higher test loss than three",
              all_of(above("500.train_test_gap_points", "3.train_test_gap_points", fmt=POINTS,
                           names=("train-test gap with 500", "with 3")),
                     above("500.train_test_gap_points", "1.train_test_gap_points", fmt=POINTS,
                           names=("with 500", "with 1")),
                     above("500.test_loss", "3.test_loss", names=("test loss with 500", "with 3"))))),
    "base": dict(n_samples=150, test_ratio=0.4, noise=0.35, activation="tanh", epochs=2000, learning_rate=0.03,
                 batch_size=16),
    "hidden": [(1,), (3,), (500,)],
}


def sweep_configs(data_seed: int = 0) -> list[Config]:
    return [Config(**CAPACITY_SWEEP["base"], hidden=h, data_seed=data_seed) for h in CAPACITY_SWEEP["hidden"]]




def sweep_metrics(metrics: list[dict], sizes: list[int]) -> dict[str, dict]:
    """The sweep's runs as one metrics dict keyed by neurons ("1", "3", "500"): what the sweep's
    claims are decided on ("500.test_loss")."""
    return {str(size): m for size, m in zip(sizes, metrics)}
