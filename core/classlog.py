"""What a class tried: one small JSON file per event, and the summaries the Class view shows.

A teacher hands out a classroom link with ``class=CODE``. Each student session that shows a run on
a lesson page records a *run* event, and each answer to the page's question an *answer* event
(the page hook in ``core/ui/page.py`` writes them; no names, only a random id per browser
session). The Class view (``app_pages/class_view.py``) reads them back for one code.

Files: ``<store root>/classes/<code>/<time_ns>-<uuid4 hex>.json``, under the same root as the
result store (``core.store.default_location()``: a local path or an fsspec URL). Append-only: an
event is never rewritten, so app replicas (threads, processes, machines) sharing the store never
lose each other's updates; there is no shared file to lock. A local file is written under a
temporary name and renamed (atomic); an fsspec object is written under its final name, unique per
event. The time in the name orders the events; the uuid keeps two writers in the same nanosecond
apart. A reader skips what is not a JSON object (a half-written object of a non-atomic backend, a
hostile file) and files over ``MAX_EVENT_BYTES``; nothing read here is unpickled or run.

Recording never breaks a student's page: a store that cannot be written logs a warning and the
page goes on. The summaries treat every field as possibly missing or of the wrong type: records
come from files that anyone with write access to the store could have edited.

This module imports neither Streamlit nor TensorFlow.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from core import escape
from core.errors import ConfigError

log = logging.getLogger(__name__)

CODE_RULE = ("A class code is 1 to 32 characters: lower-case letters a-z, digits, '-' or '_', starting with a "
             "letter or digit (for example fin101).")
_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_EVENT_NAME = re.compile(r"(\d{1,20})-[0-9a-f]{32}\.json")
FOLDER = "classes"
MAX_EVENT_BYTES = 64 * 1024  # an event is a few hundred bytes; a bigger file is skipped, not read
MAX_EVENTS = 20_000          # the newest ones are read: a class code reused for years stays readable
TEXT_LIMIT = 120             # settings, answers and questions are cut to this in the summaries
DEFAULTS = "defaults"        # the settings text of a run at the task's default settings


def check_code(text: str) -> str:
    """The normalised class code (spaces around it dropped, lower-case), else ConfigError."""
    code = text.strip().lower() if isinstance(text, str) else ""
    if not _CODE.fullmatch(code):
        shown = escape.shortened(text if isinstance(text, str) else repr(text))
        raise ConfigError(f"class code '{shown}' cannot be used. {CODE_RULE}")
    return code


# ---- files ---------------------------------------------------------------------------------------
def _folder(code: str, location: str | None) -> tuple[Any, str]:
    """(fsspec filesystem or None for a local path, the class's folder)."""
    from core.store import default_location

    location = location or default_location()
    if "://" not in location or location.startswith("file://"):
        root = Path(location.removeprefix("file://")).expanduser()
        return None, str(root / FOLDER / code)
    import fsspec  # only for remote stores

    fs, root = fsspec.core.url_to_fs(location)
    return fs, "/".join([root.rstrip("/"), FOLDER, code])


def record(code: str, event: dict, location: str | None = None) -> None:
    """Append ``event`` to class ``code``'s records in the store at ``location`` (default: the
    result store's). Adds ``"t"`` (unix seconds) when missing. One new file per event; never
    raises for a store that cannot be written, a value JSON cannot hold or an event over
    ``MAX_EVENT_BYTES`` (each logged as a warning), only ConfigError for a ``code`` that
    ``check_code`` refuses (check it first)."""
    code = check_code(code)
    if not isinstance(event, dict):
        log.warning("class %s: event not recorded: not a dict but %s", code, type(event).__name__)
        return
    now = time.time_ns()
    from core.result import jsonable  # NaN/inf -> None, NumPy -> Python: strict JSON

    try:
        data = json.dumps(jsonable({**event, "t": event.get("t", now / 1e9)}), allow_nan=False,
                          default=str).encode()
    except (TypeError, ValueError, RecursionError) as exc:
        log.warning("class %s: event not recorded: %s", code, exc)
        return
    if len(data) > MAX_EVENT_BYTES:  # ``read`` would skip it
        log.warning("class %s: event not recorded: %d bytes (at most %d)", code, len(data), MAX_EVENT_BYTES)
        return
    name = f"{now}-{uuid.uuid4().hex}.json"
    try:
        fs, folder = _folder(code, location)
        if fs is not None:
            fs.pipe_file(f"{folder}/{name}", data)  # one object under its final, unique name
            return
        os.makedirs(folder, exist_ok=True)
        tmp = os.path.join(folder, f".tmp-{uuid.uuid4().hex}")
        try:
            with open(tmp, "wb") as handle:
                handle.write(data)
            os.replace(tmp, os.path.join(folder, name))  # atomic: a reader sees all of it or nothing
        except OSError:
            with contextlib.suppress(OSError):
                os.remove(tmp)
            raise
    except Exception as exc:  # OSError, or an fsspec backend's own error: the student's page goes on
        log.warning("class %s: event not recorded in %s: %s", code, location or "the default store", exc)


def read(code: str, location: str | None = None) -> list[dict]:
    """Every event of class ``code`` (the newest ``MAX_EVENTS``), in time order (the writer's
    clock, from the file name). Files that are not a JSON object, over ``MAX_EVENT_BYTES`` or gone
    while reading are skipped. A class without records gives []; a store that cannot be listed
    raises OSError."""
    code = check_code(code)
    fs, folder = _folder(code, location)
    if fs is None:
        try:
            with os.scandir(folder) as entries:
                names = [entry.name for entry in entries if _EVENT_NAME.fullmatch(entry.name)]
        except (FileNotFoundError, NotADirectoryError):
            return []
        names = _newest(names)
        blobs = []
        for name in names:
            path = os.path.join(folder, name)
            try:
                with open(path, "rb") as handle:
                    blobs.append(handle.read(MAX_EVENT_BYTES + 1))
            except OSError:  # removed, a folder of that name, no permission: skip it
                continue
    else:
        try:
            listing = fs.ls(folder, detail=True)
        except FileNotFoundError:
            return []
        sizes = {str(item["name"]).rstrip("/").rsplit("/", 1)[-1]: item.get("size") or 0 for item in listing
                 if item.get("type", "file") == "file"}
        names = _newest([name for name, size in sizes.items()
                         if _EVENT_NAME.fullmatch(name) and size <= MAX_EVENT_BYTES])
        paths = [f"{folder}/{name}" for name in names]
        got = fs.cat(paths, on_error="omit") if paths else {}
        got = {str(path).rstrip("/").rsplit("/", 1)[-1]: data for path, data in got.items()}
        blobs = [got[name] for name in names if name in got]
    events = []
    for blob in blobs:
        event = _parse(blob)
        if event is not None:
            events.append(event)
    return events


def _newest(names: list[str]) -> list[str]:
    """``names`` in time order (the nanoseconds in the name, then the name), the newest MAX_EVENTS."""
    names.sort(key=lambda name: (int(_EVENT_NAME.fullmatch(name).group(1)), name))
    return names[-MAX_EVENTS:]


def _parse(blob: bytes) -> dict | None:
    if len(blob) > MAX_EVENT_BYTES:
        return None
    try:
        event = json.loads(blob)
    except (ValueError, RecursionError):  # half written, not UTF-8, not JSON, nested too deep
        return None
    return _clean(event) if isinstance(event, dict) else None


def _clean(value: Any) -> Any:
    """JSON may spell a lone surrogate ("\\ud800"), which no UTF-8 text can hold: pandas' string
    columns refuse it and one such record would break the class's whole view. It becomes "?"."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8") if any(
            "\ud800" <= ch <= "\udfff" for ch in value) else value
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


# ---- lenient fields --------------------------------------------------------------------------
def _text(value: Any, limit: int = TEXT_LIMIT) -> str:
    """A field as one line of text: None is empty, anything else its str, cut to ``limit``."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        value = json.dumps(value, default=str, sort_keys=True)[: limit * 2]
    text = " ".join(str(value)[: limit * 4].split())
    return escape.shortened(text, limit)


def _number(value: Any) -> float | None:
    """A finite float from an int or float (not a bool) or a numeric string, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value[:64] if isinstance(value, str) else value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def settings_text(settings: Any) -> str:
    """The settings a run differed from its task's defaults in, as one readable line:
    ``hidden=8,8 · learning_rate=0.1`` (sorted by name); ``defaults`` when there are none."""
    if settings is None or settings == {}:
        return DEFAULTS
    if not isinstance(settings, dict):
        return _text(settings) or DEFAULTS
    parts = [f"{_text(name, 40)}={_text(value, 40)}" for name, value in sorted(settings.items(), key=lambda kv: str(kv[0]))]
    return escape.shortened(" · ".join(parts), TEXT_LIMIT * 2)


def _of_kind(events: Iterable[Any], kind: str) -> list[dict]:
    return [e for e in events if isinstance(e, dict) and e.get("kind") == kind]


def _session(event: dict, index: int) -> str:
    """The event's session id; an event without one counts as a session of its own."""
    session = _text(event.get("session"), 64)
    return session or f"(no session {index})"


RUN_COLUMNS = ["task", "lesson", "settings", "metric", "higher_is_better", "value", "cached", "session", "t"]


def runs_frame(events: Iterable[Any]) -> pd.DataFrame:
    """One row per run event: task, lesson, settings (``settings_text``), metric (its label, else
    its name), higher_is_better, value (a finite float or NaN), cached, session, t."""
    rows = []
    for i, event in enumerate(_of_kind(events, "run")):
        rows.append({
            "task": _text(event.get("task"), 40) or "(no page)",
            "lesson": _text(event.get("lesson"), 60),
            "settings": settings_text(event.get("settings")),
            "metric": _text(event.get("metric_label"), 60) or _text(event.get("metric"), 60) or "(no metric)",
            "higher_is_better": _flag(event.get("higher_is_better")) is not False,
            "value": _number(event.get("value")),
            "cached": _flag(event.get("cached")) is True,
            "session": _session(event, i),
            "t": _number(event.get("t")),
        })
    frame = pd.DataFrame(rows, columns=RUN_COLUMNS)
    frame["value"] = frame["value"].astype(float)
    frame["t"] = frame["t"].astype(float)
    return frame


RUNS_TABLE_COLUMNS = ["task", "metric", "settings", "lessons", "runs", "sessions", "median", "min", "max",
                      "higher_is_better"]


def runs_table(events: Iterable[Any] | pd.DataFrame) -> pd.DataFrame:
    """Per task and headline metric, one row per settings run: the settings (``defaults`` for the
    task's own), the lesson presets they were shown under, times run, distinct sessions, and the
    median, min and max of the metric (NaN when no run had a value). Most-run first."""
    runs = events if isinstance(events, pd.DataFrame) else runs_frame(events)
    if runs.empty:
        return pd.DataFrame(columns=RUNS_TABLE_COLUMNS)
    grouped = runs.groupby(["task", "metric", "settings"], sort=False, dropna=False)
    table = grouped.agg(runs=("session", "size"), sessions=("session", "nunique"), median=("value", "median"),
                        min=("value", "min"), max=("value", "max"),
                        higher_is_better=("higher_is_better", "first")).reset_index()
    lessons = grouped["lesson"].agg(lambda values: ", ".join(sorted({v for v in values if v})))
    table["lessons"] = lessons.to_numpy()
    table = table.sort_values(["task", "metric", "runs", "settings"], ascending=[True, True, False, True],
                              kind="stable")
    return table[RUNS_TABLE_COLUMNS].reset_index(drop=True)


ANSWERS_COLUMNS = ["task", "lesson", "question", "answer", "right", "count", "sessions", "times_right",
                   "times_wrong"]


def answers_table(events: Iterable[Any]) -> pd.DataFrame:
    """Per task, lesson and question, one row per answer given: how many times and by how many
    sessions, and whether it was right. A lesson's run decides its question, so one answer can be
    right for one student's run and wrong for another's: ``times_right`` and ``times_wrong`` count
    each, and ``right`` is True when it was right every time it was decided, False when wrong every
    time, None when runs disagreed or none could decide. Questions in the order first answered,
    answers most-given first."""
    rows = []
    for i, event in enumerate(_of_kind(events, "answer")):
        right = _flag(event.get("right"))
        rows.append({
            "task": _text(event.get("task"), 40) or "(no page)",
            "lesson": _text(event.get("lesson"), 60),
            "question": _text(event.get("question"), 300) or "(no question)",
            "answer": _text(event.get("answer")) or "(empty)",
            "times_right": int(right is True), "times_wrong": int(right is False),
            "session": _session(event, i), "order": i,
        })
    if not rows:
        return pd.DataFrame(columns=ANSWERS_COLUMNS)
    frame = pd.DataFrame(rows)
    keys = ["task", "lesson", "question", "answer"]
    table = frame.groupby(keys, sort=False).agg(
        count=("session", "size"), sessions=("session", "nunique"), times_right=("times_right", "sum"),
        times_wrong=("times_wrong", "sum"), order=("order", "min")).reset_index()
    first = frame.groupby(keys[:3], sort=False)["order"].min().rename("question_order").reset_index()
    table = table.merge(first, on=keys[:3], how="left")
    table["right"] = pd.Series([True if r and not w else False if w and not r else None
                                for r, w in zip(table["times_right"], table["times_wrong"], strict=True)],
                               index=table.index, dtype=object)
    table = table.sort_values(["task", "question_order", "count", "order"], ascending=[True, True, False, True],
                              kind="stable")
    return table[ANSWERS_COLUMNS].reset_index(drop=True)


def latest_task(events: Iterable[Any]) -> str | None:
    """The task (as the tables name it) of the newest run or answer in ``events`` (in time order,
    as ``read`` gives them): the page the class worked on last."""
    for event in reversed([e for e in events if isinstance(e, dict) and e.get("kind") in ("run", "answer")]):
        return _text(event.get("task"), 40) or "(no page)"
    return None


def totals(events: Iterable[Any]) -> dict[str, int]:
    """runs, distinct settings (per task and metric), sessions (that ran or answered; an event
    without a session id counts as one), answers."""
    events = [e for e in events if isinstance(e, dict) and e.get("kind") in ("run", "answer")]
    runs = runs_frame(events)
    sessions = {_session(event, i) for i, event in enumerate(events)}
    settings = runs.groupby(["task", "metric", "settings"]).ngroups if len(runs) else 0
    return {"runs": len(runs), "settings": int(settings), "sessions": len(sessions),
            "answers": len(events) - len(runs)}
