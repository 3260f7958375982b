"""Classroom mode on a lesson page (README, "Teaching with FinDL Lab"): the link builder in the
share box, the lesson box of a focused link, the question that covers the result until the student
answers, the teacher's notes, and the records for the class view.

The link's keys and their rules are ``core.classroom``; the records are ``core.classlog``. Every
lesson page gets all of this through its skeleton (``core.ui.page.LessonPage``).
"""

from __future__ import annotations

import io
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import streamlit as st

from core import classlog, classroom, escape, lessons
from core.classroom import Classroom
from core.errors import ConfigError
from core.ui import frame

CLASS_KEY = "findl:class"      # the session's class code: it follows the student from page to page
SESSION_KEY = "findl:session"  # a random token per browser session: counts sessions, names no one
RECORDED_KEY = "findl:recorded"


def room_of(prefix: str, task) -> tuple[Classroom, list[str]]:
    """The page's classroom keys, read from the link on the session's first run of the page and
    kept for the session (the address keeps them too: ``Controls.config``); with the link's
    warnings on that first run."""
    key = f"{prefix}:classroom"
    if key not in st.session_state:
        room, warnings = classroom.from_query(st.query_params.to_dict(), task.Config.field_names(), task.PRESETS)
        st.session_state[key] = room
        if room.code:
            st.session_state[CLASS_KEY] = room.code
        return room, warnings
    return st.session_state[key], []


# ---- the builder (teacher) ------------------------------------------------------------------
def link_builder(controls) -> None:
    """In the share box: a classroom link for one lesson (which controls students may change, the
    question, a class code), with a QR code for the projector."""
    p = controls.prefix
    presets = list(controls.presets)
    st.divider()
    st.markdown("**Classroom link**")
    chosen = st.session_state.get(f"{p}:preset")
    lesson = st.selectbox("Lesson", presets, index=presets.index(chosen) if chosen in presets else 0,
                          key=f"{p}:room.lesson")
    settings = list(controls.labels)
    show = st.multiselect("Students may change", settings, key=f"{p}:room.show",
                          format_func=_label_of(controls), placeholder="none: the lesson's settings only")
    lock = st.radio("The other settings", ["hidden", "shown, locked"], horizontal=True,
                    key=f"{p}:room.lock") == "shown, locked"
    ask = st.checkbox("Ask the lesson's question before showing the result", value=True, key=f"{p}:room.ask")
    text = not st.checkbox("Leave out the page's explanatory text", key=f"{p}:room.text")
    teacher = st.checkbox("Teacher notes (a link for you, not the class)", key=f"{p}:room.teacher")
    projector = st.checkbox("Projector mode (larger text)", key=f"{p}:room.projector")
    typed = st.text_input("Class code (records the runs and answers for the class view)", key=f"{p}:room.code",
                          placeholder="e.g. fin101", max_chars=32)
    code = None
    if typed.strip():
        try:
            code = classlog.check_code(typed)
        except ConfigError as exc:
            frame.message("error", str(exc))
            return
    room = Classroom(lesson=lesson, show=tuple(show), lock=lock, ask=ask, text=text, code=code,
                     teacher=teacher, projector=projector)
    link = controls.url(room.to_query())
    st.code(link, language=None, wrap_lines=True)
    st.image(qr_png(link), caption="Scan to open the lesson", width=220)
    if code:
        st.caption(f"Follow the class in the class view: {class_view_url(controls.url({'class': code}))}")


def class_view_url(page_link: str) -> str:
    """The class view's address beside a lesson page's link (same origin and base path; the
    page's last path segment becomes ``class``, the class view's URL path in app.py)."""
    url = urlsplit(page_link)
    path = url.path.rsplit("/", 1)[0] + "/class"
    return urlunsplit((url.scheme, url.netloc, path, url.query, ""))


def _label_of(controls):
    labels = dict(controls.labels)
    return lambda name: f"{labels.get(name, name)} ({name})"


@st.cache_data(max_entries=64, show_spinner=False)
def qr_png(link: str) -> bytes:
    """The link as a QR code (segno: pure Python, offline), large enough to scan from the back."""
    import segno

    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


# ---- the lesson box, the question -------------------------------------------------------------
def _answer_key(prefix: str, result) -> str:
    return f"{prefix}:answer:{_run_id(result)}"


def _run_id(result) -> str:
    return result.key or str(hash(repr(sorted((result.config or {}).items()))))


def answered(controls, result) -> int | None:
    return None if result is None else st.session_state.get(_answer_key(controls.prefix, result))


def lesson_box(controls, name: str, result) -> None:
    """A focused link's lesson on top: the sentence always; the claims, decided on the run shown,
    once the question is answered (or when the link asks none); the teacher notes with
    ``teacher=1``."""
    preset, room = controls.presets[name], controls.room
    covered = room.asks(controls.presets) and answered(controls, result) is None
    if result is None or covered:
        st.info(f"**Lesson: {name}.** {preset.description}", icon=":material/school:")
    else:
        from core.ui.controls import lesson_markdown

        st.info(lesson_markdown(lessons.lesson(name, preset, result.metrics)), icon=":material/school:")
        changed = _changed(controls, name)
        if changed:
            st.caption(f"You changed {escape.markdown(', '.join(changed))}: each claim is checked on your run.")
    if room.teacher and preset.notes is not None:
        with st.expander("Teacher notes", icon=":material/co_present:"):
            notes = preset.notes
            st.markdown(f"**Point at:** {notes.point_at}\n\n**Common misconception:** {notes.misconception}\n\n"
                        f"**Try next:** {notes.follow_up}")
            if preset.question is not None:
                st.markdown(f"**Question:** {preset.question.text} "
                            f"({' / '.join(a.text for a in preset.question.answers)}; the run decides which)")


def _changed(controls, name: str) -> list[str]:
    lesson_config = controls.cls(**controls.presets[name].settings).to_dict()
    return [k for k, v in (controls.current or {}).items() if lesson_config.get(k) != v]


def ask(page, result) -> None:
    """The lesson's question over the result: until the student answers, the script stops here
    (the headline, the numbers and the tabs are not drawn). Then the answer is marked against
    the run on screen and recorded for the class view."""
    controls = page.controls
    preset = controls.presets[controls.room.lesson]
    question = preset.question
    key = _answer_key(controls.prefix, result)
    if key not in st.session_state:
        with st.form(f"{controls.prefix}:question", border=True):
            st.markdown(f"**Before you look:** {question.text}")
            choice = st.radio("Your answer", range(len(question.answers)), index=None,
                              format_func=lambda i: question.answers[i].text, key=f"{controls.prefix}:choice")
            if st.form_submit_button("Answer and reveal the run", type="primary"):
                if choice is None:
                    st.warning("Pick an answer first.")
                else:
                    st.session_state[key] = choice
                    outcome = question.on(result.metrics)
                    _record(page, result, {"kind": "answer", "question": question.text,
                                           "answer": question.answers[choice].text,
                                           "right": None if outcome["right"] is None else outcome["right"] == choice})
                    st.rerun()
        st.stop()
    choice = st.session_state[key]
    outcome = question.on(result.metrics)
    mine = question.answers[choice].text
    if outcome["right"] is None:
        st.info(f"**{question.text}** You answered *{mine}*. This run cannot decide the question "
                f"({escape.markdown(outcome['evidence'])}).", icon=":material/help:")
    elif outcome["right"] == choice:
        st.success(f"**{question.text}** You answered *{mine}*: right, this run shows it "
                   f"({escape.markdown(outcome['evidence'])}).", icon=":material/check_circle:")
    else:
        st.warning(f"**{question.text}** You answered *{mine}*; this run shows "
                   f"*{outcome['answers'][outcome['right']]}* ({escape.markdown(outcome['evidence'])}). "
                   "The lesson box above says why.", icon=":material/cancel:")


# ---- records for the class view -------------------------------------------------------------
def record_run(page, result) -> None:
    """One record per run a class session shows (its own settings' run, not an older one under
    the banner), for the class view; nothing without a class code."""
    if result is None or result.config is None or result.config != page.controls.current:
        return
    done = st.session_state.setdefault(RECORDED_KEY, set())
    run_id = f"{page.task.NAME}:{_run_id(result)}"
    if not st.session_state.get(CLASS_KEY) or run_id in done:
        return
    done.add(run_id)
    first = (result.metrics.get("comparisons") or [{}])[0]
    config = page.controls.cls(**result.config)
    _record(page, result, {"kind": "run", "settings": config.to_strings(only_changed=True),
                           "metric": first.get("metric"), "metric_label": _metric_label(first),
                           "value": first.get("model_value"), "higher_is_better": first.get("higher_is_better"),
                           "cached": bool(result.cached)})


def _metric_label(comparison: dict[str, Any]) -> str | None:
    from core.comparisons import METRIC_LABELS

    metric = comparison.get("metric")
    if metric is None:
        return None
    return f"{comparison.get('scorer_label', 'model')} test {METRIC_LABELS.get(metric, metric)}"


def _record(page, result, event: dict[str, Any]) -> None:
    code = st.session_state.get(CLASS_KEY)
    if not code:
        return
    token = st.session_state.setdefault(SESSION_KEY, uuid.uuid4().hex[:12])
    name = st.session_state.get(f"{page.controls.prefix}:preset")
    classlog.record(code, dict(event, task=page.task.NAME, lesson=name if name in page.controls.presets else None,
                               key=result.key, session=token))  # the result store's root
