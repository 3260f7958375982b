"""Plotly figures of the anomaly page (no Streamlit). Every figure reads the stored scores of a
run, so moving the threshold or k only redraws: it never retrains."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core import classification, escape
from core.charts import live, style
from core.result import Result
from core.tasks.anomaly.config import SCORERS

COLOURS = {"ae": style.MODEL, "pca": style.NAIVE, "iforest": style.BASELINE_MUTED}


def error_histogram(result: Result, threshold: float, log_y: bool = False) -> go.Figure:
    """Test reconstruction errors by class with the threshold line."""
    a = result.arrays
    scores, y = a["ae_test"], a.get("y_test")
    fig = go.Figure()
    bins = dict(start=0.0, end=float(np.quantile(scores, 0.999)) * 1.05 or 1.0)
    bins["size"] = (bins["end"] - bins["start"]) / 80
    groups = [("all test rows", scores, style.MODEL)] if y is None else [
        ("normal", scores[y == 0], style.CLASS_0), ("anomaly", scores[y == 1], style.CLASS_1)]
    for name, values, colour in groups:
        fig.add_trace(go.Histogram(x=values, name=name, marker_color=colour, opacity=0.7, xbins=bins,
                                   histnorm="probability density"))
    fig.add_vline(x=threshold, line=dict(color=style.TEST, dash="dash"), annotation_text="threshold")
    fig.update_layout(**style.LAYOUT, barmode="overlay", height=380, title="Reconstruction error on the test rows",
                      xaxis_title="reconstruction error (mean squared, scaled features)", yaxis_title="density",
                      yaxis_type="log" if log_y else "linear")
    return fig


def roc_pr(result: Result) -> go.Figure:
    """ROC and precision-recall curves of the autoencoder and both baselines on one set of axes."""
    a = result.arrays
    y = a["y_test"]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("ROC", "Precision-recall"))
    for key, label in SCORERS.items():
        c = classification.curves(y, a[f"{key}_test"])
        if c["roc"] is None:
            continue
        colour = COLOURS[key]
        fig.add_trace(go.Scatter(x=c["roc"]["fpr"], y=c["roc"]["tpr"], name=f"{label} (AUC {c['roc_auc']:.3f})",
                                 line=dict(color=colour), legendgroup=key), 1, 1)
        fig.add_trace(go.Scatter(x=c["pr"]["recall"], y=c["pr"]["precision"], line=dict(color=colour),
                                 name=f"{label} (PR-AUC {c['pr_auc']:.3f})", legendgroup=key), 1, 2)
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], line=dict(color=style.REFERENCE, dash="dot"), name="chance",
                             showlegend=False), 1, 1)
    fig.add_hline(y=float(np.mean(y)), line=dict(color=style.REFERENCE, dash="dot"), row=1, col=2)
    fig.update_xaxes(title_text="false positive rate", row=1, col=1)
    fig.update_yaxes(title_text="true positive rate", row=1, col=1)
    fig.update_xaxes(title_text="recall", row=1, col=2)
    fig.update_yaxes(title_text="precision", row=1, col=2)
    fig.update_layout(**style.LAYOUT, height=420, legend=dict(orientation="h", y=-0.25))
    return fig


def threshold_sweep(result: Result, threshold: float) -> go.Figure:
    """Left: the autoencoder's precision, recall and F1 against its threshold. Right: F1 of all
    three scorers against the number of rows flagged (each scorer's own top rows), since their
    scores are on different scales."""
    a = result.arrays
    y, scores = a["y_test"], a["ae_test"]
    cuts = np.quantile(scores, np.linspace(0.5, 0.9999, 120))
    s = classification.threshold_sweep(y, scores, cuts)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Autoencoder: moving the threshold",
                                                        "F1 of each scorer by rows flagged"))
    for name, colour in (("precision", style.TEAL), ("recall", style.MAGENTA), ("f1", COLOURS["ae"])):
        fig.add_trace(go.Scatter(x=cuts, y=s[name], name=f"autoencoder {name}", line=dict(color=colour)), 1, 1)
    fig.add_vline(x=threshold, line=dict(color=style.TEST, dash="dash"), row=1, col=1)
    counts = np.unique(np.geomspace(1, max(2, len(y) // 2), 80).astype(int))
    for key, label in SCORERS.items():
        order = np.argsort(-a[f"{key}_test"], kind="stable")
        hits = np.cumsum(y[order] == 1)[counts - 1]
        f1 = 2 * hits / (counts + y.sum())
        fig.add_trace(go.Scatter(x=counts, y=f1, name=f"{label} F1", line=dict(color=COLOURS[key], dash="dot")), 1, 2)
    fig.update_xaxes(title_text="threshold (reconstruction error)", row=1, col=1)
    fig.update_xaxes(title_text="rows flagged (highest scores first)", type="log", row=1, col=2)
    fig.update_yaxes(range=[0, 1])
    fig.update_layout(**style.LAYOUT, height=400, legend=dict(orientation="h", y=-0.25))
    return fig


def latent(result: Result) -> go.Figure:
    """The first two bottleneck coordinates of test rows, coloured by label."""
    a = result.arrays
    z, rows = a["latent"], a["latent_rows"]
    y = a["y_test"][rows] if "y_test" in a else np.zeros(len(rows), int)
    second = z[:, 1] if z.shape[1] > 1 else np.zeros(len(z))
    fig = go.Figure()
    for cls, name, colour, size in ((0, "normal", style.CLASS_0, 4), (1, "anomaly", style.CLASS_1, 8)):
        mask = y == cls
        fig.add_trace(go.Scattergl(x=z[mask, 0], y=second[mask], mode="markers", name=name,
                                   marker=dict(color=colour, size=size, opacity=0.6 if cls == 0 else 0.9)))
    fig.update_layout(**style.LAYOUT, height=420, title="Latent space (bottleneck units 1 and 2, test rows)",
                      xaxis_title="unit 1", yaxis_title="unit 2")
    return fig


def why_flagged(result: Result, position: int) -> go.Figure:
    """Per-feature squared reconstruction error of one of the top-scored test rows."""
    a = result.arrays
    errors = a["explain_errors"][position]
    names = [escape.plotly(n) for n in result.info["feature_names"]]  # a file's column names
    order = np.argsort(errors)
    fig = go.Figure(go.Bar(x=errors[order], y=[names[i] for i in order], orientation="h", marker_color=style.MODEL))
    fig.update_layout(**style.LAYOUT, height=max(300, 22 * len(names)),
                      title="Which features the autoencoder could not reconstruct",
                      xaxis_title="squared error (scaled feature)")
    return fig


def timeline(result: Result, threshold: float) -> go.Figure:
    """Market mode: the autoencoder's score per test day, flagged days and known stress days."""
    a = result.arrays
    dates, scores, y = a["dates_test"], a["ae_test"], a["y_test"]
    flagged = scores >= threshold
    fig = go.Figure([go.Scatter(x=dates, y=scores, mode="lines", name="reconstruction error",
                                line=dict(color=style.MODEL, width=1)),
                     go.Scatter(x=dates[flagged], y=scores[flagged], mode="markers", name="flagged",
                                marker=dict(color=style.TEST, size=6)),
                     go.Scatter(x=dates[y == 1], y=scores[y == 1], mode="markers", name="known stress day",
                                marker=dict(color=style.ORANGE, symbol="star", size=14))])  # a star: not colour alone
    fig.add_hline(y=threshold, line=dict(color=style.TEST, dash="dash"))
    fig.update_layout(**style.LAYOUT, height=380, title="Test days: score, threshold and known stress days",
                      yaxis_title="reconstruction error")
    return fig


def costs(result: Result, review_cost: float) -> go.Figure:
    """Fraud amount caught minus review cost, per number of alerts reviewed (each scorer's top
    scores first), for the autoencoder and both baselines."""
    a = result.arrays
    alerts = np.arange(1, len(a["ae_test"]) + 1)
    fig = go.Figure()
    for key, label in SCORERS.items():
        order = np.argsort(-a[f"{key}_test"], kind="stable")
        net = np.cumsum((a["amount_test"] * a["y_test"])[order]) - review_cost * alerts
        best = int(np.argmax(net))
        fig.add_trace(go.Scatter(x=alerts, y=net, line=dict(color=COLOURS[key]),
                                 name=f"{label}: best {best + 1} alerts, net {net[best]:,.0f}"))
    fig.update_layout(**style.LAYOUT, height=400, xaxis_type="log", xaxis_title="alerts reviewed (highest scores first)",
                      yaxis_title="fraud amount caught minus review cost",
                      title="Is reviewing worth it?", legend=dict(orientation="h", y=-0.3))
    return fig


def training(result: Result) -> go.Figure:
    return live.loss_curves(live.from_arrays(result.arrays), "Reconstruction loss (normal rows)", height=320)
