"""How many frames one websocket may send: a token bucket per socket.

A resident types a few frames a minute and an operator's console a few a second (messages,
typing, read marks); a hostile or broken client can send thousands a second, and every frame
that reaches a handler costs database work that every other chat on the process waits
behind (issue 12: a fuzzing client pushed a healthy chat's p99 to 3x its quiet value). Each
socket gets `FRAME_RATE_BURST` frames at once and `FRAME_RATE_PER_SECOND` after that, far
above any person; a frame over the budget is answered `rate_limited` with `retry: true` and
`retry_after` (seconds) and not handled, so nothing is stored and the client may send it
again (a message's `client_id` makes that safe). A socket that keeps sending through
`FRAME_RATE_CLOSE_AFTER` refusals in a row is closed with 1008 (policy violation).

In process memory, not Redis: the budget belongs to one socket on one process and must cost
nothing per frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class FrameBudget:
    """A token bucket: `burst` tokens, refilled at `rate` per second."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.tokens = float(burst)
        self.updated = clock()
        self.refused_in_a_row = 0

    def take(self) -> float:
        """Spend a token for one frame: 0.0 when it may be handled, else the seconds until
        the next token (the frame is then refused)."""
        if self.rate <= 0:  # FRAME_RATE_PER_SECOND=0 turns the budget off
            return 0.0
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            self.refused_in_a_row = 0
            return 0.0
        self.refused_in_a_row += 1
        return (1 - self.tokens) / self.rate
