"""Widgets bound to a task Config and to the page URL.

On a session's first run the values come from the link (``?hidden=8,8&learning_rate=0.1``); a bad
value falls back to its default with a warning. Every widget writes back to the URL, so the address
bar is always a shareable link to exactly what is on screen. Widget limits come from the Config's
field metadata: one set of rules for links, CLI and widgets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from core.errors import ConfigError


class Controls:
    def __init__(self, config_cls, prefix: str):
        self.cls, self.prefix = config_cls, prefix
        self.values: dict[str, Any] = {}
        init_key = f"{prefix}:init"
        if init_key not in st.session_state:
            config, warnings = config_cls.from_query(st.query_params.to_dict())
            self._load(config)
            st.session_state[f"{prefix}:warnings"] = (warnings, config)
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
        """A lesson selector: choosing one loads its settings and shows its one-sentence lesson."""
        key = f"{self.prefix}:preset"

        def _apply() -> None:
            name = st.session_state[key]
            if name in presets:
                self.apply(presets[name].settings)

        name = where.selectbox("Lesson preset", ["(your settings)", *presets], key=key, on_change=_apply)
        if name in presets:
            where.info(presets[name].description)
            return name
        return None

    def upload(self, label: str, types: Sequence[str], where=st) -> bytes | None:
        """A file kept in the session (reruns and page switches keep it) as bytes."""
        key = f"{self.prefix}:upload"
        file = where.file_uploader(label, type=list(types), key=key + ":widget")
        if file is not None:
            st.session_state[key] = file.getvalue()
        return st.session_state.get(key)

    def warnings(self, current=None) -> list[str]:
        """The link's warnings, shown until the settings differ from what the link gave."""
        warnings, linked = st.session_state.get(f"{self.prefix}:warnings", ([], None))
        if warnings and current is not None and current != linked:
            st.session_state[f"{self.prefix}:warnings"] = ([], None)
            return []
        return warnings

    def _help(self, name: str) -> str:
        return self.cls.meta(name).get("help", "")

    def _bounds(self, name: str) -> tuple[Any, Any]:
        meta = self.cls.meta(name)
        return meta.get("min"), meta.get("max")

    # ---- widgets (each returns the value and records it) ------------------------------------
    def slider(self, name: str, label: str, lo=None, hi=None, step=None, fmt: str | None = None, where=st) -> Any:
        m_lo, m_hi = self._bounds(name)
        lo, hi = (m_lo if lo is None else lo), (m_hi if hi is None else hi)
        self._clamp(name, lo, hi)
        value = where.slider(label, lo, hi, step=step, format=fmt, key=self.key(name), help=self._help(name))
        return self._record(name, value)

    def number(self, name: str, label: str, lo=None, hi=None, step=None, fmt: str | None = None, where=st) -> Any:
        m_lo, m_hi = self._bounds(name)
        lo, hi = (m_lo if lo is None else lo), (m_hi if hi is None else hi)
        self._clamp(name, lo, hi)
        value = where.number_input(label, lo, hi, step=step, format=fmt, key=self.key(name), help=self._help(name))
        return self._record(name, value)

    def log_slider(self, name: str, label: str, options: Sequence[float], where=st) -> float:
        """A select slider over log-spaced values (learning rate); a linked value off the scale
        is added to it so nothing the user had is lost."""
        current = st.session_state.get(self.key(name))
        opts = sorted(set(options) | ({current} if isinstance(current, (int, float)) else set()))
        value = where.select_slider(label, opts, key=self.key(name), help=self._help(name),
                                    format_func=lambda v: f"{v:g}")
        return self._record(name, float(value))

    def select(self, name: str, label: str, options: Sequence[Any] | None = None,
               format_func: Callable[[Any], str] = str, where=st, horizontal: bool = False) -> Any:
        options = list(options or self.cls.meta(name)["choices"])
        if horizontal:
            value = where.radio(label, options, key=self.key(name), format_func=format_func,
                                help=self._help(name), horizontal=True)
        else:
            value = where.selectbox(label, options, key=self.key(name), format_func=format_func,
                                    help=self._help(name))
        return self._record(name, value)

    def text(self, name: str, label: str, where=st) -> str:
        return self._record(name, where.text_input(label, key=self.key(name), help=self._help(name)).strip())

    def toggle(self, name: str, label: str, where=st) -> bool:
        return self._record(name, where.toggle(label, key=self.key(name), help=self._help(name)))

    def multiselect(self, name: str, label: str, options: Sequence[Any] | None = None,
                    format_func: Callable[[Any], str] = str, where=st) -> tuple:
        options = list(options or self.cls.meta(name)["choices"])
        value = where.multiselect(label, options, key=self.key(name), format_func=format_func,
                                  help=self._help(name))
        return self._record(name, tuple(value))

    def int_list(self, name: str, label: str, max_items: int, item_lo: int, item_hi: int,
                 item_label: str = "layer", where=st) -> tuple[int, ...]:
        """A count slider plus one slider per item (hidden layer sizes)."""
        base = self.key(name)
        count = where.slider(f"{label}: how many", 0, max_items, key=base + ".n", help=self._help(name))
        items = []
        for i in range(count):
            k = f"{base}.{i}"
            if k not in st.session_state:
                st.session_state[k] = min(max(items[-1] if items else 4, item_lo), item_hi)
            st.session_state[k] = min(max(st.session_state[k], item_lo), item_hi)
            items.append(where.slider(f"neurons in {item_label} {i + 1}", item_lo, item_hi, key=k))
        return self._record(name, tuple(items))

    def set(self, name: str, value: Any) -> Any:
        """A value that no widget shows (e.g. fixed by a page mode)."""
        return self._record(name, value)

    def _record(self, name: str, value: Any) -> Any:
        self.values[name] = value
        return value

    def _clamp(self, name: str, lo, hi) -> None:
        k = self.key(name)
        v = st.session_state.get(k)
        if isinstance(v, (int, float)) and lo is not None and hi is not None and not lo <= v <= hi:
            st.session_state[k] = type(v)(min(max(v, lo), hi))

    # ---- result ---------------------------------------------------------------------------
    def config(self):
        """The Config of the current widgets, or None (with the reason shown) when invalid.
        A valid config is written to the URL."""
        values = {k: v for k, v in self.values.items() if k in self.cls.field_names()}
        try:
            config = self.cls(**dict(self.cls().to_values(), **values))
        except ConfigError as exc:
            st.error(f"{exc}")
            return None
        wanted = config.to_strings(only_changed=True)
        if st.query_params.to_dict() != wanted:
            st.query_params.from_dict(wanted)
        self._share_link(wanted)
        return config

    @staticmethod
    def _share_link(params: dict[str, str]) -> None:
        """The address of exactly these settings, with a copy button (a teacher pastes it in chat)."""
        from urllib.parse import urlencode

        base = (st.context.url or "").split("?")[0]
        with st.sidebar.expander("Share these settings", icon=":material/link:"):
            st.code(base + ("?" + urlencode(params) if params else ""), language=None, wrap_lines=True)
