"""Widgets bound to a task Config and to the page URL.

On a session's first run the values come from the link (``?hidden=8,8&learning_rate=0.1``); a bad
value falls back to its default with a warning. Every widget writes back to the URL, so the address
bar is always a shareable link to exactly what is on screen. Widget limits come from the Config's
field metadata: one set of rules for links, CLI and widgets.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit

import streamlit as st

from core import lessons
from core.classroom import Classroom
from core.errors import ConfigError
from core.ui import frame, uploads


class Controls:
    def __init__(self, config_cls, prefix: str, room: Classroom | None = None, room_warnings: Sequence[str] = ()):
        self.cls, self.prefix = config_cls, prefix
        self.room = room or Classroom()  # a classroom link's keys (core.classroom): which controls to draw
        self.values: dict[str, Any] = {}
        self.labels: dict[str, str] = {}  # each drawn setting's label, for the classroom link builder
        self.presets: dict = {}
        self.current: dict | None = None  # the valid config of this run, as a dict (see ``config``)
        self._top = st.container()  # under the page title: the share box and the lesson go here
        init_key = f"{prefix}:init"
        if init_key not in st.session_state:
            config, warnings = config_cls.from_query(st.query_params.to_dict())
            self._load(config)
            st.session_state[f"{prefix}:warnings"] = ([*warnings, *room_warnings], config)
            st.session_state[init_key] = True

    # ---- state ---------------------------------------------------------------------------
    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}"

    def _load(self, config) -> None:
        for name, value in config.to_values().items():
            if isinstance(value, tuple) and name in self.cls.field_names():
                st.session_state[self.key(name)] = list(value)
                st.session_state[self.key(name) + ".n"] = len(value)
                for i, item in enumerate(value):
                    st.session_state[self.key(name) + f".{i}"] = item
            else:
                st.session_state[self.key(name)] = value

    def apply(self, settings: dict[str, Any]) -> None:
        """Load a preset (settings over the defaults) into the widgets."""
        self._load(self.cls(**settings))

    def preset_picker(self, presets: dict, where=st) -> str | None:
        """A lesson selector: choosing one loads its settings. Its one-sentence lesson is shown by
        ``lesson`` over the preset's own result only."""
        key = f"{self.prefix}:preset"
        self.presets = presets

        def _apply() -> None:
            name = st.session_state[key]
            if name in presets:
                self.apply(presets[name].settings)

        opened = f"{self.prefix}:lesson-link"
        if opened not in st.session_state:  # a session's first run: a shared link may name its lesson
            st.session_state[opened] = True
            linked = st.query_params.get(LESSON_KEY)
            if linked in presets:
                st.session_state[key] = linked
                if not set(st.query_params) & set(self.cls.field_names()):  # only the lesson: its settings
                    self.apply(presets[linked].settings)
        if self.room.focused:  # a classroom link: the lesson is fixed; its settings are one click away
            return self._lesson_controls(where)
        name = where.selectbox("Lesson preset", ["(your settings)", *presets], key=key, on_change=_apply)
        return name if name in presets else None

    def _lesson_controls(self, where) -> str | None:
        """A focused link's sidebar top: the lesson's name, "Reset to the lesson" (a student who
        got lost is one click from the teacher's setup) and a heading over the controls shown."""
        name = self.room.lesson
        if name in self.presets:
            st.session_state[f"{self.prefix}:preset"] = name
            where.markdown(f"**Lesson:** {name}")  # a preset name: ours, not the link's text
            where.button("Reset to the lesson", icon=":material/restart_alt:", key=f"{self.prefix}:reset",
                         on_click=self.apply, args=(self.presets[name].settings,))
        if self.room.show:
            where.subheader("Try changing")
        else:
            where.caption("The settings of this lesson are fixed.")
        return name if name in self.presets else None

    def header(self, title: str, where=st) -> None:
        """A heading over a group of controls; a focused classroom link has its own heading."""
        if not self.room.focused:
            where.header(title)

    def note(self, text: str, where=st, about: str | None = None) -> None:
        """A caption among the controls (what a dataset is, what a batch size means); left out of
        a focused link unless it is ``about`` a setting the link shows."""
        if not self.room.focused or (about is not None and self.room.shows(about)):
            where.caption(text)

    def chosen_lesson(self, config) -> str | None:
        """The preset chosen in the picker when ``config`` is exactly its settings (then a shared
        link carries it, so students who open the link see the lesson)."""
        name = st.session_state.get(f"{self.prefix}:preset")
        if name in self.presets and self.cls(**self.presets[name].settings) == config:
            return name
        return None

    def lesson(self, result) -> None:
        """The chosen preset's lesson, above the result when both the settings and the result on
        screen are the preset's; a note instead when the settings were changed since (the sentence
        may not hold for them)."""
        name = st.session_state.get(f"{self.prefix}:preset")
        if name not in self.presets:
            return
        if self.room.focused or self.room.teacher:
            from core.ui import classroom

            with self._top:
                classroom.lesson_box(self, name, result)
            return
        preset_config = self.cls(**self.presets[name].settings).to_dict()
        with self._top:
            if result is not None and result.config == preset_config == self.current:
                st.info(lesson_markdown(lessons.lesson(name, self.presets[name], result.metrics)),
                        icon=":material/school:")
            else:
                st.caption(f"The settings differ from the lesson '{name}': its sentence is about the preset's "
                           "own settings. Choose it again to restore them.")

    def upload(self, label: str, types: Sequence[str], where=st) -> uploads.Upload | None:
        """The file uploaded here, kept for the session (reruns and page switches keep it) by
        ``core.ui.uploads``, which holds its bytes once; removing it in the widget releases it."""
        file = where.file_uploader(label, type=list(types), key=f"{self.prefix}:upload:widget",
                                   on_change=self._upload_changed)
        return uploads.from_widget(file, self.prefix)

    def _upload_changed(self) -> None:
        if st.session_state.get(f"{self.prefix}:upload:widget") is None:
            uploads.released(self.prefix)

    def warnings(self, current=None) -> list[str]:
        """The link's warnings, shown until a setting on screen differs from what the link gave.
        Only the drawn widgets count: a linked setting whose widget this page does not draw (a
        ticker with a bundled source) is not in ``current`` and is no change by the user."""
        warnings, linked = st.session_state.get(f"{self.prefix}:warnings", ([], None))
        drawn = [name for name in self.values if name in self.cls.field_names()]
        if warnings and current is not None and any(getattr(current, n) != getattr(linked, n) for n in drawn):
            st.session_state[f"{self.prefix}:warnings"] = ([], None)
            return []
        return warnings

    def _help(self, name: str) -> str:
        return self.cls.meta(name).get("help", "")

    def _bounds(self, name: str) -> tuple[Any, Any]:
        meta = self.cls.meta(name)
        return meta.get("min"), meta.get("max")

    # ---- widgets (each returns the value and records it) ------------------------------------
    # Limits come from the Config's field metadata only: a page cannot declare narrower ones, so a
    # value that a link or the CLI accepts is never clamped by a widget.
    # A classroom link may hide a setting (``_hidden``: its value stays what the link or lesson
    # gave, read from the session) or show it greyed out (``_locked``).
    def slider(self, name: str, label: str, step=None, fmt: str | None = None, where=st) -> Any:
        if self._hidden(name, label):
            return self._record(name, self._held(name))
        lo, hi = self._bounds(name)
        value = where.slider(label, lo, hi, step=step, format=fmt, key=self.key(name), help=self._help(name),
                             disabled=self._locked(name))
        return self._record(name, value)

    def number(self, name: str, label: str, step=None, fmt: str | None = None, where=st) -> Any:
        if self._hidden(name, label):
            return self._record(name, self._held(name))
        lo, hi = self._bounds(name)
        value = where.number_input(label, lo, hi, step=step, format=fmt, key=self.key(name), help=self._help(name),
                                   disabled=self._locked(name))
        return self._record(name, value)

    def log_slider(self, name: str, label: str, options: Sequence[float], where=st) -> float:
        """A select slider over log-spaced values (learning rate); a linked value off the scale
        is added to it so nothing the user had is lost."""
        if self._hidden(name, label):
            return self._record(name, float(self._held(name)))
        current = st.session_state.get(self.key(name))
        opts = sorted(set(options) | ({current} if isinstance(current, (int, float)) else set()))
        value = where.select_slider(label, opts, key=self.key(name), help=self._help(name),
                                    format_func=lambda v: f"{v:g}", disabled=self._locked(name))
        return self._record(name, float(value))

    def select(self, name: str, label: str, options: Sequence[Any] | None = None,
               format_func: Callable[[Any], str] = str, where=st, horizontal: bool = False) -> Any:
        if self._hidden(name, label):
            return self._record(name, self._held(name))
        options = list(options or self.cls.meta(name)["choices"])
        labels = _labels(options, format_func)
        if horizontal:
            value = where.radio(label, options, key=self.key(name), format_func=labels,
                                help=self._help(name), horizontal=True, disabled=self._locked(name))
        else:
            value = where.selectbox(label, options, key=self.key(name), format_func=labels,
                                    help=self._help(name), disabled=self._locked(name))
        return self._record(name, value)

    def text(self, name: str, label: str, where=st) -> str:
        if self._hidden(name, label):
            return self._record(name, str(self._held(name)).strip())
        return self._record(name, where.text_input(label, key=self.key(name), help=self._help(name),
                                                   disabled=self._locked(name)).strip())

    def multiselect(self, name: str, label: str, options: Sequence[Any] | None = None,
                    format_func: Callable[[Any], str] = str, where=st) -> tuple:
        if self._hidden(name, label):
            return self._record(name, tuple(self._held(name)))
        options = list(options or self.cls.meta(name)["choices"])
        value = where.multiselect(label, options, key=self.key(name), format_func=_labels(options, format_func),
                                  help=self._help(name), disabled=self._locked(name))
        return self._record(name, tuple(value))

    def bump_button(self, name: str, label: str, where=st, **options: Any) -> None:
        """A button that adds 1 to the whole-number setting ``name`` (the playground's "New data":
        the next data seed); only where ``name`` is a control."""
        if self.room.shows(name):
            where.button(label, on_click=_bump, args=(self.key(name),), **options)

    def int_list(self, name: str, label: str, item_label: str = "layer", where=st) -> tuple[int, ...]:
        """A count slider plus one number box per item (hidden layer sizes), limits from the Config."""
        if self._hidden(name, label):
            return self._record(name, tuple(int(v) for v in self._held(name)))
        meta = self.cls.meta(name)
        item_lo, item_hi = int(meta["item_min"]), int(meta["item_max"])
        base, locked = self.key(name), self._locked(name)
        count = where.slider(f"{label}: how many", 0, int(meta["max_items"]), key=base + ".n", help=self._help(name),
                             disabled=locked)
        items = []
        for i in range(count):
            k = f"{base}.{i}"
            if k not in st.session_state:
                st.session_state[k] = min(max(items[-1] if items else 4, item_lo), item_hi)
            items.append(int(where.number_input(f"neurons in {item_label} {i + 1}", item_lo, item_hi, step=1, key=k,
                                                disabled=locked)))
        return self._record(name, tuple(items))

    def _hidden(self, name: str, label: str) -> bool:
        self.labels[name] = label
        return not self.room.shows(name) and not self.room.lock

    def _locked(self, name: str) -> bool:
        return not self.room.shows(name)

    def _held(self, name: str) -> Any:
        """A hidden setting's value: what the link or the lesson loaded (``_load``), else its default."""
        return st.session_state.get(self.key(name), getattr(self.cls(), name))

    def _record(self, name: str, value: Any) -> Any:
        self.values[name] = value
        return value

    # ---- result ---------------------------------------------------------------------------
    def config(self):
        """The Config of the current widgets, or None (with the reason shown) when invalid.
        A valid config is written to the URL."""
        values = {k: v for k, v in self.values.items() if k in self.cls.field_names()}
        try:
            config = self.cls(**dict(self.cls().to_values(), **values))
        except ConfigError as exc:  # may quote a typed value: shown literally
            frame.message("error", str(exc))
            return None
        self.current = config.to_dict()
        wanted = config.to_strings(only_changed=True)
        lesson = self.chosen_lesson(config)
        if lesson is not None:
            wanted[LESSON_KEY] = lesson
        wanted.update(self.room.to_query())  # a classroom link stays one after every change and reload
        if st.query_params.to_dict() != wanted:
            st.query_params.from_dict(wanted)
        self._share_link(wanted)
        return config

    def _share_link(self, params: dict[str, str]) -> None:
        """The address of exactly these settings, with a copy button (a teacher pastes it in chat),
        near the page title where it is seen."""
        link = self.url(params)
        with self._top.popover("Share these settings", icon=":material/link:"):
            st.code(link, language=None, wrap_lines=True)
            host = urlsplit(link).hostname or ""
            if host in LOCAL_HOSTS:
                st.caption(f"'{host}' only works on this computer. Open the app by the server's name or "
                           "address, or start it with FINDL_PUBLIC_URL=http://SERVER:PORT (README, Configuration).")
            if self.presets and not self.room.focused:
                from core.ui import classroom

                classroom.link_builder(self)

    def url(self, params: dict[str, str]) -> str:
        """This page's address with ``params`` as seen by other people (``share_url``)."""
        return share_url(params, st.context.url or "", dict(st.context.headers or {}),
                         os.environ.get("FINDL_PUBLIC_URL", ""), st.get_option("server.baseUrlPath") or "")


LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}
LESSON_KEY = "lesson"  # ?lesson=PRESET in a link: the lesson box for students who open it


def share_url(params: dict[str, str], page_url: str, headers: dict[str, str], public_url: str = "",
              base_url_path: str = "") -> str:
    """This page's address for other people. ``public_url`` (FINDL_PUBLIC_URL) wins: the server's
    name for students, or the proxy's address. Else the host the browser asked for (a proxy's
    X-Forwarded-Host first, then Host), which is what a student on the same network can reach.
    The page path keeps ``server.baseUrlPath``; the settings become the query string."""
    url = urlsplit(page_url)
    path = url.path or "/"
    public = public_url.strip().rstrip("/")
    if public:
        base_path = "/" + base_url_path.strip("/")
        if base_path != "/" and path.startswith(base_path):
            path = path[len(base_path):] or "/"
        origin = public
    else:
        lower = {k.lower(): v for k, v in headers.items()}
        host = (lower.get("x-forwarded-host") or lower.get("host") or url.netloc).split(",")[0].strip()
        scheme = (lower.get("x-forwarded-proto") or url.scheme or "http").split(",")[0].strip()
        origin = f"{scheme}://{host}"
    return origin + path + ("?" + urlencode(params) if params else "")


# Material icons (Streamlit's own font): emoji need a colour-emoji font a classroom PC may lack.
# Blue and orange, not green and red (colour-blind safe, docs/DESIGN.md); the icon and the words say it too.
_MARKS = {True: (":blue[:material/check_circle:]", "In this run"),
          False: (":orange[:material/cancel:]", "Not in this run"),
          None: (":gray[:material/help:]", "This run cannot show it")}


def lesson_markdown(lesson: dict) -> str:
    """The lesson box: the preset's sentence, then each claim with whether it holds in the run on
    screen and the run's own numbers (``core.lessons``)."""
    lines = [f"**Lesson: {lesson['name']}.** {lesson['sentence']}"]
    for claim in lesson["claims"]:
        mark, verdict = _MARKS[claim["holds"]]
        lines.append(f"- {mark} **{verdict}:** {claim['text']} ({claim['evidence']})")
    return "\n".join(lines)


def _labels(options: Sequence[Any], format_func: Callable[[Any], str]) -> Callable[[Any], str]:
    """The options' labels, computed now, as the function a widget keeps. Not the page's own
    function: a widget keeps its ``format_func`` in the session state, and a function defined in a
    page script keeps that script's globals alive (an uploaded file, the table parsed from it)
    for as long as Streamlit keeps the session, after the tab closed too."""
    return {option: format_func(option) for option in options}.__getitem__


def _bump(key: str) -> None:
    st.session_state[key] = int(st.session_state.get(key, 0)) + 1
