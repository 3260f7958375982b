"""Plotly figures of the playground: boundary (with an epoch scrubber), curves, confusion matrix,
neurons, network diagram, seed disagreement, cost curve."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core import escape
from core.charts import confusion as confusion_chart
from core.charts import style
from core.result import Result


def _problem(result: Result) -> str:
    return result.info.get("problem", "binary")


def _points(result: Result, show_test: bool) -> list[go.Scatter]:
    """The training (and test) points by class, or coloured by their number (regression)."""
    a, info = result.arrays, result.info
    sets = [("train", a["x_train"], a["y_train"], "circle")]
    if show_test:
        sets.append(("test", a["x_test"], a["y_test"], "diamond-open"))
    traces = []
    if _problem(result) == "regression":
        lo, hi = _value_range(result)
        for split, x, y, symbol in sets:
            traces.append(go.Scatter(
                x=x[:, 0], y=x[:, 1], mode="markers", name=f"{split} points", customdata=y,
                hovertemplate=f"{escape.plotly(info.get('target_name', 'y'))} = %{{customdata:.4g}}<extra>{split}</extra>",
                marker=dict(color=y, colorscale=style.VALUE_SCALE, cmin=lo, cmax=hi, symbol=symbol,
                            size=6 if split == "train" else 8, line=dict(color=style.OUTLINE if split == "train" else style.INK,
                                                                        width=1))))
        return traces
    names = [escape.plotly(n) for n in info.get("class_names", ["class 0", "class 1"])]  # a file's labels
    for split, x, y, symbol in sets:
        for cls, name in enumerate(names):
            colour = style.CLASSES[cls % len(style.CLASSES)]
            mask = y == cls
            traces.append(go.Scatter(
                x=x[mask, 0], y=x[mask, 1], mode="markers", name=f"{split}: {name}",
                marker=dict(color=colour, symbol=symbol, size=6 if split == "train" else 8,
                            line=dict(color=style.OUTLINE if split == "train" else colour, width=1))))
    return traces


def _value_range(result: Result) -> tuple[float, float]:
    """The colour range of a number: every known target, test points too (option-call's test
    points beyond the training region are priced higher; the network's flat guess there shows)."""
    y = np.concatenate([result.arrays["y_train"], result.arrays.get("y_test", np.zeros(0))])
    return float(np.min(y)), float(np.max(y))


def class_scale(k: int) -> list:
    """Colours for "winning class + its probability" coded as z = class + probability: band i of
    [i, i+1] runs from nearly white (probability 1/k, a toss-up) to the class's full colour (1)."""
    scale = []
    for i in range(k):
        colour = style.CLASSES[i % len(style.CLASSES)]
        scale += [[(i + 1 / k) / k if i else 0.0, style.PALE], [(i + 1) / k - (1e-6 if i < k - 1 else 0), colour]]
    return scale


def class_picture(probabilities: np.ndarray) -> np.ndarray:
    """(k, G, G) class probabilities as z = winning class + its probability (see ``class_scale``)."""
    p = np.asarray(probabilities, np.float32)
    return p.argmax(axis=0) + p.max(axis=0)


def _heat(result: Result, grid: np.ndarray, discretize: bool, showscale: bool = True) -> go.Heatmap:
    common = dict(x=result.arrays["grid_x"], y=result.arrays["grid_y"], opacity=0.75, showscale=showscale,
                  zsmooth="best", hoverinfo="skip")
    problem = _problem(result)
    if problem == "multiclass":
        grid = np.asarray(grid, np.float32)
        k = grid.shape[0]
        z = grid.argmax(axis=0) + (1.0 if discretize else grid.max(axis=0))
        names = [escape.plotly(n) for n in result.info.get("class_names", [])]
        return go.Heatmap(z=z, zmin=0, zmax=k, colorscale=class_scale(k), zsmooth=False if discretize else "best",
                          colorbar=dict(title="class (paler = less sure)", len=0.5, y=1, yanchor="top",
                                        tickvals=[i + 0.5 for i in range(k)],
                                        ticktext=names), **{key: v for key, v in common.items() if key != "zsmooth"})
    if problem == "regression":
        lo, hi = _value_range(result)
        return go.Heatmap(z=np.asarray(grid, np.float32), zmin=lo, zmax=hi, colorscale=style.VALUE_SCALE,
                          colorbar=dict(title=escape.plotly(result.info.get("target_name", "y")), len=0.5, y=1,
                                        yanchor="top"), **common)
    z = (np.asarray(grid, np.float32) >= 0.5).astype(np.float32) if discretize else np.asarray(grid, np.float32)
    return go.Heatmap(z=z, zmin=0, zmax=1, colorscale=style.BOUNDARY_SCALE, colorbar=dict(title="P(class 1)", len=0.8),
                      **common)


def _axes(fig: go.Figure, result: Result) -> None:
    labels = [escape.plotly(n) for n in result.info.get("axis_labels", ["x1", "x2"])]
    fig.update_xaxes(title=labels[0], showgrid=False)
    fig.update_yaxes(title=labels[1], showgrid=False)


_TITLES = {"binary": "Decision boundary (P of class 1)",
           "multiclass": "Decision regions (colour = predicted class, paler = less sure)",
           "regression": "Predicted value"}


def boundary(result: Result, show_test: bool = True, discretize: bool = False, title: str = "",
             height: int = 520) -> go.Figure:
    """The final boundary, plus a play button and slider that replay the snapshots in the browser."""
    snaps, epochs = result.arrays["snapshots"], result.arrays["snapshot_epochs"]
    fig = go.Figure([_heat(result, snaps[-1], discretize), *_points(result, show_test)])
    frames = [go.Frame(data=[_heat(result, s, discretize)], traces=[0], name=str(int(e)))
              for s, e in zip(snaps, epochs)]
    fig.frames = frames
    steps = [dict(method="animate", label=str(int(e)),
                  args=[[str(int(e))], dict(mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0))])
             for e in epochs]
    fig.update_layout(
        **style.LAYOUT, height=height,
        title=title or _TITLES[_problem(result)],
        legend=dict(orientation="h", y=1.0, yanchor="bottom", x=1, xanchor="right") if _problem(result) == "binary"
        else dict(orientation="v", x=1.02, y=0.45, yanchor="top"),  # under the colour bar (more entries)
        sliders=[dict(active=len(steps) - 1, steps=steps, currentvalue=dict(prefix="epoch "), pad=dict(t=40))],
        updatemenus=[dict(type="buttons", showactive=False, x=0, y=-0.05, xanchor="right", yanchor="top",
                          buttons=[dict(label="▶ replay", method="animate",
                                        args=[None, dict(frame=dict(duration=120, redraw=True), fromcurrent=False,
                                                         transition=dict(duration=0))])])])
    _axes(fig, result)
    return fig


def live_boundary(result_like: Result, grid: np.ndarray, epoch: int) -> go.Figure:
    fig = go.Figure([_heat(result_like, grid, False), *_points(result_like, False)])
    fig.update_layout(**style.LAYOUT, height=420, title=f"Training… epoch {epoch}", showlegend=False)
    _axes(fig, result_like)
    return fig


LOSS_NAMES = {"binary": "binary cross-entropy", "multiclass": "cross-entropy", "regression": "mean squared error"}


def curves(result: Result) -> go.Figure:
    a = result.arrays
    score = result.info.get("score_name", "accuracy")
    fig = make_subplots(rows=1, cols=2, subplot_titles=(f"Loss ({LOSS_NAMES[_problem(result)]})", score.capitalize()
                                                        if score == "accuracy" else score))
    for col, (tr, te) in enumerate((("hist_train_loss", "hist_test_loss"), ("hist_train_score", "hist_test_score")), 1):
        fig.add_trace(go.Scatter(x=a["hist_epoch"], y=a[tr], name="train", line=dict(color=style.TRAIN),
                                 showlegend=col == 1, legendgroup="train"), 1, col)
        fig.add_trace(go.Scatter(x=a["hist_epoch"], y=a[te], name="test", line=dict(color=style.TEST),
                                 showlegend=col == 1, legendgroup="test"), 1, col)
    fig.update_xaxes(title="epoch")
    fig.update_layout(**style.LAYOUT, height=340)
    return fig


def confusion(result: Result) -> go.Figure:
    rule = "threshold 0.5" if _problem(result) == "binary" else "most probable class"
    names = result.info.get("class_names", ["class 0", "class 1"])
    return confusion_chart.matrix(result.metrics["confusion"], names, f"Confusion matrix (test, {rule})",
                                  height=300 + 30 * max(0, len(names) - 2))


def predicted_vs_actual(result: Result) -> go.Figure:
    """Test points: the network's number against the true one (on the diagonal = right)."""
    a = result.arrays
    actual, predicted = a["y_test"], a["seed_test_probs"][0]
    lo, hi = float(min(actual.min(), predicted.min())), float(max(actual.max(), predicted.max()))
    fig = go.Figure([go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="perfect", line=dict(color=style.REFERENCE, dash="dot")),
                     go.Scatter(x=actual, y=predicted, mode="markers", name="test points",
                                marker=dict(color=style.TEST, size=6))])
    target = escape.plotly(result.info.get("target_name", "y"))
    fig.update_layout(**style.LAYOUT, height=400, title="Predicted against actual (test points)",
                      xaxis_title=f"actual {target}", yaxis_title=f"predicted {target}")
    return fig


def formula_error(result: Result) -> go.Figure:
    """Prediction minus the exact value over the picture (option-call: the Black-Scholes price),
    with the border of the region the network trained on."""
    from core.data import toy2d

    a = result.arrays
    predicted = np.asarray(a["snapshots"][-1], np.float32)
    error = predicted - a["exact_grid"]
    span = float(np.nanmax(np.abs(error))) or 1.0
    fig = go.Figure(go.Heatmap(x=a["grid_x"], y=a["grid_y"], z=error, zmin=-span, zmax=span, zmid=0,
                               colorscale=style.ERROR_SCALE, colorbar=dict(title="network − formula", len=0.8),
                               hovertemplate="error %{z:.4f}<extra></extra>"))
    fig.add_vline(x=toy2d.TRAINED_MONEYNESS, line=dict(color=style.INK, dash="dash"),
                  annotation_text="trained up to here", annotation_position="top left",
                  annotation_yanchor="bottom")  # above the picture, in the theme's text colour
    fig.add_trace(go.Scatter(x=a["x_train"][:, 0], y=a["x_train"][:, 1], mode="markers", name="training points",
                             marker=dict(color=style.INK, size=3), hoverinfo="skip"))
    fig.update_layout(**style.LAYOUT, height=460, title="Error against the Black-Scholes formula",
                      legend=dict(orientation="h", y=1.0, yanchor="bottom", x=1, xanchor="right"))
    _axes(fig, result)
    return fig


def neurons(result: Result) -> go.Figure | None:
    """Each hidden neuron's output over the input plane: what each unit has learned to detect."""
    a = result.arrays
    layers = [a[k] for k in sorted((k for k in a if k.startswith("neurons_")), key=lambda k: int(k.split("_")[1]))]
    if not layers:
        return None
    cols = max(min(len(layer), 8) for layer in layers)
    rows_per_layer = [int(np.ceil(len(layer) / cols)) for layer in layers]
    fig = make_subplots(rows=sum(rows_per_layer), cols=cols, horizontal_spacing=0.01, vertical_spacing=0.02)
    row = 1
    for li, layer in enumerate(layers):
        for j, grid in enumerate(layer):
            g = np.asarray(grid, np.float32)
            span = float(np.abs(g).max()) or 1.0
            fig.add_trace(go.Heatmap(z=g, x=a["neuron_x"], y=a["neuron_y"], zmin=-span, zmax=span,
                                     colorscale=style.BOUNDARY_SCALE,
                                     showscale=False, hovertemplate=f"layer {li + 1}, neuron {j + 1}<extra></extra>"),
                          row + j // cols, 1 + j % cols)
        row += rows_per_layer[li]
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(**style.LAYOUT, height=max(160, 110 * sum(rows_per_layer)),
                      title="Hidden neurons: each unit's output over the input plane (one row block per layer)")
    return fig


WIDTHS = 8  # link widths the network diagram tells apart


def network(params: list[np.ndarray], feature_labels: list[str], values: list[np.ndarray] | None = None,
            title: str = "Network: blue links push towards class 1, orange towards class 0; width = |weight|",
            name: str = "w") -> go.Figure:
    """Nodes per layer and one link per weight; each link's colour is the sign of its value and its
    width the size. ``values``: one array per weight matrix to draw instead of the weights (the
    step-through view draws the gradients). Links of one colour and width share a trace (at most
    2 x WIDTHS traces, not one per weight: a 64-64 network has 4,096 weights)."""
    weights = params[0::2]
    shown_values = weights if values is None else values
    sizes = [weights[0].shape[0]] + [w.shape[1] for w in weights]
    labels = [list(feature_labels)] + [[] for _ in sizes[1:]]
    shown = [min(s, 16) for s in sizes]  # draw at most 16 nodes per layer
    ys = [np.linspace(-1, 1, n) if n > 1 else np.zeros(1) for n in shown]
    top = max(float(np.abs(w).max()) for w in shown_values) or 1.0
    groups: dict[tuple[bool, int], tuple[list, list, list]] = {}
    for li, w in enumerate(shown_values):
        for i in range(shown[li]):
            for j in range(shown[li + 1]):
                value = float(w[i, j])
                xs, yv, text = groups.setdefault((value > 0, round(WIDTHS * abs(value) / top)), ([], [], []))
                label = f"{name}{li + 1}[{i + 1},{j + 1}] = {value:+.4g}"
                xs += [li, li + 1, None]
                yv += [ys[li][i], ys[li + 1][j], None]
                text += [label, label, None]
    fig = go.Figure([go.Scatter(x=xs, y=yv, text=text, mode="lines", hoverinfo="text", showlegend=False,
                                line=dict(color=style.POSITIVE_WEIGHT if positive else style.NEGATIVE_WEIGHT,
                                          width=0.5 + 6 * level / WIDTHS))
                     for (positive, level), (xs, yv, text) in sorted(groups.items())])
    for li, n in enumerate(shown):
        names = labels[li] if labels[li] else [f"{'output' if li == len(shown) - 1 else f'h{li}.{k + 1}'}" for k in range(n)]
        more = f" (+{sizes[li] - n} not drawn)" if sizes[li] > n else ""
        fig.add_trace(go.Scatter(x=[li] * n, y=ys[li], mode="markers+text", text=[escape.plotly(t) for t in names[:n]],
                                 textposition="middle left" if li == 0 else "top center",
                                 marker=dict(size=18, color=style.NEUTRAL), showlegend=False, hovertext=[f"{nm}{more}" for nm in names[:n]]))
    fig.update_xaxes(visible=False, range=[-0.6, len(shown) - 0.6])
    fig.update_yaxes(visible=False)
    fig.update_layout(**style.LAYOUT, height=420, title=title)
    return fig


def seeds(result: Result, discretize: bool = False) -> go.Figure:
    """Where seeds disagree (the share of seeds drawing each side, the winning classes, or the
    spread of the predicted number), with the data on top, and the test score per seed."""
    grids = np.asarray(result.arrays["seed_grids"], np.float32)
    problem = _problem(result)
    if problem == "regression":
        disagreement = grids.std(axis=0)
        disagreement = disagreement / (disagreement.max() or 1.0)
    elif problem == "multiclass":
        winners = grids.argmax(axis=1)
        top = np.stack([(winners == c).mean(axis=0) for c in range(grids.shape[1])]).max(axis=0)
        disagreement = (1.0 - top) * grids.shape[1] / max(grids.shape[1] - 1, 1)
    else:
        share = (grids >= 0.5).mean(axis=0)
        disagreement = 1.0 - np.abs(2 * share - 1.0)  # 0 = all agree, 1 = split evenly
    fig = make_subplots(rows=1, cols=2, column_widths=[0.7, 0.3],
                        subplot_titles=(f"Disagreement of {len(grids)} seeds (dark = seeds {'spread' if problem == 'regression' else 'split'})",
                                        f"Test {result.info.get('score_name', 'accuracy')} per seed"))
    fig.add_trace(go.Heatmap(x=result.arrays["grid_x"], y=result.arrays["grid_y"], z=disagreement, zmin=0, zmax=1,
                             colorscale=style.SPREAD_SCALE, showscale=False, hoverinfo="skip"), 1, 1)
    for trace in _points(result, False):
        fig.add_trace(trace, 1, 1)
    score = seed_scores(result)
    fig.add_trace(go.Box(y=score, boxpoints="all", name="test", marker_color=style.TEST, showlegend=False), 1, 2)
    if problem != "regression":
        fig.update_yaxes(tickformat=".1%", row=1, col=2)
    fig.update_layout(**style.LAYOUT, height=460, legend=dict(orientation="h", y=-0.15))
    return fig


def seed_scores(result: Result) -> list[float]:
    """Each seed's test score: accuracy for classes, RMSE for a number."""
    m = result.metrics
    return m.get("seed_test_accuracy") or m.get("seed_test_rmse") or []


def cost_curve(analysis: dict, words: dict[str, str], currency: str = "$") -> go.Figure:
    """``words`` from ``toy2d.cost_words``: applicants and defaults for credit, points elsewhere
    (they may quote a file's class names)."""
    words = {key: escape.plotly(text) for key, text in words.items()}
    fig = go.Figure(go.Scatter(x=analysis["thresholds"], y=analysis["cost"], name="expected cost",
                               line=dict(color=style.MODEL)))
    fig.add_vline(x=analysis["best_threshold"], line=dict(color=style.TEST, dash="dash"),
                  annotation_text=f"best {analysis['best_threshold']:.2f}")
    fig.add_vline(x=0.5, line=dict(color=style.BASELINE_MUTED, dash="dot"), annotation_text="0.5",
                  annotation_position="bottom right")
    fig.update_layout(**style.LAYOUT, height=340, title=f"Expected cost per {words['case']} vs threshold",
                      xaxis_title=f"{words['flag']} when P({words['positive']}) ≥ threshold",
                      yaxis_title=f"cost per {words['case']} ({currency})")
    return fig


def sweep(results: list[Result], sizes: list[int]) -> go.Figure:
    """The capacity sweep: one boundary per network size, titled with train and test accuracy and
    test loss (overfitting shows as a gap and a rising test loss, not only in the picture)."""
    titles = [f"{n} neuron{'s' if n > 1 else ''}: train {r.metrics['train_accuracy']:.0%} · "
              f"test {r.metrics['test_accuracy']:.0%} · test loss {r.metrics['test_loss']:.2f}"
              for n, r in zip(sizes, results)]
    fig = make_subplots(rows=1, cols=len(results), subplot_titles=titles, horizontal_spacing=0.04)
    for i, result in enumerate(results, 1):
        fig.add_trace(_heat(result, result.arrays["snapshots"][-1], False, showscale=False), 1, i)
        for trace in _points(result, True):
            trace.showlegend = i == 1
            fig.add_trace(trace, 1, i)
    fig.update_annotations(font_size=13)
    fig.update_layout(**style.LAYOUT, height=440, legend=dict(orientation="h", y=-0.12))
    return fig
