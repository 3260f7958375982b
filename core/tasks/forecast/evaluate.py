"""What the test slice says: metrics of the model beside the naive, drift and mean baselines
(scikit-learn / core.metrics), the Diebold-Mariano test and the robust verdict (``verdict.py``),
a split-conformal interval from validation residuals, the lag diagnostic ("is it just yesterday's
value?") and the toy backtest. Pure NumPy on arrays in target units: no TensorFlow here, so the
walk-forward run and the tests reuse it on any forecasts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core import metrics as fm
from core.tasks.forecast import verdict as fv
from core.tasks.forecast.config import MODEL_LABELS, Config
from core.tasks.forecast.windows import Dataset, baselines

MAX_LAG = 5       # lag-correlation diagnostic: lags 0..MAX_LAG


@dataclass
class Evaluation:
    metrics: dict[str, Any]
    arrays: dict[str, np.ndarray]


def evaluate(config: Config, ds: Dataset, origins: np.ndarray, forecast: np.ndarray,
             val_forecast: np.ndarray, flagged: set[str] | None = None) -> Evaluation:
    """Metrics and chart arrays of the test forecasts (all in target units). ``flagged``: ISO
    dates of bad-data days (core.data.quality); the verdict is fragile when they are in the test."""
    actual = ds.targets(origins)
    base = baselines(ds, origins)
    train_target = ds.target[: ds.train_end]
    is_price = config.target == "price"
    reference = ds.close[origins] if is_price else None
    step1 = {"model": forecast[:, 0], **{k: v[:, 0] for k, v in base.items()}}
    scale = mase_scale(config, train_target)
    metrics: dict[str, Any] = fm.compare(actual[:, 0], step1, reference=reference, scale=scale)
    metrics["n_test"] = len(origins)
    metrics["target"] = config.target
    metrics["horizon"] = config.horizon
    metrics["headline_step"] = 1
    dm = fm.diebold_mariano(actual[:, 0], forecast[:, 0], base["naive"][:, 0], horizon=1)
    dm["comparison"] = "model vs naive, one step ahead"
    metrics["dm"] = dm
    rows = fm.per_horizon(actual, {"model": forecast, "naive": base["naive"]}, reference=reference, scale=scale)
    for h, row in enumerate(rows):
        row["dm"] = fm.diebold_mariano(actual[:, h], forecast[:, h], base["naive"][:, h], horizon=h + 1)
    metrics["per_horizon"] = rows
    versus = [fv.versus(MODEL_LABELS[config.model], name, baseline_label(config, name), actual[:, 0], forecast[:, 0],
                        base[name][:, 0], ds.dates[origins + 1], flagged or set()) for name in ("naive", "drift", "mean")]
    metrics["robustness"] = versus[0].pop("robustness")  # the page's robustness view is against the naive forecast
    for c in versus[1:]:
        c.pop("robustness")
    metrics["comparisons"] = versus
    metrics["verdict_kind"] = fv.kind(versus[0])

    # split-conformal interval from validation residuals, one half-width per step
    val_actual = ds.targets(ds.val_origins)
    half = np.array([fm.conformal_quantile(val_actual[:, h] - val_forecast[:, h], config.interval_level) or 0.0
                     for h in range(config.horizon)])
    lower, upper = forecast - half[None, :], forecast + half[None, :]
    metrics["interval"] = {
        "level": config.interval_level,
        "coverage": fm.interval_coverage(actual[:, 0], lower[:, 0], upper[:, 0]),
        "mean_width": float(np.mean(upper[:, 0] - lower[:, 0])),
        "coverage_per_step": [fm.interval_coverage(actual[:, h], lower[:, h], upper[:, h])
                              for h in range(config.horizon)],
        "method": "split conformal: |validation residual| quantile added around each test forecast",
    }
    metrics["interval"]["check"] = fv.interval_check(metrics["interval"], len(origins))

    # one-step return forecasts (implied by a price forecast) for the lag diagnostic and the backtest
    last = ds.close[origins]
    if is_price:
        with np.errstate(divide="ignore", invalid="ignore"):
            implied = np.where(forecast[:, 0] > 0, np.log(forecast[:, 0] / last), np.nan)
        realised = ds.returns[origins + 1]
        rbase = {"naive": np.zeros(len(origins)), "drift": np.log(base["drift"][:, 0] / last),
                 "mean": np.log(np.maximum(base["mean"][:, 0], 1e-12) / last)}
        metrics["implied_return"] = fm.compare(realised, {"model": implied, **rbase},
                                               scale=fm.naive_scale(ds.returns[1: ds.train_end], "zero"))
        metrics["implied_return"]["note"] = ("the price forecasts turned into tomorrow's log return "
                                             "(log forecast / today's price): the test of real skill")
        from sklearn.metrics import r2_score

        metrics["price_fit"] = {
            "r2": float(r2_score(actual[:, 0], forecast[:, 0])),
            "naive_r2": float(r2_score(actual[:, 0], base["naive"][:, 0])),
            "rmse_pct_of_price": float(metrics["model"]["rmse"] / np.mean(np.abs(actual[:, 0])) * 100),
            "note": "how good the price forecast looks, beside the R² of the naive forecast on the same days",
        }
    else:
        implied = forecast[:, 0]
        metrics["implied_return"] = None
        metrics["price_fit"] = None
    metrics["lag_correlation"] = lag_diagnostic(ds, origins, forecast[:, 0], is_price)
    backtest, equity = toy_backtest(ds, origins, implied, config.cost_bps)
    metrics["backtest"] = backtest
    backtest["caveat"] = fv.backtest_caveat(metrics)

    arrays = {
        "test_dates": ds.dates[origins + 1].asi8.astype(np.int64),
        # dates of every target row: step h of sample i falls on target_dates[i + h - 1]
        "target_dates": ds.dates[origins[0] + 1: origins[-1] + ds.horizon + 1].asi8.astype(np.int64),
        "origin_price": last.astype(float),
        "actual": actual.astype(float),
        "forecast": forecast.astype(float),
        **{k: v.astype(float) for k, v in base.items()},
        "lower": lower.astype(float), "upper": upper.astype(float),
        "implied_return": np.asarray(implied, dtype=float),
        "equity_strategy": equity["strategy"], "equity_buy_hold": equity["buy_and_hold"],
        "lag_correlation": np.array([np.nan if v is None else v
                                     for v in metrics["lag_correlation"]["correlation"]], dtype=float),
        "series_dates": ds.dates.asi8.astype(np.int64),
        "series_close": ds.close.astype(float),
        "series_target": ds.target.astype(float),
        "split_dates": ds.dates[[0, ds.train_end, ds.val_end, ds.n - 1]].asi8.astype(np.int64),
    }
    return Evaluation(metrics, arrays)


def mase_scale(config: Config, train_target: np.ndarray) -> float | None:
    """MASE denominator: the in-sample MAE of the naive baseline shown beside the model (zero return
    for returns, yesterday's price for prices), so MASE < 1 means it beat that baseline in-sample terms."""
    return fm.naive_scale(train_target, "zero" if config.target == "log_return" else "previous")


def baseline_label(config: Config, name: str) -> str:
    """How the page names a baseline: the naive forecast is the random walk (returns) or
    "tomorrow = today" (prices)."""
    if name == "naive":
        return "the random walk" if config.target == "log_return" else "the naive 'tomorrow = today' price"
    return {"drift": "the drift forecast", "mean": "the historical mean"}[name]


def lag_diagnostic(ds: Dataset, origins: np.ndarray, forecast: np.ndarray, is_price: bool) -> dict[str, Any]:
    """Correlation of the one-step forecasts with the actual series shifted back by 0..MAX_LAG steps.
    A forecast that peaks at lag 1 is mostly yesterday's value. For prices the changes are compared
    (levels of trending prices correlate at every lag)."""
    rows = origins + 1
    lags = list(range(MAX_LAG + 1))
    if is_price:
        f = np.diff(forecast)
        lagged = {k: ds.close[rows[1:] - k] - ds.close[rows[1:] - k - 1] for k in lags}
    else:
        f = forecast
        lagged = {k: ds.target[rows - k] for k in lags}
    corr = fm.lag_correlations(f, lagged)
    values = [corr[k] for k in lags]
    finite = {k: v for k, v in corr.items() if v is not None}
    best = max(finite, key=lambda k: abs(finite[k])) if finite else None
    what = "price changes" if is_price else "values"
    if best is None:
        sentence = "The forecasts do not vary, so their correlation with the actual series is undefined."
    elif abs(finite[best]) < 0.1:
        sentence = (f"All correlations of the forecast {what} with the actual ones are small (|r| < 0.1 at lags "
                    f"0-{MAX_LAG}): the forecasts carry little information about the series.")
    elif best == 0:
        sentence = (f"The forecast {what} correlate most with the same-day actual ones (r = {finite[0]:.2f}): "
                    "they are not just a delayed copy.")
    elif abs(finite[best]) < 0.3:
        same_day = "n/a" if corr[0] is None else f"{corr[0]:.2f}"
        sentence = (f"The forecast {what} relate only weakly to the actual ones (strongest {best} step(s) "
                    f"earlier, r = {finite[best]:.2f}; same day r = {same_day}): no clear echo, and little skill.")
    else:
        same_day = "n/a" if corr[0] is None else f"{corr[0]:.2f}"
        kind = "a delayed copy" if finite[best] > 0 else "a mirror image (reversal)"
        sentence = (f"The forecast {what} track the actual ones {best} step(s) earlier most closely "
                    f"(r = {finite[best]:.2f}; same day r = {same_day}): the forecast is mostly {kind} of "
                    "values already seen, not a view of the future.")
    return {"lags": lags, "correlation": values, "best_lag": best, "sentence": sentence}


def periods_per_year(dates: pd.DatetimeIndex) -> float:
    if len(dates) < 2:
        return 252.0
    days = float(np.median(np.diff(dates.as_unit("ns").asi8)) / 86_400e9)
    if days <= 1.5:
        return 252.0
    if days <= 8:
        return 52.0
    return 12.0


def _equity_stats(returns: np.ndarray, ppy: float) -> dict[str, float | None]:
    equity = np.cumprod(1 + returns)
    sd = float(np.std(returns))
    peak = np.maximum.accumulate(np.concatenate([[1.0], equity]))[1:]
    return {"cumulative_return": float(equity[-1] - 1) if len(equity) else None,
            "sharpe": float(np.mean(returns) / sd * math.sqrt(ppy)) if sd > 0 else None,
            "max_drawdown": float(np.min(equity / peak - 1)) if len(equity) else None}


def toy_backtest(ds: Dataset, origins: np.ndarray, return_forecast: np.ndarray, cost_bps: float
                 ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Hold +1 (long) when the one-step forecast return is positive, -1 (short) when negative, for
    one step; pay cost_bps on each unit of position change. Against buy-and-hold, with the direction
    hit rate tested against chance (``verdict.hit_test``)."""
    realised = np.expm1(ds.returns[origins + 1])
    signal = np.nan_to_num(np.asarray(return_forecast, dtype=float), nan=0.0)
    position = np.sign(signal)
    cost = cost_bps / 1e4
    turnover = np.abs(np.diff(np.concatenate([[0.0], position])))
    strategy = position * realised - cost * turnover
    hold = realised.copy()
    if len(hold):
        hold[0] -= cost
    ppy = periods_per_year(ds.dates)
    out = {"label": "teaching toy: trade the sign of the one-step forecast, no slippage, borrowing or taxes",
           "cost_bps": cost_bps, "periods_per_year": ppy,
           "strategy": {**_equity_stats(strategy, ppy), "trades": int(np.count_nonzero(turnover)),
                        "long_share": float(np.mean(position > 0)) if len(position) else None},
           "buy_and_hold": _equity_stats(hold, ppy),
           "hit_test": fv.hit_test(realised, position)}
    return out, {"strategy": np.cumprod(1 + strategy), "buy_and_hold": np.cumprod(1 + hold)}
