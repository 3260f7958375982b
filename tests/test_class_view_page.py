"""The Class view page (app_pages/class_view.py) in Streamlit's AppTest, over 500 recorded runs."""

import base64
import os
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import catalog, classlog, escape
from core.ui import frame

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGE = "app_pages/class_view.py"
TASKS = {"playground": ("accuracy", "Network test accuracy", True), "forecast": ("rmse", "Model test RMSE", False),
         "anomaly": ("pr_auc", "Autoencoder test PR-AUC", True), "sentiment": ("accuracy", "Network test accuracy", True)}
HOSTILE_ANSWER = "[Sign in](http://evil/x) <b>bold</b>"
HOSTILE_QUESTION = "Is $x$ :red[up]? ![p](http://evil/p.png)"


def fill(location: str, code: str = "fin101", runs: int = 500) -> int:
    """``runs`` run events over the four pages and some answers; returns the number of answers."""
    tasks = list(TASKS)
    for i in range(runs):
        task = tasks[i % 4]
        metric, label, higher = TASKS[task]
        classlog.record(code, {"kind": "run", "task": task, "lesson": "overfit" if i % 5 == 0 else None,
                               "settings": {} if i % 3 == 0 else {"hidden": f"{i % 6 + 1},8", "note": "=cmd|' /C calc'!A0"},
                               "key": f"k{i}", "metric": metric, "metric_label": label, "value": 0.5 + (i % 37) / 100,
                               "higher_is_better": higher, "cached": i % 2 == 0, "session": f"s{i % 40}"}, location)
    answers = 0
    for i in range(60):
        task = tasks[i % 2]
        answer = ("yes", "no", HOSTILE_ANSWER)[i % 3]
        question = "Does it overfit?" if task == "playground" else HOSTILE_QUESTION
        classlog.record(code, {"kind": "answer", "task": task, "lesson": "overfit", "question": question,
                               "answer": answer, "right": answer == "yes", "session": f"s{i}"}, location)
        answers += 1
    return answers


def _open(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page(PAGE)
    at.run()
    return at


SVG = "{http://www.w3.org/2000/svg}"
DATA = "data:image/svg+xml;base64,"


def _svgs(at: AppTest) -> list[str]:
    """The SVG documents of the page's pictures (``st.image`` sends an SVG string as a data URL)."""
    urls = [url for image in at.get("image") for url in image.value]
    assert all(url.startswith(DATA) for url in urls), [url[:40] for url in urls]
    return [base64.b64decode(url[len(DATA):]).decode("utf-8") for url in urls]


def _runs_drawn(svg: str) -> int:
    """The circles of a runs chart (one per run); 0 for an answers chart (its only circle is in a
    pattern under <defs>)."""
    return len(ET.fromstring(svg).findall(f"./{SVG}g/{SVG}circle"))


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.fixture
def store(no_training) -> str:
    return os.environ["FINDL_STORE"]  # the test's own store (tests/conftest.py): the page reads it


def _open_tab(at: AppTest, label: str) -> AppTest:
    at.session_state["cv:tab:fin101"] = label
    return at.run()


def test_500_runs_show_counts_charts_and_tables(store):
    answers = fill(store)
    start = time.perf_counter()
    at = _open({"class": "Fin101"})
    seconds = time.perf_counter() - start
    assert not at.exception and not at.error
    assert at.text_input(key="cv.code").value == "Fin101"  # from the link
    assert at.query_params["class"] in ("fin101", ["fin101"])  # written back, normalised
    assert _metrics(at) == {"Runs": "500", "Distinct settings": str(len(classlog.runs_table(classlog.read("fin101", store)))),
                            "Sessions": "60", "Answers": str(answers)}
    labels = [t.label for t in at.tabs]
    assert labels == [lesson.title for lesson in catalog.live()]  # every lesson page, in menu order
    assert labels[:4] == ["Decision boundaries", "LSTM forecasting", "Autoencoder anomalies", "News sentiment"]
    drawn = [t.label for t in at.tabs if len(t.children)]
    assert drawn == ["LSTM forecasting"]  # the page of the newest record; only the open tab is drawn
    assert seconds < 20, seconds  # the browser target (2 s) is bench/class_view.py's
    points = 0
    for label in labels[:4]:  # the pages with records
        at = _open_tab(at, label)
        assert not at.exception and not at.error
        assert [t.label for t in at.tabs if len(t.children)] == [label]
        assert not at.get("plotly_chart")  # the charts are SVG pictures: the page never loads Plotly
        charts = _svgs(at)
        runs_charts = [svg for svg in charts if "<defs>" not in svg]  # an answers chart has its patterns
        assert len(runs_charts) == 1 and len(at.dataframe) == 1
        assert " runs, " in runs_charts[0] and ("lower is better" if label == "LSTM forecasting" else "higher is better") \
            in runs_charts[0]
        points += _runs_drawn(runs_charts[0])
        assert "125 runs of " in " ".join(c.value for c in at.caption)
        questions = [m.value for m in at.markdown if m.value.startswith("**Question")]
        assert len(questions) == len(charts) - 1 == (1 if label in labels[:2] else 0)
        if label == "LSTM forecasting":  # a student's answer and question stay text
            assert escape.markdown(HOSTILE_QUESTION) in questions[0] and "![p](http" not in questions[0]
            blob = "".join(charts)
            assert "<b>bold</b>" not in blob and "&lt;b&gt;bold&lt;/b&gt;" in blob
            assert "[Sign in](http://evil/x)" in blob  # an SVG shows Markdown as the text it is
    assert points == 500  # every run is a point of its page's chart


def test_the_code_box_switches_class_and_refuses_a_bad_code(store):
    fill(store, code="fin101", runs=8)
    at = _open()
    assert not at.exception and not at.metric and "class=CODE" in " ".join(c.value for c in at.caption)
    at.text_input(key="cv.code").set_value("other").run()
    assert not at.exception and not at.metric
    assert "Nothing recorded for class other yet" in at.info[0].value
    at.text_input(key="cv.code").set_value("fin101").run()
    assert _metrics(at)["Runs"] == "8"
    at.text_input(key="cv.code").set_value("../etc [x](http://evil)").run()
    assert not at.exception
    assert len(at.error) == 1 and "cannot be used" in at.error[0].value
    assert "[x](http" not in at.error[0].value  # the typed text is shown escaped
    assert not at.metric and not at.get("image") and not at.subheader  # nothing else drawn


def test_a_bad_code_in_the_link_is_one_line(store):
    at = _open({"class": "fin 101!"})
    assert not at.exception
    assert [e.value for e in at.error] and "\n" not in at.error[0].value
    assert not at.metric


def test_a_store_that_cannot_be_read_is_one_line(store, monkeypatch):
    def refuse(code, location=None):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(classlog, "read", refuse)
    at = _open({"class": "fin101"})
    assert not at.exception and not at.metric
    assert [e.value for e in at.error] == [escape.markdown(f"Cannot read the records of class fin101: "
                                                           f"Permission denied in {store}")]


def test_a_page_no_lesson_has_gets_a_tab_named_as_text(store):
    task = "[x](http://evil) <b>"
    classlog.record("fin101", {"kind": "run", "task": task, "settings": {"a": "1"}, "value": 0.5, "session": "s"}, store)
    at = _open({"class": "fin101"})
    assert not at.exception
    label = f"Page {escape.markdown(task)}"
    assert [t.label for t in at.tabs][-1] == label
    assert [t.label for t in at.tabs if len(t.children)] == [label]  # the newest record's page is open
    assert _metrics(at)["Runs"] == "1" and len(_svgs(at)) == 1 and not at.get("plotly_chart")
    assert _runs_drawn(_svgs(at)[0]) == 1


def test_projector_mode_draws_the_charts_text_larger(store):
    fill(store, runs=8)
    at = _open({"class": "fin101", "projector": "1"})
    assert not at.exception
    charts = [ET.fromstring(svg) for svg in _svgs(at)]
    assert charts and all(c.get("font-size") == str(frame.PROJECTOR_FONT) for c in charts)
    at.session_state[frame.PROJECTOR_KEY] = False
    at.run()
    assert {ET.fromstring(svg).get("font-size") for svg in _svgs(at)} == {"12"}
