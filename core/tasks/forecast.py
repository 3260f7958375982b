"""Time-series forecasting: a recurrent (or convolutional) network against the baselines a finance
student should always beat first: the random walk (naive), the random walk with drift and the
historical mean.

Honest set-up: a chronological train / validation / test split of the rows; scalers are fit on the
training rows only; early stopping (best weights restored) watches the validation slice; a window
never puts a test value into a training input, a training target or a scaler statistic. Headline
metrics use the one-step-ahead forecasts of the test slice; ``per_horizon`` has every step.

Speed (docs/DESIGN.md, "Forecasting"): instead of ``model.fit`` with batch 32, training runs a compiled train step
(one ``tf.function`` with a fixed input signature, traced once) over arrays that stay in memory,
with batch 512 and learning rate 4e-3 (tuned: the larger batch needs the larger step), plus early
stopping (patience 3). ``bench/forecast.py`` measures it against plain ``fit``.

Walk-forward backtest: the test slice is cut into ``walk_forward`` consecutive windows. Window 1
is predicted by the main model (its training data are exactly "everything before the window").
Each later window warm-starts from the previous window's weights and trains for
``max(2, epochs // 4)`` more epochs on all rows before the window, early-stopped on the
validation-sized slice just before it, with scalers refit on those training rows.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core import metrics as fm
from core.config import TaskConfig, param
from core.data import prices, quality
from core.data.prices import PriceData
from core.errors import ConfigError, DataError, TrainingDiverged
from core.result import Progress, Result
from core.tasks import Preset
from core.tasks import forecast_verdict as fv

NAME = "forecast"
SCHEMA = 2  # 2: data_quality, robustness, verdict_kind, interval check, backtest caveat

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
ROLL = 20         # window of the rolling features
RSI_DAYS = 14
MAX_LAG = 5       # lag-correlation diagnostic: lags 0..MAX_LAG
MIN_TRAIN = 30    # minimum windows per part
MIN_VAL = 10
MIN_TEST = 10
PREDICT_CHUNK = 4096
_TICKER = re.compile(r"^[A-Za-z0-9.\-^=]{1,20}$")


@dataclass(frozen=True)
class Config(TaskConfig):
    TASK = NAME

    seed: int = param(0, min=0, max=2**31 - 1, help="Seed of the weights and batch order.")
    epochs: int = param(20, min=1, max=500, help="Most passes over the training windows (early stopping may end sooner).")
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
                              help="Walk-forward windows over the test slice (0 = off); each later window retrains.")
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


PRESETS = {
    "lstm-vs-random-walk": Preset(
        "An LSTM predicts tomorrow's S&P 500 return from the last 60 days; the test shows whether it beats "
        "the random walk at all.", {}),
    "price-level-illusion": Preset(
        "Predicting the S&P 500's price level (1999-2012) looks superb on a chart, but the implied returns "
        "show it only echoes yesterday's price.", {"target": "price", "end": "2012-12-31", "walk_forward": 0}),
    "pure-noise-gbm": Preset(
        "On geometric Brownian motion returns are pure noise: no model can beat the random walk, and the "
        "test should say so.", {"source": "gbm"}),
    "gru-nasdaq": Preset(
        "A GRU on the NASDAQ Composite, which went through the dot-com crash: the same honesty checks on a "
        "wilder series.", {"source": "nasdaq", "model": "gru"}),
    "cnn-volatility-features": Preset(
        "A 1-D CNN sees volume, volatility, RSI and the moving-average gap too: do more features buy real "
        "accuracy on the test slice?",
        {"model": "cnn", "features": ("returns", "volume", "volatility", "rsi", "ma_gap")}),
}


# ---- data ----------------------------------------------------------------------------------------
def load_data(config: Config, path: Any = None) -> PriceData:
    """The price series for ``config``; a ``path`` (file, bytes, file object) means CSV whatever
    ``config.source`` says. Raises DataError when it is unusable or too short for the settings."""
    data = prices.load_prices(config.source, ticker=config.ticker, period=config.period,
                              interval=config.interval, path=path, seed=config.data_seed)
    if path is None and config.source != "yahoo" and config.ticker.strip().upper() != "SPY":
        data.notes.append(f"ticker={config.ticker} is only used with source=yahoo; this run uses {data.name}")
    data = data.between(config.start.strip(), config.end.strip())
    if "volume" in config.features and not data.has_volume:
        raise DataError(f"feature 'volume' needs a Volume column, which {data.name} does not have; "
                        "remove volume from features")
    usable = len(data) - warmup_rows(config.features)
    need = required_rows(config)
    if usable < need:
        raise DataError(f"{data.name} has {usable} usable rows here, but lookback={config.lookback}, "
                        f"horizon={config.horizon} with these validation/test shares need at least {need}; "
                        "shorten the lookback or use a longer date range")
    return data


def warmup_rows(features: tuple[str, ...]) -> int:
    """Rows lost at the start before every feature is defined."""
    need = 1
    if set(features) & {"volatility", "ma_gap", "momentum", "volume"}:
        need = ROLL
    if "rsi" in features:
        need = max(need, RSI_DAYS)
    return need


def _split_rows(n: int, config: Config) -> tuple[int, int]:
    n_test = round(n * config.test_fraction)
    n_val = round(n * config.val_fraction)
    return n - n_val - n_test, n - n_test


def _part_sizes(n: int, config: Config) -> tuple[int, int, int]:
    train_end, val_end = _split_rows(n, config)
    h, lb = config.horizon, config.lookback
    return train_end - lb - h + 1, val_end - train_end - h + 1, n - val_end - h + 1


def required_rows(config: Config) -> int:
    """Fewest usable rows giving enough training, validation and test windows."""
    n = config.lookback + config.horizon + MIN_TRAIN
    while True:
        tr, va, te = _part_sizes(n, config)
        if tr >= MIN_TRAIN and va >= MIN_VAL and te >= max(MIN_TEST, 5 * config.walk_forward):
            return n
        n += max(1, n // 50)


def feature_frame(data: PriceData, features: tuple[str, ...], target: str) -> pd.DataFrame:
    """Causal features (each row uses only that day and earlier), warm-up rows dropped."""
    close = data.close.astype(float)
    logp = np.log(close)
    r = logp.diff()
    out: dict[str, pd.Series] = {"returns": r}
    if "volume" in features:
        lv = np.log1p(data.frame["volume"].astype(float))
        out["volume"] = lv - lv.rolling(ROLL).mean()
    if "volatility" in features:
        out["volatility"] = r.rolling(ROLL).std(ddof=0)
    if "rsi" in features:
        gain = r.clip(lower=0).ewm(alpha=1 / RSI_DAYS, adjust=False, min_periods=RSI_DAYS).mean()
        loss = (-r.clip(upper=0)).ewm(alpha=1 / RSI_DAYS, adjust=False, min_periods=RSI_DAYS).mean()
        rsi = gain / (gain + loss)
        out["rsi"] = rsi.where(gain + loss > 0, 0.5) - 0.5
    if "ma_gap" in features:
        out["ma_gap"] = logp - np.log(close.rolling(ROLL).mean())
    if "momentum" in features:
        out["momentum"] = logp.diff(ROLL)
    if target == "price":
        out["price"] = close
    frame = pd.DataFrame({k: out[k] for k in [*features, *(["price"] if target == "price" else [])]})
    frame["_close"] = close
    frame["_return"] = r
    frame = frame.iloc[warmup_rows(features):]
    if not np.isfinite(frame.to_numpy(dtype=float)).all():
        raise DataError("the features have missing or infinite values after the warm-up rows; "
                        "check the data for zero prices or gaps in volume")
    return frame


@dataclass
class Scaler:
    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, values: np.ndarray) -> Scaler:
        mean = values.mean(axis=0)
        std = values.std(axis=0)
        return cls(mean, np.where(std > 0, std, 1.0))

    def transform(self, values: np.ndarray) -> np.ndarray:
        return (values - self.mean) / self.std

    def inverse(self, values: np.ndarray) -> np.ndarray:
        return values * self.std + self.mean


@dataclass(eq=False)
class Dataset:
    """Rows of features and targets with a chronological split.

    Row i holds day i's features; a window with origin k uses rows k-lookback+1..k as input and
    rows k+1..k+horizon as targets. Training windows have every target before ``train_end``,
    validation windows every target in [train_end, val_end), test windows every target from
    ``val_end`` on. Scalers are fit on rows before ``train_end`` only.
    """

    dates: pd.DatetimeIndex
    close: np.ndarray
    returns: np.ndarray
    raw: np.ndarray            # (rows, features) unscaled inputs
    target: np.ndarray         # (rows,) unscaled target
    feature_names: list[str]
    target_kind: str
    lookback: int
    horizon: int
    train_end: int
    val_end: int
    x_scaler: Scaler = field(init=False)
    y_scaler: Scaler = field(init=False)
    scaled: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.x_scaler = Scaler.fit(self.raw[: self.train_end])
        self.y_scaler = Scaler.fit(self.target[: self.train_end, None])
        self.scaled = self.x_scaler.transform(self.raw).astype(np.float32)

    @property
    def n(self) -> int:
        return len(self.target)

    def with_split(self, train_end: int, val_end: int) -> Dataset:
        return Dataset(self.dates, self.close, self.returns, self.raw, self.target, self.feature_names,
                       self.target_kind, self.lookback, self.horizon, train_end, val_end)

    def origins(self, first_target: int, end: int) -> np.ndarray:
        """Origins whose targets all lie in rows [first_target, end)."""
        lo = max(first_target - 1, self.lookback - 1)
        hi = end - 1 - self.horizon  # last origin, inclusive
        return np.arange(lo, hi + 1)

    @property
    def train_origins(self) -> np.ndarray:
        return self.origins(0, self.train_end)

    @property
    def val_origins(self) -> np.ndarray:
        return self.origins(self.train_end, self.val_end)

    @property
    def test_origins(self) -> np.ndarray:
        return self.origins(self.val_end, self.n)

    def inputs(self, origins: np.ndarray) -> np.ndarray:
        """(n, lookback, features) float32 scaled input windows."""
        steps = np.arange(-self.lookback + 1, 1)
        return self.scaled[origins[:, None] + steps[None, :]]

    def targets(self, origins: np.ndarray) -> np.ndarray:
        """(n, horizon) unscaled targets."""
        return self.target[origins[:, None] + np.arange(1, self.horizon + 1)[None, :]]

    def scaled_targets(self, origins: np.ndarray) -> np.ndarray:
        return ((self.targets(origins) - self.y_scaler.mean[0]) / self.y_scaler.std[0]).astype(np.float32)

    def unscale(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=float) * self.y_scaler.std[0] + self.y_scaler.mean[0]


def prepare(config: Config, data: PriceData) -> Dataset:
    frame = feature_frame(data, config.features, config.target)
    names = [c for c in frame.columns if not c.startswith("_")]
    close = frame["_close"].to_numpy(float)
    returns = frame["_return"].to_numpy(float)
    target = returns if config.target == "log_return" else close
    train_end, val_end = _split_rows(len(frame), config)
    ds = Dataset(pd.DatetimeIndex(frame.index).as_unit("ns"), close, returns, frame[names].to_numpy(float), target.copy(),
                 names, config.target, config.lookback, config.horizon, train_end, val_end)
    sizes = (len(ds.train_origins), len(ds.val_origins), len(ds.test_origins))
    if sizes[0] < MIN_TRAIN or sizes[1] < MIN_VAL or sizes[2] < max(MIN_TEST, 5 * config.walk_forward):
        raise DataError(f"too few windows (train {sizes[0]}, validation {sizes[1]}, test {sizes[2]}) for "
                        f"lookback={config.lookback}, horizon={config.horizon}, walk_forward={config.walk_forward}; "
                        "shorten the lookback, lower walk_forward or use more data")
    return ds


# ---- baselines -----------------------------------------------------------------------------------
def baselines(ds: Dataset, origins: np.ndarray) -> dict[str, np.ndarray]:
    """naive (random walk), drift (random walk with the mean log return of the lookback window) and
    mean (the training mean of the target), each (n, horizon) in target units."""
    h = np.arange(1, ds.horizon + 1)[None, :]
    steps = np.arange(-ds.lookback + 1, 1)
    local_drift = ds.returns[origins[:, None] + steps[None, :]].mean(axis=1)[:, None]
    train_mean = float(ds.target[: ds.train_end].mean())
    n = len(origins)
    if ds.target_kind == "log_return":
        return {"naive": np.zeros((n, ds.horizon)),
                "drift": np.repeat(local_drift, ds.horizon, axis=1),
                "mean": np.full((n, ds.horizon), train_mean)}
    last = ds.close[origins][:, None]
    return {"naive": np.repeat(last, ds.horizon, axis=1),
            "drift": last * np.exp(h * local_drift),
            "mean": np.full((n, ds.horizon), train_mean)}


# ---- model ---------------------------------------------------------------------------------------
def build_model(config: Config, n_features: int, policy: str = "float32"):
    """Keras model: stacked recurrent (or causal conv) layers, Dense(horizon) in float32.
    Recurrent layers keep the cuDNN conditions (tanh/sigmoid, no recurrent dropout, not unrolled,
    with bias) so they run on cuDNN on a GPU."""
    import keras

    inputs = keras.Input((config.lookback, n_features), name="window")
    x = inputs
    for i in range(config.layers):
        more = i < config.layers - 1
        if config.model == "lstm":
            x = keras.layers.LSTM(config.units, return_sequences=more, dtype=policy, name=f"lstm_{i + 1}")(x)
        elif config.model == "gru":
            x = keras.layers.GRU(config.units, return_sequences=more, dtype=policy, name=f"gru_{i + 1}")(x)
        elif config.model == "bilstm":
            x = keras.layers.Bidirectional(keras.layers.LSTM(config.units, return_sequences=more, dtype=policy),
                                           dtype=policy, name=f"bilstm_{i + 1}")(x)
        else:
            x = keras.layers.Conv1D(config.units, 5, padding="causal", dilation_rate=2**i, activation="relu",
                                    dtype=policy, name=f"conv_{i + 1}")(x)
        if config.dropout > 0:
            x = keras.layers.Dropout(config.dropout, name=f"dropout_{i + 1}")(x)
    if config.model == "cnn":
        x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(config.horizon, dtype="float32", name="forecast")(x)
    return keras.Model(inputs, outputs, name=f"forecast_{config.model}")


def _mse(pred, target):
    """Training loss (module level so a test can replace it)."""
    import tensorflow as tf

    return tf.reduce_mean(tf.square(tf.cast(pred, tf.float32) - target))


@dataclass
class FitHistory:
    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    best_epoch: int = 0
    best_val: float = math.inf

    @property
    def epochs_run(self) -> int:
        return len(self.loss)


class Trainer:
    """A model with its optimizer and compiled train / predict steps (traced once, reused across
    epochs and walk-forward windows)."""

    def __init__(self, model, learning_rate: float, mixed: bool = False):
        import keras

        tf = _tf()
        self.model = model
        self.mixed = mixed
        optimizer = keras.optimizers.Adam(learning_rate)
        if mixed:
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        self.optimizer = optimizer
        variables = model.trainable_variables
        optimizer.build(variables)
        lookback, n_features = model.input_shape[1], model.input_shape[2]
        horizon = model.output_shape[-1]
        x_spec = tf.TensorSpec([None, lookback, n_features], tf.float32)
        y_spec = tf.TensorSpec([None, horizon], tf.float32)

        @tf.function(input_signature=[x_spec, y_spec])
        def train_step(x, y):
            with tf.GradientTape() as tape:
                loss = _mse(model(x, training=True), y)
                scaled = optimizer.scale_loss(loss) if mixed else loss
            grads = tape.gradient(scaled, variables)
            optimizer.apply(grads, variables)
            return loss

        @tf.function(input_signature=[x_spec])
        def predict_step(x):
            return tf.cast(model(x, training=False), tf.float32)

        self._train_step = train_step
        self._predict_step = predict_step

    def predict(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 0:
            return np.zeros((0, self.model.output_shape[-1]), np.float32)
        parts = [self._predict_step(x[i:i + PREDICT_CHUNK]).numpy() for i in range(0, len(x), PREDICT_CHUNK)]
        return np.concatenate(parts)

    def val_loss(self, x: np.ndarray, y: np.ndarray) -> float:
        pred = self.predict(x)
        return float(np.mean((pred.astype(np.float64) - y) ** 2))

    def fit(self, x: np.ndarray, y: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, *, epochs: int,
            batch_size: int, patience: int, seed: int, progress: Progress | None = None, step: int = 0,
            total: int | None = None, phase: str = "train") -> FitHistory:
        """Shuffled mini-batches; early stopping on the validation loss with the best weights restored.
        Reports each epoch to ``progress`` (which raises Cancelled / TrainingDiverged)."""
        rng = np.random.default_rng(seed)
        history = FitHistory()
        best_weights = self.model.get_weights()
        n = len(x)
        total = total or epochs
        for epoch in range(epochs):
            order = rng.permutation(n)
            losses = []
            for start in range(0, n, batch_size):
                idx = order[start:start + batch_size]
                losses.append(self._train_step(x[idx], y[idx]) * len(idx))
            train_loss = float(np.sum([t.numpy() for t in losses]) / n)
            val = self.val_loss(x_val, y_val)
            history.loss.append(train_loss)
            history.val_loss.append(val)
            if progress is not None:
                progress.update(step + epoch + 1, total, loss=train_loss, val_loss=val, phase=phase)
            if not (math.isfinite(train_loss) and math.isfinite(val)):
                raise TrainingDiverged()
            if val < history.best_val:
                history.best_val, history.best_epoch = val, epoch + 1
                best_weights = self.model.get_weights()
            elif epoch + 1 - history.best_epoch >= patience:
                break
        self.model.set_weights(best_weights)
        return history


def _tf():
    from core.device import tensorflow

    return tensorflow()


def _policy() -> str:
    from core.device import mixed_precision_policy

    return mixed_precision_policy()


# ---- training and evaluation ---------------------------------------------------------------------
def train(config: Config, data: PriceData, progress: Progress) -> Result:
    _tf()
    import keras

    ds = prepare(config, data)
    keras.utils.set_random_seed(config.seed)
    policy = _policy()
    model = build_model(config, len(ds.feature_names), policy)
    trainer = Trainer(model, config.learning_rate, mixed=policy != "float32")
    wf_epochs = max(2, config.epochs // 4)
    total = config.epochs + max(0, config.walk_forward - 1) * wf_epochs
    tr, va, te = ds.train_origins, ds.val_origins, ds.test_origins
    history = trainer.fit(ds.inputs(tr), ds.scaled_targets(tr), ds.inputs(va), ds.scaled_targets(va),
                          epochs=config.epochs, batch_size=config.batch_size, patience=config.patience,
                          seed=config.seed, progress=progress, total=total, phase="train")

    forecast = ds.unscale(trainer.predict(ds.inputs(te)))
    val_forecast = ds.unscale(trainer.predict(ds.inputs(va)))
    if not np.isfinite(forecast).all():
        raise TrainingDiverged()
    main_weights = model.get_weights()  # walk-forward warm-starts from (and changes) these
    evaluation = evaluate(config, ds, te, forecast, val_forecast, quality.flagged_dates(data.quality))
    wf_metrics, wf_arrays = walk_forward(config, ds, trainer, forecast, progress, config.epochs, total,
                                         wf_epochs)
    model.set_weights(main_weights)
    model_path = _save(model)
    summary: list[str] = []
    model.summary(print_fn=lambda line, *a, **k: summary.append(line))
    m = evaluation.metrics
    m["data_quality"] = [f.to_dict() for f in data.quality]
    m["walk_forward"] = wf_metrics
    m["val_loss"] = float(history.best_val)
    m["best_epoch"] = int(history.best_epoch)
    m["epochs_run"] = int(history.epochs_run)
    arrays = {**evaluation.arrays, **wf_arrays,
              "loss": np.asarray(history.loss), "val_loss": np.asarray(history.val_loss)}
    info = _info(config, data, ds, summary, history)
    return Result(metrics=_jsonable(m), arrays=arrays, info=info, model_path=model_path)


def _save(model) -> str:
    fd, path = tempfile.mkstemp(suffix=".keras", prefix="findl-forecast-")
    os.close(fd)
    model.save(path)
    return path


@dataclass
class Evaluation:
    metrics: dict[str, Any]
    arrays: dict[str, np.ndarray]


def evaluate(config: Config, ds: Dataset, origins: np.ndarray, forecast: np.ndarray,
             val_forecast: np.ndarray, flagged: set[str] | None = None) -> Evaluation:
    """Metrics and chart arrays of the test forecasts (all in target units). ``flagged``: ISO
    dates of bad-data days (core.data.quality); the verdict is fragile when they are in the test."""
    actual = ds.targets(origins)
    base = baselines(ds, origins)
    train_target = ds.target[: ds.train_end]
    is_price = config.target == "price"
    reference = ds.close[origins] if is_price else None
    step1 = {"model": forecast[:, 0], **{k: v[:, 0] for k, v in base.items()}}
    scale = mase_scale(config, train_target)
    metrics: dict[str, Any] = fm.compare(actual[:, 0], step1, reference=reference, scale=scale)
    metrics["n_test"] = len(origins)
    metrics["target"] = config.target
    metrics["horizon"] = config.horizon
    metrics["headline_step"] = 1
    dm = fm.diebold_mariano(actual[:, 0], forecast[:, 0], base["naive"][:, 0], horizon=1)
    dm["comparison"] = "model vs naive, one step ahead"
    metrics["dm"] = dm
    rows = fm.per_horizon(actual, {"model": forecast, "naive": base["naive"]}, reference=reference, scale=scale)
    for h, row in enumerate(rows):
        row["dm"] = fm.diebold_mariano(actual[:, h], forecast[:, h], base["naive"][:, h], horizon=h + 1)
    metrics["per_horizon"] = rows
    metrics["robustness"] = fv.robustness(actual[:, 0], forecast[:, 0], base["naive"][:, 0],
                                          ds.dates[origins + 1], flagged or set())
    metrics["verdict"], metrics["verdict_kind"] = _verdict(config, metrics)

    # split-conformal interval from validation residuals, one half-width per step
    val_actual = ds.targets(ds.val_origins)
    half = np.array([fm.conformal_quantile(val_actual[:, h] - val_forecast[:, h], config.interval_level) or 0.0
                     for h in range(config.horizon)])
    lower, upper = forecast - half[None, :], forecast + half[None, :]
    metrics["interval"] = {
        "level": config.interval_level,
        "coverage": fm.interval_coverage(actual[:, 0], lower[:, 0], upper[:, 0]),
        "mean_width": float(np.mean(upper[:, 0] - lower[:, 0])),
        "coverage_per_step": [fm.interval_coverage(actual[:, h], lower[:, h], upper[:, h])
                              for h in range(config.horizon)],
        "method": "split conformal: |validation residual| quantile added around each test forecast",
    }
    metrics["interval"]["check"] = fv.interval_check(metrics["interval"], len(origins))

    # one-step return forecasts (implied by a price forecast) for the lag diagnostic and the backtest
    last = ds.close[origins]
    if is_price:
        with np.errstate(divide="ignore", invalid="ignore"):
            implied = np.where(forecast[:, 0] > 0, np.log(forecast[:, 0] / last), np.nan)
        realised = ds.returns[origins + 1]
        rbase = {"naive": np.zeros(len(origins)), "drift": np.log(base["drift"][:, 0] / last),
                 "mean": np.log(np.maximum(base["mean"][:, 0], 1e-12) / last)}
        metrics["implied_return"] = fm.compare(realised, {"model": implied, **rbase},
                                               scale=fm.naive_scale(ds.returns[1: ds.train_end], "zero"))
        metrics["implied_return"]["note"] = ("the price forecasts turned into tomorrow's log return "
                                             "(log forecast / today's price): the test of real skill")
        from sklearn.metrics import r2_score

        metrics["price_fit"] = {
            "r2": float(r2_score(actual[:, 0], forecast[:, 0])),
            "rmse_pct_of_price": float(metrics["model"]["rmse"] / np.mean(np.abs(actual[:, 0])) * 100),
            "note": "how good the price forecast looks: a high R² on price levels is what the naive forecast gets too",
        }
    else:
        implied = forecast[:, 0]
        metrics["implied_return"] = None
        metrics["price_fit"] = None
    metrics["lag_correlation"] = lag_diagnostic(ds, origins, forecast[:, 0], is_price)
    backtest, equity = toy_backtest(ds, origins, implied, config.cost_bps)
    metrics["backtest"] = backtest
    backtest["caveat"] = fv.backtest_caveat(metrics)

    arrays = {
        "test_dates": ds.dates[origins + 1].asi8.astype(np.int64),
        # dates of every target row: step h of sample i falls on target_dates[i + h - 1]
        "target_dates": ds.dates[origins[0] + 1: origins[-1] + ds.horizon + 1].asi8.astype(np.int64),
        "origin_price": last.astype(float),
        "actual": actual.astype(float),
        "forecast": forecast.astype(float),
        **{k: v.astype(float) for k, v in base.items()},
        "lower": lower.astype(float), "upper": upper.astype(float),
        "implied_return": np.asarray(implied, dtype=float),
        "equity_strategy": equity["strategy"], "equity_buy_hold": equity["buy_and_hold"],
        "lag_correlation": np.array([np.nan if v is None else v
                                     for v in metrics["lag_correlation"]["correlation"]], dtype=float),
        "series_dates": ds.dates.asi8.astype(np.int64),
        "series_close": ds.close.astype(float),
        "series_target": ds.target.astype(float),
        "split_dates": ds.dates[[0, ds.train_end, ds.val_end, ds.n - 1]].asi8.astype(np.int64),
    }
    return Evaluation(metrics, arrays)


def mase_scale(config: Config, train_target: np.ndarray) -> float | None:
    """MASE denominator: the in-sample MAE of the naive baseline shown beside the model (zero return
    for returns, yesterday's price for prices), so MASE < 1 means it beat that baseline in-sample terms."""
    return fm.naive_scale(train_target, "zero" if config.target == "log_return" else "previous")


def verdict(config: Config, metrics: dict[str, Any]) -> str:
    """The headline sentence (core/tasks/forecast_verdict.py: robust checks before "significant")."""
    return _verdict(config, metrics)[0]


def _verdict(config: Config, metrics: dict[str, Any]) -> tuple[str, str]:
    naive = "the random walk (zero return)" if config.target == "log_return" else "the naive 'tomorrow = today' price"
    return fv.verdict(MODEL_LABELS[config.model], naive, metrics)


def lag_diagnostic(ds: Dataset, origins: np.ndarray, forecast: np.ndarray, is_price: bool) -> dict[str, Any]:
    """Correlation of the one-step forecasts with the actual series shifted back by 0..MAX_LAG steps.
    A forecast that peaks at lag 1 is mostly yesterday's value. For prices the changes are compared
    (levels of trending prices correlate at every lag)."""
    rows = origins + 1
    lags = list(range(MAX_LAG + 1))
    if is_price:
        f = np.diff(forecast)
        lagged = {k: ds.close[rows[1:] - k] - ds.close[rows[1:] - k - 1] for k in lags}
    else:
        f = forecast
        lagged = {k: ds.target[rows - k] for k in lags}
    corr = fm.lag_correlations(f, lagged)
    values = [corr[k] for k in lags]
    finite = {k: v for k, v in corr.items() if v is not None}
    best = max(finite, key=lambda k: abs(finite[k])) if finite else None
    what = "price changes" if is_price else "values"
    if best is None:
        sentence = "The forecasts do not vary, so their correlation with the actual series is undefined."
    elif abs(finite[best]) < 0.1:
        sentence = (f"All correlations of the forecast {what} with the actual ones are small (|r| < 0.1 at lags "
                    f"0-{MAX_LAG}): the forecasts carry little information about the series.")
    elif best == 0:
        sentence = (f"The forecast {what} correlate most with the same-day actual ones (r = {finite[0]:.2f}): "
                    "they are not just a delayed copy.")
    elif abs(finite[best]) < 0.3:
        same_day = "n/a" if corr[0] is None else f"{corr[0]:.2f}"
        sentence = (f"The forecast {what} relate only weakly to the actual ones (strongest {best} step(s) "
                    f"earlier, r = {finite[best]:.2f}; same day r = {same_day}): no clear echo, and little skill.")
    else:
        same_day = "n/a" if corr[0] is None else f"{corr[0]:.2f}"
        kind = "a delayed copy" if finite[best] > 0 else "a mirror image (reversal)"
        sentence = (f"The forecast {what} track the actual ones {best} step(s) earlier most closely "
                    f"(r = {finite[best]:.2f}; same day r = {same_day}): the forecast is mostly {kind} of "
                    "values already seen, not a view of the future.")
    return {"lags": lags, "correlation": values, "best_lag": best, "sentence": sentence}


def periods_per_year(dates: pd.DatetimeIndex) -> float:
    if len(dates) < 2:
        return 252.0
    days = float(np.median(np.diff(dates.as_unit("ns").asi8)) / 86_400e9)
    if days <= 1.5:
        return 252.0
    if days <= 8:
        return 52.0
    return 12.0


def _equity_stats(returns: np.ndarray, ppy: float) -> dict[str, float | None]:
    equity = np.cumprod(1 + returns)
    sd = float(np.std(returns))
    peak = np.maximum.accumulate(np.concatenate([[1.0], equity]))[1:]
    return {"cumulative_return": float(equity[-1] - 1) if len(equity) else None,
            "sharpe": float(np.mean(returns) / sd * math.sqrt(ppy)) if sd > 0 else None,
            "max_drawdown": float(np.min(equity / peak - 1)) if len(equity) else None}


def toy_backtest(ds: Dataset, origins: np.ndarray, return_forecast: np.ndarray, cost_bps: float
                 ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Hold +1 (long) when the one-step forecast return is positive, -1 (short) when negative, for
    one step; pay cost_bps on each unit of position change. Against buy-and-hold."""
    realised = np.expm1(ds.returns[origins + 1])
    signal = np.nan_to_num(np.asarray(return_forecast, dtype=float), nan=0.0)
    position = np.sign(signal)
    cost = cost_bps / 1e4
    turnover = np.abs(np.diff(np.concatenate([[0.0], position])))
    strategy = position * realised - cost * turnover
    hold = realised.copy()
    if len(hold):
        hold[0] -= cost
    ppy = periods_per_year(ds.dates)
    out = {"label": "teaching toy: trade the sign of the one-step forecast, no slippage, borrowing or taxes",
           "cost_bps": cost_bps, "periods_per_year": ppy,
           "strategy": {**_equity_stats(strategy, ppy), "trades": int(np.count_nonzero(turnover)),
                        "long_share": float(np.mean(position > 0)) if len(position) else None},
           "buy_and_hold": _equity_stats(hold, ppy)}
    return out, {"strategy": np.cumprod(1 + strategy), "buy_and_hold": np.cumprod(1 + hold)}


def walk_forward(config: Config, ds: Dataset, trainer: Trainer, main_forecast: np.ndarray,
                 progress: Progress | None, step: int, total: int, wf_epochs: int
                 ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Expanding-window backtest over the test slice (see the module docstring)."""
    te = ds.test_origins
    arrays = {"wf_forecast": np.full(len(te), np.nan), "wf_window": np.zeros(len(te), dtype=np.int64)}
    method = ("expanding window: window 1 uses the main model; each later window warm-starts from the "
              f"previous weights and trains up to {wf_epochs} epochs on all earlier rows, early-stopped on "
              "the slice just before it")
    if config.walk_forward == 0:
        return {"enabled": False, "windows": [], "mean": None, "method": method}, arrays
    n_val = ds.val_end - ds.train_end
    windows = []
    forecasts = []
    for j, part in enumerate(np.array_split(np.arange(len(te)), config.walk_forward)):
        origins = te[part]
        first = int(origins[0]) + 1
        if j == 0:
            wds, fc, run = ds, main_forecast[part], 0
        else:
            wds = ds.with_split(first - n_val, first)
            tr, va = wds.train_origins, wds.val_origins
            hist = trainer.fit(wds.inputs(tr), wds.scaled_targets(tr), wds.inputs(va), wds.scaled_targets(va),
                               epochs=wf_epochs, batch_size=config.batch_size, patience=config.patience,
                               seed=config.seed + j, progress=progress, step=step, total=total,
                               phase=f"walk-forward {j + 1}/{config.walk_forward}")
            step += wf_epochs
            fc, run = wds.unscale(trainer.predict(wds.inputs(origins))), hist.epochs_run
        actual = ds.targets(origins)[:, 0]
        naive = baselines(ds, origins)["naive"][:, 0]
        ref = ds.close[origins] if config.target == "price" else None
        scale = mase_scale(config, ds.target[: wds.train_end])
        mm = fm.forecast_metrics(actual, fc[:, 0], scale=scale, reference=ref)
        nm = fm.forecast_metrics(actual, naive, scale=scale, reference=ref)
        ratio = mm["rmse"] / nm["rmse"] if mm["rmse"] is not None and nm["rmse"] else None
        windows.append({"window": j + 1, "start": str(ds.dates[first].date()),
                        "end": str(ds.dates[int(origins[-1]) + 1].date()), "n": len(origins),
                        "train_rows": int(wds.train_end), "epochs_run": int(run), "model": mm, "naive": nm,
                        "rmse_ratio": ratio, "beat_naive": bool(ratio is not None and ratio < 1)})
        arrays["wf_forecast"][part] = fc[:, 0]
        arrays["wf_window"][part] = j + 1
        forecasts.append(fc[:, 0])
    actual = ds.targets(te)[:, 0]
    naive = baselines(ds, te)["naive"][:, 0]
    ref = ds.close[te] if config.target == "price" else None
    all_fc = np.concatenate(forecasts)
    scale = mase_scale(config, ds.target[: ds.train_end])
    ratios = [w["rmse_ratio"] for w in windows if w["rmse_ratio"] is not None]
    mean = {"model": fm.forecast_metrics(actual, all_fc, scale=scale, reference=ref),
            "naive": fm.forecast_metrics(actual, naive, scale=scale, reference=ref),
            "mean_rmse_ratio": float(np.mean(ratios)) if ratios else None,
            "windows_beating_naive": int(sum(w["beat_naive"] for w in windows)),
            "dm": fm.diebold_mariano(actual, all_fc, naive, horizon=1)}
    return {"enabled": True, "windows": windows, "mean": mean, "method": method}, arrays


def _info(config: Config, data: PriceData, ds: Dataset, summary: list[str], history: FitHistory) -> dict[str, Any]:
    def span(lo: int, hi: int) -> dict[str, Any]:
        return {"start": str(ds.dates[lo].date()), "end": str(ds.dates[hi - 1].date()), "rows": int(hi - lo)}

    notes = list(data.notes)
    if config.target == "price":
        notes.append("target=price: the price level is added as an input and scaled with the training "
                     "rows' mean and spread; test prices outside the training range are extrapolation")
    if history.epochs_run < config.epochs:
        notes.append(f"early stopping ended training after {history.epochs_run} of {config.epochs} epochs "
                     f"(best validation loss at epoch {history.best_epoch})")
    if config.horizon > 1:
        notes.append(f"headline metrics use the 1-step-ahead forecasts; per_horizon has steps 1-{config.horizon}")
    return {
        "data": {"name": data.name, "description": data.description, "rows": len(data), "source": data.source},
        "splits": {"train": span(0, ds.train_end), "validation": span(ds.train_end, ds.val_end),
                   "test": span(ds.val_end, ds.n)},
        "features": list(ds.feature_names),
        "target": config.target,
        "model_label": MODEL_LABELS[config.model],
        "model_summary": "\n".join(summary),
        "notes": notes,
        "scaler": {"x_mean": ds.x_scaler.mean.tolist(), "x_std": ds.x_scaler.std.tolist(),
                   "y_mean": float(ds.y_scaler.mean[0]), "y_std": float(ds.y_scaler.std[0])},
    }


def _jsonable(value: Any) -> Any:
    """Plain JSON: numpy scalars to Python, NaN/inf to None."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value
