"""Settings and lessons of the "chart-cnn" task: a CNN reads price charts drawn as images."""

from __future__ import annotations

from dataclasses import dataclass

from core.config import TaskConfig, param
from core.errors import ConfigError
from core.lessons import Claim, Notes, above, between, by_verdict, verdict
from core.tasks import Preset

NAME = "chart-cnn"
SOURCES = ("sp500", "nasdaq", "gbm", "planted", "csv")
SOURCE_LABELS = {"sp500": "S&P 500 1999-2018 (bundled)", "nasdaq": "NASDAQ Composite 1999-2018 (bundled)",
                 "gbm": "Synthetic: geometric Brownian motion (pure noise)",
                 "planted": "Synthetic: noise with a planted chart pattern", "csv": "Upload an OHLC CSV"}
IMAGES = ("ohlc", "gaf")
IMAGE_LABELS = {"ohlc": "OHLC bars (Jiang-Kelly-Xiu)", "gaf": "Gramian angular field of the closes"}
SCORERS = {"model": "CNN", "base_rate": "Base rate", "momentum": "Momentum", "logistic": "Logistic regression"}


@dataclass(frozen=True)
class Config(TaskConfig):
    TASK = NAME

    source: str = param("sp500", choices=SOURCES, help="Where the daily open, high, low, close and volume come from.")
    n_days: int = param(6000, min=500, max=40_000, help="Trading days of a synthetic series.")
    data_seed: int = param(0, min=0, max=2**31 - 1, help="Seed of a synthetic series.")
    drift: float = param(0.01, min=0.0, max=0.05,
                         help="Planted pattern: extra daily log return after each burst of tall bars (0: the "
                              "pattern tells nothing).")
    window: int = param(20, choices=(5, 20, 60), help="Days in each image.")
    horizon: int = param(5, choices=(5, 20), help="Predict up or down over the next this many days.")
    image: str = param("ohlc", choices=IMAGES, help="How a window is drawn.")
    moving_average: bool = param(True, help="Draw the moving average of the close over the window's length.")
    volume: bool = param(True, help="Draw volume bars under the prices (when the data has volume).")
    blocks: int = param(2, min=1, max=3, help="Convolution blocks: 5x3 conv, batch norm, leaky ReLU, 2x1 max-pool.")
    filters: int = param(8, min=4, max=128, help="Filters of the first block; each next block doubles them.")
    dropout: float = param(0.5, min=0.0, max=0.9, help="Dropout before the output layer.")
    epochs: int = param(30, min=1, max=300, help="Most passes over the training images (early stopping on "
                                                 "validation).")
    learning_rate: float = param(1e-3, min=1e-5, max=0.1, help="Adam step size.")
    batch_size: int = param(128, min=8, max=4096, help="Images per gradient step.")
    patience: int = param(4, min=1, max=50, help="Epochs without a better validation loss before stopping.")
    val_fraction: float = param(0.15, min=0.05, max=0.4, help="Share of images (in time order) for validation.")
    test_fraction: float = param(0.2, min=0.1, max=0.5, help="Share of images (the last ones) for the test.")
    cost_bps: float = param(5.0, min=0.0, max=200.0, help="Toy backtest: cost per trade in basis points.")
    start: str = param("", help="First date (YYYY-MM-DD) of a bundled or uploaded series; empty: from the start.")
    end: str = param("", help="Last date (YYYY-MM-DD); empty: to the end.")

    def check(self) -> None:
        import re

        for name in ("start", "end"):
            value = getattr(self, name)
            if value and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise ConfigError(f"{name} must be a date YYYY-MM-DD or empty (got {value[:40]!r})")
        if self.start and self.end and self.start >= self.end:
            raise ConfigError("start must be before end")
        if self.val_fraction + self.test_fraction > 0.7:
            raise ConfigError("validation and test shares together must leave at least 30 % for training")


_BEATS = dict(better="Yes, beyond sampling error", tie="No real difference", worse="No, it is worse")

PRESETS = {
    "noise-has-no-pattern": Preset(
        "Charts of geometric Brownian motion: tomorrow does not depend on the picture. Whatever shapes the CNN "
        "thinks it sees, the test images should show it no better than always betting on the training period's "
        "majority direction.",
        {"source": "gbm", "n_days": 8000},
        (Claim("The CNN does not beat the base rate (the training period's majority direction)",
               verdict("base_rate", "tie", "worse")),
         Claim("Nor does it beat logistic regression on the window's returns and volume",
               verdict("logistic", "tie", "worse"))),
        question=by_verdict("On charts of pure noise, does the CNN beat always betting on the majority direction?",
                            "base_rate", **_BEATS),
        notes=Notes(
            point_at="The accuracy table: every scorer sits near the share of up windows, and the McNemar "
                     "verdicts under it. Then the gallery: the up and down images look alike.",
            misconception="A network that trains without errors must have learned something; on noise it can only "
                          "learn the noise of its training images.",
            follow_up="Switch the source to 'noise with a planted chart pattern' and train again.")),
    "planted-pattern-found": Preset(
        "The same noise, but a burst of three tall bars is followed by a few days of drift. The burst's returns "
        "have either sign, so a logistic regression on the window's returns cannot see it; the bars can.",
        {"source": "planted", "n_days": 12000},
        (Claim("The CNN beats logistic regression on the window's returns and volume",
               verdict("logistic", "better")),
         Claim("It beats the base rate too", verdict("base_rate", "better"))),
        question=by_verdict("With a planted pattern, does the CNN beat logistic regression on the returns?",
                            "logistic", **_BEATS),
        notes=Notes(
            point_at="The most confident right images: most show the burst of tall bars at their right edge; the "
                     "occlusion map lights up those days.",
            misconception="That the network needs to be told what to look for; it finds the shape from the labels "
                          "alone, when the shape is there.",
            follow_up="Set the drift to 0: the burst is still drawn but tells nothing, and the CNN's edge should "
                      "go.")),
    "sp500-20-day": Preset(
        "The S&P 500 as 20-day charts, predicting the next 20 days. Compare the CNN with momentum (the sign of the "
        "window's own return) and with always betting 'up', on test windows that do not overlap.",
        {"source": "sp500", "window": 20, "horizon": 20},
        (Claim("The CNN does not beat the base rate (always the training period's majority direction)",
               verdict("base_rate", "tie", "worse")),
         Claim("It says 'up' for at least 9 in 10 test windows: what it learned is the base rate",
               above("model_up_share", 0.9, fmt="{:.0%}", names=("share of windows called up", "the mark")))),
        question=by_verdict("On the S&P 500's 20-day charts, does the CNN beat always betting on the majority "
                            "direction?", "base_rate", **_BEATS),
        notes=Notes(
            point_at="The number of test windows under the table: non-overlapping 20-day futures leave few, so "
                     "only a large difference could be told from chance. Then the CNN's accuracy beside the share "
                     "of up windows: what did it learn?",
            misconception="That years of daily data are a lot of data; one index gives a few hundred independent "
                          "20-day outcomes.",
            follow_up="Set the horizon to 5 days: four times as many test windows.")),
    "60-days-vs-5": Preset(
        "Sixty days of chart to predict the next five, on the S&P 500: a longer picture is not more information "
        "about next week. Compare with the 5-day images (window 5) on the same horizon.",
        {"source": "sp500", "window": 60, "horizon": 5},
        (Claim("The CNN does not beat the base rate", verdict("base_rate", "tie", "worse")),
         Claim("Its test AUC stays between 0.4 and 0.6: the picture does not rank the windows",
               between("test_auc", 0.4, 0.6, fmt="{:.3f}", name="test AUC"))),
        question=by_verdict("With 60 days of chart, does the CNN beat always betting on the majority direction "
                            "over the next 5 days?", "base_rate", **_BEATS),
        notes=Notes(
            point_at="Accuracy over time: no test year stands out; the CNN's AUC beside the base rate's one half.",
            misconception="A longer history must help; here it adds parameters and pixels, not signal.",
            follow_up="Set the window to 5 and train again: the same verdict, in a fraction of the time.")),
}
