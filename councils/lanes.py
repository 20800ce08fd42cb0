"""The ORM threads' queues: the lightest socket first, not first come first served.

Each of a web process's two ORM threads (councils/tenancy.py) runs one call at a time, so a
call waits for every call queued before it. In arrival order, a hostile socket sending
schema-valid frames at the most its frame budget allows kept a few calls queued at all
times, and a resident's message waited behind them: the soak's healthy chat had a p99 of
0.32 s against 0.04 s quiet (issue 12, docs/reliability.md). Refusing such a socket's
frames by the database time they used (reliability/frame_rate.py) helped only while that
time was counted on the wall clock, and then it also refused residents whenever the
machine was busy.

So each socket has a `LaneShare`: the seconds of ORM thread its calls held lately, decaying
with a half-life of `HALF_LIFE_S`. A call waits in a priority queue under the key

    the moment it was queued + DEFER_PER_SECOND_USED x its socket's share

so a socket that has held the thread a lot goes behind lighter sockets' calls queued up to
that long after it, and never further: nothing starves, and without a queue nothing
changes. A socket's own calls keep their order (its key never goes down while one of its
calls waits). Calls made outside any socket's frame (timers, connects, HTTP views through
asgiref) have a share of 0.

A plain `Executor` with one thread, used for the back-office lane and installed as
asgiref's single thread-sensitive executor for the chat lane (`install_chat_lane`), so
the process keeps two ORM threads and two connections.
"""

from __future__ import annotations

import contextvars
import itertools
import math
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

HALF_LIFE_S = 2.0
DEFER_PER_SECOND_USED = 5.0

_DECAY = math.log(2) / HALF_LIFE_S


class LaneShare:
    """How much ORM thread time one socket has held lately (wall seconds, decaying)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.used = 0.0
        self.updated = clock()
        self.waiting = 0  # calls of this socket queued or running
        self.last_key = 0.0
        self.lock = threading.Lock()  # `held` runs on ORM threads, `key` on the event loop

    def _decayed(self, now: float) -> float:
        return self.used * math.exp(-_DECAY * (now - self.updated))

    def held(self, seconds: float) -> None:
        """Record `seconds` of an ORM thread held by one of this socket's calls."""
        with self.lock:
            now = self.clock()
            self.used = self._decayed(now) + seconds
            self.updated = now

    def level(self) -> float:
        with self.lock:
            return self._decayed(self.clock())

    def key(self, now: float) -> float:
        """The queue key of a call queued `now`; never below a waiting call's of ours."""
        with self.lock:
            key = now + DEFER_PER_SECOND_USED * self._decayed(now)
            if self.waiting:
                key = max(key, self.last_key)
            self.last_key = key
            self.waiting += 1
            return key

    def done(self) -> None:
        with self.lock:
            self.waiting -= 1


# The share of the socket whose frame is being handled (set by consumers around a frame's
# handler; asyncio tasks and asgiref's calls inherit it).
lane_share: contextvars.ContextVar[LaneShare | None] = contextvars.ContextVar(
    "orm_lane_share", default=None
)


class FairLane(Executor):
    """One thread; queued calls run lowest key first (see the module docstring)."""

    def __init__(self, name: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.clock = clock
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._order = itertools.count()  # equal keys: first queued, first run
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()
        self._shut = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        if self._shut:
            raise RuntimeError("cannot schedule new calls after shutdown")
        share = lane_share.get()
        key = share.key(self.clock()) if share is not None else self.clock()
        future: Future = Future()
        self._queue.put((key, next(self._order), future, share, fn, args, kwargs))
        self._ensure_thread()
        return future

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        with self._start:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name=self.name, daemon=True)
                self._thread.start()

    def _work(self) -> None:
        while True:
            _, _, future, share, fn, args, kwargs = self._queue.get()
            if future is None:  # shutdown
                return
            try:
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    result = fn(*args, **kwargs)
                except BaseException as exc:  # handed to the awaiting caller
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            finally:
                if share is not None:
                    share.done()
                del future, fn, args, kwargs

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shut = True
        if self._thread is None:
            return
        self._queue.put((math.inf, next(self._order), None, None, None, (), {}))
        if wait:
            self._thread.join()


def install_chat_lane() -> FairLane:
    """Make asgiref's single thread-sensitive executor (the chat lane: every consumer's
    `database_sync_to_async`, channels' session lookups) a `FairLane`. Called once from
    CouncilsConfig.ready(), before any call has been queued on the old one."""
    from asgiref.sync import SyncToAsync

    if not isinstance(SyncToAsync.single_thread_executor, FairLane):
        SyncToAsync.single_thread_executor = FairLane("orm-chat")
    return SyncToAsync.single_thread_executor
