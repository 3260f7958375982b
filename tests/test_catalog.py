"""The lesson catalog registers a page once: navigation, home cards and the task registry read it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import catalog, tasks

ROOT = Path(__file__).resolve().parents[1]


def test_every_live_lesson_has_its_page_file_and_its_task():
    assert catalog.live(), "no live lesson"
    for lesson in catalog.live():
        assert (ROOT / lesson.page).is_file(), lesson.page
        assert tasks.get_task(lesson.task).NAME == lesson.task
        assert lesson.task in tasks.task_names()
        assert catalog.by_task(lesson.task) is lesson


def test_a_coming_next_lesson_is_not_in_the_menu_and_has_no_task():
    """The registry is built from the catalog at import: so add the coming lesson before importing
    it, in a fresh interpreter."""
    assert all(lesson.live for lesson in catalog.LESSONS)  # all four pages are live
    code = ("import json, sys; from core import catalog\n"
            "coming = catalog.Lesson(task='options', module='core.tasks.options', page='app_pages/options.py',"
            " url_path='options', title='Options', icon=':material/functions:', group='Lessons', teaches='next',"
            " live=False)\n"
            "catalog.LESSONS = (*catalog.LESSONS, coming)\n"
            "from core import tasks; from core.errors import UserError\n"
            "try:\n    tasks.get_task('options'); refused = ''\nexcept UserError as exc:\n    refused = str(exc)\n"
            "print(json.dumps({'menu': [lesson.task for lesson in catalog.live()],"
            " 'by_task': catalog.by_task('options') is coming, 'tasks': tasks.task_names(), 'refused': refused}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert "options" not in report["menu"] and report["by_task"], out.stderr
    assert "options" not in report["tasks"] and set(report["tasks"]) >= {lesson.task for lesson in catalog.live()}
    assert "unknown task 'options'" in report["refused"]


def test_duplicate_addresses_are_refused():
    first = catalog.LESSONS[0]
    clash = catalog.Lesson(**{**first.__dict__, "task": "other", "page": "app_pages/other.py", "title": "Other"})
    with pytest.raises(ValueError, match="url_path used twice: playground"):
        catalog.check((first, clash))
    catalog.check(catalog.LESSONS)  # the shipped catalog passes


def test_a_pageless_task_is_one_registry_line(monkeypatch):
    """A task that runs from another page's tab: registered without a catalog entry."""
    monkeypatch.setitem(tasks.TASK_MODULES, "playground-copy", "core.tasks.playground")
    assert "playground-copy" in tasks.task_names()
    assert tasks.get_task("playground-copy").NAME == "playground"
    assert catalog.by_task("playground-copy") is None


def test_importing_the_catalog_and_registry_imports_neither_tensorflow_nor_streamlit():
    code = ("import sys, json; import core.catalog, core.tasks; core.tasks.task_names()\n"
            "print(json.dumps({m: m in sys.modules for m in ('tensorflow', 'keras', 'streamlit')}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"tensorflow": False, "keras": False,
                                                               "streamlit": False}, out.stderr


def test_home_has_one_card_per_lesson_and_links_only_live_ones():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    headers = [h.value for h in at.subheader]
    for lesson in catalog.LESSONS:
        assert f"{lesson.icon} {lesson.title}" in headers
    links = [link.proto.page for link in at.get("page_link")]
    assert sorted(links) == sorted(lesson.url_path for lesson in catalog.live())  # resolved by the navigation
    coming = [c.value for c in at.caption if "Coming next" in c.value]
    assert len(coming) == sum(not lesson.live for lesson in catalog.LESSONS)


@pytest.mark.parametrize("lesson", catalog.live(), ids=lambda lesson: lesson.task)
def test_navigation_opens_every_live_lesson(lesson):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page(lesson.page)
    at.run()
    assert not at.exception
    assert at.title, "the page drew nothing"
