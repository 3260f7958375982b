"""Plotly figures of the Class view (no Streamlit): the headline metric of every run a class made on
one page, one box of points per settings, and the answers to one question.

Every label here comes from records a student's page wrote (settings values, lesson names,
answers, questions) and goes through ``core.escape.plotly``, so it is shown as text, never as HTML.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core import escape
from core.charts import style

MAX_GROUPS = 15   # settings drawn per chart (most run first); the table lists them all
LABEL_LIMIT = 60  # characters of a settings label on the axis (the table shows them whole)
RIGHT_MARK, WRONG_MARK = "✓ right", "✗ wrong"


def _labels(texts: list[str], limit: int = LABEL_LIMIT) -> list[str]:
    """Axis labels: each text cut to ``limit`` and escaped for Plotly; two texts that read the same
    once cut are told apart with "(2)", "(3)", so two groups never share one category."""
    seen: dict[str, int] = {}
    out = []
    for text in texts:
        label = escape.plotly(escape.shortened(str(text), limit))
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def runs_chart(runs: pd.DataFrame, metric: str, higher_is_better: bool = True,
               max_groups: int = MAX_GROUPS) -> go.Figure:
    """The ``metric`` of every run in ``runs`` (rows of ``core.classlog.runs_frame`` for one page
    and one metric): one horizontal box per settings with each run as a point, the most-run
    settings on top; at most ``max_groups`` settings (the title says how many more there are)."""
    valued = runs[runs["value"].notna()]
    order = valued.groupby("settings", sort=False).size().sort_values(ascending=False, kind="stable")
    shown = list(order.index[:max_groups])
    labels = dict(zip(shown, _labels(shown), strict=True))
    points = valued[valued["settings"].isin(shown)]
    lessons = points["lesson"].map(lambda name: f"lesson {escape.plotly(name)}" if name else "")
    fig = go.Figure(go.Box(
        x=points["value"].to_numpy(), y=points["settings"].map(labels).to_numpy(), orientation="h",
        boxpoints="all", jitter=0.5, pointpos=0, marker=dict(color=style.MODEL, size=6, opacity=0.6),
        line=dict(color=style.MODEL), fillcolor=style.rgba(style.MODEL, 0.08), name="", showlegend=False,
        hovertext=lessons.to_numpy(), hovertemplate="%{x:.4g}<br>%{hovertext}<extra></extra>"))
    notes = [f"{len(runs)} runs", "higher is better" if higher_is_better else "lower is better"]
    if len(order) > len(shown):
        notes.append(f"the {len(shown)} most-run of {len(order)} settings")
    if len(runs) > len(valued):
        notes.append(f"{len(runs) - len(valued)} without a value")
    fig.update_layout(**style.LAYOUT, height=110 + 34 * max(len(shown), 1),
                      title=dict(text=f"{escape.plotly(metric)} <sup>({escape.plotly(', '.join(notes))})</sup>",
                                 font=dict(size=15)))
    fig.update_xaxes(title_text=escape.plotly(metric))
    fig.update_yaxes(categoryorder="array", categoryarray=[labels[s] for s in reversed(shown)], automargin=True)
    return fig


# (name in the legend, colour, hatch): right and wrong differ in the text mark and the hatch too
SEGMENTS = (("times_right", f"{RIGHT_MARK} for the run they saw", style.MODEL, "/"),
            ("times_wrong", f"{WRONG_MARK} for the run they saw", style.NAIVE, ""),
            ("undecided", "? their run could not decide", style.BASELINE_MUTED, "."))


def answers_chart(answers: pd.DataFrame, max_answers: int = MAX_GROUPS) -> go.Figure:
    """The answers to one question (rows of ``core.classlog.answers_table`` for it; the page writes
    the question above), most given on top. The run a student saw decides the question, so each
    bar is split into the times the answer was right for that run, wrong, and undecided; an answer
    right every time is marked "✓" in its label, wrong every time "✗". Right and wrong differ in
    mark and hatch, not in colour alone. At most ``max_answers`` answers, most given (a note says
    how many more there were)."""
    rows = answers.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)
    more = len(rows) - max_answers
    rows = rows.iloc[:max_answers]
    marks = ["  ✓" if right is True else "  ✗" if right is False else "" for right in rows["right"]]
    labels = [label + mark for label, mark in zip(_labels([str(a) for a in rows["answer"]]), marks, strict=True)]
    counts = {"times_right": rows["times_right"].to_numpy(), "times_wrong": rows["times_wrong"].to_numpy()}
    counts["undecided"] = rows["count"].to_numpy() - counts["times_right"] - counts["times_wrong"]
    fig = go.Figure()
    for column, name, colour, hatch in SEGMENTS:
        if not counts[column].any():
            continue
        fig.add_trace(go.Bar(
            x=counts[column], y=labels, orientation="h", name=escape.plotly(name),
            marker=dict(color=colour, pattern=dict(shape=hatch, fgcolor=style.OUTLINE)),
            hovertemplate="%{y}: %{x} " + escape.plotly(name) + "<extra></extra>"))
    sessions = [f"{s} session{'s' if s != 1 else ''}" for s in rows["sessions"]]
    fig.add_trace(go.Scatter(x=rows["count"].to_numpy(), y=labels, mode="text", text=sessions,
                             textposition="middle right", showlegend=False, hoverinfo="skip"))
    fig.update_layout(**style.LAYOUT, barmode="stack", height=110 + 34 * max(len(rows), 1),
                      legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom", traceorder="normal"))
    if more > 0:
        fig.add_annotation(text=f"and {more} more answers", xref="paper", yref="paper", x=1, y=0, showarrow=False,
                           xanchor="right", yanchor="bottom")
    most = int(rows["count"].max()) if len(rows) else 1
    fig.update_xaxes(title_text="answers given", range=[0, most * 1.35 + 0.5])
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(labels)), automargin=True)
    return fig
