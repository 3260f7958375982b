"""Classroom load in real browsers (bench/classroom.py): ten sessions open the same new settings
at once (one training, ten results), then ten different settings (a visible queue, all finish,
no errors)."""

import os

import pytest

from bench import browser, classroom

pytestmark = [pytest.mark.e2e, pytest.mark.slow,
              pytest.mark.skipif(not os.path.exists(browser.CHROMIUM), reason="Debian chromium is not installed")]


def test_ten_sessions_at_once_share_one_training_then_queue_visibly():
    out = classroom.run(sessions=10, epochs=600, timeout_s=240)
    failed = [sentence for sentence, passed in classroom.checks(out) if not passed]
    assert failed == [], (failed, out["server_log_tail"][-3000:])
