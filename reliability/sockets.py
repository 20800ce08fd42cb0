"""Websockets that outlive a Redis blip, a database error or a bad frame.

The channel layer is a doorbell and PostgreSQL the source of truth (docs/architecture.md),
yet a Redis restart used to kill every socket: channels_redis raises in the consumer's
receive loop, the consumer crashes, daphne closes with 1011, and the crashed consumer's
group memberships stay in Redis for a day (issue 12). `ResilientSocket` (a mixin for Channels
consumers) changes that:

* its receive loop from the layer retries instead of crashing while Redis is away;
* `join`/`leave` never raise: a membership that could not be written is re-written later;
* one `LayerWatch` per process notices when Redis comes back or was replaced (its run_id
  changes: a restarted Redis has forgotten every membership), then every live socket of the
  process re-joins its groups at once and fills the gap from PostgreSQL (`resync`,
  implemented by the consumer) a few sockets at a time, without the client reconnecting;
* every socket re-joins its groups every REJOIN_SECONDS, so the layer's `group_expiry` can be
  short and a membership of a socket that died without saying goodbye lapses within minutes;
* whatever ends the consumer (a close, a crash, cancellation at shutdown), `cleanup` runs:
  memberships discarded and the consumer's own `on_exit` (an operator's heartbeat and
  presence) called, so nothing outlives it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import weakref
from typing import Any

from channels.exceptions import StopConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.conf import settings

logger = logging.getLogger(__name__)

WATCH_INTERVAL_S = 1.0
# After an outage, how many sockets fill their gap from PostgreSQL at once. Every consumer's
# ORM work runs on one shared thread (docs/architecture.md), so 130 resyncs started together
# queued every live frame (a message a resident sends the moment Redis is back) behind all
# of them: on a loaded CI machine with coverage, 21 s before sockets were live again.
# Memberships are re-written first, for every socket at once (a few pipelines); the gaps
# are then filled a few sockets at a time, and live traffic passes between them (a live
# message that finds a gap fills it itself).
RESYNC_CONCURRENCY = 4
# A re-join after an outage that fails (a stale connection, Redis still loading) is tried
# again this soon, this many times, before the periodic re-join takes over.
REJOIN_ATTEMPTS = 5
REJOIN_RETRY_S = 0.2


def rejoin_seconds() -> float:
    """How often a live socket re-writes its memberships: a third of the group expiry."""
    expiry = settings.CHANNEL_LAYERS["default"]["CONFIG"].get("group_expiry", 86400)
    return max(2.0, expiry / 3)


class LayerWatch:
    """One per event loop: pings Redis, and tells every live socket when it came back."""

    def __init__(self) -> None:
        self.sockets: weakref.WeakSet[ResilientSocket] = weakref.WeakSet()
        self.task: asyncio.Task | None = None
        self.run_id: str | None = None
        self.down_since: float | None = None
        self.recoveries = 0
        self.resyncing: asyncio.Future | None = None

    def add(self, socket: ResilientSocket) -> None:
        self.sockets.add(socket)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.run())

    def discard(self, socket: ResilientSocket) -> None:
        self.sockets.discard(socket)

    def failed(self, exc: BaseException) -> None:
        """A socket met a layer error: note the outage (logged once per outage)."""
        if self.down_since is None:
            self.down_since = time.monotonic()
            logger.warning("channel layer unavailable (%r): sockets stay open, will re-join", exc)

    async def run(self) -> None:
        last_rejoin = time.monotonic()
        while self.sockets:
            await asyncio.sleep(WATCH_INTERVAL_S)
            layer = get_channel_layer()
            try:
                info = await asyncio.wait_for(layer.connection(0).info("server"), 5)
                run_id = info.get("run_id")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.failed(exc)
                continue
            replaced = self.run_id is not None and run_id != self.run_id
            self.run_id = run_id
            if self.down_since is not None or replaced:
                outage = time.monotonic() - (self.down_since or time.monotonic())
                self.down_since = None
                self.recoveries += 1
                logger.warning(
                    "channel layer back (%s, after %.1f s): %d sockets re-join and resync",
                    "a new Redis" if replaced else "same Redis",
                    outage,
                    len(self.sockets),
                )
                await self.recover_all()
                last_rejoin = time.monotonic()
            elif time.monotonic() - last_rejoin > rejoin_seconds():
                await self.each_socket("rejoin")
                last_rejoin = time.monotonic()

    async def recover_all(self) -> None:
        """Redis is back: every socket's memberships now, then the gaps in the background,
        a few sockets at a time, so live delivery resumes at once (docs/reliability.md)."""
        sockets = list(self.sockets)
        pending = sockets
        for _attempt in range(REJOIN_ATTEMPTS):
            results = await asyncio.gather(
                *(socket.rejoin() for socket in pending), return_exceptions=True
            )
            pending = [
                socket
                for socket, result in zip(pending, results, strict=True)
                if isinstance(result, Exception)
            ]
            if not pending:
                break
            # A socket left out of its groups would wait for the periodic re-join (a third
            # of group_expiry): try again at once instead.
            await asyncio.sleep(REJOIN_RETRY_S)
        if pending:
            logger.warning("%d sockets could not re-join after an outage", len(pending))
        limit = asyncio.Semaphore(RESYNC_CONCURRENCY)

        async def resync(socket: ResilientSocket) -> None:
            async with limit:
                await socket.resync_after_outage()

        previous = self.resyncing
        if previous is not None and not previous.done():
            previous.cancel()  # a second outage: the new round covers every socket again
        self.resyncing = asyncio.ensure_future(
            self._gather_logged("resync", [resync(socket) for socket in sockets])
        )

    async def each_socket(self, method: str) -> None:
        await self._gather_logged(method, [getattr(s, method)() for s in list(self.sockets)])

    @staticmethod
    async def _gather_logged(what: str, calls: list) -> None:
        results = await asyncio.gather(*calls, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(
                result, StopConsumer | asyncio.CancelledError
            ):
                logger.warning("socket %s failed: %r", what, result)


_watches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LayerWatch] = (
    weakref.WeakKeyDictionary()
)


def layer_watch() -> LayerWatch:
    loop = asyncio.get_running_loop()
    watch = _watches.get(loop)
    if watch is None:
        watch = _watches[loop] = LayerWatch()
    return watch


class ResilientSocket:
    """Mixin for an AsyncConsumer (before it in the bases). The consumer implements `resync`
    (send what PostgreSQL has that this socket has not shown) and may implement `on_exit`."""

    channel_layer_alias: str
    channel_name: str
    joined: set[str]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """AsyncConsumer.__call__ with a layer receive that survives Redis, and a cleanup
        that runs however the consumer ends."""
        self.scope = scope
        self.joined = set()
        self.exited = False
        self.delivery_lock = asyncio.Lock()
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = await self.channel_layer.new_channel()
        self.channel_receive = self.layer_receive
        self.base_send = send
        watch = layer_watch()
        watch.add(self)
        try:
            await await_many_dispatch([receive, self.channel_receive], self.dispatch)
        except StopConsumer:
            pass
        finally:
            watch.discard(self)
            await self.cleanup()

    async def layer_receive(self) -> dict[str, Any]:
        while True:
            try:
                return await self.channel_layer.receive(self.channel_name)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                layer_watch().failed(exc)
                await asyncio.sleep(0.5 + random.random())

    async def join(self, group: str) -> None:
        """Join `group`; if Redis is away, the membership is written when it is back."""
        self.joined.add(group)  # noted first: a cancelled join is still left on exit
        try:
            await self.channel_layer.group_add(group, self.channel_name)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            layer_watch().failed(exc)

    async def leave(self, group: str) -> None:
        self.joined.discard(group)
        try:
            await self.channel_layer.group_discard(group, self.channel_name)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the membership lapses with the short group_expiry
            layer_watch().failed(exc)

    async def rejoin(self) -> None:
        for group in list(self.joined):
            await self.channel_layer.group_add(group, self.channel_name)

    async def resync_after_outage(self) -> None:
        """Redis is back and this socket's memberships are re-written (LayerWatch.recover_all):
        fill the gap from PostgreSQL."""
        if self.exited:
            return
        async with self.delivery_lock:
            await self.resync()

    async def resync(self) -> None:  # pragma: no cover - implemented by consumers
        raise NotImplementedError

    async def on_exit(self) -> None:
        """The consumer's own end-of-life work (heartbeats, presence); must not raise."""

    async def cleanup(self) -> None:
        """Runs once, however the consumer ended: its tasks end, its memberships go."""
        if self.exited:
            return
        self.exited = True
        try:
            await self.on_exit()
        except Exception:
            logger.exception("socket cleanup failed")
        for group in list(self.joined):
            await self.leave(group)
