"""From an OHLC series to labelled chart images, their split, and the numbers the baselines read.

One image per window of ``window`` days, ending every ``horizon`` days, so that the futures the
labels look at (the next ``horizon`` days) never overlap: each test outcome is a separate case
for McNemar's test. The label is 1 (up) when the close ``horizon`` days later is above the window's
last close. The images are split in time order (train, validation, test) with a gap: the first
images of the validation and test parts are dropped until their window starts after the last
future of the part before, so no day seen as an outcome in training is drawn in a later image.
Images are 0/255 (OHLC) or in [-1, 1] (GAF): no scaler to fit; the logistic baseline's features
are standardised with the training images' statistics only (``baselines``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from core.data import chart_images, ohlc
from core.errors import DataError
from core.split import Split, chronological

MIN_TRAIN, MIN_VAL, MIN_TEST = 60, 10, 20  # images per part


@dataclass(frozen=True)
class ChartData:
    """Labelled images in time order, with what the baselines and views need."""

    images: np.ndarray         # uint8 (n, H, W) OHLC, or float32 GAF in [-1, 1]
    labels: np.ndarray         # int8: 1 when the close rose over the next ``horizon`` days
    ends: np.ndarray           # the row of each image's last day
    dates: np.ndarray          # that day's date (datetime64[D])
    window_returns: np.ndarray  # float32 (n, window-1): the window's daily log returns (the logistic baseline)
    window_volume: np.ndarray | None  # float32 (n, window): log volume over the window's mean (None: no volume)
    future_returns: np.ndarray  # float64 (n,): the simple return over the next ``horizon`` days (backtest)
    fingerprint: str
    name: str
    notes: list[str] = field(default_factory=list)
    planted: np.ndarray | None = None  # bool (n,): a planted burst ends on the image's last day
    from_config: bool = False  # bundled or generated: a worker rebuilds it (core.engine.shipped)

    def __len__(self) -> int:
        return len(self.labels)


def series(config, path=None) -> ohlc.OHLC:
    """The OHLC series of the settings (a ``path``: an uploaded CSV), cut to ``start``..``end``."""
    if config.source == "csv" and path is None:
        raise DataError("source=csv needs a file: upload one (or findl train chart-cnn --data PATH)")
    data = ohlc.load_ohlc("gbm" if config.source == "planted" else config.source, path=path,
                          n_days=config.n_days, seed=config.data_seed,
                          pattern="burst" if config.source == "planted" else "none", drift=config.drift,
                          horizon=config.horizon)
    if config.start or config.end:
        frame = data.frame
        if config.start:
            frame = frame[frame.index >= np.datetime64(config.start)]
        if config.end:
            frame = frame[frame.index <= np.datetime64(config.end)]
        if len(frame) < ohlc.MIN_ROWS:
            raise DataError(f"only {len(frame)} days between {config.start or 'the start'} and "
                            f"{config.end or 'the end'}; chart images need at least {ohlc.MIN_ROWS}")
        keep = np.flatnonzero(data.frame.index.isin(frame.index))
        planted = np.intersect1d(data.planted, keep) - keep[0]
        data = ohlc.OHLC(frame, data.name, [*data.notes, (f"restricted to {frame.index[0].date()} .. "
                                            f"{frame.index[-1].date()} ({len(frame)} days)")],
                         data.description, data.source, planted)
    return data


def build(config, path=None) -> ChartData:
    """The labelled images of the settings; DataError when too few images result."""
    data = series(config, path)
    window, horizon = config.window, config.horizon
    use_volume = config.volume and data.has_volume
    first = chart_images.first_end(window, config.moving_average and config.image == "ohlc")
    last = len(data) - 1 - horizon
    if last < first:
        raise DataError(f"{len(data)} days are too few for {window}-day images and a {horizon}-day horizon: "
                        f"need at least {first + horizon + 1}")
    ends = np.arange(last, first - 1, -horizon)[::-1]  # the newest image ends as late as its label allows
    values = data.arrays()
    close = values["close"]
    if config.image == "ohlc":
        images = chart_images.ohlc_images(values, ends, window, ma=config.moving_average, volume=use_volume)
    else:
        images = chart_images.gaf_images(close, ends, window)
    labels = (close[ends + horizon] > close[ends]).astype(np.int8)
    log_close = np.log(close)
    offsets = np.arange(-window + 1, 1)
    window_log = log_close[ends[:, None] + offsets[None, :]]
    window_volume = None
    if data.has_volume:
        vol = np.log1p(values["volume"][ends[:, None] + offsets[None, :]])
        window_volume = (vol - vol.mean(axis=1, keepdims=True)).astype(np.float32)
    notes = [*data.notes, (f"{len(ends)} images of {window} days, one every {horizon} days (their {horizon}-day "
                          "futures do not overlap)")]
    if config.volume and not data.has_volume:
        notes.append("no volume in this data: the images have no volume bars")
    planted = np.isin(ends, data.planted) if len(data.planted) else None
    fingerprint = f"{data.fingerprint}:{window}:{horizon}:{config.image}:{config.moving_average}:{use_volume}"
    return ChartData(images=images, labels=labels, ends=ends,
                     dates=data.frame.index.to_numpy()[ends].astype("datetime64[D]"),
                     window_returns=np.diff(window_log, axis=1).astype(np.float32), window_volume=window_volume,
                     future_returns=close[ends + horizon] / close[ends] - 1.0, fingerprint=fingerprint,
                     name=data.name, notes=notes, planted=planted, from_config=config.source != "csv")


def split(config, n: int) -> tuple[Split, int]:
    """Train / validation / test image ranges in time order with the gap (in images) dropped at the
    start of validation and of test; DataError when a part is too small."""
    gap = math.ceil((config.window + config.horizon) / config.horizon) - 1
    parts = chronological(n, config.test_fraction, config.val_fraction)
    val = slice(parts.val.start + gap, parts.val.stop)
    test = slice(parts.test.start + gap, parts.test.stop)
    sizes = {"training": parts.train.stop, "validation": val.stop - val.start, "test": test.stop - test.start}
    for part, (size, least) in zip(sizes, zip(sizes.values(), (MIN_TRAIN, MIN_VAL, MIN_TEST), strict=True),
                                   strict=True):
        if size < least:
            raise DataError(f"only {max(size, 0)} {part} images ({n} in all, {gap} dropped before validation and "
                            f"before test so no future overlaps a later window); need {least}: use a longer "
                            "series, a shorter horizon or another split")
    return Split(parts.train, val, test), gap
