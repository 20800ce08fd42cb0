"""Announce to channel-layer groups only once the database change is committed.

The layer is a doorbell, not a store: an event that then rolled back would announce a
message nobody can fetch, so every send waits for `transaction.on_commit`.

Sync code (views, the consumers' ORM thread, Celery tasks) sends through one long-lived
event loop per process. `async_to_sync` outside an event loop would make a new loop, and so
a new Redis connection, for every send: measured in bench/routing_bench.py, that turned one
assignment with a 100-chat queue into 100 Redis handshakes.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterable
from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction

SEND_TIMEOUT_S = 10
_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None
_loop_lock = threading.Lock()


def _sender_loop() -> asyncio.AbstractEventLoop:
    """This process's sending loop, started on first use (and again after a fork)."""
    global _loop, _loop_pid
    with _loop_lock:
        if _loop is None or _loop_pid != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(
                target=loop.run_forever, name="channel-layer-sender", daemon=True
            ).start()
            _loop, _loop_pid = loop, os.getpid()
        return _loop


async def _send_all(layer, messages: list[tuple[str, dict[str, Any]]]) -> None:
    for group, event in messages:
        await layer.group_send(group, event)


def send_many(messages: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """Send now, in order, and wait until Redis has them.

    Precondition: sync code, and nothing uncommitted is announced (call from on_commit).
    """
    batch = list(messages)
    layer = get_channel_layer()
    if not batch or layer is None:
        return
    future = asyncio.run_coroutine_threadsafe(_send_all(layer, batch), _sender_loop())
    future.result(timeout=SEND_TIMEOUT_S)


def send_now(group: str, event: dict[str, Any]) -> None:
    send_many([(group, event)])


def send_on_commit(group: str, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: send_now(group, event))
