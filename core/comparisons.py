"""One schema for "the model against its baselines", and the one headline written from it.

Every task puts ``metrics["comparisons"]``: a list of plain dicts, one per (scorer, baseline), with

    scorer, scorer_label, baseline, baseline_label   keys and the names a page shows
    metric, higher_is_better                          what is compared ("accuracy", "pr_auc", "rmse")
    model_value, baseline_value, difference           difference = model - baseline (None when not computable)
    test, p_value, interval                           the significance test, its p and, for a bootstrap, [low, high]
    n, unit                                           how many cases the test rests on ("test points", ...)
    verdict                                           better / worse / tie / too-few-to-test (for the scorer)
    caveats                                           reasons a significant difference is not trusted (may be [])

The task computes it (it knows the test); pages and the CLI only show it. ``headline`` writes the
sentence every page puts on top, so a page cannot word a verdict its numbers do not support, and
the lessons that check themselves (claims over metrics) read the same list.

Why "too-few-to-test": a difference on a handful of cases is an anecdote whatever a test says
(two test anomalies, a 95 % interval starting at +0.000). Below ``MIN_CASES`` cases the verdict is
``too-few-to-test`` and nothing is called better or worse.
"""

from __future__ import annotations

from typing import Any

from core.classification import ALPHA  # the one significance level of the app

MIN_CASES = 10  # fewest cases (test rows; for rare events, test anomalies) a comparison is tested on
VERDICTS = ("better", "worse", "tie", "too-few-to-test")
FIELDS = ("scorer", "scorer_label", "baseline", "baseline_label", "metric", "higher_is_better", "model_value",
          "baseline_value", "difference", "test", "p_value", "interval", "n", "unit", "verdict", "caveats")
METRIC_LABELS = {"accuracy": "accuracy", "pr_auc": "PR-AUC", "rmse": "RMSE"}


def decide(difference: float | None, significant: bool, higher_is_better: bool, n: int,
           caveats: list[str] | tuple[str, ...] = ()) -> str:
    """The verdict for the scorer: too few cases, a difference the test cannot resolve (or that a
    caveat undermines: a tie), else better or worse by the metric's direction."""
    if n < MIN_CASES:
        return "too-few-to-test"
    if difference is None or difference == 0 or not significant:
        return "tie"
    ahead = difference > 0 if higher_is_better else difference < 0
    if ahead and caveats:
        return "tie"
    return "better" if ahead else "worse"


def _significant(c: dict[str, Any]) -> bool:
    if c["interval"] is not None:
        low, high = c["interval"]
        return not (low <= 0 <= high)
    return c["p_value"] is not None and c["p_value"] < ALPHA


def comparison(*, scorer: str, scorer_label: str, baseline: str, baseline_label: str, metric: str,
               model_value: float | None, baseline_value: float | None, test: str, n: int, unit: str,
               p_value: float | None = None, interval: tuple[float, float] | None = None,
               higher_is_better: bool = True, caveats: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """One entry of the schema. Significance: the interval excludes 0 when there is one, else
    p < ALPHA."""
    difference = None if model_value is None or baseline_value is None else float(model_value - baseline_value)
    interval = None if interval is None else [float(v) for v in interval]
    significant = _significant({"interval": interval, "p_value": p_value})
    return {"scorer": scorer, "scorer_label": scorer_label, "baseline": baseline, "baseline_label": baseline_label,
            "metric": metric, "higher_is_better": bool(higher_is_better),
            "model_value": _num(model_value), "baseline_value": _num(baseline_value), "difference": difference,
            "test": test, "p_value": _num(p_value), "interval": interval, "n": int(n), "unit": unit,
            "verdict": decide(difference, significant, higher_is_better, int(n), caveats),
            "caveats": list(caveats)}


def mcnemar(y_true: Any, model_correct: Any, baseline_correct: Any, *, scorer: str, scorer_label: str,
            baseline: str, baseline_label: str, unit: str) -> dict[str, Any]:
    """Accuracy of two classifiers on the same rows (given as "was this row right?"), with an exact
    McNemar test: only the rows where they disagree tell them apart."""
    import numpy as np

    from core import classification

    right_model = np.asarray(model_correct, dtype=bool)
    right_base = np.asarray(baseline_correct, dtype=bool)
    test = classification.mcnemar(np.ones(len(right_model)), right_model, right_base)
    return comparison(scorer=scorer, scorer_label=scorer_label, baseline=baseline, baseline_label=baseline_label,
                      metric="accuracy", model_value=float(right_model.mean()) if len(right_model) else None,
                      baseline_value=float(right_base.mean()) if len(right_base) else None,
                      test="exact McNemar", p_value=test["p_value"], n=len(right_model), unit=unit)


def find(comparisons: list[dict[str, Any]], baseline: str, scorer: str | None = None) -> dict[str, Any] | None:
    """The comparison against ``baseline`` (of ``scorer`` when given), or None."""
    return next((c for c in comparisons if c["baseline"] == baseline and (scorer is None or c["scorer"] == scorer)),
                None)


def check(entry: dict[str, Any]) -> None:
    """Raise ValueError when ``entry`` is not of the schema (``check_task`` runs it on every task)."""
    missing = [f for f in FIELDS if f not in entry]
    if missing:
        raise ValueError(f"comparison lacks {', '.join(missing)}")
    if entry["verdict"] not in VERDICTS:
        raise ValueError(f"comparison verdict {entry['verdict']!r} is not one of {VERDICTS}")
    if entry["interval"] is None and entry["p_value"] is None and entry["verdict"] in ("better", "worse"):
        raise ValueError("a better/worse verdict needs a p-value or an interval")


# ---- words ----------------------------------------------------------------------------------------
def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _value(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1%}" if metric == "accuracy" else f"{value:.4g}" if metric == "rmse" else f"{value:.3f}"


def _difference(c: dict[str, Any]) -> str:
    d = c["difference"]
    if d is None:
        return "no difference computable"
    if c["metric"] == "accuracy":
        return f"{d * 100:+.1f} points"
    if c["metric"] == "rmse" and c["baseline_value"]:
        return f"RMSE {d / c['baseline_value'] * 100:+.1f} %"
    return f"{METRIC_LABELS.get(c['metric'], c['metric'])} {d:+.3f}"


def _evidence(c: dict[str, Any]) -> str:
    """The test's evidence with the test named: "exact McNemar p = 0.01"."""
    short = _short_evidence(c)
    return f"{short}, {c['test']}" if c["interval"] is not None else f"{c['test']} {short}"


def evidence(c: dict[str, Any]) -> str:
    """The numbers behind one comparison, short (a lesson claim's evidence): "against the random
    walk: RMSE +0.1 %, p = 0.88, 754 test points, a tie"."""
    return (f"against {c['baseline_label']}: {_difference(c)}, {_short_evidence(c)}, {c['n']} {c['unit']}, "
            f"{'too few to test' if c['verdict'] == 'too-few-to-test' else c['verdict']}")


def phrase(c: dict[str, Any]) -> str:
    """What one comparison says, for a sentence that starts "<scorer> is ..."."""
    b, verdict = c["baseline_label"], c["verdict"]
    if verdict == "too-few-to-test":
        return (f"not testable against {b}: only {c['n']} {c['unit']} (a comparison needs at least {MIN_CASES}), "
                f"so {_difference(c)} is an anecdote")
    if verdict in ("better", "worse"):
        caution = f"; caution: {'; '.join(c['caveats'])}" if c["caveats"] else ""
        return f"{verdict} than {b} ({_difference(c)}, {_evidence(c)}{caution})"
    if c["caveats"] and _significant(c):  # a significant lead the robust checks do not trust
        return (f"not reliably better than {b}: {_difference(c)} ({_evidence(c)}), but the result is fragile: "
                + "; ".join(c["caveats"]))
    text = f"no better than {b}: {_difference(c)} is within sampling error on {c['n']} {c['unit']} ({_evidence(c)})"
    return text + (f" (caution: {'; '.join(c['caveats'])})" if c["caveats"] else "")


def headline(comparisons: list[dict[str, Any]]) -> tuple[str, str]:
    """(kind, markdown) for the top of a page: kind "success" when the model beats every baseline
    beyond sampling error, "warning" when a baseline beats it (the one ahead by the most is named
    first), else "info". Comparisons with the same verdict share one clause, the test is named
    once. The same words for every page."""
    if not comparisons:
        return "info", "This run has no baseline comparison (the test rows have no labels)."
    scorer = comparisons[0]["scorer_label"]
    worse = [c for c in comparisons if c["verdict"] == "worse"]
    lead = ""
    if worse:
        best = max(worse, key=lambda c: abs(c["difference"] or 0.0))
        comparisons = [best, *(c for c in comparisons if c is not best)]
        lead = f"**{_capital(best['baseline_label'])} does better than the {scorer} here.** "
        kind = "warning"
    elif all(c["verdict"] == "better" for c in comparisons):
        kind = "success"
    else:
        kind = "info"
    fragile = [c for c in comparisons if c["verdict"] == "tie" and c["caveats"] and _significant(c)]
    clauses = [_clause(verdict, [c for c in comparisons if c["verdict"] == verdict and c not in fragile])
               for verdict in ("worse", "better", "tie", "too-few-to-test")]
    clauses = [c for c in clauses if c] + [phrase(c) for c in fragile]
    tests = ", ".join(dict.fromkeys(c["test"] for c in comparisons))
    return kind, f"{lead}The {scorer} is {'; '.join(clauses)}. Test: {tests}."


def _clause(verdict: str, group: list[dict[str, Any]]) -> str:
    """One clause for the comparisons that share ``verdict``: each baseline with its difference
    and p (or interval), then what the verdict means."""
    if not group:
        return ""
    items = [f"{c['baseline_label']} ({_difference(c)}; {_short_evidence(c)})" for c in group]
    joined = items[0] if len(items) == 1 else ", ".join(items[:-1]) + (" or " if verdict != "better" else " and ") + items[-1]
    cases = {(c["n"], c["unit"]) for c in group}
    on = f"{group[0]['n']} {group[0]['unit']}" if len(cases) == 1 else "the test rows"
    caution = "; ".join(dict.fromkeys(cv for c in group for cv in c["caveats"]))
    caution = f" (caution: {caution})" if caution else ""
    if verdict == "too-few-to-test":
        return f"not testable against {joined}: only {on}, fewer than the {MIN_CASES} a comparison needs"
    if verdict == "tie":
        return f"no better than {joined}: within sampling error on {on}{caution}"
    return f"{verdict} than {joined}{caution}"


def _short_evidence(c: dict[str, Any]) -> str:
    if c["interval"] is not None:
        low, high = c["interval"]
        return f"95 % interval {low:+.3f} to {high:+.3f}"
    p = c["p_value"]
    return f"p = {'n/a' if p is None else format(p, '.2g')}"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
