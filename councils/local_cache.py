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


def _now() -> float:
    return time.monotonic()


class ExpiringCache(Generic[K, V]):
    def __init__(self, seconds: float, max_entries: int | None = None) -> None:
        self.seconds = seconds
        # Keys built from what visitors send (a page's address) must not grow without bound.
        self.max_entries = max_entries
        self._entries: dict[K, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get_or_load(self, key: K, load: Callable[[K], V]) -> V:
        """The cached value, or `load(key)` (run outside the lock) stored for next time."""
        now = _now()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        return self.reload(key, load)

    def reload(self, key: K, load: Callable[[K], V]) -> V:
        """`load(key)` stored for next time, whatever is cached now."""
        now = _now()
        value = load(key)
        with self._lock:
            if self.max_entries is not None and len(self._entries) >= self.max_entries:
                self._entries = {k: hit for k, hit in self._entries.items() if hit[0] > now}
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
            self._entries[key] = (now + self.seconds, value)
        return value

    def peek(self, key: K) -> tuple[bool, V | None]:
        """(True, value) when a fresh answer is cached, else (False, None); never loads."""
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and hit[0] > _now():
            return True, hit[1]
        return False, None

    def due_for_refresh(self, key: K) -> bool:
        """True when the answer is missing or in the last third of its life.

        Async callers refresh it then, in the background, and keep serving it meanwhile, so
        a busy process rarely meets an expired answer. The expiry itself never moves: an
        answer is never served past `seconds` after it was loaded.
        """
        with self._lock:
            hit = self._entries.get(key)
        return hit is None or hit[0] - _now() < self.seconds / 3

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
