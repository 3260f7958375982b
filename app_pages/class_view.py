"""Class view: what a class tried, for the teacher (issue 19). For one class code: the settings run
on each lesson page, how many times, the spread of the headline metric, and the answers to each
question, refreshing while the class works. The records are ``core.classlog``'s (one file per run
or answer in the result store, written by every replica); no names, one random id per session."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from core import catalog, classlog, escape
from core.charts import class_view as charts
from core.data import csvout
from core.errors import ConfigError
from core.store import default_location, reason
from core.ui import frame

REFRESH_S = 5  # the class's new runs appear within this (plus the 2 s the records are cached)
CODE_KEY = "cv.code"
MAX_OTHER_PAGES = 4

frame.header("Class view", "What your class tried: the settings run on each page, how often and how well, and "
                           "the answers to each question. No names: one random id per browser session.")

if CODE_KEY not in st.session_state:  # the link's ?class=CODE fills the box on the session's first run
    st.session_state[CODE_KEY] = str(st.query_params.get("class", ""))
typed = st.text_input("Class code", key=CODE_KEY, placeholder="e.g. fin101", help=classlog.CODE_RULE)


@st.cache_data(ttl=2, max_entries=64, show_spinner=False)
def summary(code: str, location: str) -> dict:
    """The class's records read and summarised, at most every 2 s per (code, store) for all the
    teachers' sessions of this server."""
    events = classlog.read(code, location)
    runs = classlog.runs_frame(events)
    return {"totals": classlog.totals(events), "runs": runs, "table": classlog.runs_table(runs),
            "answers": classlog.answers_table(events), "latest": classlog.latest_task(events),
            "last": runs["t"].max() if runs["t"].notna().any() else None}


def _ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    return (f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min" if seconds < 7200
            else f"{seconds / 3600:.0f} h" if seconds < 172800 else f"{seconds / 86400:.0f} days")


def _pages(runs: pd.DataFrame, answers: pd.DataFrame) -> dict[str, str]:
    """{tab label: task}: every live lesson page in menu order (so the tabs stay put while records
    arrive), then the other tasks named in the records (their names shown as text; the most
    recorded MAX_OTHER_PAGES: a store anyone can write to must not fill the page with tabs)."""
    pages = {lesson.title: lesson.task for lesson in catalog.live()}
    named = pd.concat([runs["task"], answers["task"]]).value_counts()
    others = [task for task in named.index if task not in pages.values()][:MAX_OTHER_PAGES]
    return pages | {f"Page {escape.markdown(task)}": task for task in sorted(others)}


def _counts(task: str, runs: pd.DataFrame, table: pd.DataFrame, answers: pd.DataFrame) -> str:
    ran = runs[runs["task"] == task]
    answered = int(answers.loc[answers["task"] == task, "count"].sum())
    settings = int((table["task"] == task).sum())
    return (f"{len(ran)} run{'s' if len(ran) != 1 else ''} of {settings} setting{'s' if settings != 1 else ''} by "
            f"{ran['session'].nunique()} session{'s' if ran['session'].nunique() != 1 else ''}; "
            f"{answered} answer{'s' if answered != 1 else ''}.")


def _chart_size() -> dict:
    """The charts are SVG pictures (``core.charts.class_view``: no Plotly on this page, whose
    bundle took the browser longer than the rest of the page): projector mode draws their text
    larger, in a narrower picture."""
    return dict(font_size=frame.PROJECTOR_FONT, width=charts.PROJECTOR_WIDTH) if frame.projector() else {}


def _runs_section(task: str, runs: pd.DataFrame, table: pd.DataFrame) -> None:
    runs, table = runs[runs["task"] == task], table[table["task"] == task]
    if runs.empty:
        st.caption("No runs recorded on this page yet.")
        return
    for metric in table["metric"].drop_duplicates():
        shown = table[table["metric"] == metric]
        higher = bool(shown["higher_is_better"].iloc[0])
        st.image(charts.runs_svg(runs[runs["metric"] == metric], metric, higher, **_chart_size()), width="content",
                 alt=f"{metric} of every run on this page, one row per settings (the table below lists them all)")
        st.dataframe(
            shown[["settings", "lessons", "runs", "sessions", "median", "min", "max"]], hide_index=True,
            width="stretch", height=min(36 * (len(shown) + 1) + 3, 400),
            column_config={"settings": st.column_config.TextColumn("Settings (changed from the defaults)",
                                                                   width="large"),
                           "lessons": "Lesson", "runs": "Times run", "sessions": "Sessions",
                           "median": st.column_config.NumberColumn(f"Median {metric}", format="%.3f"),
                           "min": st.column_config.NumberColumn("Min", format="%.3f"),
                           "max": st.column_config.NumberColumn("Max", format="%.3f")})


def _answers_section(task: str, answers: pd.DataFrame) -> None:
    answers = answers[answers["task"] == task]
    for (lesson, question), rows in answers.groupby(["lesson", "question"], sort=False):
        st.markdown(f"**Question{' of lesson ' + escape.markdown(lesson) if lesson else ''}:** "
                    f"{escape.markdown(question)}")
        st.image(charts.answers_svg(rows, **_chart_size()), width="content",
                 alt="How often each answer was given, and whether it was right for the run the student saw")


@st.fragment(run_every=REFRESH_S)
def live(code: str, location: str) -> None:
    """Everything read from the records; reruns on its own every REFRESH_S seconds."""
    try:
        found = summary(code, location)
    except OSError as exc:
        frame.message("error", f"Cannot read the records of class {code}: {reason(exc, location)}")
        return
    totals = found["totals"]
    if not totals["runs"] and not totals["answers"]:
        frame.message("info", f"Nothing recorded for class {code} yet: share a classroom link with class={code} "
                              "(the share box of a lesson page builds one); every run and answer on it shows here.")
        return
    for column, (label, value) in zip(st.columns(4), (("Runs", totals["runs"]), ("Distinct settings", totals["settings"]),
                                                       ("Sessions", totals["sessions"]), ("Answers", totals["answers"])),
                                      strict=True):
        column.metric(label, value)
    ago = f"; last run {_ago(time.time() - found['last'])} ago" if found["last"] is not None else ""
    st.caption(f"Refreshes every {REFRESH_S} s{ago}.")
    runs, table, answers = found["runs"], found["table"], found["answers"]
    pages = _pages(runs, answers)
    # The tab first open: the page the class worked on last (kept for the session: the tab must not
    # jump while the teacher reads). Only the open tab is drawn (docs/DESIGN.md, "Only the open tab
    # is drawn"): one page's chart, table and answers, not every page's.
    labels = {task: label for label, task in pages.items()}
    opened = st.session_state.setdefault(f"cv:opened:{code}", labels.get(found["latest"]))
    tabs = st.tabs(list(pages), key=f"cv:tab:{code}", default=opened if opened in pages else None,
                   on_change="rerun")
    for tab, task in zip(tabs, pages.values(), strict=True):
        if tab.open:
            with tab:
                st.caption(_counts(task, runs, table, answers))
                _runs_section(task, runs, table)
                _answers_section(task, answers)
    with st.expander("Download the records' summaries (CSV)"):
        st.download_button("Runs per settings", csvout.to_csv(table), f"class-{code}-runs.csv", "text/csv",
                           on_click="ignore")
        st.download_button("Answers", csvout.to_csv(answers), f"class-{code}-answers.csv", "text/csv",
                           on_click="ignore")


if not typed.strip():
    st.query_params.pop("class", None)
    st.caption("Type the code of your class: students' runs and answers are recorded when they open lesson pages "
               "through a classroom link with class=CODE.")
else:
    try:
        class_code = classlog.check_code(typed)
    except ConfigError as exc:
        frame.message("error", str(exc))
    else:
        st.query_params["class"] = class_code
        live(class_code, default_location())
