"""The one job panel every page uses: submit to the training engine (Dask workers, deduplicated
by store key), show queue position / progress / live view / cancel while it trains, and return the
Result when it is there. The engine's Job is the one state of a training (this module keeps only
which result a slot last showed). A failure is shown once as a one-line message and is not
resubmitted until the user asks; the last good result of the page stays on screen."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from core import engine, escape, jobs
from core.errors import UserError
from core.ui import frame

LiveView = Callable[[dict[str, Any], list[dict[str, Any]]], None]


def live_loss(title: str, key: str) -> LiveView:
    """The live view of a Keras page: loss curves as the worker reports them (``core.charts.live``)."""
    from core.charts.live import loss_curves

    def view(event: dict[str, Any], history: list[dict[str, Any]]) -> None:
        fig = loss_curves(history, title)
        if fig is not None:
            frame.chart(fig, key=key)

    return view


def _state(slot: str) -> dict:
    """What the page last showed in this slot (display state; the job's state is the engine's)."""
    return st.session_state.setdefault(f"jobpanel:{slot}", {"last": None})


def _watcher(slot: str) -> str:
    """One watcher per panel (session + slot): a page may show several."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return f"{ctx.session_id if ctx is not None else 'no-session'}:{slot}"


def last_result(slot: str):
    """The slot's last good result (shown while the current settings are invalid or training)."""
    key = _state(slot)["last"]
    return engine.engine().stored(key) if key else None


def run(task, config, data, *, auto: bool = True, live_view: LiveView | None = None,
        button_label: str = "Train", slot: str | None = None) -> Any:
    """The Result for (config, data), or None while it is not ready (the panel shows why).
    ``slot`` names the panel when a page runs several (defaults to the task name)."""
    try:
        return _run(task, config, data, auto, live_view, button_label, slot or task.NAME)
    except UserError as exc:  # bad settings, or the training engine cannot be reached
        frame.message("error", str(exc))
        return None


def _run(task, config, data, auto: bool, live_view: LiveView | None, button_label: str, slot: str) -> Any:
    """A stored run is read from the store (no Job); otherwise the training's Job says what to
    draw: its progress, its one-line failure with "Train again" (a failure is never resubmitted
    on its own, ``Job.ended_for``), or a new training (``auto``, or the button pressed)."""
    runner = engine.engine()
    key = jobs.key_for(task, config, data)
    watcher = _watcher(slot)
    job = runner.watch(watcher, key)  # also releases the settings this panel showed before
    if job is not None and job.active:
        _progress_fragment(job, live_view, slot, watcher)
        return None
    ended = job is not None and job.ended_for(watcher)
    pressed = False
    if ended or not auto:
        pressed = st.button("Train again" if ended else button_label, type="primary", key=f"train:{slot}",
                            help="Runs are cached: the same settings return at once.")
    if ended and not pressed:
        _say_why_it_ended(job)
        return None
    result = runner.stored(key)  # a stored run shows without pressing anything
    if result is None and (auto or pressed):
        job = runner.submit(task, config, data, watcher=watcher)
        result = job.result if job.state == engine.DONE else None
        if result is None:
            if job.active:
                _progress_fragment(job, live_view, slot, watcher)
            else:
                _say_why_it_ended(job)
            return None
    if result is None:  # "changed" only once this panel has shown a run
        st.info(f"Settings changed: press **{button_label}** to run them." if _state(slot)["last"]
                else f"Press **{button_label}** to run these settings.")
        return None
    _state(slot)["last"] = key
    if result.not_stored:
        st.warning(f"This run could not be saved to the store ({result.not_stored}); it is shown but will be "
                   "trained again next time.", icon=":material/save:")
    return result


def _say_why_it_ended(job: engine.Job) -> None:
    """A failure is one red line; a cancel is not a failure: say what happened and what the page
    shows now, not a bare "cancelled". The error may quote the data (a column, a label)."""
    if job.state == engine.CANCELLED:
        st.info(f"Training stopped ({escape.markdown(job.error or 'cancelled')}): nothing was stored for these "
                f"settings. The last finished run, if there is one, stays below. Press **Train again** to run them.",
                icon=":material/stop_circle:")
    else:
        frame.message("error", job.error or job.state)


def result_or_last(task, config, data, **kwargs) -> Any:
    """The page's result: this run's (trained or cached), else the last good one under a banner
    naming its settings, with the page's charts dimmed, else the script stops here (the panel
    already said why). ``config``/``data`` of None mean the settings are not usable yet."""
    result = run(task, config, data, **kwargs) if config is not None and data is not None else None
    if result is None:
        result = last_result(kwargs.get("slot") or task.NAME)
        if result is None:
            st.stop()
        _stale_banner(result.config or {}, config.to_dict() if config is not None else {})
    return result


# Everything the page draws after the banner (same block, and all inside it) is the older run:
# dim it. The progress panel and its live chart come before the banner, so they stay bright.
_DIM = """<style>
div:has(> [class*="st-key-findl-stale"]) ~ div { opacity: .4; filter: grayscale(.8); }
</style>"""


def stale_differences(shown: dict, current: dict) -> dict[str, Any]:
    """The settings of the run on screen that differ from the current ones (all of them when the
    current settings are not valid)."""
    return {k: v for k, v in shown.items() if not current or current.get(k) != v}


def _stale_banner(shown: dict, current: dict) -> None:
    from core.config import format_value

    diff = stale_differences(shown, current)
    named = ", ".join(f"{k}={format_value(tuple(v) if isinstance(v, list) else v)}" for k, v in diff.items())
    with st.container(key="findl-stale"):
        st.warning(f"**Not your current settings.** Below (dimmed) is the last finished run, with "
                   f"{escape.markdown(named) if named else 'other data'}.", icon=":material/history:")
        st.html(_DIM)


@st.fragment(run_every=1.0)
def _progress_fragment(job: engine.Job, live_view: LiveView | None, slot: str, watcher: str) -> None:
    runner = engine.engine()
    if not job.active:
        st.rerun()  # whole page: draw the result (or the error)
        return
    position = runner.queue_position(job)
    if position:
        load = runner.snapshot()
        st.info(f"Queued: {position - 1} run(s) ahead of this one "
                f"({load['running']} training now, {load['workers']} at a time on this server).")
    else:
        event = job.latest
        elapsed = time.time() - (job.started or time.time())
        text = f"Training… {elapsed:.1f} s"
        if event:
            text += f" · step {event['step']}/{event['total']}"
            if "epoch" in event:
                text += f" · epoch {event['epoch']}"
            if "loss" in event:
                text += f" · loss {event['loss']:.4f}"
        st.progress(job.fraction, text=text)
        if event and live_view is not None:
            live_view(event, job.history)
    if st.button("Cancel", key=f"cancel:{slot}"):
        runner.cancel(job, by=watcher)
        st.rerun()
