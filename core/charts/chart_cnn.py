"""Charts of the chart-CNN page: the images themselves, the occlusion by day, accuracy over time,
the toy backtest and the training curves (Plotly, no Streamlit)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core import escape
from core.charts import live, style
from core.result import Result

GREYS = [[0.0, style.TRANSPARENT], [1.0, style.NEUTRAL]]  # background shows the page; bars in grey


def images(pictures: np.ndarray, titles: list[str], columns: int = 3, occlusion: np.ndarray | None = None
           ) -> go.Figure:
    """Chart images in a grid (row 0 = the highest price, as drawn); with ``occlusion`` (n, window)
    a strip under each image: how much blanking that day moved P(up) (blue: up, red: down)."""
    n = len(pictures)
    rows = -(-n // columns)
    names = [escape.plotly(t) for t in titles] + [""] * (rows * columns - n)
    if occlusion is not None:  # titles run row by row: each row of images, then its row of strips (untitled)
        names = [name for r in range(rows) for name in names[r * columns:(r + 1) * columns] + [""] * columns]
    fig = make_subplots(rows=rows * (2 if occlusion is not None else 1), cols=columns, subplot_titles=names,
                        row_heights=([0.8, 0.2] * rows) if occlusion is not None else None,
                        vertical_spacing=0.06)
    step = 2 if occlusion is not None else 1
    for i, picture in enumerate(pictures):
        r, c = i // columns * step + 1, i % columns + 1
        z = picture.astype(np.float32)
        fig.add_trace(go.Heatmap(z=z, colorscale=GREYS if picture.dtype == np.uint8 else list(map(list, zip(
            np.linspace(0, 1, len(style.BURD)), style.BURD, strict=True))), showscale=False, hoverinfo="skip"), r, c)
        fig.update_yaxes(autorange="reversed", showticklabels=False, showgrid=False, zeroline=False, row=r, col=c)
        fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, row=r, col=c)
        if occlusion is not None:
            moved = occlusion[i]
            fig.add_trace(go.Bar(x=np.arange(len(moved)), y=moved, showlegend=False,
                                 marker_color=[style.BLUE if v >= 0 else style.RED for v in moved],
                                 hovertemplate="day %{x}: P(up) %{y:+.3f}<extra></extra>"), r + 1, c)
            fig.update_xaxes(showticklabels=False, row=r + 1, col=c)
    fig.update_layout(**style.LAYOUT, height=260 * rows * (1.3 if occlusion is not None else 1), showlegend=False)
    return fig


def accuracy(metrics: dict) -> go.Figure:
    """Each scorer's test accuracy, with the share of up windows marked (a scorer at that line
    could be always saying 'up')."""
    scorers = list(metrics["scorers"].values())
    fig = go.Figure(go.Bar(x=[s["label"] for s in scorers], y=[s["accuracy"] for s in scorers],
                           marker_color=[style.MODEL] + [style.NAIVE] * (len(scorers) - 1),
                           text=[f"{s['accuracy']:.1%}" for s in scorers], textposition="outside"))
    fig.add_hline(y=metrics["share_up_test"], line_dash="dot", line_color=style.NEUTRAL,
                  annotation_text="share of up windows", annotation_position="top left")
    fig.update_layout(**style.LAYOUT, height=300, title="Test accuracy, same windows for every scorer",
                      yaxis_tickformat=".0%", yaxis_range=[0, 1])
    return fig


def by_year(metrics: dict) -> go.Figure:
    """Test accuracy per calendar year: the CNN against the base rate, with the number of windows."""
    years = list(metrics["accuracy_by_year"])
    rows = [metrics["accuracy_by_year"][y] for y in years]
    fig = go.Figure([go.Scatter(x=years, y=[r["model"] for r in rows], name="CNN", mode="lines+markers",
                                line=dict(color=style.MODEL), text=[f"{r['n']} windows" for r in rows]),
                     go.Scatter(x=years, y=[r["base_rate"] for r in rows], name="base rate", mode="lines+markers",
                                line=dict(color=style.NAIVE, dash="dash"), marker_symbol="square")])
    fig.update_layout(**style.LAYOUT, height=320, title="Test accuracy by year", yaxis_tickformat=".0%",
                      yaxis_range=[0, 1], xaxis_type="category")
    return fig


def backtest(result: Result) -> go.Figure:
    """The toy long/flat strategy on the test windows against buy-and-hold."""
    a = result.arrays
    dates = a["test_dates"]
    fig = go.Figure([go.Scatter(x=dates, y=a["equity_strategy"], name="long when the CNN says up, else cash",
                                line=dict(color=style.MODEL)),
                     go.Scatter(x=dates, y=a["equity_buy_and_hold"], name="buy and hold",
                                line=dict(color=style.NAIVE, dash="dash"))])
    fig.update_layout(**style.LAYOUT, height=320, title="Toy backtest on the test windows (growth of 1)",
                      legend=dict(orientation="h", y=-0.2))
    return fig


def training(result: Result) -> go.Figure | None:
    return live.loss_curves(live.from_arrays(result.arrays), "Cross-entropy (training and validation images)",
                            height=300)
