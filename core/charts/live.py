"""The live training chart of the Keras pages (forecasting, anomalies, sentiment): training and
validation loss per epoch as the worker reports them, and validation accuracy on a second axis
when the training reports it."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from core.charts import style


def loss_curves(history: list[dict[str, Any]], title: str, height: int = 260) -> go.Figure | None:
    """``history``: one dict per epoch (loss, val_loss, optionally val_accuracy), as the worker
    reports it live or as ``from_arrays`` rebuilds it from a stored run."""
    rows = [h for h in history if "loss" in h]
    if not rows:
        return None
    epochs = list(range(1, len(rows) + 1))  # counted from 1, as the pages' captions count them
    traces = [go.Scatter(x=epochs, y=[r["loss"] for r in rows], name="training loss", line=dict(color=style.TRAIN)),
              go.Scatter(x=epochs, y=[r.get("val_loss") for r in rows], name="validation loss",
                         line=dict(color=style.TEST))]
    layout: dict[str, Any] = {}
    if any("val_accuracy" in r for r in rows):
        traces.append(go.Scatter(x=epochs, y=[r.get("val_accuracy") for r in rows], name="validation accuracy", yaxis="y2",
                                 line=dict(color=style.TEST, dash="dot")))
        layout["yaxis2"] = dict(overlaying="y", side="right", range=[0, 1], showgrid=False, tickformat=".0%")
    fig = go.Figure(traces)
    fig.update_layout(**style.LAYOUT, **layout, height=height, title=title, xaxis_title="epoch")
    return fig


def from_arrays(arrays: dict[str, Any]) -> list[dict[str, Any]]:
    """A stored run's per-epoch ``loss`` / ``val_loss`` (and ``val_accuracy``) arrays as the
    history ``loss_curves`` reads."""
    names = [n for n in ("loss", "val_loss", "val_accuracy") if n in arrays]
    return [{n: float(arrays[n][i]) for n in names} for i in range(len(arrays["loss"]))]
