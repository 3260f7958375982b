"""Every lesson page is built on the one skeleton (core/ui/page.py): it does not repeat the flow by
hand, draw tabs eagerly or reach for the training engine (core/ui/scoring.py scores inputs)."""

import ast
from pathlib import Path

import pytest

from core import catalog

ROOT = Path(__file__).resolve().parents[1]


def _names(tree: ast.AST) -> set[str]:
    """Every attribute and name a page uses, and every module it imports."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("lesson", catalog.live(), ids=lambda lesson: lesson.page)
def test_lesson_page_uses_the_skeleton(lesson):
    names = _names(ast.parse((ROOT / lesson.page).read_text()))
    assert "LessonPage" in names, "the page builds on core.ui.page.LessonPage"
    assert {"settings_and_data", "result", "tabs", "headline"} <= names
    handmade = names & {"open", "Controls", "preset_picker", "result_or_last", "load_draft",
                        "engine", "predict", "plotly_chart"}
    assert not handmade, f"done by the skeleton (core/ui/page.py, core/ui/scoring.py): {sorted(handmade)}"


@pytest.mark.parametrize("lesson", catalog.live(), ids=lambda lesson: lesson.page)
def test_sidebar_headings_and_notes_go_through_the_controls(lesson):
    """A focused classroom link leaves the sidebar's headings and notes out (``controls.header``,
    ``controls.note``): one drawn by hand would hang over a hidden control."""
    import re

    source = (ROOT / lesson.page).read_text()
    assert not re.search(r"\b(sb|sidebar)\.(header|subheader|caption|markdown)\(", source)


WIDGETS = {"selectbox", "radio", "multiselect", "select_slider", "button", "checkbox", "toggle", "text_input",
           "number_input", "slider", "file_uploader", "data_editor", "pills", "segmented_control", "text_area"}
CALLBACKS = {"format_func", "on_change", "on_click"}


@pytest.mark.parametrize("lesson", catalog.live(), ids=lambda lesson: lesson.page)
def test_no_widget_keeps_a_function_of_the_page(lesson):
    """A widget keeps its format_func and callbacks in the session, and a function defined in a
    page script keeps the script's globals alive (an upload, the table parsed from it) for as
    long as Streamlit keeps the session, after the tab closed too: the upload-memory bench found
    190 MB held that way. Pages pass labels through Controls (which keeps a dict's lookup) or a
    dict's or list's ``__getitem__``."""
    tree = ast.parse((ROOT / lesson.page).read_text())
    defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    kept = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WIDGETS \
                and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "controls"):
            for keyword in node.keywords:
                value = keyword.value
                if keyword.arg in CALLBACKS and (isinstance(value, ast.Lambda) or
                                                 (isinstance(value, ast.Name) and value.id in defined)):
                    kept.append(f"line {node.lineno}: {node.func.attr}({keyword.arg}=...)")
    assert not kept, kept
