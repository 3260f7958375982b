"""Uploaded files on the web server: each file's bytes held once, the data parsed from it cached
under a byte budget, both released when no session holds the file any more.

Why not ``st.cache_data`` keyed by the bytes, with the bytes in session state (as before): a
156 MB anomaly CSV took the server from 350 MB to 2.7 GB, a second one to 3.25 GB, held after the
tabs closed. ``st.cache_data`` stores a pickled copy of each result and unpickles another on every
rerun, keeps 64 of them for an hour whatever their size, and cannot know that the session that
uploaded a file is gone; the session state held the bytes; and Streamlit's own upload store keeps a
closed tab's files for good (a session that expires from its reconnect storage is dropped without
its files being removed). Here a session *holds* its upload (one per page slot); the bytes are
taken out of Streamlit's store once read; parsed data is kept by reference (no copies), keyed by
the file's sha256, evicted oldest first beyond ``PARSED_BUDGET``; a session gone for ``GRACE_S``
(less than ``server.disconnectedSessionTTL``, 60 s in ``.streamlit/config.toml``, after which
Streamlit drops the session and with it the page script's own references to the file and its data) or a file removed in its widget
releases the file, and with its last holder the bytes and everything parsed from them go.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

PARSED_BUDGET = 512 * 2**20  # bytes of parsed upload data kept; the newest entry stays even when larger
GRACE_S = 45.0  # a closed tab's upload is released this long after its session stopped being active
SWEEP_S = 10.0  # how often the server looks for sessions that are gone


@dataclass(frozen=True, eq=False)
class Upload:
    """A file a session uploaded: ``data`` is what loaders read, ``fingerprint`` (sha256) what
    caches key on."""

    name: str
    data: bytes
    fingerprint: str


class Uploads:
    """The uploads of one server process and the data parsed from them (thread-safe: every
    session runs its script on its own thread). ``is_alive(session_id)`` says whether a session
    is still connected; ``clock`` is injectable for tests."""

    def __init__(self, budget: int = PARSED_BUDGET, grace_s: float = GRACE_S,
                 is_alive: Callable[[str], bool] | None = None, clock: Callable[[], float] = time.monotonic):
        self.budget, self.grace_s = budget, grace_s
        self._is_alive, self._clock = is_alive or _session_is_active, clock
        self._lock = threading.RLock()
        self._files: dict[str, Upload] = {}
        self._held: dict[tuple[str, str], str] = {}  # (session, slot) -> fingerprint
        self._gone_since: dict[str, float] = {}
        self._parsed: OrderedDict[tuple[Hashable, str], tuple[Any, int]] = OrderedDict()
        self._parsing: dict[tuple[Hashable, str], threading.Lock] = {}
        self._sweeper: threading.Thread | None = None

    # ---- files --------------------------------------------------------------------------------
    def hold(self, session: str, slot: str, name: str, data: bytes) -> Upload:
        """``data`` is the file in ``slot`` of ``session`` now (replacing what it held there); a
        file another session uploaded too is kept once."""
        fingerprint = hashlib.sha256(data).hexdigest()
        with self._lock:
            upload = self._files.setdefault(fingerprint, Upload(name, data, fingerprint))
            previous = self._held.get((session, slot))
            self._held[(session, slot)] = fingerprint
            if previous is not None and previous != fingerprint:
                self._drop_unheld(previous)
        self._start_sweeper()
        return upload

    def held(self, session: str, slot: str) -> Upload | None:
        with self._lock:
            fingerprint = self._held.get((session, slot))
            return None if fingerprint is None else self._files[fingerprint]

    def release(self, session: str, slot: str | None = None) -> None:
        """``session`` no longer holds the file in ``slot`` (None: in any slot)."""
        with self._lock:
            for key in [k for k in self._held if k[0] == session and slot in (None, k[1])]:
                self._drop_unheld(self._held.pop(key))

    def _drop_unheld(self, fingerprint: str) -> None:
        if fingerprint not in self._held.values():
            self._files.pop(fingerprint, None)
            for key in [k for k in self._parsed if k[1] == fingerprint]:
                del self._parsed[key]

    # ---- data parsed from them ----------------------------------------------------------------
    def parsed(self, key: Hashable, upload: Upload, parse: Callable[[], Any]) -> Any:
        """``parse()`` once per (key, file), kept by reference while the budget allows. Errors
        propagate and are not kept. Two sessions asking at once wait for one parse."""
        entry = (key, upload.fingerprint)
        with self._lock:
            if entry in self._parsed:
                self._parsed.move_to_end(entry)
                return self._parsed[entry][0]
            parsing = self._parsing.setdefault(entry, threading.Lock())
        with parsing:
            with self._lock:
                if entry in self._parsed:
                    return self._parsed[entry][0]
            try:
                value = parse()
            finally:
                with self._lock:
                    self._parsing.pop(entry, None)
            with self._lock:
                if upload.fingerprint in self._files:  # released meanwhile: nothing to keep it for
                    self._parsed[entry] = (value, size_of(value))
                    self._evict()
            return value

    def _evict(self) -> None:
        while len(self._parsed) > 1 and self.parsed_bytes() > self.budget:
            self._parsed.popitem(last=False)

    def parsed_bytes(self) -> int:
        with self._lock:
            return sum(size for _, size in self._parsed.values())

    def held_bytes(self) -> int:
        with self._lock:
            return sum(len(upload.data) for upload in self._files.values())

    # ---- sessions that are gone -----------------------------------------------------------------
    def sweep(self) -> None:
        """Release the uploads of sessions inactive for ``grace_s`` (a tab closed, not reopened)."""
        now = self._clock()
        with self._lock:
            sessions = {session for session, _ in self._held}
        for session in sessions:
            if self._is_alive(session):
                self._gone_since.pop(session, None)
            elif now - self._gone_since.setdefault(session, now) >= self.grace_s:
                self.release(session)
                self._gone_since.pop(session, None)

    def _start_sweeper(self) -> None:
        with self._lock:
            if self._sweeper is None:
                self._sweeper = threading.Thread(target=self._sweep_forever, name="findl-upload-sweeper",
                                                 daemon=True)
                self._sweeper.start()

    def _sweep_forever(self) -> None:
        while True:
            time.sleep(SWEEP_S)
            self.sweep()
            _expire_closed_sessions()


def _expire_closed_sessions() -> None:
    """Make Streamlit drop the sessions of tabs closed longer than ``disconnectedSessionTTL``.
    It keeps them in a TTL cache that only expires entries when another session is stored, so
    after the last tab of a class closed, a closed session stayed for good, and with it its
    widgets' callbacks, whose globals are its page script's: the upload and the table parsed from
    it (seen in ``bench/upload_memory.py``: nothing was freed). Private attributes of the pinned
    Streamlit, looked up defensively: without them memory is freed at the next disconnect instead."""
    from streamlit import runtime

    if not runtime.exists():
        return
    storage = getattr(getattr(runtime.get_instance(), "_session_mgr", None), "_session_storage", None)
    expire = getattr(getattr(storage, "_cache", None), "expire", None)
    if callable(expire):
        expire()


def _session_is_active(session_id: str) -> bool:
    from streamlit import runtime

    return not runtime.exists() or runtime.get_instance().is_active_session(session_id)


def size_of(value: Any, _seen: set[int] | None = None) -> int:
    """Bytes held by ``value``: arrays and pandas objects by their buffers, strings, and what
    containers and dataclasses hold (each object once). An estimate for the budget, not exact."""
    seen = set() if _seen is None else _seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (pd.DataFrame, pd.Series, pd.Index)):
        usage = value.memory_usage(deep=True)
        return int(usage.sum() if hasattr(usage, "sum") else usage)
    if isinstance(value, (str, bytes)):
        return sys.getsizeof(value)
    if isinstance(value, dict):
        return sum(size_of(k, seen) + size_of(v, seen) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return sys.getsizeof(value) + sum(size_of(item, seen) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(size_of(getattr(value, f.name), seen) for f in dataclasses.fields(value))
    return sys.getsizeof(value)


UPLOADS = Uploads()


def from_widget(file: Any, slot: str) -> Upload | None:
    """The upload of this session's ``slot`` given what its ``st.file_uploader`` returned: a new
    file is held (and taken out of Streamlit's store, which would keep it after the session);
    a file already taken, or no file because the widget is new after a page switch, gives what
    is held. The session state keeps only the fingerprint (``<slot>:upload``), so a new session
    never sees another's file. Removing the file in the widget releases it (``released``)."""
    import streamlit as st
    from streamlit.runtime.uploaded_file_manager import UploadedFile

    ctx, session = _session()
    if isinstance(file, UploadedFile):
        upload = UPLOADS.hold(session, slot, file.name, file.getvalue())
        if ctx is not None:
            ctx.uploaded_file_mgr.remove_file(session, file.file_id)
        st.session_state[f"{slot}:upload"] = upload.fingerprint
        return upload
    upload = UPLOADS.held(session, slot)
    return upload if upload is not None and st.session_state.get(f"{slot}:upload") == upload.fingerprint else None


def released(slot: str) -> None:
    """The file in ``slot`` was removed in its widget: this session holds it no more."""
    import streamlit as st

    UPLOADS.release(_session()[1], slot)
    st.session_state.pop(f"{slot}:upload", None)


def _session():
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx, ctx.session_id if ctx is not None else ""
