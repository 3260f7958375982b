"""Chart images (core/data/chart_images.py): small hand-drawn cases pixel by pixel, the volume
part, the moving-average line, flat windows, shapes, no look-ahead, and the Gramian angular field
against its formula. Speed is the bench's (``python -m bench.chart_images``), not a unit test's."""

import numpy as np
import pandas as pd
import pytest

from core.data import chart_images as ci
from core.data import ohlc


def _picture(rows: list[str]) -> np.ndarray:
    """'#' white (255), '.' black (0)."""
    return np.array([[255 if ch == "#" else 0 for ch in row] for row in rows], dtype=np.uint8)


def _text(image: np.ndarray) -> list[str]:
    return ["".join("#" if p else "." for p in row) for row in image]


def _series(o, h, lo, c, v=None) -> dict[str, np.ndarray]:
    out = {"open": np.array(o, float), "high": np.array(h, float), "low": np.array(lo, float),
           "close": np.array(c, float)}
    if v is not None:
        out["volume"] = np.array(v, float)
    return out


# day 0 is history the image must not use; days 1 and 2 are the window (ends = 2)
TWO_DAYS = _series(o=[50, 12, 14], h=[99, 16, 18], lo=[1, 10, 9], c=[50, 14, 11], v=[7, 50, 100])


def test_two_day_window_pixel_by_pixel():
    # top 18 -> row 0, bottom 9 -> row 9: one row per price unit
    expected = _picture([
        "....#.",   # 18: day 2's high
        "....#.",
        ".#..#.",   # 16: day 1's high
        ".#..#.",
        ".####.",   # 14: day 1's close tick, day 2's open tick
        ".#..#.",
        "##..#.",   # 12: day 1's open tick
        ".#..##",   # 11: day 2's close tick
        ".#..#.",   # 10: day 1's low
        "....#.",   #  9: day 2's low
    ])
    image = ci.ohlc_images(TWO_DAYS, np.array([2]), 2, ma=False, volume=False, height=10)
    assert image.shape == (1, 10, 6) and image.dtype == np.uint8
    assert _text(image[0]) == _text(expected)
    np.testing.assert_array_equal(image[0], expected)


def test_volume_bars_fill_the_bottom_fifth_under_an_empty_row():
    # height 10: 7 price rows, one empty row, 2 volume rows; volumes 50 and 100 -> 1 and 2 rows
    expected = _picture([
        "....#.",   # 18 -> row 0; 6 rows for 9 price units: row = (18 - price) * 6 / 9, nearest
        ".#..#.",   # 16 -> 1.33: day 1's high
        ".#..#.",
        ".####.",   # 14 -> 2.67: day 1's close tick, day 2's open tick
        "##..#.",   # 12 -> 4: day 1's open tick
        ".#..##",   # 11 -> 4.67: day 2's close tick; 10 -> 5.33: day 1's low
        "....#.",   #  9 -> 6: day 2's low
        "......",
        "....#.",
        ".#..#.",
    ])
    image = ci.ohlc_images(TWO_DAYS, np.array([2]), 2, ma=False, volume=True, height=10)
    assert _text(image[0]) == _text(expected)
    assert ci.layout(10) == (7, 2) and ci.layout(64) == (51, 12) and ci.layout(64, volume=False) == (64, 0)


def test_zero_volume_draws_no_bar_and_all_zero_volume_draws_none():
    data = {**TWO_DAYS, "volume": np.array([7.0, 0.0, 100.0])}
    image = ci.ohlc_images(data, np.array([2]), 2, ma=False, volume=True, height=10)
    assert _text(image[0][8:]) == ["....#.", "....#."]
    data = {**TWO_DAYS, "volume": np.array([7.0, 0.0, 0.0])}
    image = ci.ohlc_images(data, np.array([2]), 2, ma=False, volume=True, height=10)
    assert not image[0][7:].any()


def test_small_volume_still_draws_one_pixel():
    data = {**TWO_DAYS, "volume": np.array([7.0, 1.0, 1e6])}
    image = ci.ohlc_images(data, np.array([2]), 2, ma=False, volume=True, height=10)
    assert _text(image[0][8:]) == ["....#.", ".#..#."]


def test_moving_average_on_a_constant_close_is_a_line_at_the_close():
    # closes all 10: the 2-day MA is 10, on the close ticks' row; bars stick out above and below
    data = _series(o=[10, 10, 12, 8], h=[10, 10, 13, 11], lo=[10, 10, 9, 7], c=[10, 10, 10, 10])
    expected = _picture([
        ".#....",   # 13
        "##....",   # 12: day 2's open
        ".#..#.",
        ".#####",   # 10: close ticks, MA pixels (middle columns) and the MA segment (left column of day 3)
        ".#..#.",
        "...##.",   #  8: day 3's open
        "....#.",   #  7
    ])
    image = ci.ohlc_images(data, np.array([3]), 2, ma=True, volume=False, height=7)
    assert _text(image[0]) == _text(expected)


def test_moving_average_line_joins_the_days_in_the_left_column():
    # MA(2) of day 2 = (8 + 8) / 2 = 8 (row 5), of day 3 = (8 + 12) / 2 = 10 (row 3), below day 3's bar;
    # day 0's close (100) is outside both averages and must not count
    data = _series(o=[100, 8, 8, 11], h=[100, 8, 9, 13], lo=[100, 8, 7, 11], c=[100, 8, 8, 12])
    expected = _picture([
        "....#.",   # 13: day 3's high
        "....##",   # 12: day 3's close
        "...##.",   # 11: day 3's open tick and low
        "...##.",   # 10: MA segment (left column) and day 3's MA pixel (middle column)
        ".#.#..",   #  9: day 2's high; MA segment
        "####..",   #  8: day 2's open, close and MA; MA segment's start
        ".#....",   #  7: day 2's low
    ])
    image = ci.ohlc_images(data, np.array([3]), 2, ma=True, volume=False, height=7)
    assert _text(image[0]) == _text(expected)


def test_flat_window_draws_everything_on_the_middle_row():
    flat = _series(o=[5] * 6, h=[5] * 6, lo=[5] * 6, c=[5] * 6, v=[3] * 6)
    image = ci.ohlc_images(flat, np.array([5]), 3, ma=True, volume=False, height=10)
    assert _text(image[0]) == ["." * 9] * 4 + ["#" * 9] + ["." * 9] * 5
    image = ci.ohlc_images(flat, np.array([5]), 3, ma=True, volume=True, height=10)
    price, _ = ci.layout(10)
    assert _text(image[0][:price]) == ["." * 9] * 3 + ["#" * 9] + ["." * 9] * 3  # middle of 7 price rows
    assert _text(image[0][price:]) == ["." * 9, ".#..#..#.", ".#..#..#."]


def test_shapes_dtype_and_values_for_the_standard_windows():
    data = ohlc.gbm(400, 3).frame
    for window, height in ci.HEIGHTS.items():
        ends = np.arange(ci.first_end(window), ci.first_end(window) + 7)
        images = ci.ohlc_images(data, ends, window)
        assert images.shape == (7, height, 3 * window) and images.dtype == np.uint8
        assert set(np.unique(images)) <= {0, 255}
        assert images[:, 0].any(axis=1).all() and images[:, ci.layout(height)[0] - 1].any(axis=1).all()
        assert not images[:, ci.layout(height)[0]].any()  # the empty row above the volume bars
    assert ci.ohlc_images(data, np.array([], dtype=int), 20).shape == (0, 64, 60)


def test_every_day_has_its_bar_between_its_ticks():
    data = ohlc.gbm(300, 4).frame
    images = ci.ohlc_images(data, np.arange(40, 60), 20, ma=False, volume=False)
    days = images.reshape(20, 64, 20, 3)
    bar = days[..., 1] > 0
    assert bar.any(axis=1).all()  # every day has a bar
    for tick in (0, 2):
        rows = np.argmax(days[..., tick] > 0, axis=1)  # the one tick of each day
        assert (days[..., tick] > 0).sum(axis=1).max() == 1
        assert np.take_along_axis(bar, rows[:, None, :], axis=1).all()


def test_a_window_uses_exactly_its_days():
    data = {k: v.copy() for k, v in ohlc.gbm(300, 5).arrays().items()}
    ends = np.array([100, 150, 200])
    base = ci.ohlc_images(data, ends, 20, ma=False)
    changed = {k: v.copy() for k, v in data.items()}
    for values in changed.values():
        values[201:] *= 1.5              # after the last image
        values[80] *= 0.5                # day 80 = the day before image 0's window (81 .. 100)
    changed["high"][201:] *= 2
    np.testing.assert_array_equal(ci.ohlc_images(changed, ends, 20, ma=False), base)
    changed["high"][81] *= 1.3           # the first day of image 0's window
    after = ci.ohlc_images(changed, ends, 20, ma=False)
    assert (after[0] != base[0]).any()
    np.testing.assert_array_equal(after[1:], base[1:])


def test_no_look_ahead_with_moving_average_and_volume():
    data = {k: v.copy() for k, v in ohlc.gbm(300, 6).arrays().items()}
    ends = np.array([38, 120, 250])
    base = ci.ohlc_images(data, ends, 20)
    for values in data.values():
        values[251:] = values[251:][::-1] * 3
    np.testing.assert_array_equal(ci.ohlc_images(data, ends, 20), base)
    frame = pd.DataFrame(data)
    np.testing.assert_array_equal(ci.ohlc_images(frame, ends, 20), base)


def test_ends_before_the_moving_average_exists_are_refused():
    data = ohlc.gbm(200, 0).frame
    assert ci.first_end(20) == 38 and ci.first_end(20, ma=False) == 19
    ci.ohlc_images(data, np.array([38]), 20)
    with pytest.raises(ValueError, match=">= 38"):
        ci.ohlc_images(data, np.array([37, 50]), 20)
    ci.ohlc_images(data, np.array([19]), 20, ma=False)
    with pytest.raises(ValueError, match=">= 19"):
        ci.ohlc_images(data, np.array([18]), 20, ma=False)
    with pytest.raises(ValueError, match="< 200"):
        ci.ohlc_images(data, np.array([200]), 20)
    with pytest.raises(ValueError, match="volume"):
        ci.ohlc_images(data.drop(columns="volume"), np.array([50]), 20)
    with pytest.raises(ValueError, match="height"):
        ci.ohlc_images(data, np.array([50]), 10)
    assert ci.ohlc_images(data, np.array([50]), 10, height=40).shape == (1, 40, 30)
    with pytest.raises(ValueError, match="integers"):
        ci.ohlc_images(data, np.array([50.0]), 20)


def test_gaf_matches_the_formula():
    close = np.array([3.0, 1.0, 4.0, 1.5, 5.0, 9.0, 2.0, 6.0])
    window, end = 5, 7
    x = close[end - window + 1: end + 1]
    scaled = (2 * x - x.max() - x.min()) / (x.max() - x.min())
    phi = np.arccos(scaled)
    expected = np.cos(phi[:, None] + phi[None, :])
    fields = ci.gaf_images(close, np.array([4, end]), window)
    assert fields.shape == (2, window, window) and fields.dtype == np.float32
    np.testing.assert_allclose(fields[1], expected, atol=1e-6)
    np.testing.assert_allclose(fields[1], fields[1].T)
    assert fields.min() >= -1 and fields.max() <= 1
    # the window's max and min sit at phi = 0 and pi: cos(0 + 0) = 1 on the max's diagonal pixel
    top = int(np.argmax(x))
    assert fields[1][top, top] == pytest.approx(1.0)
    flat = ci.gaf_images(np.full(10, 7.0), np.array([9]), 4)
    np.testing.assert_array_equal(flat, np.full((1, 4, 4), -1.0, dtype=np.float32))
    with pytest.raises(ValueError, match=">= 4"):
        ci.gaf_images(close, np.array([3]), window)
