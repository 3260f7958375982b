"""Rows to windows, honestly: the causal feature frame, the chronological split, scalers fit on
the training rows only, the input/target windows of each part, and the naive baselines every
model is shown beside.

Row i holds day i's features. A window with origin k uses rows k-lookback+1..k as input and rows
k+1..k+horizon as targets, so a window never puts a test value into a training input, a training
target or a scaler statistic (``tests/test_forecast.py`` poisons the test slice to check).
The same ``Dataset`` serves the main run and every walk-forward window (``with_split``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.data import prices
from core.data.prices import PriceData
from core.errors import DataError
from core.split import chronological
from core.tasks.forecast.config import Config

ROLL = 20         # window of the rolling features
RSI_DAYS = 14
MIN_TRAIN = 30    # minimum windows per part
MIN_VAL = 10
MIN_TEST = 10


def load_data(config: Config, path: Any = None) -> PriceData:
    """The price series for ``config``; a ``path`` (file, bytes, file object) means CSV whatever
    ``config.source`` says. Raises DataError when it is unusable or too short for the settings.
    ``walk_forward`` is not checked here: the main run does not use it (the walk-forward run
    checks its own test windows)."""
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
    """(train_end, val_end) of the chronological split of ``n`` rows."""
    part = chronological(n, config.test_fraction, config.val_fraction)
    return part.train.stop, part.val.stop


def _part_sizes(n: int, config: Config) -> tuple[int, int, int]:
    train_end, val_end = _split_rows(n, config)
    h, lb = config.horizon, config.lookback
    return train_end - lb - h + 1, val_end - train_end - h + 1, n - val_end - h + 1


def required_rows(config: Config, min_test: int = MIN_TEST) -> int:
    """Fewest usable rows giving enough training, validation and test windows."""
    n = config.lookback + config.horizon + MIN_TRAIN
    while True:
        tr, va, te = _part_sizes(n, config)
        if tr >= MIN_TRAIN and va >= MIN_VAL and te >= min_test:
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


@dataclass(eq=False)
class Dataset:
    """Rows of features and targets with a chronological split.

    Row i holds day i's features; a window with origin k uses rows k-lookback+1..k as input and
    rows k+1..k+horizon as targets. Training windows have every target before ``train_end``,
    validation windows every target in [train_end, val_end), test windows every target from
    ``val_end`` on. Scalers (scikit-learn's ``StandardScaler``: a constant column gets scale 1)
    are fit on rows before ``train_end`` only.
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
    x_scaler: Any = field(init=False)  # sklearn StandardScaler: mean_, scale_
    y_scaler: Any = field(init=False)
    scaled: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        from sklearn.preprocessing import StandardScaler  # lazy: the web server imports this module

        self.x_scaler = StandardScaler().fit(self.raw[: self.train_end])
        self.y_scaler = StandardScaler().fit(self.target[: self.train_end, None])
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
        return ((self.targets(origins) - self.y_scaler.mean_[0]) / self.y_scaler.scale_[0]).astype(np.float32)

    def unscale(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=float) * self.y_scaler.scale_[0] + self.y_scaler.mean_[0]


def prepare(config: Config, data: PriceData, min_test: int = MIN_TEST) -> Dataset:
    """Features, the chronological split and the train-only scalers for ``config``. ``min_test``:
    fewest test windows wanted (the walk-forward run asks for 5 per window)."""
    frame = feature_frame(data, config.features, config.target)
    names = [c for c in frame.columns if not c.startswith("_")]
    close = frame["_close"].to_numpy(float)
    returns = frame["_return"].to_numpy(float)
    target = returns if config.target == "log_return" else close
    train_end, val_end = _split_rows(len(frame), config)
    ds = Dataset(pd.DatetimeIndex(frame.index).as_unit("ns"), close, returns, frame[names].to_numpy(float),
                 target.copy(), names, config.target, config.lookback, config.horizon, train_end, val_end)
    sizes = (len(ds.train_origins), len(ds.val_origins), len(ds.test_origins))
    if sizes[0] < MIN_TRAIN or sizes[1] < MIN_VAL or sizes[2] < min_test:
        raise DataError(f"too few windows (train {sizes[0]}, validation {sizes[1]}, test {sizes[2]}, need "
                        f"{MIN_TRAIN}/{MIN_VAL}/{min_test}) for lookback={config.lookback}, "
                        f"horizon={config.horizon}; shorten the lookback or use more data")
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
