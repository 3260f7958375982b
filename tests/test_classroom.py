"""Classroom load in real browsers (bench/classroom.py): four sessions open the same new settings
at once (one training, four results), then four different settings (a visible queue, all finish,
no errors). Four, not the bench's ten or twenty (README): the same checks at the size the whole
suite's time budget allows (ten took about two minutes of it, six over one)."""

import os

import pytest

from bench import browser, classroom

pytestmark = [pytest.mark.e2e, pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(browser.CHROMIUM), reason="Debian chromium is not installed")]


def test_four_sessions_at_once_share_one_training_then_queue_visibly():
    out = classroom.run(sessions=4, epochs=600, timeout_s=240)
    failed = [sentence for sentence, passed in classroom.checks(out) if not passed]
    assert failed == [], (failed, out["server_log_tail"][-3000:])
