"""Results derived from a timeline, remembered with it and computed once however many requests ask.

A timeline never changes once loaded, so what is computed from it (filter results, sort
orders, the search column) can be kept with it. Concurrent requests for the same key wait
for the first one's result instead of computing it again; the least recently used results
are forgotten past the memo's size (cachetools' LRU, guarded by one condition).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from cachetools import LRUCache

T = TypeVar("T")

_create_lock = threading.Lock()


class Memo:
    """An LRU of at most ``size`` results; :meth:`get` computes a missing key once."""

    def __init__(self, size: int) -> None:
        self._cache: LRUCache[Hashable, Any] = LRUCache(maxsize=size)
        self._pending: set[Hashable] = set()
        self._changed = threading.Condition()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._changed:
            while True:
                if key in self._cache:
                    value: T = self._cache[key]
                    return value
                if key not in self._pending:
                    self._pending.add(key)
                    break
                self._changed.wait()
        try:
            value = compute()
        except BaseException:
            with self._changed:
                self._pending.discard(key)
                self._changed.notify_all()
            raise
        with self._changed:
            self._cache[key] = value
            self._pending.discard(key)
            self._changed.notify_all()
        return value

    def __len__(self) -> int:
        with self._changed:
            return len(self._cache)


def memo_of(store: dict[str, Any], name: str, size: int) -> Memo:
    """The memo called ``name`` in ``store`` (a timeline's ``memo`` dict), created on first use."""
    memo = store.get(name)
    if memo is None:
        with _create_lock:
            memo = store.setdefault(name, Memo(size))
    assert isinstance(memo, Memo)
    return memo
