"""Page frame pieces shared by all pages: header, warnings, device and store status."""

from __future__ import annotations

import streamlit as st

from core import device, escape

# Headline numbers must stay readable on a 1024x768 projector: a row of six metrics beside the
# sidebar leaves ~90 px each, and Streamlit cuts values, labels and deltas with an ellipsis
# ("98.…"). Values shrink with the window; labels and deltas wrap instead of being cut.
_STYLE = """<style>
[data-testid="stMetricValue"] { font-size: clamp(1.3rem, 2.5vw, 2.25rem); }
[data-testid="stMetricValue"] > div, [data-testid="stMetricLabel"] *, [data-testid="stMetricDelta"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; }
</style>"""


def style() -> None:
    """The app's few style rules (every page)."""
    st.html(_STYLE)


def header(title: str, teaches: str) -> None:
    st.title(title)
    st.caption(teaches)


def message(kind: str, text: str, **options) -> None:
    """A message that quotes the user's input (an error about a setting or a file, a link's
    warning, a note on what a file held) in a ``st.error``/``warning``/``info``/``caption`` box,
    shown literally (``core.escape.markdown``): Streamlit renders those boxes as Markdown, and a
    link value or a column named ``[Sign in](http://evil/x)`` must not become a link. These texts
    are plain sentences shared with the CLI, so escaping all of them loses no formatting."""
    getattr(st, kind)(escape.markdown(text), **options)


def show_warnings(messages: list[str]) -> None:
    for text in messages:
        message("warning", text)


@st.cache_resource(show_spinner=False)
def _device_label() -> str:
    return device.describe()["label"]


@st.cache_data(ttl=15, show_spinner=False)
def _store_status(location: str) -> dict:
    """Counting entries walks the store: at most every 15 s, not on every rerun of every student."""
    from core.store import Store

    return Store(location).status()


def sidebar_status() -> None:
    from core import engine
    from core.store import Store

    runner = engine.engine()
    load = runner.snapshot()  # starts the engine in the background on first use
    st.sidebar.caption(f"**Device:** {_device_label()}")
    status = _store_status(Store().location)
    st.sidebar.caption(f"**Result store:** {status['entries']} runs · `{status['location']}`")
    problem = None if load["workers"] else runner.problem  # a cluster that died: why, while the next one starts
    workers = (f"{load['workers']} worker{'s' if load['workers'] != 1 else ''}" if load["workers"]
               else f"not running ({problem}); starting again…" if problem else "starting…")
    st.sidebar.caption(f"**Training engine:** {workers}"
                       + (f" · {load['running']} running, {load['queued']} queued" if load["running"] or load["queued"] else ""))


def headline(comparisons_list: list[dict]) -> None:
    """The page's verdict box, written by ``core.comparisons.headline`` from the run's comparisons:
    green only when the model beats every baseline beyond sampling error."""
    from core import comparisons

    kind, text = comparisons.headline(comparisons_list)
    getattr(st, kind)(text)


def training_limit(metrics: dict) -> None:
    """A caption when a Keras run stopped at its epoch limit while still improving
    (``metrics["hit_limit"]``, worded by ``core.nn.keras_loop.limit_note``): the headline and the
    training tab say the model may be under-trained."""
    from core.nn.keras_loop import limit_note

    note = limit_note(metrics)
    if note:
        st.caption(note)


def training_time(result, digits: int = 1) -> str:
    """How long the run on screen took to train, or "cached" when it came from the store."""
    return "cached" if result.cached else f"{result.seconds:.{digits}f} s"
