"""Classroom load in real browsers (bench/classroom.py): six sessions open the same new settings
at once (one training, six results), then six different settings (a visible queue, all finish,
no errors). Six, not the bench's ten or twenty (README): the same checks at the size the whole
suite's time budget allows (ten took about two minutes of it)."""

import os

import pytest

from bench import browser, classroom

pytestmark = [pytest.mark.e2e, pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(browser.CHROMIUM), reason="Debian chromium is not installed")]


def test_six_sessions_at_once_share_one_training_then_queue_visibly():
    out = classroom.run(sessions=6, epochs=600, timeout_s=240)
    failed = [sentence for sentence, passed in classroom.checks(out) if not passed]
    assert failed == [], (failed, out["server_log_tail"][-3000:])
