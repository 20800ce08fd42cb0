"""Heartbeats of the widget's sockets, one UPDATE per council per beat for a whole process.

A resident's presence (open, hidden, gone: chat/actions/presence.py) counts a widget socket
as live while its `chat.VisitorSocket` row is beaten; a row not beaten for three heartbeats
is swept as gone. Beating each socket on its own costs one UPDATE per socket every
`OPERATOR_HEARTBEAT_SECONDS` on the consumers' one ORM thread: 300 a second for 3,000 open
widgets, queued in front of every message. One task per event loop instead beats every live
widget socket of a council in a single statement.
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


_beats: dict[int, VisitorBeats] = {}


def visitor_beats() -> VisitorBeats:
    """This event loop's VisitorBeats (tests run several loops in one process)."""
    loop = asyncio.get_running_loop()
    beats = _beats.get(id(loop))
    if beats is None:
        beats = _beats[id(loop)] = VisitorBeats()
    return beats
