"""The playground's step-through view in a real browser: the time from a click on "One example",
"One mini-batch" or "One epoch" (or on a training point) until the page shows the new numbers and
is idle again. Target (issue 18): <= 200 ms per step for the default network.

    python -m bench.step_through [--clicks 20] [--json]

Starts the app on a fresh store, trains the default playground run, opens the "Step through" tab.
The browser tests reuse ``open_view``, ``click_point`` and ``step``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from bench import browser as br

STATUS = r"Point (\d+) \((?:label|target) [^)]*\) after (\d+) update\(s\), (\d+) full epoch"

# the training points' positions on the page, from the canvas that drew them (core/charts/canvas.js)
_POINTS_XY = """() => {
  const c = document.querySelector("canvas.findl-canvas[data-points]");
  if (!c) return null;
  const box = c.getBoundingClientRect();
  return JSON.parse(c.dataset.points).map(([i, x, y]) => [i, box.left + x, box.top + y]);
}"""
CANVAS = "canvas.findl-canvas[data-points]"


def isolated_points(page, n: int) -> list[int]:
    """``n`` training points drawn farthest from any other (a click on them cannot hit a neighbour)."""
    page.locator(CANVAS).scroll_into_view_if_needed()
    points = page.evaluate(_POINTS_XY)
    xy = [(x, y) for _, x, y in points]
    room = [min((x - a) ** 2 + (y - b) ** 2 for j, (a, b) in enumerate(xy) if j != k) for k, (x, y) in enumerate(xy)]
    order = sorted(range(len(points)), key=lambda k: -room[k])
    return [points[k][0] for k in order[:n]]


def open_view(page, url: str) -> None:
    """The playground's default run, then its "Step through" tab."""
    page.goto(f"{url}/playground")
    br.wait_for_text(page, r"Test accuracy", timeout_s=240)
    br.settle(page)
    page.get_by_role("tab", name="Step through").click()
    br.wait_for_text(page, STATUS)
    br.settle(page)


def status(page) -> tuple[int, int, int]:
    """(chosen point, updates, full epochs) as the view says them."""
    found = br.wait_for_text(page, STATUS)
    return int(found.group(1)), int(found.group(2)), int(found.group(3))


def step(page, label: str) -> float:
    """Click one of the step buttons; seconds until the view shows one more update and is idle."""
    _, updates, _ = status(page)
    page.get_by_role("button", name=label, exact=True).scroll_into_view_if_needed()
    start = time.perf_counter()
    page.get_by_role("button", name=label, exact=True).click()
    br.wait_for_text(page, rf"after (?!{updates} update)\d+ update\(s\)", timeout_s=30)
    br.settle(page, 30)
    return time.perf_counter() - start


def click_point(page, index: int) -> float:
    """Click training point ``index`` on the view's chart; seconds until the view has chosen it."""
    page.locator(CANVAS).scroll_into_view_if_needed()
    xy = {i: (x, y) for i, x, y in page.evaluate(_POINTS_XY) or []}
    if index not in xy:
        raise AssertionError(f"training point {index} is not on the step-through chart")
    start = time.perf_counter()
    page.mouse.click(*xy[index])
    br.wait_for_text(page, rf"Point {index} \(label", timeout_s=30)
    br.settle(page, 30)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clicks", type=int, default=20, help="clicks per button")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp, br.serve(Path(tmp) / "store") as url, br.chromium() as chromium:
        page = chromium.new_page(viewport={"width": 1400, "height": 1100})
        open_view(page, url)
        for label in ("One example", "One mini-batch", "One epoch"):
            times[label] = [step(page, label) for _ in range(args.clicks)]
        times["click a point"] = [click_point(page, i) for i in isolated_points(page, args.clicks)]
    summary = {name: {"median_ms": 1000 * statistics.median(v), "max_ms": 1000 * max(v), "clicks": len(v)}
               for name, v in times.items()}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for name, s in summary.items():
            print(f"{name:16s} median {s['median_ms']:6.0f} ms   max {s['max_ms']:6.0f} ms   ({s['clicks']} clicks)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
