"""Issue 19 ("Seen from the back row"): one colour-blind-safe palette (Paul Tol's schemes, named in
``core/charts/style.py``) across every chart; no meaning carried by red against green; charts that
draw no background or text colour of their own, so they follow Streamlit's light or dark theme.

Fast and without training: the chart sources are scanned for colour literals, the style constants
are checked under simulated colour blindness, and a representative set of figures is built from
small synthetic results and every colour in them held to the palette."""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.colors
import plotly.graph_objects as go
import pytest
from _plotly_utils.basevalidators import ColorValidator

from core.charts import anomaly, canvas, class_view, confusion, forecast, live, playground, sentiment, style
from core.result import Result

CHARTS = Path(__file__).resolve().parents[1] / "core" / "charts"
HEX = re.compile(r"#(?:[0-9a-fA-F]{8}|[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")
RGB = re.compile(r"rgba?\(\s*\d")
CSS_NAMES = {name.lower() for name in ColorValidator.named_colors}
SCALE_NAMES = {name.lower() for name in plotly.colors.named_colorscales()}


def _named(text: str) -> bool:
    """A CSS colour name ("red", "white") or a Plotly colour scale ("Blues", "RdBu_r") on its own."""
    word = text.strip().lower()
    return word in CSS_NAMES or word in SCALE_NAMES or (word.endswith("_r") and word[:-2] in SCALE_NAMES)


def _literal_problems(text: str) -> list[str]:
    return HEX.findall(text) + RGB.findall(text) + ([text] if _named(text) else [])


# ---- the sources ---------------------------------------------------------------------------------

def _python_strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


@pytest.mark.parametrize("path", sorted(p for p in CHARTS.glob("*.py") if p.name != "style.py"),
                         ids=lambda p: p.name)
def test_no_chart_module_names_a_colour_of_its_own(path):
    """Every colour lives in style.py: a hex code, an rgb()/rgba() string, a CSS colour name or a
    named Plotly scale anywhere else is a colour outside the palette."""
    found = [(line, text, _literal_problems(text)) for line, text in _python_strings(path)]
    assert [f for f in found if f[2]] == [], f"{path.name}: colour literals outside style.py"


def test_the_canvas_script_names_no_colour():
    source = (CHARTS / "canvas.js").read_text()
    code = re.sub(r"//[^\n]*|/\*.*?\*/", "", source, flags=re.DOTALL)  # comments may name colours
    strings = re.findall(r'"((?:[^"\\]|\\.)*)"|\'((?:[^\'\\]|\\.)*)\'|`((?:[^`\\]|\\.)*)`', code)
    problems = [s for groups in strings for s in groups if s and _literal_problems(s)]
    assert problems == [] and not HEX.search(code) and not RGB.search(code)
    assert "getComputedStyle(parent).color" in code  # its text takes the theme's text colour


def test_style_cites_tol_and_names_every_colour_once():
    text = (CHARTS / "style.py").read_text()
    assert "Paul Tol" in text and "Colour Schemes" in text and "SRON" in text
    assert style.LAYOUT["template"] is style.TEMPLATE  # not "plotly_white", which drew white backgrounds
    for colour in style.PALETTE:
        assert re.fullmatch(r"#[0-9A-F]{6}", colour)


# ---- the constants -----------------------------------------------------------------------------

def _linear(rgb):
    c = np.asarray(rgb, float) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _rgb(colour: str) -> list[int]:
    return [int(colour[i:i + 2], 16) for i in (1, 3, 5)]


# Machado, Oliveira and Fernandes (2009), severity 1.0, on linear RGB
VISION = {"typical": np.eye(3),
          "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                                  [-0.003882, -0.048116, 1.051998]]),
          "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                                    [-0.011820, 0.042940, 0.968881]]),
          "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                                  [0.004733, 0.691367, 0.303900]])}


def _lab(colour: str, vision: str) -> np.ndarray:
    linear = np.clip(VISION[vision] @ _linear(_rgb(colour)), 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _difference(a: str, b: str, vision: str) -> float:
    """CIE76 colour difference as a viewer with ``vision`` sees the two colours."""
    return float(np.linalg.norm(_lab(a, vision) - _lab(b, vision)))


def _hue(colour: str) -> float | None:
    r, g, b = (v / 255 for v in _rgb(colour))
    high, low = max(r, g, b), min(r, g, b)
    if high - low < 0.15:
        return None  # a grey
    if high == r:
        return (60 * (g - b) / (high - low)) % 360
    return 60 * ((b - r) / (high - low) + 2) if high == g else 60 * ((r - g) / (high - low) + 4)


def _red_and_green(a: str, b: str) -> bool:
    hues = sorted(h for h in (_hue(a), _hue(b)) if h is not None)
    red = lambda h: h < 20 or h > 340
    green = lambda h: 75 <= h <= 165
    return len(hues) == 2 and ((red(hues[0]) and green(hues[1])) or (green(hues[0]) and red(hues[1])))


# Two colours that carry a meaning against each other: class 0 / class 1, the sign of a weight, train
# / test, the model / its baseline, positive / negative.
OPPOSITES = {"classes": (style.CLASS_0, style.CLASS_1), "weights": (style.POSITIVE_WEIGHT, style.NEGATIVE_WEIGHT),
             "train/test": (style.TRAIN, style.TEST), "model/naive": (style.MODEL, style.NAIVE),
             "sentiment": (sentiment.LABEL_COLOURS["positive"], sentiment.LABEL_COLOURS["negative"]),
             "words": (style.POSITIVE, style.NEGATIVE)}


def test_the_method_catches_the_old_red_green_pair():
    """The check below is not vacuous: the former sentiment pair (Plotly's red and green) is nearly
    one colour for a deuteranope, and is red against green."""
    assert _difference("#2ca02c", "#d62728", "deuteranopia") < 10 and _red_and_green("#2ca02c", "#d62728")


@pytest.mark.parametrize("name", OPPOSITES)
@pytest.mark.parametrize("vision", VISION)
def test_opposites_stay_far_apart_for_every_kind_of_colour_vision(name, vision):
    a, b = OPPOSITES[name]
    assert {a.upper(), b.upper()} <= style.PALETTE
    assert not _red_and_green(a, b)
    assert _difference(a, b, vision) > 40, (name, vision)


def test_no_red_and_green_anywhere_in_the_categories():
    categories = [*style.CLASSES, style.TRAIN, style.TEST, style.MODEL, style.NAIVE, *sentiment.LABEL_COLOURS.values()]
    assert not any(_red_and_green(a, b) for a, b in itertools.combinations(categories, 2))


@pytest.mark.parametrize("vision", ["typical", "protanopia", "deuteranopia"])
def test_the_six_classes_stay_apart(vision):
    assert len(set(style.CLASSES)) == 6 and set(style.CLASSES) <= style.PALETTE
    closest = min(_difference(a, b, vision) for a, b in itertools.combinations(style.CLASSES, 2))
    assert closest > 15


def test_the_scales_are_tols_or_viridis():
    for scale, colours in ((style.VALUE_SCALE, style.VIRIDIS), (style.ERROR_SCALE, style.BURD),
                           (style.SHARE_SCALE, style.YLORBR)):
        assert [c for _, c in scale] == list(colours)
        assert scale[0][0] == 0 and scale[-1][0] == 1
    assert [c for _, c in style.BOUNDARY_SCALE] == [style.CLASS_0, style.PALE, style.CLASS_1]
    assert [v.upper() for v in plotly.colors.sequential.Viridis] == list(style.VIRIDIS)  # the same Viridis


def test_the_canvas_uses_the_same_colours():
    assert canvas.boundary_rgba(np.array([0.0, 0.5, 1.0]), opacity=1.0) == bytes(
        [*_rgb(style.CLASS_0), 255, *_rgb(style.PALE), 255, *_rgb(style.CLASS_1), 255])
    ends = canvas.value_colours(np.array([0.0, 1.0]), 0.0, 1.0).round().astype(int).tolist()
    assert ends == [_rgb(style.VIRIDIS[0]), _rgb(style.VIRIDIS[-1])]
    assert set(canvas.MARKS.values()) <= style.PALETTE


# ---- the figures -------------------------------------------------------------------------------

RNG = np.random.default_rng(0)
G = 12


def _playground(problem: str) -> Result:
    k = 3 if problem == "multiclass" else 2
    x = RNG.normal(size=(40, 2))
    y = RNG.normal(size=40) if problem == "regression" else RNG.integers(0, k, 40)
    grid = RNG.random((k, G, G)) if problem == "multiclass" else RNG.random((G, G))
    if problem == "multiclass":
        grid = grid / grid.sum(axis=0)
    epochs = np.arange(1, 6)
    arrays = {"x_train": x[:30], "y_train": y[:30], "x_test": x[30:], "y_test": y[30:], "grid_x": np.linspace(-2, 2, G),
              "grid_y": np.linspace(-2, 2, G), "snapshots": np.stack([grid, grid]), "snapshot_epochs": np.array([1, 5]),
              "hist_epoch": epochs, "hist_train_loss": 1 / epochs, "hist_test_loss": 1.1 / epochs,
              "hist_train_score": 1 - 1 / epochs / 2, "hist_test_score": 1 - 1 / epochs / 1.8,
              "seed_grids": np.stack([grid] * 3), "seed_test_probs": RNG.normal(size=(3, 10)), "exact_grid": grid,
              "neurons_1": RNG.normal(size=(3, 6, 6)), "neuron_x": np.linspace(-2, 2, 6), "neuron_y": np.linspace(-2, 2, 6)}
    names = [f"class {i}" for i in range(k)]
    metrics = {"confusion": [[5, 1, 0][:k], [2, 4, 1][:k], [0, 1, 6][:k]][:k], "seed_test_accuracy": [0.8, 0.85, 0.9],
               "train_accuracy": 0.9, "test_accuracy": 0.8, "test_loss": 0.4}
    return Result(metrics=metrics, arrays=arrays, info={"problem": problem, "class_names": names})


def _anomaly() -> Result:
    n = 200
    y = (RNG.random(n) < 0.1).astype(int)
    scores = {f"{key}_test": RNG.random(n) + y for key in ("ae", "pca", "iforest")}
    arrays = {**scores, "y_test": y, "latent": RNG.normal(size=(50, 2)), "latent_rows": np.arange(50),
              "explain_errors": RNG.random((5, 4)), "dates_test": pd.date_range("2024-01-01", periods=n).to_numpy(),
              "amount_test": RNG.random(n) * 100, "loss": np.array([1.0, 0.5]), "val_loss": np.array([1.1, 0.6])}
    return Result(metrics={}, arrays=arrays, info={"feature_names": ["a", "b", "c", "d"]})


def _forecast() -> Result:
    n, h = 40, 2
    dates = pd.date_range("2024-01-01", periods=120).asi8
    test = dates[-n:]
    actual = RNG.normal(size=(n, h)) / 100
    arrays = {"series_dates": dates, "series_close": 100 + RNG.normal(size=120).cumsum(),
              "series_target": RNG.normal(size=120) / 100, "split_dates": dates[[0, 60, 80, 119]], "test_dates": test,
              "forecast": actual + 0.001, "actual": actual, "naive": actual * 0.5, "drift": actual * 0.4,
              "mean": actual * 0, "lower": actual - 0.01, "upper": actual + 0.01, "loss": np.array([1.0, 0.6, 0.5]),
              "val_loss": np.array([1.1, 0.7, 0.65]), "equity_buy_hold": 1 + RNG.normal(size=n).cumsum() / 100,
              "equity_strategy": 1 + RNG.normal(size=n).cumsum() / 100}
    per = [{"step": s, "model": {"rmse": 0.01, "directional_accuracy": 0.5}, "naive": {"rmse": 0.012}} for s in (1, 2)]
    window = {"window": 1, "start": "2024-03-01", "end": "2024-04-01", "n": 20, "train_rows": 60,
              "model": {"rmse": 0.01}, "naive": {"rmse": 0.012}, "rmse_ratio": 0.83, "beat_naive": True}
    metrics = {"target": "log_return", "interval": {"level": 0.9}, "per_horizon": per, "best_epoch": 2,
               "lag_correlation": {"lags": [0, 1, 2], "correlation": [0.1, 0.6, None], "best_lag": 1},
               "backtest": {"cost_bps": 5}, "walk_forward": {"windows": [window]}}
    return Result(metrics=metrics, arrays=arrays, info={"model_label": "LSTM", "data": {"name": "TEST"}})


def _figures() -> dict[str, go.Figure]:
    figs: dict[str, go.Figure] = {}
    for problem in ("binary", "multiclass", "regression"):
        r = _playground(problem)
        figs[f"boundary {problem}"] = playground.boundary(r)
        figs[f"seeds {problem}"] = playground.seeds(r)
    binary, regression = _playground("binary"), _playground("regression")
    figs |= {"curves": playground.curves(binary), "confusion": playground.confusion(binary),
             "neurons": playground.neurons(binary), "live boundary": playground.live_boundary(binary, binary.arrays["snapshots"][-1], 3),
             "predicted vs actual": playground.predicted_vs_actual(regression),
             "formula error": playground.formula_error(regression), "sweep": playground.sweep([binary, binary], [1, 2]),
             "network": playground.network([RNG.normal(size=(2, 3)), np.zeros(3), RNG.normal(size=(3, 1)), np.zeros(1)],
                                           ["x1", "x2"]),
             "cost": playground.cost_curve({"thresholds": [0.1, 0.5, 0.9], "cost": [3, 1, 2], "best_threshold": 0.5},
                                           {"case": "applicant", "flag": "refuse", "positive": "default"})}
    a = _anomaly()
    figs |= {"histogram": anomaly.error_histogram(a, 0.8), "roc": anomaly.roc_pr(a), "sweep (anomaly)": anomaly.threshold_sweep(a, 0.8),
             "latent": anomaly.latent(a), "why": anomaly.why_flagged(a, 0), "timeline": anomaly.timeline(a, 0.8),
             "costs": anomaly.costs(a, 5.0), "training": anomaly.training(a)}
    f = _forecast()
    figs |= {"split": forecast.split_figure(f), "forecast": forecast.forecast_figure(f),
             "per horizon": forecast.per_horizon_figure(f), "loss": forecast.loss_figure(f), "lag": forecast.lag_figure(f),
             "backtest": forecast.backtest_figure(f), "walk forward": forecast.walk_forward_figure(f)}
    probs = {key: [0.2, 0.3, 0.5] for key in sentiment.SCORERS}
    table = {"n": [0, 5, 10], "confidence": [0.4, 0.6, 0.9], "accuracy": [0.3, 0.55, 0.85]}
    figs |= {"probabilities": sentiment.probabilities(probs),
             "attention": sentiment.attention(RNG.random((1, 2, 4, 4)), ["a", "b", "c", "d"], 0),
             "daily": sentiment.daily(pd.date_range("2024-01-01", periods=6).to_numpy(), RNG.dirichlet([1, 1, 1], 6)),
             "reliability": sentiment.reliability({"raw": table, "calibrated": table}),
             "matrix": confusion.matrix([[3, 1], [0, 4]], ["no", "yes"], "m"),
             "live": live.loss_curves([{"loss": 1.0, "val_loss": 1.1, "val_accuracy": 0.5},
                                       {"loss": 0.5, "val_loss": 0.6, "val_accuracy": 0.7}], "t")}
    return figs


FIGURES = _figures()
COLOUR_KEYS = {"color", "fillcolor", "bgcolor", "bordercolor", "fgcolor", "outlinecolor", "arrowcolor", "gridcolor",
               "linecolor", "zerolinecolor", "tickcolor", "paper_bgcolor", "plot_bgcolor"}


def _colours(node, key: str = "") -> list[str]:
    """Every colour string in a figure's JSON (template, traces, frames and layout)."""
    if isinstance(node, dict):
        return [c for k, v in node.items() for c in _colours(v, k)]
    if isinstance(node, (list, tuple, np.ndarray)):
        if key in ("colorscale", "sequential", "sequentialminus", "diverging") and len(node) and isinstance(node[0], (list, tuple)):
            return [stop[1] for stop in node]
        return [c for item in node for c in _colours(item, key)]
    if isinstance(node, str) and (key in COLOUR_KEYS or key == "colorway"):
        return [node]
    if isinstance(node, str) and key in ("colorscale",):
        return [node]  # a named scale: never in the palette
    return []


def _base(colour: str) -> str:
    """``#rrggbb`` or ``rgba(r,g,b,a)`` as ``#RRGGBB`` (the palette colour under a translucency)."""
    match = re.fullmatch(r"rgba?\((\d+),\s*(\d+),\s*(\d+)(?:,\s*[\d.]+)?\)", colour.replace(" ", ""))
    if match:
        return "#" + "".join(f"{int(v):02X}" for v in match.groups())
    return colour.upper()


@pytest.mark.parametrize("name", FIGURES)
def test_every_figure_uses_only_palette_colours_and_no_page_colours(name):
    fig = FIGURES[name]
    assert fig is not None
    spec = fig.to_plotly_json()
    used = {c for c in _colours(spec) if c != style.TRANSPARENT}
    assert {_base(c) for c in used} <= style.PALETTE, sorted(used)
    layout = spec["layout"]
    # the page's colour shows through, in the light and the dark theme
    assert layout["paper_bgcolor"] == layout["plot_bgcolor"] == style.TRANSPARENT
    template = layout["template"]["layout"]
    assert template["paper_bgcolor"] == template["plot_bgcolor"] == style.TRANSPARENT
    # no text or grid colour: Streamlit's chart theme gives the theme's (a fixed one would be one
    # theme's colour in both)
    text = str(spec)
    assert "'font': {'color'" not in text and "gridcolor" not in text and "plotly_white" not in text


def _class_view_svgs() -> list[str]:
    runs = pd.DataFrame({"settings": ["a", "a", "b"], "value": [0.5, 0.6, 0.7]})
    answers = pd.DataFrame({"answer": ["yes", "no", "maybe"], "right": [True, False, None], "count": [3, 2, 1],
                            "sessions": [2, 2, 1], "times_right": [3, 0, 0], "times_wrong": [0, 2, 0]})
    return [class_view.runs_svg(runs, "m"), class_view.answers_svg(answers)]


def test_the_class_view_pictures_use_only_palette_colours_and_a_text_grey_for_both_themes():
    """The Class view's charts are SVG pictures (an <img> cannot read the theme): no background of
    their own, every fill and stroke from the palette, every text in ``style.NEUTRAL``."""
    for svg in _class_view_svgs():
        colours = set(re.findall(r'(?:fill|stroke|stop-color|color)="([^"]*)"', svg))
        assert {c.upper() for c in colours if not c.startswith("url(#")} <= style.PALETTE, colours
        assert "<style" not in svg and "background" not in svg
        for text in re.findall(r"<text\b[^>]*>", svg):
            assert 'fill="' not in text or f'fill="{style.NEUTRAL}"' in text
        assert re.findall(r'<g fill="([^"]*)"[^>]*>(?:<text)', svg) and all(
            c == style.NEUTRAL for c in re.findall(r'<g fill="([^"]*)"[^>]*>(?:<text)', svg))


def test_direction_is_never_colour_alone():
    """Sentiment: positive and negative differ in colour (blue, red) and in a second cue: a hatch on
    the probability bars, a solid or wavy underline under the highlighted words."""
    bars = {t.name: t for t in FIGURES["probabilities"].data}
    assert bars["positive"].marker.pattern.shape != bars["negative"].marker.pattern.shape
    html = sentiment.highlight("up down", [(0, 2), (3, 7)], [1.0, -1.0])
    assert "underline solid" in html and "underline wavy" in html
    assert html.count(style.rgba(style.POSITIVE, 0.75)) >= 1 and html.count(style.rgba(style.NEGATIVE, 0.75)) >= 1
    attention = sentiment.highlight("up", [(0, 2)], [2.0], signed=False)
    assert "underline" not in attention and style.rgba(style.ATTENTION, 0.75) in attention
    # anomaly timeline: flagged days and known stress days differ in the marker, not only in colour
    markers = {t.name: t.marker for t in FIGURES["timeline"].data if t.mode == "markers"}
    assert markers["flagged"].symbol != markers["known stress day"].symbol
    # the lag chart names its best lag
    assert "best" in FIGURES["lag"].data[0].text
