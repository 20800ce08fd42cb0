"""Waiting for a condition in tests: poll it until a deadline, never sleep a fixed time.

A fixed sleep is either too short on a busy machine (a flaky test) or too long on a quiet one
(a slow suite). Polling returns as soon as the condition holds and fails with a message that
says what never happened.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

DEFAULT_TIMEOUT = 20.0
INTERVAL = 0.05


def poll_until(
    condition: Callable[[], T],
    what: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = INTERVAL,
) -> T:
    """Call `condition` until it returns something truthy, and return that.

    Fails the test with `what` (what was awaited) when `timeout` seconds pass first.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        time.sleep(interval)


async def apoll_until(
    condition: Callable[[], T | Awaitable[T]],
    what: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = INTERVAL,
) -> T:
    """`poll_until` for async tests: `condition` may be a plain or an async callable, and the
    event loop keeps running between tries (consumers and heartbeats go on meanwhile)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if asyncio.iscoroutine(result) or isinstance(result, Awaitable):
            result = await result
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {timeout:g} s: {what}")
        await asyncio.sleep(interval)
