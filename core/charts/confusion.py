"""The confusion matrix, one figure for every page that labels things (playground, anomalies,
sentiment): actual classes down, predicted across, counts in the cells."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from core import escape
from core.charts import style


def matrix(counts: Sequence[Sequence[int]], class_names: Sequence[str], title: str, height: int = 300) -> go.Figure:
    cm = np.asarray(counts)  # kept as customdata: the counts behind the colours
    share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)  # colour by the share of each actual class
    text = [[f"{n}<br>{s:.0%}" for n, s in zip(row, srow)] for row, srow in zip(cm, share)]
    class_names = [escape.plotly(n) for n in class_names]  # a file's labels: shown, never rendered
    fig = go.Figure(go.Heatmap(z=share, x=[f"predicted {n}" for n in class_names],
                               y=[f"actual {n}" for n in class_names], colorscale=style.SHARE_SCALE, showscale=False,
                               zmin=0, zmax=1, text=text, texttemplate="%{text}", customdata=cm,
                               hovertemplate="%{y}, %{x}: %{text}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(**style.LAYOUT, height=height, title=title)
    return fig
