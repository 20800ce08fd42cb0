"""Announce to channel-layer groups only once the database change is committed.

The layer is a doorbell, not a store: an event that then rolled back would announce a
message nobody can fetch, so every send waits for `transaction.on_commit`.

Sync code (views, the consumers' ORM thread, Celery tasks) hands its sends to one
long-lived event loop per process, which sends them one batch at a time in the order they
were handed over. `async_to_sync` outside an event loop would make a new loop, and so a new
Redis connection, for every send: measured in bench/routing_bench.py, that turned one
assignment with a 100-chat queue into 100 Redis handshakes.

The caller does not wait for Redis. Every consumer's ORM work runs on one shared thread, and
waiting there for each `group_send` (several Redis round trips) held every other socket's
database work behind it: measured in bench B3 (docs/performance.md). Waiting is still
available (`wait=True`), and a process that exits drains what is pending first. If more than
`MAX_PENDING` batches are waiting (Redis slower than the senders), callers wait again, so
memory stays bounded.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import logging
import os
import threading
from collections.abc import Iterable
from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

SEND_TIMEOUT_S = 10
MAX_PENDING = 5000

Batch = list[tuple[str, dict[str, Any]]]


class _Sender:
    """One event loop on its own thread, sending queued batches strictly in order."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.queue: asyncio.Queue[tuple[Any, Batch, concurrent.futures.Future]] | None = None
        self.pending = 0
        self.lock = threading.Lock()
        ready = threading.Event()
        threading.Thread(
            target=self._run, args=(ready,), name="channel-layer-sender", daemon=True
        ).start()
        ready.wait()

    def _run(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        self.queue = asyncio.Queue()
        self.loop.create_task(self._work())
        ready.set()
        self.loop.run_forever()

    async def _work(self) -> None:
        assert self.queue is not None
        while True:
            layer, batch, done = await self.queue.get()
            try:
                for group, event in batch:
                    await layer.group_send(group, event)
            except Exception as exc:  # a doorbell: clients resume from PostgreSQL
                logger.warning("channel layer send failed: %r", exc)
                done.set_exception(exc)
            else:
                done.set_result(None)
            finally:
                with self.lock:
                    self.pending -= 1

    def submit(self, layer, batch: Batch) -> concurrent.futures.Future:
        done: concurrent.futures.Future = concurrent.futures.Future()
        with self.lock:
            self.pending += 1
        assert self.queue is not None
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (layer, batch, done))
        return done

    def drain(self, timeout: float = SEND_TIMEOUT_S) -> None:
        """Wait until everything handed over so far has been sent (or has failed)."""
        marker: concurrent.futures.Future = concurrent.futures.Future()
        with self.lock:
            self.pending += 1
        assert self.queue is not None
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (None, [], marker))
        try:
            marker.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            logger.warning("channel layer sends still pending after %s s", timeout)


_sender: _Sender | None = None
_sender_pid: int | None = None
_sender_lock = threading.Lock()


def _get_sender() -> _Sender:
    """This process's sender, started on first use (and again after a fork)."""
    global _sender, _sender_pid
    with _sender_lock:
        if _sender is None or _sender_pid != os.getpid():
            _sender, _sender_pid = _Sender(), os.getpid()
        return _sender


def send_many(messages: Iterable[tuple[str, dict[str, Any]]], *, wait: bool = False) -> None:
    """Hand the messages to the sender, in order; with `wait`, return once Redis has them.

    Precondition: sync code, and nothing uncommitted is announced (call from on_commit).
    """
    batch = list(messages)
    layer = get_channel_layer()
    if not batch or layer is None:
        return
    sender = _get_sender()
    done = sender.submit(layer, batch)
    if wait or sender.pending > MAX_PENDING:
        done.result(timeout=SEND_TIMEOUT_S)


def send_now(group: str, event: dict[str, Any], *, wait: bool = False) -> None:
    send_many([(group, event)], wait=wait)


def send_on_commit(group: str, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: send_now(group, event))


def wait_until_sent(timeout: float = SEND_TIMEOUT_S) -> None:
    """Block until every send handed over so far in this process has gone to Redis."""
    if _sender is not None and _sender_pid == os.getpid():
        _sender.drain(timeout)


atexit.register(wait_until_sent)
