"""A small per-process cache with expiry, for public-schema facts read on every request.

Host resolution and partnership rules change rarely and are read constantly; each process
keeps its answers for a few seconds. A save clears this process's copy (signals); other
processes catch up when their entries expire.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ExpiringCache(Generic[K, V]):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get_or_load(self, key: K, load: Callable[[K], V]) -> V:
        """The cached value, or `load(key)` (run outside the lock) stored for next time."""
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load(key)
        with self._lock:
            self._entries[key] = (now + self.seconds, value)
        return value

    def peek(self, key: K) -> tuple[bool, V | None]:
        """(True, value) when a fresh answer is cached, else (False, None); never loads."""
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return True, hit[1]
        return False, None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
