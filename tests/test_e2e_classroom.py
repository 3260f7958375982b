"""Classroom mode in a real browser (issue 19): a focused link shows only its controls on every
lesson page and its question covers the result until answered; the class view counts the runs
and answers of parallel sessions on two app processes sharing one store. Screenshots at 1024x768
land in test-artifacts/ (look at them)."""

import os
import re
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bench import browser as br

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
SMALL = (1024, 768)  # a classroom projector

pytestmark = [pytest.mark.e2e, pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(br.CHROMIUM), reason="Debian chromium is not installed")]

# Each page's first lesson, shrunk by its link to train in seconds (a link may name settings
# beside the lesson: the question is asked about the run shown).
PAGES = [
    ("playground", "default", {"epochs": "20"}),
    ("forecasting", "lstm-vs-random-walk", {"epochs": "2", "min_steps": "0", "units": "8", "lookback": "10",
                                            "walk_forward": "0", "start": "2015-01-01"}),
    ("anomaly", "threshold-trade-off", {"epochs": "3", "min_steps": "0"}),
    ("sentiment", "small-data-baseline-wins", {"epochs": "2", "min_steps": "0"}),
    ("charts", "noise-has-no-pattern", {"epochs": "2", "n_days": "2000", "window": "5"}),
]
SIDEBAR_LABELS = "[data-testid='stSidebar'] [data-testid='stWidgetLabel']"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return tmp_path_factory.mktemp("classroom") / "store"


@pytest.fixture(scope="module")
def server(store):
    with br.serve(store) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with br.chromium() as b:
        yield b


def _link(url: str, path: str, lesson: str, **params: str) -> str:
    return f"{url}/{path}?" + urlencode({"lesson": lesson, **params})


def _until_the_question(page, timeout_s: float = 300) -> None:
    """Wait for the question; settings other than the lesson's wait for the Train button on the
    forecasting page: press it whenever it shows (a click during a rerun can be lost)."""
    deadline = time.monotonic() + timeout_s
    while "Before you look" not in br.main_text(page):
        assert time.monotonic() < deadline, br.main_text(page)[-1500:]
        train = page.get_by_role("button", name="Train", exact=True)
        if train.count() and train.is_enabled():
            train.click()
        time.sleep(1)


def _answer(page) -> None:
    """Wait for the question, pick its first answer, reveal."""
    page.get_by_text("Before you look").wait_for(timeout=240_000)
    page.locator("[data-testid='stMain'] [role='radiogroup'] label").first.click()
    page.get_by_role("button", name="Answer and reveal the run").click()


def test_a_focused_link_shows_only_its_controls_and_its_question_covers_the_result(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    url = server
    for path, lesson, small in PAGES:
        page = browser.new_page(viewport={"width": SMALL[0], "height": SMALL[1]})
        page.goto(_link(url, path, lesson, show="seed", ask="1", **small))
        _until_the_question(page)
        labels = [t.strip() for t in page.locator(SIDEBAR_LABELS).all_inner_texts()]
        assert [t for t in labels if t and t != "Projector mode"] == ["Seed"], (path, labels)  # "": folded away
        assert not page.locator("[data-testid='stSidebarNav']").count(), "a focused link has no page menu"
        assert not page.locator("[data-testid='stMain'] [data-testid='stMetric']").count(), (
            f"{path}: the result shows before the question is answered")
        page.screenshot(path=str(ARTIFACTS / f"classroom-{path}-question-{SMALL[0]}.png"))
        _answer(page)
        page.locator("[data-testid='stMain'] [data-testid='stMetric']").first.wait_for(timeout=60_000)
        assert "You answered" in br.main_text(page)
        page.screenshot(path=str(ARTIFACTS / f"classroom-{path}-revealed-{SMALL[0]}.png"))
        page.close()


def test_the_class_view_counts_parallel_sessions_on_two_app_processes(server, store, browser):
    """Two sessions at once on one server and a third on a second server, sharing the store: the
    third repeats the first one's settings (one training, a stored result), so three runs of two
    settings by three sessions, and three answers."""
    url_a = server
    with br.serve(store) as url_b:
        visits = [(url_a, "1"), (url_a, "2"), (url_b, "1")]
        contexts = [browser.new_context(viewport={"width": SMALL[0], "height": SMALL[1]}) for _ in visits]
        pages = [context.new_page() for context in contexts]

        def open_link(i: int) -> None:
            base, seed = visits[i]
            pages[i].goto(_link(base, "playground", "default", show="seed", ask="1", epochs="20", seed=seed,
                                **{"class": "e2e-view"}))

        def answer(i: int) -> None:
            _answer(pages[i])
            pages[i].locator("[data-testid='stMain'] [data-testid='stMetric']").first.wait_for(timeout=120_000)

        open_link(0), open_link(1)  # two sessions at once on server A (each page loads, then both train)
        answer(0), answer(1)
        open_link(2), answer(2)  # then server B: the first one's settings, from the shared store

        teacher = browser.new_page(viewport={"width": SMALL[0], "height": SMALL[1]})
        teacher.goto(f"{url_b}/class?class=e2e-view")
        text = br.wait_for_text(teacher, r"Runs\s*3[\s\S]*Answers\s*3", timeout_s=60).string
        assert re.search(r"Distinct settings\s*2", text) and re.search(r"Sessions\s*3", text), text
        teacher.screenshot(path=str(ARTIFACTS / f"classroom-class-view-{SMALL[0]}.png"))
        for context in contexts:
            context.close()
