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

A frame's cost is not its count, though: a `message` is one insert, while a supervisor's
`reassign` or a `note` takes tens of milliseconds of an ORM thread, which other sockets'
database work queues behind (councils/tenancy.py). So each socket also has a
`DbTimeBudget`: the ORM thread time its frames' handlers held (wall time, capped at 3x
the thread's CPU time: councils/tenancy.py), refilled at
`SOCKET_DB_SHARE` seconds a second (2% of the thread) after a burst of
`SOCKET_DB_BURST_SECONDS`. A socket in debt has
its next frames answered `rate_limited` (not handled) until it is paid off. Measured in the
soak (docs/reliability.md): schema-valid hostile frames at 9.5 a second on three sockets had
taken about a fifth of the thread and put a healthy chat's p99 at 3.5x its quiet value.
The bursts are small (50 frames, 0.5 s of database time) because a burst is what a hostile
socket spends at once: with 200 and 2 s, each fuzzing socket's first seconds delayed the
healthy chat by 0.3-0.9 s. The cap: when the machine or PostgreSQL is busy every call
waits longer, and charging that whole wait had refused a healthy chat's messages for
seconds at a time during a config flood on the other process (acks at 24 s p99); CPU time
alone let a fuzzing socket through almost unpaid (its p99 8.9x quiet).
What a frame's handler runs is charged, with anything it starts; the socket's own timers
(heartbeats, a supervisor's periodic refresh) are not.

In process memory, not Redis: the budget belongs to one socket on one process and must cost
nothing per frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBucket:
    """`burst` tokens at once, refilled at `rate` a second (never above `burst`)."""

    def __init__(
        self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.tokens = float(burst)
        self.updated = clock()

    def refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now


class FrameBudget(TokenBucket):
    """A token per frame."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__(rate, burst, clock)
        self.refused_in_a_row = 0

    def take(self) -> float:
        """Spend a token for one frame: 0.0 when it may be handled, else the seconds until
        the next token (the frame is then refused)."""
        if self.rate <= 0:  # FRAME_RATE_PER_SECOND=0 turns the budget off
            return 0.0
        self.refill()
        if self.tokens >= 1:
            self.tokens -= 1
            self.refused_in_a_row = 0
            return 0.0
        self.refused_in_a_row += 1
        return (1 - self.tokens) / self.rate


class DbTimeBudget(TokenBucket):
    """A bucket of database seconds. Spending may overdraw it (a call's cost is known only
    after it ran); `due` says how long until the debt is paid off."""

    def spend(self, seconds: float) -> None:
        """Charge `seconds` of ORM time (called on the ORM thread: plain float updates)."""
        self.refill()
        self.tokens -= seconds

    def due(self) -> float:
        """0.0 when a frame may be handled, else the seconds until the debt is paid."""
        if self.rate <= 0:  # SOCKET_DB_SHARE=0 turns the budget off
            return 0.0
        self.refill()
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate
