"""Forecast settings: the Config every entry point validates (page widgets, share links, CLI
``--set``), the lesson presets, and the names the page offers (models, targets, features).

Kept apart from the training code: a page, a link or ``findl presets`` needs the settings and their
limits, never the windows, the models or TensorFlow.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

from core.classification import ALPHA
from core.config import TaskConfig, param
from core.data import prices
from core.errors import ConfigError
from core.lessons import (
    P_VALUE,
    PERCENT,
    Answer,
    Claim,
    Notes,
    Question,
    above,
    all_of,
    between,
    by_verdict,
    not_,
    verdict,
    yes_no,
)
from core.nn.keras_loop import min_steps_setting
from core.tasks import Preset

NAME = "forecast"

MODELS = ("lstm", "gru", "bilstm", "cnn")
TARGETS = ("log_return", "price")
FEATURES = ("returns", "volume", "volatility", "rsi", "ma_gap", "momentum")
FEATURE_HELP = {
    "returns": "daily log return (always used)",
    "volume": "log volume relative to its 20-day average",
    "volatility": "20-day standard deviation of log returns",
    "rsi": "14-day relative strength index, centred",
    "ma_gap": "log distance of the price from its 20-day moving average",
    "momentum": "20-day log return",
    "price": "the price level itself (added automatically when the target is the price)",
}
MODEL_LABELS = {"lstm": "LSTM", "gru": "GRU", "bilstm": "bidirectional LSTM", "cnn": "1-D CNN"}
_TICKER = re.compile(r"^[A-Za-z0-9.\-^=]{1,20}$")


@dataclass(frozen=True)
class Config(TaskConfig):
    TASK = NAME

    seed: int = param(0, min=0, max=2**31 - 1, help="Seed of the weights and batch order.")
    epochs: int = param(20, min=1, max=500, help="Most passes over the training windows (early stopping may end sooner).")
    min_steps: int = min_steps_setting()
    learning_rate: float = param(0.004, min=1e-6, max=10.0, help="Adam step size (log scale).")
    batch_size: int = param(512, min=8, max=8192, help="Windows per gradient step.")
    source: str = param("sp500", choices=prices.SOURCES,
                        help="Price data: bundled S&P 500 / NASDAQ (1999-2018), Yahoo Finance, synthetic GBM "
                             "or regime-switching, or a CSV file.")
    ticker: str = param("SPY", help="Yahoo Finance symbol (only used with source=yahoo), e.g. AAPL or ^GSPC.")
    period: str = param("10y", choices=prices.PERIODS, help="Yahoo Finance history length.")
    interval: str = param("1d", choices=prices.INTERVALS, help="Yahoo Finance bar size.")
    start: str = param("", help="First date to use (YYYY-MM-DD), empty = from the beginning.")
    end: str = param("", help="Last date to use (YYYY-MM-DD), empty = to the end.")
    data_seed: int = param(0, min=0, max=2**31 - 1, help="Seed of the synthetic series (gbm, regime).")
    target: str = param("log_return", choices=TARGETS,
                        help="What the network predicts: tomorrow's log return, or tomorrow's price level.")
    horizon: int = param(1, min=1, max=30, help="Steps ahead predicted at once (multi-step output).")
    lookback: int = param(60, min=2, max=500, help="Past steps the network sees per forecast.")
    features: tuple[str, ...] = param(("returns",), choices=FEATURES, max_items=len(FEATURES),
                                      help="Inputs per step: returns (always) plus optional volume, volatility, "
                                           "rsi, ma_gap, momentum.")
    model: str = param("lstm", choices=MODELS, help="Network type.")
    units: int = param(64, min=1, max=512, help="Units (cells / filters) per layer.")
    layers: int = param(1, min=1, max=4, help="Stacked layers.")
    dropout: float = param(0.0, min=0.0, max=0.8, help="Dropout after each layer while training.")
    val_fraction: float = param(0.15, min=0.05, max=0.4, help="Share of rows for validation (early stopping).")
    test_fraction: float = param(0.15, min=0.05, max=0.5, help="Share of rows held out for the test.")
    patience: int = param(3, min=1, max=100, help="Epochs without a better validation loss before stopping.")
    walk_forward: int = param(3, min=0, max=20,
                              help="Walk-forward windows over the test slice (0 = off); a separate run, started "
                                   "from its tab (or findl train forecast-walk-forward).")
    interval_level: float = param(0.9, min=0.5, max=0.99, help="Coverage wanted from the prediction interval.")
    cost_bps: float = param(5.0, min=0.0, max=500.0, help="Toy backtest cost per position change, in basis points.")

    def check(self) -> None:
        if "returns" not in self.features:
            raise ConfigError("features must include returns (log returns are always an input), "
                              "e.g. features=returns,volume")
        if len(set(self.features)) != len(self.features):
            raise ConfigError("features lists a feature twice; name each once")
        if self.val_fraction + self.test_fraction > 0.6:
            raise ConfigError("val_fraction + test_fraction must leave at least 40 % of the rows for "
                              f"training (now {self.val_fraction + self.test_fraction:.0%} held out)")
        if self.source == "yahoo" and not _TICKER.match(self.ticker.strip()):
            raise ConfigError("source=yahoo needs a ticker symbol such as AAPL, SPY or ^GSPC "
                              f"(got {self.ticker!r})")
        dates = {}
        for name in ("start", "end"):
            text = getattr(self, name).strip()
            if text:
                try:
                    dates[name] = _dt.date.fromisoformat(text)
                except ValueError:
                    raise ConfigError(f"{name} must be a date like 2005-01-31 or empty (got {text!r})") from None
        if len(dates) == 2 and dates["start"] >= dates["end"]:
            raise ConfigError("start must be before end")


# Lessons: what to look at, and the claims each run is checked against on screen (core.lessons).
_RETURN, _RATIO, _R2 = "{:.3%}", "{:.3f}", "{:.4f}"
_NO_BETTER_THAN_CHANCE = above("backtest.hit_test.p_value", ALPHA, fmt=P_VALUE,
                               names=("one-sided binomial p against chance", "the significance level"))
_MODEL_R2_HIGHER = above("price_fit.r2", "price_fit.naive_r2", fmt=_R2, names=("model R²", "naive R²"))

# The three answers of a "does it beat the random walk?" question, one per verdict of the test
_AGAINST_NAIVE = dict(better="Yes, beyond sampling error", tie="No real difference", worse="No, it is worse")

PRESETS = {
    "lstm-vs-random-walk": Preset(
        "An LSTM predicts tomorrow's S&P 500 return from the last 60 days. Read the verdict against the random "
        "walk (zero return), the drift and the historical mean: the Diebold-Mariano test decides whether a lower "
        "RMSE is more than sampling error.", {},
        (Claim("The LSTM is no better than the random walk: the difference is within sampling error",
               verdict("naive", "tie")),
         Claim("Nor does it beat the drift forecast or the historical mean",
               all_of(verdict("drift", "tie", "worse"), verdict("mean", "tie", "worse")))),
        question=by_verdict("Does the LSTM beat the random walk (a zero return) on the test days?", "naive", **_AGAINST_NAIVE),
        notes=Notes(
            point_at="The headline verdict and the metrics table: the LSTM's RMSE beside the naive row, and the "
                     "Diebold-Mariano test that decides the verdict. On the Forecast tab, see how close to zero the "
                     "forecasts stay.",
            misconception="A lower RMSE, or a forecast line that wiggles with the market, means the network "
                          "predicts returns. A small RMSE gap is usually sampling error, and a forecast hugging "
                          "zero is the random walk in disguise.",
            follow_up="Add volatility and momentum under Input features, or raise the Lookback window, and see "
                      "whether the verdict moves.")),
    "price-level-illusion": Preset(
        "Predicting the S&P 500's price level (1999-2012) looks superb on a chart and by R², but so does "
        "'tomorrow = today'. Judge it by the returns it implies and by the lag diagnostic.",
        {"target": "price", "end": "2012-12-31", "walk_forward": 0},
        (Claim("R² on price levels looks superb (above 0.8), and the naive 'tomorrow = today' price scores higher "
               "still",
               all_of(above("price_fit.r2", 0.8, fmt=_R2, names=("model R²", "the mark")),
                      above("price_fit.naive_r2", "price_fit.r2", fmt=_R2, names=("naive R²", "model R²")))),
         Claim("The returns it implies are no better than the random walk's zero return (a higher RMSE)",
               above("implied_return.model.rmse", "implied_return.naive.rmse", fmt=_RETURN,
                     names=("implied-return RMSE", "random walk"))),
         Claim("Its day-to-day changes echo the actual change of the day before (lag-1 correlation above 0.9)",
               above("lag_correlation.correlation.1", 0.9, fmt=_RATIO, names=("lag-1 correlation", "the mark")))),
        question=Question("Which forecast scores the higher R² on the price level?", (
            Answer("The LSTM", _MODEL_R2_HIGHER),
            Answer("'Tomorrow = today'", not_(_MODEL_R2_HIGHER)))),
        notes=Notes(
            point_at="The blue box above the table: the LSTM's R² next to the naive forecast's. Then the 'Is it "
                     "just lagging?' tab, where the forecast's changes line up with the actual change of the day "
                     "before.",
            misconception="An R² close to one means a good forecast. On a price level, any forecast near "
                          "yesterday's price scores that high: the level is predictable, the change is not.",
            follow_up="Set Predict to log return with the same dates and read the verdict against the random "
                      "walk.")),
    "pure-noise-gbm": Preset(
        "On geometric Brownian motion tomorrow's return does not depend on the past: no model can beat the "
        "random walk, and the verdict, the lag diagnostic and the toy backtest should say so.", {"source": "gbm"},
        (Claim("The LSTM does not beat the random walk", verdict("naive", "tie", "worse")),
         Claim("Its forecasts do not track the actual returns (same-day correlation between -0.1 and 0.1)",
               between("lag_correlation.correlation.0", -0.1, 0.1, fmt=_RATIO, name="same-day correlation")),
         Claim("Its direction hit rate is no better than chance for a forecast long as often",
               _NO_BETTER_THAN_CHANCE)),
        question=by_verdict("On a series built from pure noise, can the LSTM beat the random walk?", "naive", **_AGAINST_NAIVE),
        notes=Notes(
            point_at="The verdict against the random walk, the 'Is it just lagging?' tab, and the hit-rate test "
                     "under the Toy backtest tab.",
            misconception="A network that trains smoothly, or a backtest that makes money, must have found a "
                          "pattern. On a series built from random draws, any pattern it finds is luck.",
            follow_up="Change the Series seed and train again: the backtest's return moves from seed to seed. "
                      "Ask whether a real skill would.")),
    "gru-nasdaq": Preset(
        "A GRU on the NASDAQ Composite, which went through the dot-com crash: the same honesty checks on a "
        "wilder series. In the toy backtest, compare the hit rate with the share of up days, not with a coin flip.",
        {"source": "nasdaq", "model": "gru"},
        (Claim("The GRU is no better than the random walk: the difference is within sampling error",
               verdict("naive", "tie")),
         Claim("Its sign forecast is long on most test days (more than 80 %)",
               above("backtest.strategy.long_share", 0.8, fmt=PERCENT, names=("long share", "the mark"))),
         Claim("Its direction hit rate is no better than chance for a forecast long as often",
               _NO_BETTER_THAN_CHANCE)),
        question=yes_no("Is the GRU's direction hit rate better than chance for a forecast that is long as often?",
                        not_(_NO_BETTER_THAN_CHANCE), yes="Yes, beyond luck", no="No, luck could explain it"),
        notes=Notes(
            point_at="The Toy backtest tab: the hit rate beside the share of up days and the long share, and the "
                     "test against chance under it.",
            misconception="A hit rate above a coin flip shows skill. A forecast that is nearly always long is "
                          "right on every up day without knowing anything, and the NASDAQ rose on most days.",
            follow_up="Set From to 2003-01-01, after the dot-com crash, and see whether the long share, the "
                      "hit-rate test or the verdict changes.")),
    "cnn-volatility-features": Preset(
        "A 1-D CNN sees volume, volatility, RSI and the moving-average gap too: compare its verdict with the "
        "plain LSTM's lesson to see whether more inputs buy real accuracy on the test slice.",
        {"model": "cnn", "features": ("returns", "volume", "volatility", "rsi", "ma_gap")},
        (Claim("More inputs do not buy accuracy: the CNN does not beat the random walk",
               verdict("naive", "tie", "worse")),
         Claim("Its RMSE is higher than the random walk's",
               above("model.rmse", "naive.rmse", fmt=_RETURN, names=("CNN RMSE", "random walk")))),
        question=by_verdict("With volume, volatility, RSI and the moving-average gap as inputs, does the CNN beat "
                            "the random walk?", "naive", **_AGAINST_NAIVE),
        notes=Notes(
            point_at="The verdict against the random walk and the CNN's RMSE beside the naive row; compare them "
                     "with the plain LSTM lesson's. The Training tab shows how soon early stopping ended.",
            misconception="More indicators give the network more to learn from, so it must forecast better. "
                          "Extra inputs mostly add ways to fit the noise of the training years.",
            follow_up="Remove the features one at a time under Input features, or set Network to LSTM with the "
                      "same inputs, and compare the verdicts.")),
}
