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


# Projector mode (a classroom link's projector=1, or the sidebar switch): bigger type everywhere.
# Streamlit sizes its text in rem, so the root size scales the page; charts get a bigger font
# through ``chart``. Checked in screenshots at 1024x768; figures are built afresh on every run
# (none is cached), so enlarging one in place happens once.
_PROJECTOR_STYLE = """<style>
html { font-size: 20px; }
[data-testid="stSidebar"] { min-width: 300px; }
[data-testid="stMainBlockContainer"] { padding-left: 1.5rem; padding-right: 1.5rem; max-width: 100%; }
</style>"""
PROJECTOR_KEY = "findl:projector"
PROJECTOR_FONT = 16  # px: chart text in projector mode (Plotly's default is 12)


def style() -> None:
    """The app's few style rules (every page); projector mode's when it is on."""
    st.html(_STYLE + (_PROJECTOR_STYLE if projector() else ""))


def projector() -> bool:
    """Whether projector mode is on: a link's ``projector=1`` turns it on for the session on its
    first run; the sidebar switch (``projector_switch``) changes it afterwards."""
    if f"{PROJECTOR_KEY}:linked" not in st.session_state:
        st.session_state[f"{PROJECTOR_KEY}:linked"] = True
        st.session_state[PROJECTOR_KEY] = str(st.query_params.get("projector", "")).lower() in ("1", "true", "on")
    return bool(st.session_state.get(PROJECTOR_KEY))


def projector_switch() -> None:
    """The switch for projector mode (larger text and chart labels for the back row), drawn in
    the sidebar by app.py."""
    st.toggle("Projector mode", key=PROJECTOR_KEY, help="Larger text and chart labels, for a projector.")


def _bigger(figure) -> None:
    """Projector mode's chart text. A legend over the plot would run into the title: it goes
    below the plot, or, where a slider is there (the boundary's epochs), the title goes to the
    top of a taller margin above the legend."""
    top, legend = figure.layout.margin.t or 40, figure.layout.legend
    figure.update_layout(font_size=PROJECTOR_FONT, margin_t=round(top * 1.3))
    if legend.orientation != "h" or (legend.y or 0) < 1:
        return
    if figure.layout.sliders or figure.layout.updatemenus:
        figure.update_layout(margin_t=max(round(top * 1.3), 120), title_y=0.99, title_yanchor="top")
    else:
        figure.update_layout(legend=dict(y=-0.18, yanchor="top", x=0, xanchor="left"))


def chart(figure, key: str, where=st, **options) -> None:
    """Every Plotly chart of a page goes through here: ``st.plotly_chart``, with larger text in
    projector mode. Colours follow the app's light or dark theme (Streamlit's chart theme)."""
    if projector():
        _bigger(figure)
    where.plotly_chart(figure, key=key, **options)


def header(title: str, teaches: str | None) -> None:
    """The page title and what it teaches (left out by a classroom link with ``text=0``)."""
    st.title(title)
    if teaches:
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
    """The device, the store and the training engine, in the container it is drawn in (app.py:
    the sidebar)."""
    from core import engine
    from core.store import Store

    runner = engine.engine()
    load = runner.snapshot()  # starts the engine in the background on first use
    st.caption(f"**Device:** {_device_label()}")
    status = _store_status(Store().location)
    st.caption(f"**Result store:** {status['entries']} runs · `{status['location']}`")
    problem = None if load["workers"] else runner.problem  # a cluster that died: why, while the next one starts
    workers = (f"{load['workers']} worker{'s' if load['workers'] != 1 else ''}" if load["workers"]
               else f"not running ({problem}); starting again…" if problem else "starting…")
    st.caption(f"**Training engine:** {workers}"
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
