"""Garbage in every link value of every page: a warning or a one-line error, never a traceback.

A crafted or mangled link is the cheapest way to reach every student's page at once. Each page is
opened once per garbage value with every one of its settings (and ``lesson``) set to a value from
the list, rotated so that each setting meets each value; the page must render its settings, data
and run panel's place without an exception (no training: what a link controls comes before it).
(What the warnings show of such values is ``tests/test_escaping.py``'s business.)"""

import pytest

from core import catalog
from core.tasks import get_task
from tests.test_app import _open

GARBAGE = (
    "",
    "-1e309",
    "nan",
    "9" * 400,
    "１２",                      # full-width digits
    ",,,;;;",
    "[Sign in](http://evil.example/x)",
    "\x00<script>alert(1)</script>",
)

PAGES = [(lesson.page, lesson.task) for lesson in catalog.live()]


@pytest.mark.parametrize(("page", "task_name"), PAGES, ids=[t for _, t in PAGES])
def test_every_setting_of_every_page_survives_garbage(page, task_name, no_training):
    fields = [*get_task(task_name).Config.field_names(), "lesson"]
    for shift in range(len(GARBAGE)):
        at = _open(page, {field: GARBAGE[(i + shift) % len(GARBAGE)] for i, field in enumerate(fields)})
        assert not at.exception, (shift, at.exception)
        assert at.warning, "a garbage link went unremarked"
