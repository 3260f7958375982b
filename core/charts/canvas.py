"""Pictures the browser draws on a <canvas> (``canvas.js``), for a view that redraws on every click:
the step-through view's boundary (click a point to choose it), its network of gradients and its
loss line.

Why not Plotly there: each Plotly chart re-rendered in about 250 ms in headless Chromium on the
two-core test machine, and a step redrew three, so a click took 600-800 ms (bench/step_through.py);
the canvas draws all three in a few milliseconds. What is sent is numbers and this app's own labels,
drawn with ``fillText`` (never parsed as HTML), so nothing a user typed or uploaded becomes markup.
"""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np

from core.charts import style

_COMPONENT: list = []  # registered once per process (Streamlit warns when a name is registered twice)
# The fixed colours the canvas draws with (canvas.js names none of its own): point rims and the
# chosen point's ring (on the boundary picture), nodes and the axes' frame. Text takes the colour
# of the page's text (the theme's), read in the browser.
MARKS = dict(outline=style.OUTLINE, ink=style.INK, neutral=style.NEUTRAL)


def _component():
    if not _COMPONENT:
        import streamlit as st

        _COMPONENT.append(st.components.v2.component(
            "findl_canvas", js=(Path(__file__).with_name("canvas.js")).read_text(), isolate_styles=False))
    return _COMPONENT[0]


def _hex(colour: str) -> np.ndarray:
    return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], np.float64)


def boundary_rgba(values: np.ndarray, opacity: float = 0.75) -> bytes:
    """P(class 1) on the grid as RGBA bytes in ``style.BOUNDARY_SCALE`` (orange, white, blue), as the
    Plotly boundary charts colour it."""
    (s0, c0), (s1, c1), (s2, c2) = [(s, _hex(c)) for s, c in style.BOUNDARY_SCALE]
    v = np.clip(np.nan_to_num(np.asarray(values, np.float64), nan=0.5), 0.0, 1.0)[..., None]
    low = c0 + (c1 - c0) * (v - s0) / (s1 - s0)
    high = c1 + (c2 - c1) * (v - s1) / (s2 - s1)
    return _rgba(np.where(v < s1, low, high).reshape(-1, 3), opacity)


def class_rgba(probabilities: np.ndarray, opacity: float = 0.75) -> bytes:
    """(cells, k) class probabilities as RGBA bytes: the winning class's colour, paler the closer
    its probability is to a toss-up (1/k), as the Plotly region charts colour them."""
    p = np.nan_to_num(np.asarray(probabilities, np.float64), nan=0.0)
    k = p.shape[1]
    palette = np.stack([_hex(style.CLASSES[i % len(style.CLASSES)]) for i in range(k)])
    sure = np.clip((p.max(axis=1) - 1 / k) / (1 - 1 / k), 0.0, 1.0)[:, None]
    pale = _hex(style.PALE)
    return _rgba(pale + (palette[p.argmax(axis=1)] - pale) * sure, opacity)


def value_colours(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Numbers as RGB rows on the value scale (``style.VALUE_SCALE``, Viridis: evenly spaced
    stops) between ``low`` and ``high``."""
    stops = np.stack([_hex(c) for _, c in style.VALUE_SCALE])
    t = np.clip((np.nan_to_num(np.asarray(values, np.float64), nan=low) - low) / ((high - low) or 1.0), 0.0, 1.0)
    where = t * (len(stops) - 1)
    i = np.minimum(where.astype(int), len(stops) - 2)
    return stops[i] + (stops[i + 1] - stops[i]) * (where - i)[:, None]


def _rgba(rgb: np.ndarray, opacity: float = 0.75) -> bytes:
    return np.concatenate([rgb, np.full((len(rgb), 1), 255 * opacity)], axis=1).round().astype(np.uint8).tobytes()


def boundary(key: str, grid: np.ndarray, grid_x: np.ndarray, grid_y: np.ndarray, points: np.ndarray,
             labels: np.ndarray, chosen: int | None, title: str, axis_labels: tuple[str, str],
             problem: str = "binary", on_pick=None, height: int = 440) -> None:
    """What the network says over the grid (grid_y x grid_x cells, first row lowest: P(class 1),
    class probabilities (cells, k) or numbers) with the training points coloured by their label.
    A click on a point calls ``on_pick`` before the rerun; ``picked(st.session_state[key])`` is its
    index then."""
    labels = np.asarray(labels)
    if problem == "regression":
        low, high = float(labels.min()), float(labels.max())
        cells = _rgba(value_colours(np.ravel(grid), low, high))
        colours = ["#{:02x}{:02x}{:02x}".format(*np.round(rgb).astype(int)) for rgb in value_colours(labels, low, high)]
        point_colour = list(range(len(labels)))
    else:
        cells = class_rgba(grid) if problem == "multiclass" else boundary_rgba(np.ravel(grid))
        colours = list(style.CLASSES)
        point_colour = labels.astype(np.int64).tolist()
    data = dict(kind="boundary", height=height, n=len(grid_x), grid=base64.b64encode(cells).decode(),
                x=[float(grid_x[0]), float(grid_x[-1])], y=[float(grid_y[0]), float(grid_y[-1])],
                px=np.round(points[:, 0], 5).tolist(), py=np.round(points[:, 1], 5).tolist(),
                pc=point_colour, colours=colours, chosen=chosen, title=title, xlabel=axis_labels[0],
                ylabel=axis_labels[1], marks=MARKS)
    _component()(key=key, data=data, height=height, on_picked_change=on_pick or (lambda: None))


def picked(state) -> int | None:
    """The point index a click on ``boundary`` just sent (its key's session state), else None."""
    value = state.get("picked") if isinstance(state, dict) else getattr(state, "picked", None)
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def network(key: str, weights: list[np.ndarray], values: list[np.ndarray], inputs: list[str], title: str,
            height: int = 360, max_nodes: int = 16) -> None:
    """Nodes per layer, one line per weight coloured by the sign of its ``values`` entry, width by
    its size (at most ``max_nodes`` per layer drawn)."""
    sizes = [weights[0].shape[0]] + [w.shape[1] for w in weights]
    shown = [min(s, max_nodes) for s in sizes]
    edges = [[li, i, j, float(v[i, j])] for li, v in enumerate(values)
             for i in range(shown[li]) for j in range(shown[li + 1]) if np.isfinite(v[i, j])]
    top = max((abs(e[3]) for e in edges), default=0.0) or 1.0
    hidden = sum(s - n for s, n in zip(sizes, shown))
    note = f"{hidden} neurons not drawn (at most {max_nodes} per layer)" if hidden else ""
    _component()(key=key, height=height, data=dict(
        kind="network", height=height, sizes=shown, edges=edges, top=top, inputs=list(inputs), title=title,
        note=note, positive=style.POSITIVE_WEIGHT, negative=style.NEGATIVE_WEIGHT, marks=MARKS))


def line(key: str, x: list[float], y: list[float], title: str, xlabel: str, ylabel: str, height: int = 200) -> None:
    """A line of (x, y); points that are not finite numbers (a diverged loss) are left out."""
    kept = [(float(a), float(b)) for a, b in zip(x, y) if np.isfinite(a) and np.isfinite(b)]
    xs, ys = ([a for a, _ in kept], [b for _, b in kept]) if kept else ([0.0], [0.0])
    _component()(key=key, height=height, data=dict(kind="line", height=height, x=xs, y=ys, title=title,
                                                    xlabel=xlabel, ylabel=ylabel, colour=style.TRAIN,
                                                    marks=MARKS))
