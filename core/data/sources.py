"""The file a dataset was parsed from, remembered beside the dataset (uploads on the web server).

Why: a training receives its data in the Dask task graph, and for an upload that is the parsed
table itself. The client process keeps the serialised copy while the job lives: a 190 MB feature
table submitted from the web server held 180 MB more there (a one-worker LocalCluster, RSS after
the result), and every queued job holds one on the scheduler. With the file's bytes remembered
here, the engine puts the file in the store once and sends its path; the worker parses it
(``core.engine.training``) and checks the fingerprint against the server's.

Keyed by the dataset object, not stored on it (datasets are frozen dataclasses of every task's
own kind); an entry goes with its dataset.
"""

from __future__ import annotations

import weakref
from typing import Any

_RAW: dict[int, bytes] = {}


def remember(data: Any, raw: bytes) -> None:
    """``data`` was parsed from the file ``raw`` (its bytes, as the user gave them)."""
    key = id(data)
    if key not in _RAW:
        weakref.finalize(data, _RAW.pop, key, None)
    _RAW[key] = raw


def raw_of(data: Any) -> bytes | None:
    """The bytes ``data`` was parsed from, or None (generated, bundled, or not remembered)."""
    return _RAW.get(id(data))
