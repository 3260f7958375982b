"""Lessons that check themselves: a preset's claims, decided on the run shown.

A preset's sentence says what to look at; its claims say what the run should show, and each is
decided on the run's own metrics, with the run's own numbers as evidence. The page shows "in this
run" or "not in this run" beside each claim, so no sentence on screen asserts what the run on
screen does not show, and no lesson text carries a result figure: the figures come from the run.
``tests/test_lessons.py`` trains every preset over several seeds and requires each claim to hold
on most of them; a claim that fails often is reworded or dropped, never hidden.

A claim is built from small predicates over the metrics (a dotted path into ``result.metrics``):

    Claim("the network beats always-legit", verdict("majority", "better"))
    Claim("train accuracy is at least 10 points above test accuracy",
          above("train_accuracy", "test_accuracy", by=0.10, fmt=PERCENT))

A predicate returns (holds, evidence): holds is True, False, or None when this run cannot show it
(no labels, too few cases).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core import comparisons

Check = Callable[[dict[str, Any]], tuple[bool | None, str]]

PERCENT, NUMBER, P_VALUE = "{:.1%}", "{:.3g}", "{:.2g}"


@dataclass(frozen=True)
class Claim:
    """One statement a lesson makes about its run, with the predicate that decides it."""

    text: str
    check: Check

    def on(self, metrics: dict[str, Any]) -> dict[str, Any]:
        try:
            holds, evidence = self.check(metrics)
        except (KeyError, TypeError, IndexError):  # the metric is not in this run (no labels, another source)
            holds, evidence = None, "this run does not have the numbers to show it"
        return {"text": self.text, "holds": holds, "evidence": evidence}


def value(metrics: dict[str, Any], path: str) -> Any:
    """``metrics["a"]["b"]`` for the path "a.b" (a list index where a part is a number)."""
    out: Any = metrics
    for part in path.split("."):
        out = out[int(part)] if isinstance(out, list) else out[part]
    return out


def _fmt(fmt: str, v: Any) -> str:
    return "n/a" if v is None else fmt.format(v)


def verdict(baseline: str, *wanted: str) -> Check:
    """The comparison with ``baseline`` has one of the ``wanted`` verdicts (better, worse, tie,
    too-few-to-test); a comparison that is too few to test never holds a better/worse claim."""

    def check(metrics: dict[str, Any]) -> tuple[bool | None, str]:
        c = comparisons.find(metrics["comparisons"], baseline)
        if c is None:
            return None, f"this run has no comparison with {baseline}"
        if c["verdict"] == "too-few-to-test" and "too-few-to-test" not in wanted:
            return None, comparisons.evidence(c)
        return c["verdict"] in wanted, comparisons.evidence(c)

    return check


def _versus(a: str, b: str | float, holds: Callable[[float, float], bool], fmt: str,
            names: tuple[str, str] | None) -> Check:
    def check(metrics: dict[str, Any]) -> tuple[bool | None, str]:
        left = value(metrics, a)
        right = value(metrics, b) if isinstance(b, str) else b
        name_a, name_b = names or (a, b if isinstance(b, str) else "the mark")
        if left is None or right is None:
            return None, f"{name_a} or {name_b} is not computable in this run"
        if not isinstance(b, str):  # a fixed mark: the run's value against it
            return holds(left, right), f"{name_a} {_fmt(fmt, left)} (mark: {_fmt(fmt, right)})"
        return holds(left, right), f"{name_a} {_fmt(fmt, left)}, {name_b} {_fmt(fmt, right)}"

    return check


def above(a: str, b: str | float, by: float = 0.0, fmt: str = NUMBER, names: tuple[str, str] | None = None) -> Check:
    """metrics[a] > metrics[b] + by (``b`` a path or a number)."""
    return _versus(a, b, lambda x, y: x > y + by, fmt, names)


def below(a: str, b: str | float, by: float = 0.0, fmt: str = NUMBER, names: tuple[str, str] | None = None) -> Check:
    """metrics[a] < metrics[b] - by (``b`` a path or a number)."""
    return _versus(a, b, lambda x, y: x < y - by, fmt, names)


def between(a: str, low: float, high: float, fmt: str = NUMBER, name: str | None = None) -> Check:
    """low <= metrics[a] <= high."""

    def check(metrics: dict[str, Any]) -> tuple[bool | None, str]:
        v = value(metrics, a)
        if v is None:
            return None, f"{name or a} is not computable in this run"
        return low <= v <= high, f"{name or a} {_fmt(fmt, v)}"

    return check


def all_of(*checks: Check) -> Check:
    """Every check holds (None when one cannot be decided and none fails); the evidence of each."""

    def check(metrics: dict[str, Any]) -> tuple[bool | None, str]:
        results = [c(metrics) for c in checks]
        holds = [h for h, _ in results]
        decided = False if False in holds else None if None in holds else True
        return decided, "; ".join(e for _, e in results if e)

    return check


def evaluate(claims: tuple[Claim, ...], metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """Each claim decided on ``metrics``: [{text, holds, evidence}]."""
    return [claim.on(metrics) for claim in claims]


def lesson(name: str, preset: Any, metrics: dict[str, Any]) -> dict[str, Any]:
    """The lesson of a run trained with ``preset``'s settings: its sentence and its claims decided on
    this run (the CLI's ``lesson`` key, the page's lesson box)."""
    return {"name": name, "sentence": preset.description, "claims": evaluate(preset.claims, metrics)}


def not_(check: Check) -> Check:
    """The opposite of ``check`` (None stays None: what a run cannot show, its opposite cannot either)."""

    def opposite(metrics: dict[str, Any]) -> tuple[bool | None, str]:
        holds, evidence = check(metrics)
        return (None if holds is None else not holds), evidence

    return opposite


# ---- questions: ask before revealing the run ---------------------------------------------------
@dataclass(frozen=True)
class Answer:
    """One answer a student can pick; it is right on a run where ``check`` holds."""

    text: str
    check: Check


@dataclass(frozen=True)
class Question:
    """A question with 2-4 answers whose right one is decided on the run shown, never fixed in
    advance: each answer carries a check over the metrics, and the right answer is the one whose
    check holds. When no answer or more than one holds (too few cases, a metric the run lacks),
    the run cannot decide the question and the page says so instead of marking anyone wrong.
    Answers are built from the same predicates as the claims (``yes_no``, ``by_verdict``), so the
    seeds test of the claims (tests/test_lessons.py) decides the questions too."""

    text: str
    answers: tuple[Answer, ...]

    def __post_init__(self) -> None:
        if not 2 <= len(self.answers) <= 4:
            raise ValueError(f"a question has 2-4 answers, not {len(self.answers)}: {self.text}")

    def on(self, metrics: dict[str, Any]) -> dict[str, Any]:
        """{text, answers: [text], right: index or None, evidence} on this run."""
        decided = [Claim(a.text, a.check).on(metrics) for a in self.answers]
        holding = [i for i, out in enumerate(decided) if out["holds"] is True]
        right = holding[0] if len(holding) == 1 else None
        evidence = decided[right]["evidence"] if right is not None else next(
            (out["evidence"] for out in decided if out["evidence"]), "")
        return {"text": self.text, "answers": [a.text for a in self.answers], "right": right, "evidence": evidence}


def yes_no(text: str, check: Check, yes: str = "Yes", no: str = "No") -> Question:
    """A two-answer question: ``yes`` is right where ``check`` holds, ``no`` where it fails."""
    return Question(text, (Answer(yes, check), Answer(no, not_(check))))


def by_verdict(text: str, baseline: str, better: str, tie: str, worse: str) -> Question:
    """Three answers, one per verdict of the comparison with ``baseline``: whichever the run's
    test gives is right (a comparison too few to test decides none)."""
    return Question(text, (Answer(better, verdict(baseline, "better")), Answer(tie, verdict(baseline, "tie")),
                           Answer(worse, verdict(baseline, "worse"))))


@dataclass(frozen=True)
class Notes:
    """A teacher's notes on a preset: what to point at on the page, the misconception students
    usually bring, and a change to try next. Shown with a teacher link (``teacher=1``) and in
    docs/LESSONS.md; settings may be named, result figures may not (they come from the run)."""

    point_at: str
    misconception: str
    follow_up: str
