"""What the run panel says when a training ended without a result: a cancel says what happened
and what the page shows now; a failure is one red line."""

from streamlit.testing.v1 import AppTest

from core import escape


def _panel(state: str, error: str):
    import types

    from core.ui import job_panel

    job_panel._say_why_it_ended(types.SimpleNamespace(state=state, error=error))


def test_a_cancel_says_what_happened_and_what_the_page_shows():
    at = AppTest.from_function(_panel, args=("cancelled", "cancelled before it started")).run(timeout=60)
    assert not at.error and not at.exception
    text = at.info[0].value
    assert "Training stopped (cancelled before it started)" in text and "nothing was stored" in text
    assert "last finished run" in text and "Train again" in text


def test_a_failure_is_one_red_line():
    at = AppTest.from_function(_panel, args=("failed", "training diverged (NaN loss)")).run(timeout=60)
    assert [e.value for e in at.error] == [escape.markdown("training diverged (NaN loss)")] and not at.info
