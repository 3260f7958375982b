"""Forecast metrics shared by the forecasting page, the CLI and the tests.

Every function takes plain array-likes, ignores pairs where either value is not finite and
returns a plain ``float`` (JSON-ready) or ``None`` where the metric is undefined (for example
sMAPE when every denominator is zero), never NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

METRIC_NAMES = ("rmse", "mae", "mase", "smape", "directional_accuracy")


def _pair(actual: Any, forecast: Any) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actual, dtype=float).ravel()
    f = np.asarray(forecast, dtype=float).ravel()
    if a.shape != f.shape:
        raise ValueError(f"actual and forecast differ in length ({a.size} vs {f.size})")
    ok = np.isfinite(a) & np.isfinite(f)
    return a[ok], f[ok]


def _float(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def rmse(actual: Any, forecast: Any) -> float | None:
    from sklearn.metrics import root_mean_squared_error  # lazy: ~1 s of imports a cache hit does not need

    a, f = _pair(actual, forecast)
    return _float(root_mean_squared_error(a, f)) if a.size else None


def mae(actual: Any, forecast: Any) -> float | None:
    from sklearn.metrics import mean_absolute_error

    a, f = _pair(actual, forecast)
    return _float(mean_absolute_error(a, f)) if a.size else None


def naive_scale(train: Any, kind: str = "previous") -> float | None:
    """In-sample MAE of the naive one-step forecast on the training series, the MASE denominator.
    ``kind="previous"``: y_t predicted by y_{t-1} (a price level's random walk, Hyndman's MASE);
    ``kind="zero"``: y_t predicted by 0 (the random walk's forecast of a return). Use the naive
    forecast the model is compared with, so that MASE < 1 means "beats that naive baseline"."""
    y = np.asarray(train, dtype=float).ravel()
    y = y[np.isfinite(y)]
    if y.size < 2:
        return None
    scale = float(np.mean(np.abs(y))) if kind == "zero" else float(np.mean(np.abs(np.diff(y))))
    return scale if scale > 0 else None


def mase(actual: Any, forecast: Any, train: Any = None, *, scale: float | None = None) -> float | None:
    """Mean absolute scaled error: MAE / in-sample naive MAE of the training series (< 1 beats it)."""
    if scale is None:
        scale = naive_scale(train) if train is not None else None
    err = mae(actual, forecast)
    if err is None or not scale:
        return None
    return _float(err / scale)


def smape(actual: Any, forecast: Any) -> float | None:
    """Symmetric MAPE in percent (0..200), over the points whose denominator |a| + |f| is not zero."""
    a, f = _pair(actual, forecast)
    denom = np.abs(a) + np.abs(f)
    ok = denom > 0
    if not ok.any():
        return None
    return _float(100.0 * np.mean(2.0 * np.abs(f[ok] - a[ok]) / denom[ok]))


def directional_accuracy(actual: Any, forecast: Any, reference: Any = None) -> float | None:
    """Share of points where the forecast has the sign of the actual value.

    With ``reference`` (e.g. the last observed price) the signs of ``actual - reference`` and
    ``forecast - reference`` are compared instead. Points with a zero actual move are excluded; a
    zero forecast makes no call and counts as a miss; None when no forecast makes a call at all
    (the naive zero-return forecast) or nothing is left.
    """
    a = np.asarray(actual, dtype=float).ravel()
    f = np.asarray(forecast, dtype=float).ravel()
    if reference is not None:
        r = np.broadcast_to(np.asarray(reference, dtype=float).ravel(), a.shape)
        a, f = a - r, f - r
    a, f = _pair(a, f)
    keep = a != 0
    a, f = a[keep], f[keep]
    if a.size == 0 or not np.any(f != 0):
        return None
    return _float(np.mean(np.sign(a) == np.sign(f)))


def forecast_metrics(actual: Any, forecast: Any, train: Any = None, *, scale: float | None = None,
                     reference: Any = None) -> dict[str, float | None]:
    """All five metrics of one forecast (``reference``: see ``directional_accuracy``)."""
    if scale is None and train is not None:
        scale = naive_scale(train)
    return {
        "rmse": rmse(actual, forecast),
        "mae": mae(actual, forecast),
        "mase": mase(actual, forecast, scale=scale),
        "smape": smape(actual, forecast),
        "directional_accuracy": directional_accuracy(actual, forecast, reference),
    }


def compare(actual: Any, forecasts: Mapping[str, Any], train: Any = None, *,
            reference: Any = None, scale: float | None = None) -> dict[str, dict[str, float | None]]:
    """Metrics for each named forecast of the same actual values (``scale`` overrides the MASE
    denominator computed from ``train``)."""
    if scale is None and train is not None:
        scale = naive_scale(train)
    return {name: forecast_metrics(actual, f, scale=scale, reference=reference)
            for name, f in forecasts.items()}


def per_horizon(actual: Any, forecasts: Mapping[str, Any], train: Any = None, *,
                reference: Any = None, scale: float | None = None) -> list[dict[str, Any]]:
    """Metrics per forecast step. ``actual`` and each forecast have shape (n, horizon); the result
    is one dict per step: ``{"step": h, name: metrics, ...}``."""
    a = np.asarray(actual, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    if scale is None and train is not None:
        scale = naive_scale(train)
    out = []
    for h in range(a.shape[1]):
        row: dict[str, Any] = {"step": h + 1}
        for name, f in forecasts.items():
            f2 = np.asarray(f, dtype=float).reshape(a.shape)
            row[name] = forecast_metrics(a[:, h], f2[:, h], scale=scale, reference=reference)
        out.append(row)
    return out


def diebold_mariano(actual: Any, forecast_1: Any, forecast_2: Any, horizon: int = 1,
                    loss: str = "squared") -> dict[str, Any]:
    """Diebold-Mariano test of equal loss, with the Harvey-Leybourne-Newbold
    small-sample correction and a two-sided p-value from Student's t with n-1 degrees of freedom.

    The long-run variance of the loss differential uses autocovariances up to lag ``horizon - 1``
    (an h-step forecast error is MA(h-1) under the null). ``stat < 0`` means forecast_1 has the
    smaller loss. Identical forecasts give stat 0 and p-value 1.

    ``loss="absolute"`` compares absolute errors: a handful of huge errors (a bad tick, a crash
    day) dominate squared errors but not absolute ones, so the two disagreeing means the result
    rests on a few days.
    """
    if loss not in ("squared", "absolute"):
        raise ValueError(f"loss must be 'squared' or 'absolute', not {loss!r}")
    d = loss_differential(actual, forecast_1, forecast_2, loss)
    d = d[np.isfinite(d)]
    n = int(d.size)
    h = max(1, int(horizon))
    result: dict[str, Any] = {"stat": 0.0, "p_value": 1.0, "n": n, "horizon": h,
                              "loss": f"{loss} error", "mean_loss_difference": None}
    if n < 3:
        result["p_value"] = None
        result["stat"] = None
        return result
    from scipy import stats

    mean = float(d.mean())
    result["mean_loss_difference"] = mean
    centred = d - mean
    gamma = [float(np.dot(centred[k:], centred[: n - k]) / n) for k in range(min(h, n))]
    long_run = gamma[0] + 2.0 * sum(gamma[1:])
    if long_run <= 0:  # a negative HAC estimate (possible for h > 1): fall back to the variance
        long_run = gamma[0]
    if long_run <= 0:
        return result  # the loss differential is constant: identical (or equally shifted) forecasts
    dm = mean / math.sqrt(long_run / n)
    correction = math.sqrt(max(n + 1 - 2 * h + h * (h - 1) / n, 0.0) / n)
    stat = dm * correction
    result["stat"] = float(stat)
    result["p_value"] = float(2.0 * stats.t.sf(abs(stat), df=n - 1))
    return result


def loss_differential(actual: Any, forecast_1: Any, forecast_2: Any, loss: str = "squared") -> np.ndarray:
    """Per point: loss of forecast_1 minus loss of forecast_2 (negative = forecast_1 better)."""
    a = np.asarray(actual, dtype=float).ravel()
    e1 = a - np.asarray(forecast_1, dtype=float).ravel()
    e2 = a - np.asarray(forecast_2, dtype=float).ravel()
    return e1**2 - e2**2 if loss == "squared" else np.abs(e1) - np.abs(e2)


def loss_concentration(actual: Any, forecast_1: Any, forecast_2: Any, share: float = 0.8) -> dict[str, Any]:
    """How few points make ``share`` of the squared-error difference between two forecasts.

    The points that favour the overall winner are sorted by how much they favour it; ``days`` is
    how many of them it takes to add up to ``share`` of the net difference. "3 of 500 days give
    80 %" means the ranking rests on 3 days. ``indices`` are those points (positions in the
    input); None values when the forecasts are equally good."""
    d = loss_differential(actual, forecast_1, forecast_2, "squared")
    ok = np.flatnonzero(np.isfinite(d))
    total = float(d[ok].sum()) if ok.size else 0.0
    out: dict[str, Any] = {"share": share, "n": int(ok.size), "days": None, "indices": [],
                           "better": None}
    if total == 0.0:
        return out
    favour = np.sign(total) * d[ok]  # > 0: the point favours the overall winner
    order = np.argsort(-favour)
    reached = np.cumsum(favour[order]) >= share * abs(total)
    k = int(np.argmax(reached)) + 1
    out.update(days=k, indices=[int(i) for i in ok[order[:k]]], better="first" if total < 0 else "second")
    return out


def coverage_check(coverage: float | None, level: float, n: int, k_se: float = 3.0) -> dict[str, Any]:
    """Is a measured interval coverage far below the level asked? "Far" = more than ``k_se``
    binomial standard errors, sqrt(level (1 - level) / n), below the level: with 250 test points
    and level 0.9 that is below 84.3 %; by chance it happens about once in 700 runs."""
    if coverage is None or n <= 0:
        return {"status": "unknown", "min_acceptable": None}
    low = level - k_se * math.sqrt(level * (1 - level) / n)
    return {"status": "failing" if coverage < low else "ok", "min_acceptable": float(low)}


def conformal_quantile(residuals: Any, level: float) -> float | None:
    """Split-conformal half-width: the ceil((n+1)·level)/n empirical quantile of |residuals|."""
    r = np.abs(np.asarray(residuals, dtype=float).ravel())
    r = r[np.isfinite(r)]
    n = r.size
    if n == 0:
        return None
    k = min(n, math.ceil((n + 1) * level))  # k > n would mean an infinite interval: use the max
    return float(np.sort(r)[k - 1])


def interval_coverage(actual: Any, lower: Any, upper: Any) -> float | None:
    """Share of actual values inside [lower, upper]."""
    a = np.asarray(actual, dtype=float).ravel()
    lo = np.asarray(lower, dtype=float).ravel()
    hi = np.asarray(upper, dtype=float).ravel()
    ok = np.isfinite(a) & np.isfinite(lo) & np.isfinite(hi)
    if not ok.any():
        return None
    return float(np.mean((a[ok] >= lo[ok]) & (a[ok] <= hi[ok])))


def lag_correlations(forecast: Any, actual_lagged: Mapping[int, Any]) -> dict[int, float | None]:
    """Pearson correlation of the forecast with each lagged copy of the actual series."""
    f = np.asarray(forecast, dtype=float).ravel()
    out: dict[int, float | None] = {}
    for lag, series in actual_lagged.items():
        a = np.asarray(series, dtype=float).ravel()
        ok = np.isfinite(a) & np.isfinite(f)
        if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(f[ok]) == 0:
            out[lag] = None
        else:
            out[lag] = _float(np.corrcoef(f[ok], a[ok])[0, 1])
    return out
