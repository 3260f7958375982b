"""Price charts as small images, drawn vectorised in NumPy (no plotting library, no loop per image).

``ohlc_images`` draws the black-and-white OHLC bar charts of Jiang, Kelly and Xiu, "(Re-)Imag(in)ing
Price Trends" (J. Finance 2023): each day is three pixels wide (open tick on the left, the high-low
bar in the middle, close tick on the right), optionally with the window's moving average of the
close as a line and the volume as bars in the bottom fifth. Prices are scaled within each image, so
only the shape of the window counts, never the price level. ``gaf_images`` is the Gramian angular
summation field of the window's closes, a common other way of turning a series into an image.

Image ``i`` covers the ``window`` days ``ends[i] - window + 1 .. ends[i]`` and nothing after them:
a later day never changes it (no look-ahead). The moving average of a day is the mean close of the
``window`` days up to it, so with ``ma=True`` the first image needs ``2 * window - 2`` days of
history: ``ends`` must be ``>= first_end(window, ma)``. Loops run over chunks of images and at most
over the days of a window; every pixel is set by array operations (``bench/chart_images.py``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

HEIGHTS = {5: 32, 20: 64, 60: 96}  # JKX: 5-day 32x15, 20-day 64x60, 60-day 96x180
WHITE = 255
CHUNK = 512  # images drawn at a time: a chunk's boolean masks stay in the CPU cache (fastest measured)
_FLAT = 1e-9  # a window whose price span is below this share of its top price is flat


def first_end(window: int, ma: bool = True) -> int:
    """The first usable value of ``ends``: the window's first day needs its moving average
    (``window`` days up to it) when ``ma``, else the window only needs to fit."""
    return 2 * window - 2 if ma else window - 1


def layout(height: int, volume: bool = True) -> tuple[int, int]:
    """(price rows, volume rows) of an image ``height`` rows high: with volume the bottom fifth
    (``height // 5`` rows) holds the volume bars, one empty row above them, the price area the rest."""
    if not volume:
        return height, 0
    volume_rows = height // 5
    return height - volume_rows - 1, volume_rows


def ohlc_images(frame_values: Mapping[str, np.ndarray] | pd.DataFrame, ends: np.ndarray, window: int, *,
                ma: bool = True, volume: bool = True, height: int | None = None) -> np.ndarray:
    """OHLC bar-chart images, uint8 ``(len(ends), height, 3 * window)``: 0 black, 255 white.

    ``frame_values``: columns (or a dict of arrays) open, high, low, close and, with ``volume``,
    volume, one value a day. ``ends[i]``: the row of image i's last day. ``height`` defaults to
    ``HEIGHTS[window]``. Day d of the window is columns 3d (open tick at the open's row), 3d + 1
    (the bar from the high's row to the low's row) and 3d + 2 (close tick). Row 0 is the top: the
    price area maps the window's max(high, MA) to row 0 and its min(low, MA) to its last row
    (nearest row); a flat window draws everything on the price area's middle row. With ``ma`` the
    moving average of the close over ``window`` days is a pixel in each day's middle column, joined
    to the previous day's by a vertical line in the left column (``ends >= 2 * window - 2``). With
    ``volume`` the bottom ``height // 5`` rows hold each day's volume as a bar in its middle column,
    ceil(volume / the window's largest volume * rows) high: a zero volume draws nothing, any other
    at least one pixel."""
    if window < 1:
        raise ValueError(f"window must be at least 1 day, got {window}")
    if height is None:
        if window not in HEIGHTS:
            raise ValueError(f"no standard height for a {window}-day window ({sorted(HEIGHTS)} have one): "
                             "pass height")
        height = HEIGHTS[window]
    price_rows, volume_rows = layout(height, volume)
    if price_rows < 2 or (volume and volume_rows < 1):
        raise ValueError(f"an image {height} rows high is too small (at least {5 if volume else 2} rows)")
    columns = ("open", "high", "low", "close", *(("volume",) if volume else ()))
    arrays = _arrays(frame_values, columns)
    ends = _ends(ends, window, len(arrays["close"]), first_end(window, ma), "ma=True" if ma else "")
    moving = _moving_average(arrays["close"], window) if ma else None
    out = np.zeros((len(ends), height, window, 3), dtype=np.uint8)
    for start in range(0, len(ends), CHUNK):
        block = ends[start: start + CHUNK]
        _draw(out[start: start + len(block)], block, arrays, moving, window, price_rows, volume_rows)
    return out.reshape(len(ends), height, 3 * window)


def _arrays(frame_values: Mapping[str, np.ndarray] | pd.DataFrame, columns: tuple[str, ...]) -> dict[str, np.ndarray]:
    missing = [c for c in columns if c not in frame_values]
    if missing:
        hint = " (or pass volume=False)" if missing == ["volume"] else ""
        raise ValueError(f"the data have no {', '.join(missing)}{hint}")
    arrays = {c: np.asarray(frame_values[c], dtype=np.float64) for c in columns}
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) != 1 or any(a.ndim != 1 for a in arrays.values()):
        raise ValueError("open, high, low, close (and volume) must be 1-D arrays of one length")
    return arrays


def _ends(ends: np.ndarray, window: int, n: int, first: int, why: str) -> np.ndarray:
    ends = np.asarray(ends)
    if ends.ndim != 1 or (ends.size and not np.issubdtype(ends.dtype, np.integer)):
        raise ValueError("ends must be a 1-D array of row positions (integers)")
    ends = ends.astype(np.int64)
    if ends.size and ends.min() < first:
        reason = f" ({why}: the first day needs its {window}-day moving average)" if why else ""
        raise ValueError(f"ends must be >= {first} for a {window}-day window{reason}; got {int(ends.min())}")
    if ends.size and ends.max() >= n:
        raise ValueError(f"ends must be < {n}, the number of days; got {int(ends.max())}")
    return ends


def _moving_average(close: np.ndarray, window: int) -> np.ndarray:
    """Mean close of the ``window`` days up to each day (NaN before the window fills): each value
    its own mean of its own days, so a constant stretch gives exactly its constant."""
    out = np.full(len(close), np.nan)
    if len(close) >= window:
        out[window - 1:] = np.lib.stride_tricks.sliding_window_view(close, window).mean(axis=1)
    return out


def _draw(out: np.ndarray, ends: np.ndarray, arrays: dict[str, np.ndarray], moving: np.ndarray | None,
          window: int, price_rows: int, volume_rows: int) -> None:
    """Fill ``out`` (images, height, window, 3: the day's three columns last), black on entry."""
    m = len(ends)
    days = ends[:, None] + np.arange(1 - window, 1)                      # (m, window) rows of the series
    o, h, lo, c = (arrays[k][days] for k in ("open", "high", "low", "close"))
    ma = moving[days] if moving is not None else None
    values = (o, h, lo, c) if ma is None else (o, h, lo, c, ma)
    finite = np.logical_and.reduce([np.isfinite(v) for v in values])
    if not finite.all():
        bad = int(ends[np.flatnonzero(~finite.all(axis=1))[0]])
        raise ValueError(f"the window ending at row {bad} has a missing or infinite price")
    top, bottom = h.max(axis=1), lo.min(axis=1)
    if ma is not None:
        top, bottom = np.maximum(top, ma.max(axis=1)), np.minimum(bottom, ma.min(axis=1))
    span = top - bottom
    flat = span <= _FLAT * np.abs(top)
    scale = np.where(flat, 0.0, (price_rows - 1) / np.where(flat, 1.0, span))[:, None]
    base = np.where(flat, (price_rows - 1) // 2, 0)[:, None] + 0.5        # + 0.5: nearest row

    def rows(p: np.ndarray) -> np.ndarray:
        return np.clip(base + (top[:, None] - p) * scale, 0, price_rows - 1).astype(np.int16)

    o_row, h_row, l_row, c_row = rows(o), rows(h), rows(lo), rows(c)
    r = np.arange(price_rows, dtype=np.int16)[None, :, None]              # (1, rows, 1)
    price = out[:, :price_rows]                                           # (m, rows, window, 3)
    bar = (r >= h_row[:, None, :]) & (r <= l_row[:, None, :])
    np.multiply(bar, np.uint8(WHITE), out=price[..., 1])
    image = np.arange(m)[:, None]
    day = np.arange(window)[None, :]
    if ma is not None:
        ma_row = rows(ma)
        if window > 1:  # the line from the previous day's MA pixel to this day's, in the left column
            upper = np.minimum(ma_row[:, :-1], ma_row[:, 1:])[:, None, :]
            lower = np.maximum(ma_row[:, :-1], ma_row[:, 1:])[:, None, :]
            np.multiply((r >= upper) & (r <= lower), np.uint8(WHITE), out=price[:, :, 1:, 0])
        price[image, ma_row, day, 1] = WHITE
    price[image, o_row, day, 0] = WHITE
    price[image, c_row, day, 2] = WHITE
    if volume_rows:
        v = arrays["volume"][days]
        if not (np.isfinite(v).all() and (v >= 0).all()):
            bad = int(ends[np.flatnonzero(~(np.isfinite(v) & (v >= 0)).all(axis=1))[0]])
            raise ValueError(f"the window ending at row {bad} has a missing or negative volume")
        most = v.max(axis=1, keepdims=True)
        share = np.divide(v, most, out=np.zeros_like(v), where=most > 0)
        tall = np.clip(np.ceil(share * volume_rows - 1e-9), 0, volume_rows).astype(np.int16)
        rv = np.arange(volume_rows, dtype=np.int16)[None, :, None]
        np.multiply(rv >= (volume_rows - tall)[:, None, :], np.uint8(WHITE), out=out[:, -volume_rows:, :, 1])


def gaf_images(close: np.ndarray, ends: np.ndarray, window: int) -> np.ndarray:
    """Gramian angular summation fields, float32 ``(len(ends), window, window)`` in [-1, 1].

    The window's closes are rescaled to [-1, 1] (min -> -1, max -> 1), phi = arccos of them, and
    pixel (i, j) = cos(phi_i + phi_j) = x_i x_j - sqrt(1 - x_i^2) sqrt(1 - x_j^2). A flat window
    rescales to 0 everywhere: every pixel is -1. ``ends`` as for ``ohlc_images`` (>= window - 1)."""
    if window < 1:
        raise ValueError(f"window must be at least 1 day, got {window}")
    close = np.asarray(close, dtype=np.float64)
    if close.ndim != 1:
        raise ValueError("close must be a 1-D array")
    ends = _ends(ends, window, len(close), window - 1, "")
    out = np.empty((len(ends), window, window), dtype=np.float32)
    for start in range(0, len(ends), CHUNK):
        block = ends[start: start + CHUNK]
        x = close[block[:, None] + np.arange(1 - window, 1)]
        if not np.isfinite(x).all():
            bad = int(block[np.flatnonzero(~np.isfinite(x).all(axis=1))[0]])
            raise ValueError(f"the window ending at row {bad} has a missing or infinite price")
        top, bottom = x.max(axis=1, keepdims=True), x.min(axis=1, keepdims=True)
        span = top - bottom
        flat = span <= _FLAT * np.abs(top)
        scaled = np.clip(np.where(flat, 0.0, (2 * x - top - bottom) / np.where(flat, 1.0, span)), -1.0, 1.0)
        sine = np.sqrt(1.0 - scaled**2)
        out[start: start + len(block)] = (scaled[:, :, None] * scaled[:, None, :]
                                          - sine[:, :, None] * sine[:, None, :])
    return out
