"""A classroom link: what a teacher hands out, read from and written to the page's address.

A lesson page's link carries its settings (``core.config``); a classroom link adds a few keys that
shape the page for 40 students following one idea (README, "Teaching with FinDL Lab"):

    lesson=PRESET      the lesson: its settings (unless the link names settings) and its box on top
    show=k1,k2         only these settings are controls; ``show=none`` for none (absent: all of them)
    lock=1             the other settings are shown greyed out instead of hidden
    ask=1              the lesson's question covers the result until the student answers
    text=0             the page's explanatory text is left out
    class=CODE         the runs and answers are recorded for the teacher's class view
    teacher=1          the lesson's teacher notes are shown
    projector=1        larger text and chart labels, for the back row

Like settings, a bad value is dropped with a one-line warning and the rest of the link is kept.
This module is plain data (no Streamlit): the link builder, the page skeleton and the tests share
one set of rules, as ``core.config`` does for settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from core import classlog
from core.errors import ConfigError
from core.escape import shortened

KEYS = ("lesson", "show", "lock", "ask", "text", "class", "teacher", "projector")
SHOW_KEY = "show"  # its presence makes a focused link (app.py reads it before any page runs)
NONE = "none"  # show=none: no controls at all
_ON, _OFF = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Classroom:
    """The classroom keys of one link. ``show`` None: every control (not a focused link)."""

    lesson: str | None = None
    show: tuple[str, ...] | None = None
    lock: bool = False
    ask: bool = False
    text: bool = True
    code: str | None = None
    teacher: bool = False
    projector: bool = False

    @property
    def focused(self) -> bool:
        """A focused link: the page shows only the chosen controls."""
        return self.show is not None

    def shows(self, name: str) -> bool:
        """Whether the setting ``name`` is a control students may change."""
        return self.show is None or name in self.show

    def asks(self, presets: Mapping[str, Any]) -> bool:
        """Whether a question covers the result: questions on, and a lesson that has one."""
        return self.ask and self.lesson in presets and presets[self.lesson].question is not None

    def to_query(self) -> dict[str, str]:
        """The link's classroom keys, only those that differ from a plain link, in ``KEYS`` order."""
        out: dict[str, str] = {}
        if self.lesson:
            out["lesson"] = self.lesson
        if self.show is not None:
            out[SHOW_KEY] = ",".join(self.show) if self.show else NONE
        for key, on in (("lock", self.lock), ("ask", self.ask), ("text", not self.text)):
            if on:
                out[key] = "0" if key == "text" else "1"
        if self.code:
            out["class"] = self.code
        for key, on in (("teacher", self.teacher), ("projector", self.projector)):
            if on:
                out[key] = "1"
        return out


def from_query(params: Mapping[str, Any], settings: Iterable[str], presets: Mapping[str, Any]
               ) -> tuple[Classroom, list[str]]:
    """The classroom keys of a link (``st.query_params.to_dict()``), checked against the page's
    ``settings`` (its Config's field names) and ``presets``. A bad value is left out with a
    warning; the link's other keys are kept."""
    settings = list(settings)
    warnings: list[str] = []
    values: dict[str, Any] = {}

    def text(key: str) -> str | None:
        raw = params.get(key)
        if isinstance(raw, list):
            raw = raw[-1] if raw else None
        return None if raw is None else str(raw).strip()

    lesson = text("lesson")
    if lesson is not None:
        if lesson in presets:
            values["lesson"] = lesson
        else:
            warnings.append(f"ignored link value lesson={_quote(lesson)}: no such lesson on this page; "
                            f"lessons: {', '.join(presets) or 'none'}")
    show = text(SHOW_KEY)
    if show is not None:
        names = [] if show.lower() in (NONE, "") else [n.strip() for n in show.split(",") if n.strip()]
        unknown = [n for n in names if n not in settings]
        if unknown:
            warnings.append(f"ignored in link value show: {_quote(','.join(unknown))}, not settings of this page; "
                            f"settings: {', '.join(settings)}")
        values["show"] = tuple(dict.fromkeys(n for n in names if n in settings))
    for key, field_name in (("lock", "lock"), ("ask", "ask"), ("text", "text"), ("teacher", "teacher"),
                            ("projector", "projector")):
        raw = text(key)
        if raw is None:
            continue
        if raw.lower() in _ON:
            values[field_name] = True
        elif raw.lower() in _OFF:
            values[field_name] = False
        else:
            warnings.append(f"ignored link value {key}={_quote(raw)}: use 1 (on) or 0 (off)")
    code = text("class")
    if code is not None:
        try:
            values["code"] = classlog.check_code(code)
        except ConfigError as exc:
            warnings.append(f"ignored link value class={_quote(code)}: {exc}")
    room = Classroom(**values)
    if room.ask and not room.asks(presets):
        warnings.append("ignored link value ask=1: questions come with a lesson; add lesson=PRESET")
        room = Classroom(**dict(values, ask=False))
    return room, warnings


def _quote(value: str) -> str:
    return shortened(repr(value))
