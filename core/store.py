"""Content-addressed result store.

key = sha256(task, schema version, canonical config, data fingerprint). An entry is a folder
``<key>/`` with ``arrays.npz`` (numeric arrays, read with ``allow_pickle=False``), the run's named
files (``Result.files``, stored as the task wrote them: Keras archives ``*.keras``, JSON such as
``vectorizer.json``, the sentiment baseline's ``tfidf.npz``) and ``meta.json`` holding metrics,
info and the sha256 of every other file. No entry holds a pickle: checksums sit beside the files
they check, so they catch damage, not a hostile writer, and nothing read from a store may run
code when loaded. ``meta.json`` is written last, so an entry without it, or whose files do not
match their checksums, is incomplete or corrupt: it is discarded and the run is trained again.

File names are plain names (``model.keras``, ``vectorizer.json``): no folders, no ``..``, not
``meta.json`` or ``arrays.npz``. ``put`` refuses others (ValueError: a task bug), ``get`` treats an
entry listing one as corrupt, so a damaged or hostile ``meta.json`` cannot make the store read or
write outside the entry's folder.

Location: ``FINDL_STORE`` (a path, or an fsspec URL such as ``s3://bucket/findl`` for replicas
sharing results), default ``~/.cache/findl``. Per-key lock files serialise trainings of one key
across processes on a local or shared-mount filesystem.

A store that cannot be written (read-only, full, not creatable) still serves what it holds; a
lock it cannot take is skipped, and ``put`` raises ``NotStored`` with the reason in a few words,
so the caller can show the trained run anyway and say it was not kept (``jobs.execute``).

Files of a remote entry are read into local copies (Keras loads a path). The copies belong to the
Result ``get`` returns and are deleted when it is dropped (``Result.remove_when_dropped``), not
kept in a per-key cache: whoever reads the files holds the Result (a worker keeps its last loaded
runs, a page the one it shows), so its lifetime is exactly when the copies are needed, with no
size to tune and nothing to delete under a reader.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from core.result import Result, jsonable

META = "meta.json"
ARRAYS = "arrays.npz"
RESERVED = (META, ARRAYS)
NOT_ENTRIES = ("locks", "sources", "classes")  # folders of the store root that hold no run (core.classlog: classes)
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_file_name(name: object) -> str:
    """``name`` if it is a plain file name a run may store, else ValueError saying why."""
    if not isinstance(name, str) or not _PLAIN_NAME.match(name) or ".." in name:
        raise ValueError(f"result file name {name!r} is not a plain file name (letters, digits, '.', '_', '-'; "
                         "no folders)")
    if name in RESERVED:
        raise ValueError(f"result file name {name!r} is reserved by the store")
    return name


def default_location() -> str:
    env = os.environ.get("FINDL_STORE", "").strip()
    if env:
        return env
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "findl")


def make_key(task: str, schema: int, config: dict[str, Any], data_fingerprint: str) -> str:
    blob = json.dumps({"task": task, "schema": schema, "config": config, "data": data_fingerprint},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class NotStored(Exception):
    """The store could not write an entry; the message is the reason in a few words."""


def reason(exc: OSError, location: str) -> str:
    """"Permission denied in /srv/findl": what went wrong and where, without the temp path."""
    return f"{exc.strerror or type(exc).__name__} in {location}"


class Store:
    def __init__(self, location: str | None = None):
        self.location = location or default_location()
        self.is_local = "://" not in self.location or self.location.startswith("file://")
        if self.is_local:
            self.root = Path(self.location.removeprefix("file://")).expanduser()
            self.fs = None
        else:
            import fsspec  # only for remote stores

            self.fs, self.root = fsspec.core.url_to_fs(self.location)
        with contextlib.suppress(OSError):  # read-only or not creatable: reads work, put says why it cannot write
            if self.fs is None:
                (self.root / "locks").mkdir(parents=True, exist_ok=True)
            else:
                self.fs.makedirs(self.root, exist_ok=True)

    # ---- file primitives (local or fsspec) -----------------------------------------------------
    def _path(self, *parts: str) -> str:
        return "/".join([str(self.root).rstrip("/"), *parts])

    def _read(self, path: str) -> bytes:
        if self.fs is None:
            return Path(path).read_bytes()
        return self.fs.cat_file(path)

    def _exists(self, path: str) -> bool:
        return os.path.exists(path) if self.fs is None else self.fs.exists(path)

    def _remove_tree(self, path: str) -> None:
        if self.fs is None:
            shutil.rmtree(path, ignore_errors=True)
        elif self.fs.exists(path):
            self.fs.rm(path, recursive=True)

    # ---- entries -------------------------------------------------------------------------------
    def has(self, key: str) -> bool:
        """Cheap: the entry's marker file exists (``get`` still verifies it)."""
        return self._exists(self._path(key, META))

    def get(self, key: str) -> Result | None:
        """The stored result, or None when absent. A corrupt entry is removed and None returned."""
        folder = self._path(key)
        meta_path = self._path(key, META)
        if not self._exists(meta_path):
            return None
        try:
            meta = json.loads(self._read(meta_path))
            files = {}
            for name, digest in meta["files"].items():
                if name != ARRAYS:
                    check_file_name(name)
                data = self._read(self._path(key, name))
                if _sha(data) != digest:
                    raise ValueError(f"checksum mismatch in {name}")
                files[name] = data
            arrays = {}
            if ARRAYS in files:
                with np.load(io.BytesIO(files[ARRAYS]), allow_pickle=False) as npz:
                    arrays = {k: npz[k] for k in npz.files}
            named, copies = self._local_files(key, {name: data for name, data in files.items() if name != ARRAYS})
        except Exception:  # corrupt or half-written: discard, the caller trains again
            self._remove_tree(folder)
            return None
        result = _stored_view(meta, arrays, named, key)
        if copies is not None:
            result.remove_when_dropped(copies)
        return result

    def _local_files(self, key: str, files: dict[str, bytes]) -> tuple[dict[str, str], str | None]:
        """Local paths of an entry's named files: the entry's own files on a local store; for a
        remote one, copies in a fresh temporary folder under their own names (Keras needs the
        ``.keras`` suffix, a reader may go by the name), returned with the folder to delete."""
        if self.fs is None:
            return {name: self._path(key, name) for name in files}, None
        if not files:
            return {}, None
        folder = Path(tempfile.mkdtemp(prefix="findl-"))
        for name, data in files.items():
            (folder / name).write_bytes(data)
        return {name: str(folder / name) for name in files}, str(folder)

    def put(self, key: str, result: Result, extra_meta: dict[str, Any] | None = None) -> Result:
        """Store ``result`` (its arrays and named files) under ``key``, atomically. Returns the
        entry as ``get`` would give it (metrics, info and config as JSON gives them back, ``key``
        set, files the entry's own or local copies), built from what was written, not read back;
        the given files stay the caller's. Raises ``NotStored`` when the store cannot be written
        (read-only, full, no permission), leaving no partial entry behind."""
        payload: dict[str, bytes] = {}
        buf = io.BytesIO()
        np.savez_compressed(buf, **{k: np.asarray(v) for k, v in result.arrays.items()})
        payload[ARRAYS] = buf.getvalue()
        for name, path in result.files.items():
            payload[check_file_name(name)] = Path(path).read_bytes()
        meta = {"metrics": result.metrics, "info": result.info, "seconds": result.seconds,
                "config": result.config, "created": time.time(), "files": {n: _sha(d) for n, d in payload.items()},
                **(extra_meta or {})}
        meta_bytes = json.dumps(jsonable(meta)).encode()
        try:
            self._write(key, payload, meta_bytes)
        except OSError as exc:
            raise NotStored(reason(exc, self.location)) from exc
        named, copies = self._local_files(key, {n: d for n, d in payload.items() if n != ARRAYS})
        arrays = {k: np.asarray(v) for k, v in result.arrays.items()}
        stored = _stored_view(json.loads(meta_bytes), arrays, named, key, cached=False)
        if copies is not None:
            stored.remove_when_dropped(copies)
        return stored

    def _write(self, key: str, payload: dict[str, bytes], meta_bytes: bytes) -> None:
        if self.fs is not None:
            for name, data in payload.items():
                self.fs.pipe_file(self._path(key, name), data)
            self.fs.pipe_file(self._path(key, META), meta_bytes)  # last: marks the entry complete
            return
        tmp = self.root / f".tmp-{key}-{uuid.uuid4().hex}"
        try:
            tmp.mkdir()
            for name, data in payload.items():
                (tmp / name).write_bytes(data)
            (tmp / META).write_bytes(meta_bytes)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)  # a full disk keeps no half-written folder
            raise
        target = self.root / key
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.replace(tmp, target)  # atomic on one filesystem
        except OSError:  # another process won the race; its entry is as good as ours
            shutil.rmtree(tmp, ignore_errors=True)
            if not (target / META).exists():
                raise  # not a lost race: nothing was stored

    @contextlib.contextmanager
    def lock(self, key: str, timeout: float = 3600) -> Iterator[None]:
        """Held while a key trains, so other processes wait and then read the entry."""
        if self.fs is not None:
            yield  # object stores have no locks: at worst a key trains twice, results agree
            return
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.root / "locks" / f"{key}.lock"), timeout=timeout)
        try:
            lock.acquire()
        except Timeout:
            raise
        except OSError:  # a read-only or missing store: train unlocked, put will say why it cannot store
            lock = None
        try:
            yield
        finally:
            if lock is not None:
                lock.release()

    def keep_source(self, raw: bytes) -> str | None:
        """The file ``raw`` in ``.sources/<sha256>`` of a local store (written once, atomically),
        for workers to read instead of receiving its parsed data; None for a remote store or one
        that cannot be written (the caller sends the data then)."""
        if self.fs is not None:
            return None
        folder = self.root / ".sources"
        target = folder / hashlib.sha256(raw).hexdigest()
        try:
            if not target.exists():
                folder.mkdir(parents=True, exist_ok=True)
                tmp = folder / f".tmp-{uuid.uuid4().hex}"
                tmp.write_bytes(raw)
                os.replace(tmp, target)
        except OSError:
            return None
        return str(target)

    def status(self) -> dict[str, Any]:
        entries = 0
        size = 0
        if self.fs is None:
            for child in (self.root.iterdir() if self.root.is_dir() else ()):
                if child.is_dir() and (child / META).exists():
                    entries += 1
                    size += sum(f.stat().st_size for f in child.iterdir())
        else:
            entries = sum(1 for p in self.fs.ls(self.root, detail=False)
                          if p.rstrip("/").split("/")[-1] not in NOT_ENTRIES)
        return {"location": self.location, "entries": entries, "bytes": size}


def _stored_view(meta: dict, arrays: dict, files: dict[str, str], key: str, cached: bool = True) -> Result:
    return Result(metrics=meta["metrics"], arrays=arrays, info=meta.get("info", {}), files=files,
                  seconds=meta.get("seconds", 0.0), cached=cached, config=meta.get("config"), key=key,
                  own_files=False)
