"""The forecast verdict, and the checks that keep it honest on messy data.

Why: a squared-error comparison over a few hundred test days can be decided by a handful of days.
Six bad ticks in a EURUSD export turned "the LSTM loses by 2.9 %" into "beats the random walk by
2.6 %"; eight spiked rows flipped an AAPL run to "significant, p = 0.001". So before the page says
"beat ... significant" it checks that

* no flagged bad-data day (``core.data.quality``) sits in the test slice,
* the absolute-error Diebold-Mariano test agrees (absolute errors are not dominated by a few days),
* the win is not made by a few days (``metrics.loss_concentration``),

and otherwise calls the result fragile and says why. ``kind`` tells the page what colour to use:
only "robust_win" is shown as a success.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core import comparisons
from core import metrics as fm
from core.classification import ALPHA

SHARE = 0.8            # "k test days account for 80 % of the squared-error difference"
FEW_DAYS_SHARE = 0.02  # ... and k at most 2 % of the test days (or 3 days) makes the win fragile


def _p(p: float | None) -> str:
    return "n/a" if p is None else f"{p:.2g}"


def robustness(actual: np.ndarray, forecast: np.ndarray, naive: np.ndarray, dates: pd.DatetimeIndex,
               flagged: set[str]) -> dict[str, Any]:
    """Robust view of the step-1 model-vs-naive comparison: absolute-error DM test, loss
    concentration, and the comparison without the flagged (bad-data) test days."""
    conc = fm.loss_concentration(actual, forecast, naive, SHARE)
    n = conc["n"]
    conc["dates"] = [str(dates[i].date()) for i in conc.pop("indices")][:20]
    conc["fragile"] = bool(conc["days"] is not None and conc["days"] <= max(3, FEW_DAYS_SHARE * n))
    if conc["days"] is not None:
        conc["sentence"] = (f"{conc['days']} of {n} test days account for {SHARE * 100:.0f} % of the squared-error "
                            "difference.")
    else:
        conc["sentence"] = "The model and the naive forecast have the same squared error."
    hit = np.array([str(d.date()) in flagged for d in dates]) if flagged else np.zeros(len(dates), bool)
    out: dict[str, Any] = {
        "dm_absolute": fm.diebold_mariano(actual, forecast, naive, horizon=1, loss="absolute"),
        "concentration": conc,
        "flagged_test_days": int(hit.sum()),
        "flagged_test_dates": [str(d.date()) for d in dates[hit]][:20],
        "excluding_flagged": None,
    }
    if hit.any() and (~hit).sum() >= 3:
        keep = ~hit
        m_rmse, n_rmse = fm.rmse(actual[keep], forecast[keep]), fm.rmse(actual[keep], naive[keep])
        out["excluding_flagged"] = {
            "n": int(keep.sum()), "model_rmse": m_rmse, "naive_rmse": n_rmse,
            "gain_pct": (n_rmse - m_rmse) / n_rmse * 100 if m_rmse is not None and n_rmse else None,
            "dm": fm.diebold_mariano(actual[keep], forecast[keep], naive[keep], horizon=1),
        }
    return out


def _fragility(gain: float, rob: dict[str, Any]) -> list[str]:
    """Reasons a win of ``gain`` % in RMSE is not to be trusted (empty: none)."""
    reasons = []
    if rob["flagged_test_days"]:
        text = f"{rob['flagged_test_days']} flagged bad-data day(s) sit in the test slice"
        ex = rob.get("excluding_flagged") or {}
        if ex.get("gain_pct") is not None:
            g = ex["gain_pct"]
            text += (f"; without them the model {'still wins' if g > 0 else 'loses'} by {abs(g):.1f} % "
                     f"(p = {_p(ex['dm']['p_value'])})")
        reasons.append(text)
    dma = rob["dm_absolute"]
    mean = dma.get("mean_loss_difference")
    if mean is not None and mean >= 0:
        reasons.append(f"by absolute error the model is not better (MAE Diebold-Mariano p = {_p(dma['p_value'])})")
    elif dma.get("p_value") is None or dma["p_value"] >= ALPHA:
        reasons.append(f"the absolute-error Diebold-Mariano test does not confirm it (p = {_p(dma['p_value'])})")
    if rob["concentration"]["fragile"] and gain > 0:
        reasons.append(rob["concentration"]["sentence"].rstrip(".") + " (a few days decide it)")
    return reasons


def versus(label: str, baseline: str, baseline_label: str, actual: np.ndarray, forecast: np.ndarray,
           baseline_forecast: np.ndarray, dates: pd.DatetimeIndex, flagged: set[str]) -> dict[str, Any]:
    """The model against one baseline at step 1, in the shared comparison schema: RMSE, the
    squared-error Diebold-Mariano test, and as caveats the robust checks that stop a significant
    win from being called "better" (``_fragility``), or the flagged days behind any other result."""
    dm = fm.diebold_mariano(actual, forecast, baseline_forecast, horizon=1)
    rob = robustness(actual, forecast, baseline_forecast, dates, flagged)
    m, b = fm.rmse(actual, forecast), fm.rmse(actual, baseline_forecast)
    p = dm["p_value"]
    gain = (b - m) / b * 100 if m is not None and b else 0.0
    if gain > 0 and p is not None and p < ALPHA:
        caveats = _fragility(gain, rob)
    elif rob["flagged_test_days"]:
        caveats = [f"{rob['flagged_test_days']} flagged bad-data day(s) sit in the test slice"]
    else:
        caveats = []
    out = comparisons.comparison(scorer="model", scorer_label=label, baseline=baseline, baseline_label=baseline_label,
                                 metric="rmse", higher_is_better=False, model_value=m, baseline_value=b,
                                 test="Diebold-Mariano (squared error)", p_value=p, n=dm["n"], unit="test points",
                                 caveats=caveats)
    return out | {"robustness": rob}


def kind(c: dict[str, Any]) -> str:
    """What the comparison with the naive forecast amounts to: robust_win (the only green
    headline), fragile_win, insignificant_win, no_win or significant_loss."""
    gain = c["difference"] is not None and c["difference"] < 0
    significant = c["p_value"] is not None and c["p_value"] < ALPHA
    if c["verdict"] == "better":
        return "robust_win"
    if c["verdict"] == "worse":
        return "significant_loss"
    if gain and significant:
        return "fragile_win"
    return "insignificant_win" if gain else "no_win"


def hit_test(realised: np.ndarray, position: np.ndarray) -> dict[str, Any]:
    """The sign forecast's direction hit rate against the rate it would get by chance.

    Why not a coin flip: in a rising test period up days are more than half, and a forecast that is
    long most days hits about that share with no skill at all (a GRU long on 93 % of NASDAQ test
    days "beat a coin flip" with p = 0.0007 and hit no more often than always long). The chance rate
    keeps the forecast's own long and short shares and makes its signs independent of the outcome:
    long share * up share + short share * down share. Days without a move are left out and a flat
    position is a miss, as in ``core.metrics.directional_accuracy``. The binomial test is
    one-sided: is the hit rate above chance?"""
    from scipy.stats import binomtest

    keep = np.asarray(realised) != 0
    up, pos = np.asarray(realised)[keep] > 0, np.asarray(position)[keep]
    n = int(keep.sum())
    if n == 0:
        return {"n": 0, "hit_rate": None, "up_share": None, "long_share": None, "short_share": None,
                "chance_rate": None, "p_value": None}
    up_share, long_share, short_share = float(up.mean()), float(np.mean(pos > 0)), float(np.mean(pos < 0))
    hits = int(np.sum(np.where(up, pos > 0, pos < 0)))
    chance = long_share * up_share + short_share * (1 - up_share)
    p = binomtest(hits, n, chance, alternative="greater").pvalue if 0 < chance < 1 else None
    return {"n": n, "hit_rate": hits / n, "up_share": up_share, "long_share": long_share, "short_share": short_share,
            "chance_rate": chance, "p_value": None if p is None else float(p)}


def backtest_caveat(metrics: dict[str, Any]) -> str:
    """Why one test period of the toy strategy says little, worded by what happened: a lead over
    buy-and-hold can come from luck, a loss is one sample path too.
    The hit rate is judged against chance for a forecast with the same long share (``hit_test``),
    not against a coin flip. Computed from the run's numbers."""
    bt = metrics.get("backtest") or {}
    s = (bt.get("strategy") or {}).get("cumulative_return")
    b = (bt.get("buy_and_hold") or {}).get("cumulative_return")
    test = bt.get("hit_test") or {}
    if s is None or b is None or test.get("hit_rate") is None:
        return "The toy backtest has too little to say on this run."
    robust = metrics.get("verdict_kind", "") == "robust_win"
    skill = test["p_value"] is not None and test["p_value"] < ALPHA
    forecast = ("the forecast beat the random walk robustly" if robust
                else "the forecast did not robustly beat the random walk")
    hit = (f"Its direction hit rate is {test['hit_rate']:.1%} on {test['n']} test days with a move. Up days were "
           f"{test['up_share']:.1%} of them and the strategy was long on {test['long_share']:.1%}, so signs "
           f"unrelated to the market would hit {test['chance_rate']:.1%} (one-sided binomial p = "
           f"{_p(test['p_value'])} against that chance rate, not a coin flip): the hit rate "
           f"{'beats' if skill else 'does not beat'} chance, and {forecast}.")
    if s > b:
        lead = f"so it beat it on this one sample path of {metrics.get('n_test', test['n'])} test days"
        close = ("A few large days decide both equity curves; a lead like this can come from luck, so it is not "
                 "evidence of skill." if not (skill and robust) else
                 "A few large days decide both equity curves, and one test period is one sample of the market.")
    else:
        lead = f"so it trailed it on this one sample path of {metrics.get('n_test', test['n'])} test days"
        close = "A few large days decide both equity curves, so one test period says little either way."
    return (f"The sign strategy returned {s:+.1%} against {b:+.1%} for buy-and-hold, {lead}. {hit} {close}")


def interval_check(interval: dict[str, Any], n: int) -> dict[str, Any]:
    """``metrics.coverage_check`` on the step-1 interval, with a sentence for the page."""
    check = fm.coverage_check(interval.get("coverage"), interval["level"], n)
    if check["status"] == "failing":
        check["message"] = (f"The {interval['level']:.0%} prediction interval fails: it covered "
                            f"{interval['coverage']:.1%} of the {n} test points, far below the level asked "
                            f"(below {check['min_acceptable']:.1%} = level - 3 binomial standard errors). "
                            "Validation residuals did not describe the test period (a trend or a volatility change).")
    else:
        check["message"] = ""
    return check
