"""Coalesce the team-wide announcements of a burst of changes into one of each.

Assigning a queue of chats changes the queue order and the team's loads once per chat;
every waiting visitor and every console only needs the final state. Inside
`coalesced_announcements`, those two announcements are noted instead of sent, and sent once
when the block ends (every change in it having committed by then). Measured in
bench/routing_bench.py (R3) and bench B5.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_state = threading.local()


def defer(key: str, announce: Callable[[], None]) -> bool:
    """Note `announce` under `key` when a coalescing block is open; True when deferred."""
    pending = getattr(_state, "pending", None)
    if pending is None:
        return False
    pending[key] = announce
    return True


@contextmanager
def coalesced_announcements() -> Iterator[None]:
    """Precondition: no transaction is open around the block (it announces on exit)."""
    if getattr(_state, "pending", None) is not None:  # nested: the outer block sends
        yield
        return
    _state.pending = {}
    try:
        yield
    finally:
        pending, _state.pending = _state.pending, None
        for announce in pending.values():
            announce()
