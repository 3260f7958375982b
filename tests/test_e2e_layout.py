"""Every lesson page is readable on a 1024x768 projector and at 1280x720: no headline number,
label or delta is cut with an ellipsis. Screenshots of each page at both sizes land in
test-artifacts/ (look at them)."""

import os
from pathlib import Path

import pytest

from bench import browser as br
from core import catalog
from core.tasks import get_task

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
SIZES = ((1280, 720), (1024, 768))
HEADLINE = {"playground": "Test accuracy", "forecast": "Model RMSE", "anomaly": "Flagged test rows",
            "sentiment": "Network accuracy", "chart-cnn": "CNN test accuracy"}

pytestmark = [pytest.mark.e2e, pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(br.CHROMIUM), reason="Debian chromium is not installed")]

# elements whose text overflows their box (Streamlit cuts such text with an ellipsis)
CUT = """() => [...document.querySelectorAll("[data-testid='stMetric'] *")]
           .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)"""


@pytest.fixture(scope="module")
def server(lessons):
    """The app over the session's lesson store (every preset trained once by ``findl prewarm``):
    each page opens its first lesson, already stored."""
    for lesson in catalog.live():
        lessons.prewarm(lesson.task)
    with br.serve(lessons.location) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with br.chromium() as b:
        yield b


@pytest.mark.parametrize("lesson", catalog.live(), ids=lambda lesson: lesson.task)
def test_headline_numbers_are_not_cut_at_projector_sizes(server, browser, lesson):
    ARTIFACTS.mkdir(exist_ok=True)
    first = next(iter(get_task(lesson.task).PRESETS))
    for width, height in SIZES:
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(f"{server}/{lesson.url_path}?lesson={first}")
        br.wait_for_text(page, HEADLINE[lesson.task], timeout_s=180)
        br.settle(page)
        page.screenshot(path=str(ARTIFACTS / f"layout-{lesson.url_path}-{width}x{height}.png"))
        assert page.locator("[data-testid='stMetric']").count() >= 3
        assert page.evaluate(CUT) == [], (lesson.task, width)
        page.close()
