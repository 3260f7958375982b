"""Figures and tables of the sentiment page (no Streamlit): the model beside its two baselines,
per-class scores, training curves, highlighted words, attention per head, daily sentiment."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core import escape
from core.charts import confusion as confusion_chart
from core.charts import live, style
from core.data.sentences import LABELS
from core.result import Result
from core.tasks.sentiment.config import SCORERS

# Blue against red (never green against red), and a hatch as a second cue: the classes differ in
# more than colour.
LABEL_COLOURS = {"negative": style.NEGATIVE, "neutral": style.NEUTRAL_LABEL, "positive": style.POSITIVE}
LABEL_HATCH = {"negative": "/", "neutral": "", "positive": ""}  # neutral: grey, no side


def scores_of(metrics: dict, key: str) -> dict:
    """The metrics block of one scorer: the network's are at the top level, a baseline's under
    ``baselines``."""
    return metrics if key == "model" else metrics["baselines"][key]


def table(metrics: dict) -> pd.DataFrame:
    """One row per scorer: accuracy, macro-F1 and each class's F1 (test sentences)."""
    rows = {}
    for key, name in SCORERS.items():
        m = scores_of(metrics, key)
        rows[name] = {"accuracy": m["accuracy"], "macro-F1": m["macro_f1"],
                      **{f"F1 {label}": m["per_class"][label]["f1"] for label in LABELS}}
    return pd.DataFrame(rows).T


def per_class(metrics: dict) -> pd.DataFrame:
    """Precision, recall and F1 of every class for every scorer (long table)."""
    rows = []
    for key, name in SCORERS.items():
        for label in LABELS:
            c = scores_of(metrics, key)["per_class"][label]
            rows.append({"scorer": name, "class": label, "precision": c["precision"], "recall": c["recall"],
                         "F1": c["f1"], "sentences": c["support"]})
    return pd.DataFrame(rows)


def confusion(metrics: dict, key: str) -> go.Figure:
    return confusion_chart.matrix(scores_of(metrics, key)["confusion"], LABELS, f"{SCORERS[key]} (test sentences)",
                                  height=320)


def training(result: Result) -> go.Figure:
    return live.loss_curves(live.from_arrays(result.arrays), "Per epoch: cross-entropy (training class-weighted) and validation accuracy", height=320)


def probabilities(probs: dict[str, Sequence[float]]) -> go.Figure:
    """Class probabilities of each scorer for one sentence (the lexicon's is its rule's one-hot)."""
    fig = go.Figure()
    for label_index, label in enumerate(LABELS):
        fig.add_trace(go.Bar(y=[SCORERS[k] for k in probs], x=[p[label_index] for p in probs.values()],
                             name=label, orientation="h",
                             marker=dict(color=LABEL_COLOURS[label], pattern=dict(shape=LABEL_HATCH[label])),
                             text=[f"{p[label_index]:.0%}" for p in probs.values()], textposition="inside"))
    fig.update_layout(**style.LAYOUT, barmode="stack", height=200, xaxis=dict(range=[0, 1], tickformat=".0%"),
                      legend=dict(orientation="h", y=-0.3), yaxis=dict(autorange="reversed"))
    return fig


# A word gets full colour at a weight of 1 in its scorer's units: one unit of log-odds of positive
# against negative (the network's gradient x input, TF-IDF's contributions: the odds move about
# 2.7-fold), one whole lexicon term, or attention twice an even share. Why a fixed scale and not
# the sentence's largest weight: scaled within the sentence, the strongest word is always bright,
# so a guess (no known word, weights near 0) looked as sure as a decisive headline.
FULL_COLOUR = 1.0
_ALPHA_MAX = 0.75  # the text stays readable on the strongest colour
# A signed word's second cue (its colour is the first): a solid underline towards positive, a wavy
# one towards negative, in the word's colour, as strong as its evidence (opaque at full colour).
UNDERLINE = {True: "solid", False: "wavy"}


def _strengths(weights: Sequence[float], signed: bool, scale: float, fade: float) -> list[float]:
    """Each word's strength, 0-1 (see ``word_colours``)."""
    return [min(1.0, (abs(w) if signed else max(w, 0.0)) / scale) * fade for w in weights]


def _hue(weight: float, signed: bool) -> str:
    return (style.POSITIVE if weight >= 0 else style.NEGATIVE) if signed else style.ATTENTION


def word_colours(weights: Sequence[float], signed: bool = True, scale: float = FULL_COLOUR,
                 fade: float = 1.0) -> list[str]:
    """The CSS background of each word. ``signed``: blue (pushes towards positive) or red
    (towards negative); else yellow (attention above an even share) and nothing below it. Strength:
    the weight over ``scale``, capped at full colour; the same weight gets the same colour in every
    sentence, so weak evidence looks weak. ``fade`` (0-1) pales every word: an answer the model is
    unsure of must not look vivid."""
    return [style.rgba(_hue(w, signed), round(s * _ALPHA_MAX, 2))
            for w, s in zip(weights, _strengths(weights, signed, scale, fade))]


def highlight(text: str, spans: Sequence[tuple[int, int]], weights: Sequence[float], signed: bool = True,
              scale: float = FULL_COLOUR, fade: float = 1.0) -> str:
    """The sentence as HTML, each word on its ``word_colours`` background, its weight on hover;
    ``signed``: underlined as well, solid towards positive and wavy towards negative (``UNDERLINE``),
    so the direction never rests on colour alone."""
    out, last = [], 0
    strengths = _strengths(weights, signed, scale, fade)
    for (start, end), weight, colour, strength in zip(spans, weights, word_colours(weights, signed, scale, fade),
                                                      strengths):
        out.append(html.escape(text[last:start]))
        line = (f"; text-decoration: underline {UNDERLINE[weight >= 0]} {style.rgba(_hue(weight, True), round(strength, 2))}; "
                "text-decoration-thickness: 2px; text-underline-offset: 3px" if signed else "")
        out.append(f'<span style="background: {colour}; border-radius: 3px; padding: 0 2px{line}" '
                   f'title="{weight:+.3f}">{html.escape(text[start:end])}</span>')
        last = end
    out.append(html.escape(text[last:]))
    return f'<div style="font-size: 1.15rem; line-height: 2">{"".join(out)}</div>'


def attention(maps: np.ndarray, words: Sequence[str], block: int) -> go.Figure:
    """One heatmap per head of ``block``: row = a word attending, column = the word it reads. The
    colour scale is absolute (0 to 1): an even spread (1/n per word) stays pale, as it should."""
    heads = maps.shape[1]
    fig = make_subplots(rows=1, cols=heads, subplot_titles=[f"head {h + 1}" for h in range(heads)],
                        horizontal_spacing=0.06)
    labels = [f"{i + 1}:{escape.plotly(w)}" for i, w in enumerate(words)]
    n = len(words)
    for h in range(heads):
        fig.add_trace(go.Heatmap(z=maps[block, h, :n, :n], x=labels, y=labels, colorscale=style.SHARE_SCALE, zmin=0, zmax=1,
                                 showscale=h == heads - 1,
                                 hovertemplate="%{y} reads %{x}: %{z:.2f}<extra></extra>"), 1, h + 1)
        fig.update_yaxes(autorange="reversed", row=1, col=h + 1, showticklabels=h == 0)
    fig.update_layout(**style.LAYOUT, height=260 + 14 * n, title=f"Attention weights, block {block + 1}")
    return fig


def daily(dates: np.ndarray, probs: np.ndarray) -> go.Figure:
    """Average net sentiment (P(positive) - P(negative)) per day, with the number of sentences."""
    frame = pd.DataFrame({"date": pd.to_datetime(dates), "net": probs[:, 2] - probs[:, 0]})
    by_day = frame.groupby(frame["date"].dt.normalize())["net"].agg(["mean", "count"])
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=by_day.index, y=by_day["count"], name="sentences", marker_color=style.rgba(style.NEUTRAL, 0.35)),
                  secondary_y=True)
    fig.add_trace(go.Scatter(x=by_day.index, y=by_day["mean"], name="mean P(positive) - P(negative)",
                             mode="lines+markers", line=dict(color=style.MODEL)))
    fig.update_yaxes(title_text="net sentiment", range=[-1, 1], secondary_y=False)
    fig.update_yaxes(title_text="sentences", secondary_y=True, showgrid=False)
    fig.update_layout(**style.LAYOUT, height=360, title="Daily sentiment of the scored file",
                      legend=dict(orientation="h", y=-0.2))
    return fig


def reliability(tables: dict[str, dict]) -> go.Figure:
    """Reliability diagram: per bin of top probability, the share of right answers against the mean
    confidence (``calibration.reliability`` tables by name); on the diagonal, "80 % sure" is right
    80 % of the time. Marker size: how many sentences the bin holds."""
    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfectly calibrated",
                               line=dict(color=style.REFERENCE, dash="dash")))
    for (name, table), colour in zip(tables.items(), (style.BASELINE_MUTED, style.MODEL)):
        kept = [i for i, n in enumerate(table["n"]) if n]
        fig.add_trace(go.Scatter(
            x=[table["confidence"][i] for i in kept], y=[table["accuracy"][i] for i in kept], name=name,
            mode="lines+markers", line=dict(color=colour),
            marker=dict(size=[6 + 14 * (table["n"][i] / max(table["n"])) ** 0.5 for i in kept]),
            customdata=[table["n"][i] for i in kept],
            hovertemplate="confidence %{x:.2f}: right %{y:.0%} of %{customdata} sentences<extra></extra>"))
    fig.update_layout(**style.LAYOUT, height=380, title="Reliability on the test sentences",
                      xaxis=dict(title="mean top probability in the bin", range=[0, 1], tickformat=".0%"),
                      yaxis=dict(title="share right", range=[0, 1], tickformat=".0%"),
                      legend=dict(orientation="h", y=-0.25))
    return fig


def sanity_misses(arrays: dict) -> pd.DataFrame:
    """The plain sanity sentences at least one scorer gets wrong, with every scorer's answer."""
    y = arrays["sanity_y"]
    answers = {SCORERS[key]: arrays[f"sanity_{key}"] for key in SCORERS}
    wrong = np.flatnonzero(np.any([a != y for a in answers.values()], axis=0))
    return pd.DataFrame({"sentence": arrays["sanity_texts"][wrong], "label": [LABELS[i] for i in y[wrong]],
                         **{name: [LABELS[i] if i == y[j] else f"✗ {LABELS[i]}" for i, j in zip(a[wrong], wrong)]
                            for name, a in answers.items()}})


SANITY_TARGET = 0.9  # a scorer under this on plain sentences is named as failing them


def sanity_summary(sanity: dict) -> str:
    """One line on the plain sanity sentences: each scorer's accuracy and who falls short of
    ``SANITY_TARGET``."""
    scores = ", ".join(f"{SCORERS[k]} {sanity[k]:.0%}" for k in SCORERS)
    failing = [SCORERS[k] for k in SCORERS if sanity[k] < SANITY_TARGET]
    verdict = (f"Under {SANITY_TARGET:.0%}: {', '.join(failing)} (see the Plain sentences tab for where)."
               if failing else f"All three get at least {SANITY_TARGET:.0%} right.")
    return (f"Plain sentences ({sanity['n']} clear-cut sentences a student might type, never trained on): "
            f"{scores}. {verdict}")


def calibration_summary(c: dict) -> str:
    """What temperature scaling did on this run, in numbers."""
    direction = ("softened (the raw network was over-confident)" if c["temperature"] > 1.05 else
                 "sharpened (the raw network was under-confident)" if c["temperature"] < 0.95 else
                 "barely changed (the raw network was close to calibrated)")
    better = c["ece_test_after"] < c["ece_test_before"]
    return (f"Temperature T = {c['temperature']:.2f}, fitted on the validation sentences: the probabilities are "
            f"{direction}; the predicted class never changes. Expected calibration error (the gap between "
            f"confidence and the share right, averaged over 10 bins): validation {c['ece_val_before']:.3f} -> "
            f"{c['ece_val_after']:.3f}; test sentences, which T never saw, {c['ece_test_before']:.3f} -> "
            f"{c['ece_test_after']:.3f} ({'better' if better else 'not better on this run'}). The page and the "
            "downloaded model use the scaled probabilities.")
