"""Plotly figures of the forecasting page, built from a forecast ``Result`` (fresh or from the
store): the series with its train / validation / test split, test forecasts against the baselines
with the prediction interval, the metrics table, loss curves, the lag-correlation diagnostic, the
toy backtest and the walk-forward windows. No Streamlit here."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core import escape
from core.charts import style
from core.result import Result

ACTUAL = style.NEUTRAL      # mid grey: reads on the light and the dark theme alike
MODEL = style.MODEL        # blue
NAIVE = style.NAIVE        # orange
DRIFT = style.TEAL         # dashed
MEAN = style.MAGENTA       # dotted
BUY_HOLD = style.BASELINE_MUTED
REFERENCE = style.REFERENCE  # zero, "start = 1" and the restored epoch
INTERVAL = style.rgba(MODEL, 0.15)
SPLIT_FILL = {"train": style.rgba(style.TRAIN, 0.07), "validation": style.rgba(style.ORANGE, 0.10),
              "test": style.rgba(style.TEST, 0.08)}
LINES = {
    "actual": {"color": ACTUAL, "width": 1.6},
    "model": {"color": MODEL, "width": 1.8},
    "naive": {"color": NAIVE, "width": 1.4},
    "drift": {"color": DRIFT, "width": 1.2, "dash": "dash"},
    "mean": {"color": MEAN, "width": 1.2, "dash": "dot"},
}
NAMES = {"model": "model", "naive": "naive (random walk)", "drift": "drift", "mean": "historical mean"}
METRIC_COLUMNS = {"rmse": "RMSE", "mae": "MAE", "mase": "MASE", "smape": "sMAPE %",
                  "directional_accuracy": "direction hit rate"}


def _dates(values: Any) -> pd.DatetimeIndex:
    return pd.to_datetime(np.asarray(values, dtype=np.int64))


def _model_name(result: Result, config: Any = None) -> str:
    label = result.info.get("model_label")
    if not label and config is not None:
        label = str(getattr(config, "model", "model")).upper()
    return label or "model"


def _target_label(result: Result) -> str:
    return "price" if result.info.get("target", result.metrics.get("target")) == "price" else "log return"


def _is_return(result: Result) -> bool:
    return _target_label(result) == "log return"


def _level_axis(result: Result, axis: str = "yaxis") -> dict[str, str]:
    """Return-level axes (returns, their RMSE) in percent, as the page's numbers are; prices as they are."""
    return {f"{axis}_tickformat": ".2%", f"{axis}_hoverformat": ".3%"} if _is_return(result) else {}


def _layout(fig: go.Figure, title: str, height: int, **extra: Any) -> go.Figure:
    fig.update_layout(**style.LAYOUT, title=title, height=height,
                      legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"}, **extra)
    return fig


def split_figure(result: Result, config: Any = None, show: str = "price", height: int = 380) -> go.Figure:
    """The whole series (``show`` = "price" or "target") with the split shaded."""
    a = result.arrays
    dates = _dates(a["series_dates"])
    values = a["series_close"] if show == "price" else a["series_target"]
    label = "price" if show == "price" else _target_label(result)
    fig = go.Figure(go.Scattergl(x=dates, y=values, mode="lines", name=label, line={"color": ACTUAL, "width": 1}))
    bounds = _dates(a["split_dates"])
    spans = [("train", bounds[0], bounds[1]), ("validation", bounds[1], bounds[2]), ("test", bounds[2], bounds[3])]
    for name, lo, hi in spans:
        fig.add_vrect(x0=lo, x1=hi, fillcolor=SPLIT_FILL[name], line_width=0, layer="below",
                      annotation_text=name, annotation_position="top left")
    name = escape.plotly(result.info.get("data", {}).get("name", "Series"))  # a ticker or a file's name
    return _layout(fig, f"{name}: train / validation / test",
                   height, yaxis_title=label)


def forecast_figure(result: Result, config: Any = None, step: int = 1,
                    baselines: tuple[str, ...] = ("naive", "drift", "mean"), show_interval: bool = True,
                    last: int | None = None, height: int = 440) -> go.Figure:
    """Test slice: actual vs the model and the baselines at forecast step ``step``, with the
    prediction interval band; ``last`` limits it to the last n points."""
    a = result.arrays
    h = max(1, min(int(step), a["forecast"].shape[1])) - 1
    n = len(a["test_dates"])
    dates = _dates(a["target_dates"][h:h + n]) if "target_dates" in a else _dates(a["test_dates"])
    sl = slice(-last, None) if last else slice(None)
    x = dates[sl]
    traces = []
    if show_interval and "lower" in a:
        level = result.metrics.get("interval", {}).get("level", 0.9)
        traces.append(go.Scatter(x=x, y=a["upper"][sl, h], mode="lines", line={"width": 0}, showlegend=False,
                                 hoverinfo="skip"))
        traces.append(go.Scatter(x=x, y=a["lower"][sl, h], mode="lines", line={"width": 0}, fill="tonexty",
                                 fillcolor=INTERVAL, name=f"{level:.0%} interval"))
    traces.append(go.Scatter(x=x, y=a["actual"][sl, h], mode="lines", name="actual", line=LINES["actual"]))
    for name in baselines:
        if name in a:
            traces.append(go.Scatter(x=x, y=a[name][sl, h], mode="lines", name=NAMES[name], line=LINES[name]))
    traces.append(go.Scatter(x=x, y=a["forecast"][sl, h], mode="lines", name=_model_name(result, config),
                             line=LINES["model"]))
    fig = go.Figure(traces)
    return _layout(fig, f"Test slice, {h + 1}-step-ahead forecasts", height, yaxis_title=_target_label(result),
                   **_level_axis(result))


def metrics_table(result: Result, which: str = "headline") -> pd.DataFrame:
    """Model vs baselines, one row each. ``which``: "headline" (the target) or "implied_return"
    (price forecasts turned into returns; empty unless the target is the price)."""
    block = result.metrics if which == "headline" else (result.metrics.get("implied_return") or {})
    rows = {}
    for name in ("model", "naive", "drift", "mean"):
        if isinstance(block.get(name), dict):
            rows[NAMES[name]] = {label: block[name].get(key) for key, label in METRIC_COLUMNS.items()}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(METRIC_COLUMNS.values()))
    if not table.empty:
        naive = table.loc[NAMES["naive"], "RMSE"] if NAMES["naive"] in table.index else None
        if naive:
            table["RMSE vs naive %"] = (table["RMSE"].astype(float) / float(naive) - 1) * 100
    return table


def formatted(value: Any, kind: str, is_return: bool = True) -> str:
    """One format per quantity on the forecasting page, so no number appears in two units: "level"
    (RMSE, MAE, interval width: returns in percent, prices as they are), "share" (hit rates,
    coverage, long share: percent), "signed_share" (cumulative returns), "signed_pct" / "pct"
    (values already in percent: RMSE vs naive, sMAPE), else a ratio (MASE, R², Sharpe)."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "n/a"
    value = float(value)
    if kind == "level":  # RMSE / MAE: returns in percent like the headline, prices as they are
        return f"{value * 100:.3f} %" if is_return else f"{value:,.4g}"
    if kind in ("share", "signed_share"):
        return f"{value:{'+' if kind == 'signed_share' else ''}.1%}".replace("%", " %")
    if kind == "signed_pct":
        return f"{value:+.2f} %"
    if kind == "pct":
        return f"{value:.2f} %"
    return f"{value:.3f}"


_KINDS = {"RMSE": "level", "MAE": "level", "MASE": "ratio", "sMAPE %": "pct",
          "direction hit rate": "share", "RMSE vs naive %": "signed_pct"}


def metrics_table_text(result: Result, which: str = "headline") -> pd.DataFrame:
    """``metrics_table`` formatted for reading: returns in % (as in the headline), hit rates in %,
    "n/a" where a metric is undefined (never "None")."""
    table = metrics_table(result, which)
    target = result.metrics.get("target", "log_return") if which == "headline" else "log_return"
    is_return = target == "log_return"
    out = table.astype(object).copy()
    for column in table.columns:
        out[column] = [formatted(v, _KINDS.get(column, "ratio"), is_return) for v in table[column]]
    return out.rename(columns={"RMSE vs naive %": "RMSE vs naive"})


def summary_text(result: Result) -> str:
    """The Keras model summary as one text block (stored as one string: joining it as a list of
    lines would put one character per line)."""
    return result.info.get("model_summary") or ""


def per_horizon_figure(result: Result, metric: str = "rmse", height: int = 320) -> go.Figure:
    rows = result.metrics.get("per_horizon", [])
    steps = [r["step"] for r in rows]
    fig = go.Figure([
        go.Scatter(x=steps, y=[r["model"].get(metric) for r in rows], mode="lines+markers",
                   name=_model_name(result), line=LINES["model"]),
        go.Scatter(x=steps, y=[r["naive"].get(metric) for r in rows], mode="lines+markers",
                   name=NAMES["naive"], line=LINES["naive"]),
    ])
    axis = (_level_axis(result) if metric in ("rmse", "mae")
            else {"yaxis_tickformat": ".1%"} if metric == "directional_accuracy" else {})
    return _layout(fig, f"{METRIC_COLUMNS.get(metric, metric)} per forecast step", height,
                   xaxis_title="steps ahead", yaxis_title=METRIC_COLUMNS.get(metric, metric), **axis)


def loss_figure(result: Result, height: int = 300) -> go.Figure:
    """Training vs validation loss (scaled MSE) per epoch; the restored best epoch is marked."""
    loss, val = np.asarray(result.arrays["loss"]), np.asarray(result.arrays["val_loss"])
    epochs = np.arange(1, len(loss) + 1)
    fig = go.Figure([go.Scatter(x=epochs, y=loss, mode="lines+markers", name="training", line={"color": MODEL}),
                     go.Scatter(x=epochs, y=val, mode="lines+markers", name="validation",
                                line={"color": NAIVE})])
    best = result.metrics.get("best_epoch")
    if best:
        fig.add_vline(x=best, line={"color": REFERENCE, "dash": "dot", "width": 1},
                      annotation_text="best (restored)", annotation_position="top")
    return _layout(fig, "Loss per epoch (scaled MSE)", height, xaxis_title="epoch", yaxis_title="loss")


def lag_figure(result: Result, height: int = 300) -> go.Figure:
    """Correlation of the forecasts with the actual series shifted by 0..5 steps."""
    lag = result.metrics.get("lag_correlation", {})
    lags = lag.get("lags", [])
    corr = [np.nan if c is None else c for c in lag.get("correlation", [])]
    best = lag.get("best_lag")
    colours = [MODEL if k == best else BUY_HOLD for k in lags]
    fig = go.Figure(go.Bar(x=[f"lag {k}" for k in lags], y=corr, marker_color=colours, name="correlation",
                           text=["best" if k == best else "" for k in lags], textposition="outside"))  # not colour alone
    fig.add_hline(y=0, line={"color": REFERENCE, "width": 1})
    return _layout(fig, "Is it just lagging? Forecast vs actual shifted back", height,
                   yaxis_title="correlation", yaxis_range=[-1, 1], showlegend=False)


def backtest_figure(result: Result, height: int = 340) -> go.Figure:
    """Equity of the toy sign-trading strategy vs buy-and-hold over the test slice (start = 1)."""
    a = result.arrays
    dates = _dates(a["test_dates"])
    bt = result.metrics.get("backtest", {})
    fig = go.Figure([
        go.Scatter(x=dates, y=a["equity_buy_hold"], mode="lines", name="buy and hold",
                   line={"color": BUY_HOLD, "width": 1.4}),
        go.Scatter(x=dates, y=a["equity_strategy"], mode="lines", name=f"trade the {_model_name(result)}'s sign",
                   line=LINES["model"]),
    ])
    fig.add_hline(y=1, line={"color": REFERENCE, "width": 1, "dash": "dot"})
    cost = bt.get("cost_bps", 0)
    return _layout(fig, f"Toy backtest on the test slice ({cost:g} bp per position change; a teaching toy)",
                   height, yaxis_title="equity")


def _versus_naive(ratio: float | None) -> float | None:
    """RMSE ratio model / naive as the page's "RMSE vs naive" change in percent (< 0: the model was better)."""
    return None if ratio is None else (ratio - 1) * 100


def walk_forward_figure(result: Result, height: int = 320) -> go.Figure:
    """Per window: model and naive RMSE (bars) and the model's RMSE vs naive in percent (< 0 = the
    model was better)."""
    wf = result.metrics.get("walk_forward") or {}
    windows = wf.get("windows") or []
    labels = [f"{w['window']}: {w['start'][:7]}..{w['end'][:7]}" for w in windows]
    fig = go.Figure([
        go.Bar(x=labels, y=[w["model"]["rmse"] for w in windows], name=_model_name(result), marker_color=MODEL),
        go.Bar(x=labels, y=[w["naive"]["rmse"] for w in windows], name=NAMES["naive"], marker_color=NAIVE),
        go.Scatter(x=labels, y=[_versus_naive(w["rmse_ratio"]) for w in windows], name="RMSE vs naive (%)",
                   mode="lines+markers", yaxis="y2", line={"color": ACTUAL, "width": 1.2}),
    ])
    fig.update_layout(barmode="group", yaxis2={"overlaying": "y", "side": "right", "title": "RMSE vs naive",
                                               "ticksuffix": " %", "showgrid": False})
    title = "Walk-forward windows" if windows else "Walk-forward backtest is off (walk_forward=0)"
    return _layout(fig, title, height, yaxis_title="RMSE", **_level_axis(result))


def walk_forward_table(result: Result) -> pd.DataFrame:
    """One row per window, in the units of the page's metrics table."""
    windows = (result.metrics.get("walk_forward") or {}).get("windows") or []
    is_return = _is_return(result)
    return pd.DataFrame([{"window": w["window"], "from": w["start"], "to": w["end"], "points": w["n"],
                          "training rows": w["train_rows"],
                          "model RMSE": formatted(w["model"]["rmse"], "level", is_return),
                          "naive RMSE": formatted(w["naive"]["rmse"], "level", is_return),
                          "RMSE vs naive": formatted(_versus_naive(w["rmse_ratio"]), "signed_pct"),
                          "beat naive": w["beat_naive"]} for w in windows])


def backtest_table(result: Result) -> pd.DataFrame:
    """The toy backtest's numbers, the strategy beside buy-and-hold, in the units of its caveat
    (returns, drawdowns and shares in percent)."""
    bt = result.metrics.get("backtest") or {}
    rows = {}
    for name, label in (("strategy", f"trade the {_model_name(result)}'s sign"), ("buy_and_hold", "buy and hold")):
        stats = bt.get(name) or {}
        rows[label] = {"return": formatted(stats.get("cumulative_return"), "signed_share"),
                       "Sharpe ratio (annualised)": formatted(stats.get("sharpe"), "ratio"),
                       "max drawdown": formatted(stats.get("max_drawdown"), "share"),
                       "trades": str(stats.get("trades", 1 if name == "buy_and_hold" else "n/a")),
                       "long share": formatted(stats.get("long_share", 1.0), "share")}
    return pd.DataFrame.from_dict(rows, orient="index")
