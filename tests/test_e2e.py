"""Real browser: start the app, drive Debian Chromium through Playwright, screenshot each page.
Screenshots land in test-artifacts/ (look at them)."""

import os
from pathlib import Path

import pytest

from bench import browser as br

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = [pytest.mark.e2e, pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(br.CHROMIUM), reason="Debian chromium is not installed (.ci/run installs it)")]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with br.serve(tmp_path_factory.mktemp("e2e") / "store", data_cache=tmp_path_factory.mktemp("e2e-data")) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with br.chromium() as b:
        yield b


def _settle(page, timeout=120_000):
    br.settle(page, timeout / 1000)


def _wait_for_charts(page, n: int, timeout_s: float = 150):
    """At least ``n`` charts and no progress bar (checked inside the page on each animation frame)."""
    page.wait_for_function(
        """n => document.querySelectorAll("[data-testid='stPlotlyChart']").length >= n
                && !document.querySelector("[data-testid='stProgress']")""",
        arg=n, polling="raf", timeout=timeout_s * 1000)


def test_home_page(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    _settle(page)
    assert page.get_by_text("Deep learning for finance").count() >= 1
    assert page.locator("[data-testid='stException']").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)
    page.close()


# x of the first training points drawn in the boundary chart (Plotly keeps its decoded data on the
# div as ``_fullData``; ``data`` may still hold the base64 form).
_FIRST_POINTS = ("const gd = document.querySelector('.js-plotly-plot');"
                 " const xs = gd && gd._fullData ? Array.from(gd._fullData[1].x).slice(0, 8) : null;")


def _first_points(page) -> list[float] | None:
    return page.evaluate(f"() => {{ {_FIRST_POINTS} return xs; }}")


def _wait_for_other_points(page, before: list[float] | None, timeout_s: float = 120) -> None:
    """Until the boundary chart is redrawn with points other than ``before``."""
    page.wait_for_function(f"before => {{ {_FIRST_POINTS} return xs !== null && JSON.stringify(xs) !== "
                           "JSON.stringify(before); }", arg=before, polling="raf", timeout=timeout_s * 1000)


def test_playground_trains_and_redraws(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(f"{server}/playground")
    _wait_for_charts(page, 2)
    _settle(page)
    assert page.locator("[data-testid='stMetric']").count() >= 6
    before = _first_points(page)
    page.get_by_role("button", name="New data").click()  # next data seed: a new training
    page.wait_for_url("**data_seed=1**", timeout=60_000)  # every control is in the link
    _wait_for_other_points(page, before)  # the chart is redrawn with the new sample
    _wait_for_charts(page, 2)
    _settle(page)
    assert page.locator("[data-testid='stException']").count() == 0
    heatmaps = page.locator(".js-plotly-plot .heatmaplayer, .js-plotly-plot canvas, .js-plotly-plot image")
    assert heatmaps.count() >= 1, "the boundary heatmap was not drawn"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "playground.png"), full_page=True)
    page.close()


def test_playground_step_through_click_a_point_and_step(server, browser):
    from bench import step_through

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    step_through.open_view(page, server)
    assert step_through.status(page) == (0, 0, 0)
    point = step_through.isolated_points(page, 1)[0]
    step_through.click_point(page, point)
    assert step_through.status(page) == (point, 0, 0)
    step_through.step(page, "One example")
    assert step_through.status(page) == (point, 1, 0)
    step_through.step(page, "One epoch")
    chosen, updates, epochs = step_through.status(page)
    assert chosen == point and updates > 1 and epochs == 1
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()


def test_share_box_is_at_the_top_and_warns_about_a_local_address(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(f"{server}/playground?epochs=30")
    _wait_for_charts(page, 2)
    _settle(page)
    share = page.get_by_role("button", name="Share these settings")
    box = share.bounding_box()
    assert box is not None and box["y"] < 300  # near the title, not at the bottom of the sidebar
    share.click()
    link = page.locator("[data-testid='stPopoverBody'] code").first.inner_text()  # then the classroom link's
    assert link.startswith(server + "/playground?") and "epochs=30" in link
    assert "only works on this computer" in page.locator("[data-testid='stPopoverBody']").inner_text()
    page.close()


def test_playground_bad_link_warns_instead_of_crashing(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/playground?hidden=0&learning_rate=1e9&epochs=30")
    _wait_for_charts(page, 1)
    _settle(page)
    text = page.locator("[data-testid='stAlert']").all_inner_texts()
    assert any("ignored link value hidden" in t for t in text)
    assert any("ignored link value learning_rate" in t for t in text)
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()


def test_forecasting_trains_beside_baselines(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1300})
    page.goto(f"{server}/forecasting?epochs=3&units=16&lookback=30&walk_forward=2&min_steps=0")
    _settle(page)
    assert page.locator("[data-testid='stException']").count() == 0
    page.get_by_role("button", name="Train").click()
    page.get_by_text("Naive RMSE").first.wait_for(timeout=240_000)  # the result's state, not a delay
    _wait_for_charts(page, 1, timeout_s=240)
    _settle(page)
    # a shared link opens the page inside the app's frame (navigation and sidebar status)
    assert "Decision boundaries" in page.locator("[data-testid='stSidebarNav']").inner_text()
    assert "Result store" in page.locator("[data-testid='stSidebar']").inner_text()
    body = page.locator("[data-testid='stMain']").inner_text()
    assert "random walk" in body and "Diebold-Mariano" in body
    assert "Naive RMSE" in body
    assert page.locator("[data-testid='stException']").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "forecasting.png"), full_page=True)
    page.close()


def test_anomaly_page_trains_and_shows_the_baselines(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1300})
    page.goto(f"{server}/anomaly?epochs=5&customers=200&days=60&min_steps=0")
    br.wait_for_text(page, r"Flagged test rows", timeout_s=240)
    _settle(page)
    body = br.main_text(page)
    assert "IsolationForest" in body and "PCA (linear)" in body and "precision@" in body
    assert page.locator("[data-testid='stException']").count() == 0
    page.get_by_role("tab", name="ROC & PR").click()
    _wait_for_charts(page, 1)
    _settle(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "anomaly.png"), full_page=True)
    page.close()


def test_sentiment_page_trains_explains_a_typed_sentence_and_scores_a_file(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.goto(f"{server}/sentiment?epochs=2&min_steps=0&train_rows=600")
    br.wait_for_text(page, r"Network accuracy[\s\S]*Try a sentence", timeout_s=240)
    br.wait_for_text(page, r"gradient x input", timeout_s=120)  # the default sentence, explained
    box = page.get_by_label("A headline or a sentence from a filing")
    box.fill("Kestrel Mining did not cut its dividend.")
    box.press("Enter")
    br.wait_for_text(page, r"lexicon \(rule\): positive", timeout_s=60)  # "not cut" flips a negative term
    _settle(page)
    highlighted = page.locator("span[title]")
    assert highlighted.count() >= 3 * 6  # each scorer highlights every word it read
    box.fill("!!!")
    box.press("Enter")
    br.wait_for_text(page, r"only punctuation", timeout_s=60)
    assert page.locator("[data-testid='stException']").count() == 0
    # batch scoring: a file of dated headlines -> a scored table, a download and the daily chart
    page.get_by_role("tab", name="Score a file").click()
    _settle(page)
    headlines = tmp_path / "headlines.csv"
    headlines.write_text("date,headline\n" + "".join(
        f"2026-03-0{1 + i % 3},Kestrel Mining {'raised' if i % 2 else 'cut'} its outlook for the {i}th time\n"
        for i in range(30)))
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(headlines))
    br.wait_for_text(page, r"Scored sentences \(CSV\)", timeout_s=120)
    _settle(page)
    page.wait_for_selector(".js-plotly-plot .gtitle", timeout=60_000)
    assert "Daily sentiment" in " ".join(page.locator(".js-plotly-plot .gtitle").all_text_contents())
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sentiment.png"), full_page=True)
    page.close()
