"""Heartbeats of the widget's sockets, one UPDATE per council per beat for a whole process;
and their opens and closes, written together while the previous batch is being written.

A resident's presence (open, hidden, gone: chat/actions/presence.py) counts a widget socket
as live while its `chat.VisitorSocket` row is beaten; a row not beaten for three heartbeats
is swept as gone. Beating each socket on its own costs one UPDATE per socket every
`OPERATOR_HEARTBEAT_SECONDS` on the consumers' one ORM thread: 300 a second for 3,000 open
widgets, queued in front of every message. One task per event loop instead beats every live
widget socket of a council in a single statement.

Opening and closing write the socket's row and refresh its chat's presence: one transaction,
so one commit (an fsync) each. In a reconnect storm that was most of a handshake's database
time (bench B1/B2: ~380 → ~40 handshakes a second when presence rows arrived). `PresenceWrites`
makes it a group commit: a socket's open or close waits for the batch being written to
finish, then goes with every other one that arrived meanwhile, in one transaction per
council (`presence.visitor_sockets_changed`). A lone socket is written at once, as before.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError

from chat.actions import presence
from councils.tenancy import in_council

logger = logging.getLogger(__name__)


class VisitorBeats:
    """One per event loop: the live widget sockets whose rows it beats."""

    def __init__(self) -> None:
        self.sockets: weakref.WeakSet[Any] = weakref.WeakSet()
        self.task: asyncio.Task | None = None

    def add(self, socket: Any) -> None:
        """`socket.presence_counted` is the council holding its row, `channel_name` its key."""
        self.sockets.add(socket)
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.run())

    def discard(self, socket: Any) -> None:
        self.sockets.discard(socket)

    async def run(self) -> None:
        while self.sockets:
            await asyncio.sleep(settings.OPERATOR_HEARTBEAT_SECONDS)
            await self.beat()

    async def beat(self) -> None:
        by_council: dict[int, tuple[Any, list[str]]] = {}
        for socket in list(self.sockets):
            council = getattr(socket, "presence_counted", None)
            if council is not None:
                by_council.setdefault(council.id, (council, []))[1].append(socket.channel_name)
        for council, channel_names in by_council.values():
            try:
                await in_council(
                    council, presence.visitor_heartbeat_many, channel_names=channel_names
                )
            except (OperationalError, InterfaceError) as exc:  # the next beat tries again
                logger.warning("widget heartbeats failed: %r", type(exc))


class PresenceWrites:
    """One per event loop: widget sockets' opens and closes, batched (a group commit)."""

    def __init__(self) -> None:
        # council id -> (council, [(kind, conversation id, channel name, future)])
        self.pending: dict[int, tuple[Any, list[tuple[str, Any, str, asyncio.Future]]]] = {}
        self.task: asyncio.Task | None = None

    async def opened(self, council: Any, conversation_id: Any, channel_name: str) -> None:
        await self._write(council, "opened", conversation_id, channel_name)

    async def closed(self, council: Any, conversation_id: Any, channel_name: str) -> None:
        await self._write(council, "closed", conversation_id, channel_name)

    async def _write(self, council: Any, kind: str, conversation_id: Any, name: str) -> None:
        """Returns once the change is committed; raises what its batch's write raised."""
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self.pending.setdefault(council.id, (council, []))[1].append(
            (kind, conversation_id, name, done)
        )
        if self.task is None or self.task.done():
            self.task = loop.create_task(self.run())
        await done

    async def run(self) -> None:
        while self.pending:
            batch, self.pending = self.pending, {}
            for council, changes in batch.values():
                try:
                    await in_council(
                        council,
                        presence.visitor_sockets_changed,
                        council=council,
                        opened=[(c, n) for kind, c, n, _ in changes if kind == "opened"],
                        closed=[(c, n) for kind, c, n, _ in changes if kind == "closed"],
                    )
                except Exception as exc:  # each waiting socket handles it as before
                    for *_, done in changes:
                        if not done.done():
                            done.set_exception(exc)
                else:
                    for *_, done in changes:
                        if not done.done():
                            done.set_result(None)


_beats: dict[int, VisitorBeats] = {}
_writes: dict[int, PresenceWrites] = {}


def presence_writes() -> PresenceWrites:
    """This event loop's PresenceWrites."""
    loop = asyncio.get_running_loop()
    writes = _writes.get(id(loop))
    if writes is None:
        writes = _writes[id(loop)] = PresenceWrites()
    return writes


def visitor_beats() -> VisitorBeats:
    """This event loop's VisitorBeats (tests run several loops in one process)."""
    loop = asyncio.get_running_loop()
    beats = _beats.get(id(loop))
    if beats is None:
        beats = _beats[id(loop)] = VisitorBeats()
    return beats
