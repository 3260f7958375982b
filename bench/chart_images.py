"""Chart-image speed: 10,000 OHLC bar-chart images of each standard window (5, 20, 60 days, with
the moving average and volume, as the CNN lesson draws them) and 10,000 Gramian angular fields of
20 days, from one seeded GBM series with planted bursts. Target (issue 20, 2-core CPU): 10,000
20-day images (64 x 60) in <= 2 s. Each figure is the best of ``--repeat`` runs (the first also
pays for the output's fresh memory pages, shown as "first call").

Run: ``python -m bench.chart_images [--repeat N] [--json]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bench.common import report

IMAGES = 10_000
TARGET_SECONDS = 2.0  # 10,000 20-day images


def _best(draw, repeat: int) -> tuple[float, float, np.ndarray]:
    """(first call's seconds, best seconds, the last call's images)."""
    times = []
    for _ in range(max(1, repeat)):
        out = None  # the previous images are freed before the next call
        start = time.perf_counter()
        out = draw()
        times.append(time.perf_counter() - start)
    return times[0], min(times), out


def run(repeat: int = 3, images: int = IMAGES) -> dict:
    from core.data import chart_images, ohlc

    series = ohlc.gbm(images + 2 * max(chart_images.HEIGHTS), 0, pattern="burst", drift=0.004)
    values = series.arrays()
    results: dict[str, dict] = {}
    for window, height in chart_images.HEIGHTS.items():
        ends = np.arange(chart_images.first_end(window), chart_images.first_end(window) + images)
        first, best, out = _best(lambda ends=ends, window=window: chart_images.ohlc_images(values, ends, window),
                                 repeat)
        results[f"{window}-day OHLC {height}x{3 * window}"] = {"first": first, "best": best, "shape": out.shape,
                                                               "MB": out.nbytes / 2**20}
    ends = np.arange(19, 19 + images)
    first, best, out = _best(lambda: chart_images.gaf_images(values["close"], ends, 20), repeat)
    results["20-day GAF 20x20"] = {"first": first, "best": best, "shape": out.shape, "MB": out.nbytes / 2**20}
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.chart_images")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    results = run(args.repeat)
    rows = [(f"{IMAGES:,} {name}", r["best"],
             f"{IMAGES / r['best']:>12,.0f} images/s  (first call {r['first']:.3f} s, {r['MB']:.0f} MB)")
            for name, r in results.items()]
    twenty = results["20-day OHLC 64x60"]
    sentence = (f"{IMAGES:,} 20-day images (64x60, MA and volume) in <= {TARGET_SECONDS:g} s "
                f"(best {twenty['best']:.3f} s, first call {twenty['first']:.3f} s)")
    checks = [(sentence, max(twenty["best"], twenty["first"]) <= TARGET_SECONDS)]
    extra = {"images_per_second": {name: round(IMAGES / r["best"]) for name, r in results.items()},
             "first_call_seconds": {name: round(r["first"], 4) for name, r in results.items()},
             "repeat": args.repeat}
    return report("chart images: OHLC bar charts (JKX) and Gramian angular fields, NumPy", rows, checks,
                  extra, args.json)


if __name__ == "__main__":
    raise SystemExit(main())
