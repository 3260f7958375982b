"""User text is shown, never rendered: share-link values, uploaded column names and labels, job
errors, settings named in a banner (Streamlit Markdown) and class or column names in charts (Plotly
labels). Each hostile payload goes through every place that echoes input; the rendered Markdown
must hold no link, image or HTML, and the payload must be readable as it was typed."""

import csv
import html
import io
import re
from pathlib import Path

import numpy as np
import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from core import catalog
from core.tasks import get_task

APP = str(Path(__file__).resolve().parents[1] / "app.py")

PAYLOADS = [
    "[Sign in](http://evil/x)",
    "![x](http://evil/p.png)",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    r"$\href{http://evil}{x}$",
    "javascript:alert(1)",
]

# CommonMark with GFM tables and strikethrough, HTML allowed (the worst case: Streamlit escapes raw
# HTML unless unsafe_allow_html, but Markdown links and images are live either way).
_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def _rendered(markdown: str) -> str:
    return _MARKDOWN.render(markdown)


def _visible(markdown: str) -> str:
    """The text a reader sees: the rendered HTML without tags, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", _rendered(markdown)))


def assert_inert(markdown: str) -> None:
    """No live link, image or tag from ``markdown``; nothing Streamlit's extras would turn live
    (a bare URL for GFM's autolinks, a $ formula for KaTeX)."""
    out = _rendered(markdown)
    assert "<a " not in out and "<img" not in out, (markdown, out)
    assert not re.search(r"<(?!/?(p|br|em|strong|code|ul|ol|li|h\d|hr|blockquote)\b)[a-z]", out), (markdown, out)
    assert not re.search(r"(?<!\\)(\$|https?:|javascript:|www\.)", markdown), markdown


# ---- the functions -----------------------------------------------------------------------------
@pytest.mark.parametrize("payload", PAYLOADS + ["    indented code", "# heading\n- item", ":red[colour] -> x",
                                                "a\\b `c` *d* _e_ ~f~ | g", "__init__ x__y__ a_b_"])
def test_markdown_escape_shows_the_text_exactly_and_renders_nothing(payload):
    from core import escape

    escaped = escape.markdown(payload)
    assert_inert(escaped)
    shown = " ".join(line.strip() for line in payload.splitlines())
    assert _visible(escaped).replace("\n", " ").strip() == shown


def test_a_settings_name_keeps_its_underscores():
    """CommonMark never reads "_" between letters as emphasis: learning_rate stays searchable."""
    from core import escape

    assert escape.markdown("learning_rate=0.5") == "learning_rate\\=0\\.5"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_plotly_escape_leaves_no_tag(payload):
    from core import escape

    assert "<" not in escape.plotly(payload) and html.unescape(escape.plotly(payload)) == payload


# ---- the pages ---------------------------------------------------------------------------------

def _messages(at: AppTest) -> list[str]:
    return [e.value for kind in ("error", "warning", "info", "success", "caption") for e in getattr(at, kind)]


def _open(page: str, query: dict[str, str] | None = None, uploads: dict[str, bytes] | None = None) -> AppTest:
    """The page opened by a link with ``query``; ``uploads`` maps a page prefix to a file put into
    its uploader."""
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page)
    at.run()
    if uploads:
        for prefix, content in uploads.items():
            at.file_uploader(key=f"{prefix}:upload:widget").upload("upload.csv", content)
        at.run()
    assert not at.exception, at.exception
    return at


def _assert_echoed_inert(at: AppTest, payloads: list[str]) -> None:
    """Every message on the page is inert, and each payload is on the page, readable."""
    messages = _messages(at)
    for message in messages:
        assert_inert(message)
    seen = " ".join(_visible(m) for m in messages)
    for payload in payloads:
        assert payload in seen or repr(payload) in seen, (payload, seen)


@pytest.mark.parametrize("lesson", catalog.live(), ids=lambda lesson: lesson.task)
def test_share_link_values_are_shown_literally_on_every_page(lesson, no_training):
    fields = get_task(lesson.task).Config.field_names()
    query = {name: PAYLOADS[i % len(PAYLOADS)] for i, name in enumerate(fields)}
    at = _open(lesson.page, query)
    assert at.warning, "a hostile link value must be warned about"
    _assert_echoed_inert(at, PAYLOADS)


def test_link_warnings_stay_when_the_link_also_sets_a_setting_the_page_does_not_draw(no_training):
    """A ticker with the bundled source has no widget: it used to count as a change by the user,
    so every warning of that link vanished before it was shown."""
    at = _open(catalog.by_task("forecast").page, {"ticker": "AAPL", "lookback": "abc"})
    assert any("lookback" in w.value for w in at.warning), [w.value for w in at.warning]


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


HEADER = PAYLOADS[:4]  # column names, each quoted by a loader's error or note
UPLOADS = {
    "playground": ("pg", {"dataset": "csv"}, _csv([HEADER, ["1", "2", "3", "4"]])),
    "forecast": ("fc", {"source": "csv"}, _csv([HEADER, ["2020-01-01", "1", "2", "3"]])),
    "anomaly": ("an", {"source": "csv"}, _csv([HEADER] + [["a", "b", "c", "d"]] * 420)),
    "sentiment": ("se", {"source": "csv"}, _csv([HEADER, ["a", "b", "c", "d"]])),
}


@pytest.mark.parametrize("task", list(UPLOADS))
def test_uploaded_column_names_are_shown_literally(task, no_training):
    prefix, query, content = UPLOADS[task]
    at = _open(catalog.by_task(task).page, query, {prefix: content})
    assert at.error, "a file without the needed columns is an error that names what it found"
    _assert_echoed_inert(at, HEADER[:1])


def test_uploaded_label_values_are_shown_literally(no_training):
    rows = [["x1", "x2", "label"]] + [[str(i), str(i % 7), PAYLOADS[i % 2]] for i in range(40)]
    at = _open(catalog.by_task("playground").page, {"dataset": "csv"}, {"pg": _csv(rows)})
    assert any("labels mapped" in c.value for c in at.caption)
    _assert_echoed_inert(at, PAYLOADS[:2])


def _failed_job_script(error: str, cancelled: bool) -> None:
    import types

    from core import engine
    from core.ui import job_panel

    state = engine.CANCELLED if cancelled else engine.FAILED
    job_panel._say_why_it_ended(types.SimpleNamespace(state=state, error=error))
    job_panel._stale_banner({"ticker": error, "epochs": 3}, {"epochs": 3})


@pytest.mark.parametrize("cancelled", [False, True])
@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_job_error_and_the_settings_banner_show_input_literally(payload, cancelled):
    at = AppTest.from_function(_failed_job_script, args=(f"bad label {payload!r} in row 3", cancelled))
    at.run()
    assert not at.exception, at.exception
    _assert_echoed_inert(at, [payload])


# ---- the charts --------------------------------------------------------------------------------
def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def _assert_figure_inert(fig, payloads: list[str]) -> None:
    """No tag from a payload anywhere in the figure (only the builders' own <br> and <extra>), and each payload
    is there as Plotly shows it (entities decoded)."""
    texts = _strings(fig.to_plotly_json())
    for text in texts:
        assert not re.search(r"<(?!br>|/?extra>)", text), text
    shown = html.unescape(" ".join(texts))
    for payload in payloads:
        assert payload in shown, payload


def test_class_names_in_confusion_matrices_are_labels():
    from core.charts import confusion

    _assert_figure_inert(confusion.matrix([[3, 1], [2, 4]], PAYLOADS[2:4], "test"), PAYLOADS[2:4])


def test_playground_charts_show_a_files_class_names_literally():
    from core.charts import playground as charts
    from core.data import toy2d
    from core.result import Result

    names = PAYLOADS[2:4]
    grid = np.linspace(-1, 1, 5)
    sketch = Result(metrics={}, arrays={"grid_x": grid, "grid_y": grid, "x_train": np.zeros((4, 2)),
                                        "y_train": np.array([0, 1, 0, 1.0])},
                    info={"axis_labels": ["x1", PAYLOADS[2]], "class_names": names})
    _assert_figure_inert(charts.live_boundary(sketch, np.zeros((5, 5)), 1), names)
    analysis = {"thresholds": [0.1, 0.5], "cost": [1.0, 2.0], "best_threshold": 0.1}
    _assert_figure_inert(charts.cost_curve(analysis, toy2d.cost_words("csv", names)), names[1:])


def test_anomaly_feature_names_are_labels():
    from core.charts import anomaly as charts
    from core.result import Result

    result = Result(metrics={}, arrays={"explain_errors": np.array([[0.1, 0.2, 0.3, 0.4]])},
                    info={"feature_names": PAYLOADS[:4]})
    _assert_figure_inert(charts.why_flagged(result, 0), PAYLOADS[:4])


def test_sentiment_words_are_escaped_in_the_highlight_and_the_attention_map():
    from core.charts import sentiment as charts

    text = " ".join(PAYLOADS)
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
    out = charts.highlight(text, spans, [0.5] * len(spans))
    assert "<img" not in out and "<a " not in out and "<a href" not in _rendered(out)
    assert html.unescape(re.sub(r"<[^>]+>", "", out)) == text
    words = ["<b>bold</b>", "<a href='x'>y</a>"]
    _assert_figure_inert(charts.attention(np.ones((1, 1, 2, 2)) / 2, words, 0), words)
