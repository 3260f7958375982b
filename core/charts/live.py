"""The live training chart of the Keras pages (forecasting, anomalies, sentiment): training and
validation loss per epoch as the worker reports them, and validation accuracy on a second axis
when the training reports it."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from core.charts import style


def loss_curves(history: list[dict[str, Any]], title: str) -> go.Figure | None:
    rows = [h for h in history if "loss" in h]
    if not rows:
        return None
    traces = [go.Scatter(y=[r["loss"] for r in rows], name="training loss", line=dict(color=style.TRAIN)),
              go.Scatter(y=[r.get("val_loss") for r in rows], name="validation loss", line=dict(color=style.TEST))]
    layout: dict[str, Any] = {}
    if any("val_accuracy" in r for r in rows):
        traces.append(go.Scatter(y=[r.get("val_accuracy") for r in rows], name="validation accuracy", yaxis="y2",
                                 line=dict(color=style.TEST, dash="dot")))
        layout["yaxis2"] = dict(overlaying="y", side="right", range=[0, 1], showgrid=False, tickformat=".0%")
    fig = go.Figure(traces)
    fig.update_layout(**style.LAYOUT, **layout, height=260, title=title, xaxis_title="epoch")
    return fig
