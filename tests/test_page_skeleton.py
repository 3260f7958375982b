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
                        "engine", "predict"}
    assert not handmade, f"done by the skeleton (core/ui/page.py, core/ui/scoring.py): {sorted(handmade)}"
