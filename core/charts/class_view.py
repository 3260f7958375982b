"""The Class view's charts (no Streamlit): the headline metric of every run a class made on one
page, one row of points per settings, and the answers to one question; each a small SVG document
(a string) that the page shows with ``st.image``.

Why SVG and not Plotly: with 500 runs recorded, the page took 2.9-3.1 s to draw in headless
Chromium on a 2-core machine (``python -m bench.class_view``, median of 5 loads; target 2 s), of
which the server's script run was about 0.15 s: the rest was mostly the browser loading and
compiling Streamlit's 4.7 MB Plotly bundle (the page without its charts drew in about 1.4 s). A
teacher's overview needs no zoom or hover, so these charts are drawn here as plain SVG, a few tens
of kilobytes shown as an ``<img>``, and the page loads no Plotly at all: the same bench then drew it
in 1.54-1.58 s (8 runs: 1.51-1.59 s), and a click to another page's tab in about 0.25 s.

An ``<img>`` runs no script and cannot read the page's theme: the text is ``style.NEUTRAL``, a mid
grey readable on the light and the dark background, and every colour is a ``core.charts.style``
name. Every text here that comes from records a student's page wrote (settings values, answers,
metric names) is cut to a limit, stripped of characters XML does not allow and escaped
(``html.escape``), so it is shown as text and the document stays well-formed whatever it holds.
"""

from __future__ import annotations

import html
import math
import re

import numpy as np
import pandas as pd

from core.charts import style

MAX_GROUPS = 15   # settings drawn per chart (most run first); the table lists them all
LABEL_LIMIT = 60  # characters of a settings label or an answer (the table shows them whole)
METRIC_LIMIT = 60  # characters of a metric's name
RIGHT_MARK, WRONG_MARK = "✓ right", "✗ wrong"
FONT = 12          # px: the text size; every length of a chart is a multiple of it
WIDTH = 900        # px: a chart's width (st.image shows it at this width, or narrower in a narrow column)
PROJECTOR_WIDTH = 680  # projector mode: bigger text (frame.PROJECTOR_FONT) in a narrower chart
CHAR = 0.6         # the width of an average character of a sans-serif font, in font sizes
TEXT = style.NEUTRAL

# Characters XML 1.0 does not allow (C0 controls but tab, line feed and carriage return; lone
# surrogates; U+FFFE and U+FFFF) and the C1 controls: a browser refuses an SVG that holds one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _plain(value: object, limit: int) -> str:
    """A record's value as one line of displayable text, cut to ``limit`` (an ellipsis marks the
    cut); not yet escaped."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    try:
        text = str(value)
    except ValueError:  # an int too long to print
        text = "(a number too long to show)"
    text = " ".join(_NOT_XML.sub("", text[: limit * 4]).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _text(value: object, limit: int) -> str:
    """``_plain``, escaped for SVG text and attributes."""
    return html.escape(_plain(value, limit), quote=True)


def _labels(texts: list, limit: int = LABEL_LIMIT) -> list[str]:
    """Row labels: each text cut to ``limit`` and escaped; two texts that read the same once cut
    are told apart with "(2)", "(3)"."""
    seen: dict[str, int] = {}
    out = []
    for text in texts:
        label = _plain(text, limit)
        seen[label] = seen.get(label, 0) + 1
        out.append(html.escape(label if seen[label] == 1 else f"{label} ({seen[label]})", quote=True))
    return out


def _width(text: str, size: float) -> float:
    """The estimated width of ``text`` (escaped or not) at ``size`` px."""
    return len(html.unescape(text)) * CHAR * size


def _finite(value: object) -> float:
    """A finite float, else NaN (None, text, a bool, NaN, ±inf, an int beyond float's range)."""
    if isinstance(value, bool):
        return math.nan
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return math.nan
    return number if math.isfinite(number) else math.nan


def _count(value: object) -> int:
    number = _finite(value)
    return 0 if math.isnan(number) else int(min(max(number, 0), 1e12))


def _n(x: float) -> str:
    """A coordinate as SVG writes it."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _svg(width: float, height: float, font_size: float, body: list[str]) -> str:
    w, h = _n(width), _n(height)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
            f'font-family="sans-serif" font-size="{_n(font_size)}">' + "".join(body) + "</svg>")


# ---- the value axis ------------------------------------------------------------------------------
_BIG = np.finfo(float).max


def _nice(step: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten that is >= ``step`` (> 0)."""
    power = 10.0 ** math.floor(math.log10(step))
    return next((m * power for m in (1, 2, 5) if m * power >= step), 10 * power)


def _axis(lo: float, hi: float) -> tuple[float, float, list[float], int]:
    """The ends of a value axis over the finite values ``lo``..``hi`` (5 % padding), its ticks and
    the significant digits that tell them apart. Halves keep every difference within float's
    range (values of ±1e308 are allowed)."""
    half = hi / 2 - lo / 2
    if half <= 0:
        half = max(abs(lo) / 20, 1e-300) if lo else 0.5
    with np.errstate(over="ignore", invalid="ignore"):
        lo, hi = float(np.clip(lo - half / 10, -_BIG, _BIG)), float(np.clip(hi + half / 10, -_BIG, _BIG))
        step = _nice(max(hi / 2 - lo / 2, 1e-300) * 0.4)
        first = math.ceil(lo / step) if abs(lo / step) < 1e15 else lo / step
        ticks = (first + np.arange(12)) * step
    ticks = sorted({float(t) for t in ticks if math.isfinite(t) and lo <= t <= hi})
    largest = max(abs(lo), abs(hi), step)
    digits = min(15, max(3, math.floor(math.log10(largest)) - math.floor(math.log10(step)) + 2))
    return lo, hi, ticks, digits


# ---- runs ----------------------------------------------------------------------------------------
def runs_svg(runs: pd.DataFrame, metric: str, higher_is_better: bool = True, max_groups: int = MAX_GROUPS, *,
             font_size: float = FONT, width: float = WIDTH) -> str:
    """The ``metric`` of every run in ``runs`` (rows of ``core.classlog.runs_frame`` for one page
    and one metric; a run without a finite value is counted, not drawn): one row per settings, the
    most-run on top, each run a small circle (a fixed vertical jitter so close values stay apart),
    the median a short vertical line; at most ``max_groups`` settings (the title says how many
    more there are). An SVG document."""
    u, row = font_size, 2.8 * font_size
    values = np.array([_finite(v) for v in runs["value"]], dtype=float) if len(runs) else np.array([], dtype=float)
    keys = pd.Series([_plain(s, 10_000) for s in runs["settings"]], index=runs.index, dtype=object)
    valued = ~np.isnan(values)
    order = keys[valued].groupby(keys[valued], sort=False).size().sort_values(ascending=False, kind="stable")
    shown = list(order.index[: max(max_groups, 0)])
    labels = _labels(shown)

    notes = [f"{len(runs)} run{'s' if len(runs) != 1 else ''}", "higher is better" if higher_is_better else "lower is better"]
    if len(order) > len(shown):
        notes.append(f"the {len(shown)} most-run of {len(order)} settings")
    if (~valued).sum():
        notes.append(f"{int((~valued).sum())} without a value")
    notes.append("a line marks each median")
    name = _text(metric, METRIC_LIMIT)
    note = html.escape(f"({', '.join(notes)})")
    title_size = 1.25 * u
    one_line = _width(name, title_size) + _width(note, u) + u <= width
    body = [f'<g fill="{TEXT}">',
            f'<text x="0" y="{_n(1.3 * u)}"><tspan font-weight="bold" font-size="{_n(title_size)}">{name}</tspan>'
            + (f'<tspan dx="{_n(0.5 * u)}">{note}</tspan>' if one_line
               else f'<tspan x="0" dy="{_n(1.5 * u)}">{note}</tspan>') + "</text></g>"]
    top = (2.4 if one_line else 3.9) * u
    rows = max(len(shown), 1)
    left = min(max((_width(label, u) for label in labels), default=0), 0.45 * width) + 1.2 * u
    right = width - 2 * u
    bottom = top + rows * row

    if not shown:
        body.append(f'<text x="{_n(left)}" y="{_n(top + row / 2 + u / 3)}" fill="{TEXT}">'
                    "No run has a value of this metric.</text>")
        return _svg(width, bottom + u, u, body)

    points = values[valued]
    lo, hi, ticks, digits = _axis(float(points.min()), float(points.max()))

    def x(v: float) -> float:
        return left + (v / 2 - lo / 2) / (hi / 2 - lo / 2) * (right - left)

    grid = [f'<line x1="{_n(x(t))}" y1="{_n(top)}" x2="{_n(x(t))}" y2="{_n(bottom)}"/>' for t in ticks]
    grid += [f'<line x1="{_n(left)}" y1="{_n(top + (i + 0.5) * row)}" x2="{_n(right)}" y2="{_n(top + (i + 0.5) * row)}"/>'
             for i in range(len(shown))]
    body.append(f'<g stroke="{style.NEUTRAL}" stroke-opacity="0.25" stroke-width="1">{"".join(grid)}</g>')
    body.append(f'<line x1="{_n(left)}" y1="{_n(bottom)}" x2="{_n(right)}" y2="{_n(bottom)}" stroke="{style.NEUTRAL}"/>')
    text = [f'<text x="{_n(x(t))}" y="{_n(bottom + 1.4 * u)}">{html.escape(f"{t:.{digits}g}")}</text>' for t in ticks]
    text.append(f'<text x="{_n((left + right) / 2)}" y="{_n(bottom + 3 * u)}">{name}</text>')
    body.append(f'<g fill="{TEXT}" text-anchor="middle">{"".join(text)}</g>')

    circles, medians, names = [], [], []
    valued_keys = keys[valued].to_numpy()
    for i, (key, label) in enumerate(zip(shown, labels, strict=True)):
        middle = top + (i + 0.5) * row
        names.append(f'<text x="{_n(left - 0.8 * u)}" y="{_n(middle + u / 3)}">{label}</text>')
        group = points[valued_keys == key]
        for j, value in enumerate(group):
            jitter = ((j * 0.6180339887) % 1 - 0.5) * 0.5 * row  # the golden ratio: evenly spread, fixed
            circles.append(f'<circle cx="{_n(x(value))}" cy="{_n(middle + jitter)}" r="{_n(0.3 * u)}"/>')
        m = x(float(np.median(group / 2)) * 2)  # halves: the median of two values near 1e308 stays finite
        medians.append(f'<line x1="{_n(m)}" y1="{_n(middle - 0.4 * row)}" x2="{_n(m)}" y2="{_n(middle + 0.4 * row)}"/>')
    body.append(f'<g fill="{TEXT}" text-anchor="end">{"".join(names)}</g>')
    body.append(f'<g fill="{style.MODEL}" fill-opacity="0.6">{"".join(circles)}</g>')
    body.append(f'<g stroke="{style.MODEL}" stroke-width="{_n(0.25 * u)}">{"".join(medians)}</g>')
    return _svg(width, bottom + 3.8 * u, u, body)


# ---- answers -------------------------------------------------------------------------------------
# (column, name in the legend, colour, pattern): right and wrong differ in the text mark and the
# hatch too, not in colour alone
SEGMENTS = (("times_right", f"{RIGHT_MARK} for the run they saw", style.MODEL, "hatch"),
            ("times_wrong", f"{WRONG_MARK} for the run they saw", style.NAIVE, ""),
            ("undecided", "? their run could not decide", style.BASELINE_MUTED, "dots"))


def _patterns(u: float) -> str:
    size = _n(0.7 * u)
    hatch = (f'<pattern id="hatch" width="{size}" height="{size}" patternUnits="userSpaceOnUse" '
             f'patternTransform="rotate(45)"><rect width="{size}" height="{size}" fill="{style.MODEL}"/>'
             f'<line x1="0" y1="0" x2="0" y2="{size}" stroke="{style.OUTLINE}" stroke-opacity="0.7" '
             f'stroke-width="{_n(0.2 * u)}"/></pattern>')
    dots = (f'<pattern id="dots" width="{size}" height="{size}" patternUnits="userSpaceOnUse">'
            f'<rect width="{size}" height="{size}" fill="{style.BASELINE_MUTED}"/>'
            f'<circle cx="{_n(0.35 * u)}" cy="{_n(0.35 * u)}" r="{_n(0.1 * u)}" fill="{style.OUTLINE}" '
            'fill-opacity="0.8"/></pattern>')
    return f"<defs>{hatch}{dots}</defs>"


def _fill(colour: str, pattern: str) -> str:
    return f"url(#{pattern})" if pattern else colour


def answers_svg(answers: pd.DataFrame, max_answers: int = MAX_GROUPS, *, font_size: float = FONT,
                width: float = WIDTH) -> str:
    """The answers to one question (rows of ``core.classlog.answers_table`` for it; the page writes
    the question above), most given on top. The run a student saw decides the question, so each
    bar is split into the times the answer was right for that run (hatched), wrong, and undecided
    (grey, dotted); an answer right every time is marked "✓" in its label, wrong every time "✗".
    Right and wrong differ in mark and hatch, not in colour alone. The count and the sessions at
    the bar's end; at most ``max_answers`` answers, most given (a note says how many more there
    were). An SVG document."""
    u, row = font_size, 2.8 * font_size
    counts = np.array([_count(c) for c in answers["count"]], dtype=np.int64)
    rows = answers.assign(count=counts).sort_values("count", ascending=False, kind="stable").reset_index(drop=True)
    more = len(rows) - max(max_answers, 0)
    rows = rows.iloc[: max(max_answers, 0)]
    marks = ["\u00a0\u00a0✓" if right is True else "\u00a0\u00a0✗" if right is False else "" for right in rows["right"]]
    labels = [label + mark for label, mark in zip(_labels(list(rows["answer"])), marks, strict=True)]
    total = rows["count"].to_numpy(dtype=np.int64)
    parts = {"times_right": np.array([_count(c) for c in rows["times_right"]], dtype=np.int64),
             "times_wrong": np.array([_count(c) for c in rows["times_wrong"]], dtype=np.int64)}
    parts["times_right"] = np.minimum(parts["times_right"], total)
    parts["times_wrong"] = np.minimum(parts["times_wrong"], total - parts["times_right"])
    parts["undecided"] = total - parts["times_right"] - parts["times_wrong"]
    ends = [f"{c} given · {s} session{'s' if s != 1 else ''}" for c, s in zip(total, (_count(s) for s in rows["sessions"]),
                                                                          strict=True)]

    body = [_patterns(u)]
    legend, at = [], 0.0
    for column, name, colour, pattern in SEGMENTS:
        if not parts[column].any():
            continue
        legend.append(f'<rect x="{_n(at)}" y="{_n(0.45 * u)}" width="{_n(1.6 * u)}" height="{_n(u)}" '
                      f'fill="{_fill(colour, pattern)}"/>'
                      f'<text x="{_n(at + 2.1 * u)}" y="{_n(1.3 * u)}" fill="{TEXT}">{html.escape(name)}</text>')
        at += 2.1 * u + _width(name, u) + 1.5 * u
    body.append("".join(legend))
    top = 2.4 * u
    left = min(max((_width(label, u) for label in labels), default=0), 0.45 * width) + 1.2 * u
    room = width - left - max((_width(end, u) for end in ends), default=0) - 1.2 * u
    most = max(int(total.max()) if len(total) else 0, 1)
    bottom = top + max(len(rows), 1) * row

    bars, names, notes = [], [], []
    for i, label in enumerate(labels):
        middle, start = top + (i + 0.5) * row, left
        names.append(f'<text x="{_n(left - 0.8 * u)}" y="{_n(middle + u / 3)}">{label}</text>')
        for column, _, colour, pattern in SEGMENTS:
            size = parts[column][i] / most * room
            if size > 0:
                bars.append(f'<rect x="{_n(start)}" y="{_n(middle - 0.3 * row)}" width="{_n(size)}" '
                            f'height="{_n(0.6 * row)}" fill="{_fill(colour, pattern)}"/>')
            start += size
        notes.append(f'<text x="{_n(start + 0.5 * u)}" y="{_n(middle + u / 3)}">{html.escape(ends[i])}</text>')
    body.append("".join(bars))
    body.append(f'<line x1="{_n(left)}" y1="{_n(top)}" x2="{_n(left)}" y2="{_n(bottom)}" stroke="{style.NEUTRAL}"/>')
    body.append(f'<g fill="{TEXT}" text-anchor="end">{"".join(names)}</g>')
    body.append(f'<g fill="{TEXT}">{"".join(notes)}</g>')
    if not len(rows):
        body.append(f'<text x="{_n(left)}" y="{_n(top + row / 2 + u / 3)}" fill="{TEXT}">No answers yet.</text>')
    if more > 0:
        body.append(f'<text x="{_n(width)}" y="{_n(bottom + 1.4 * u)}" fill="{TEXT}" text-anchor="end">'
                    f"and {more} more answer{'s' if more != 1 else ''}</text>")
        bottom += 1.8 * u
    return _svg(width, bottom + 0.6 * u, u, body)
