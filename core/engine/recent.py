"""The last few values by key, oldest dropped first: what a process keeps loaded between calls.

Three places keep such a memo (a worker's rebuilt data, a worker's loaded runs for scoring, the
server's stored runs); this is the one implementation. Thread-safe: the server's sessions and a
worker's scoring thread share them. ``load`` runs outside the lock, so a slow store read never
blocks readers of other keys; two threads asking for one new key may both load it (the first one
kept wins, both answers are equal).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Recent(Generic[V]):
    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], V | None]) -> V | None:
        """The kept value for ``key``, else ``load()`` (kept unless it is None; its errors pass
        through, nothing kept)."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = load()
        if value is None:
            return None
        with self._lock:
            value = self._items.setdefault(key, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._items.pop(key, None)
