"""/ws/supervisor/: the supervisor's live view on the council's host (issue 15).

A protocol adapter like the other sockets (chat/consumers.py): it authorises the session,
reads through `chat.supervision`, and writes only through `chat.actions`. It hears the
council's queue group, whose frames (`queue_add`, `queue_remove`, `operators`) already
announce every change the view shows: a chat arriving, accepted, assigned, ended or missed,
and every change of an operator's status or load. Each such frame asks for a fresh
`overview`; a burst of them costs one read (`REFRESH_DELAY_S`), and a slow timer
(`REFRESH_EVERY_S`) catches what no frame announces (a console that went quiet).

Opening a chat read-only joins its conversation group: its messages, status and typing
arrive as on an operator's socket. The socket has no frame that writes to a chat.
This socket never touches presence: a supervisor watching is not available for chats.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from chat import frames, groups, supervision
from chat.actions import transfers
from chat.consumers import RETRYABLE, ChatSocket, FrameError, _uuid
from chat.errors import ChatError
from councils.tenancy import back_office, in_council
from privacy.audit import supervisor_opened
from staffauth.sessions import console_session_alive_unsafe

logger = logging.getLogger(__name__)

REFRESH_DELAY_S = 0.3
REFRESH_EVERY_S = 10.0
# Queue-group frames that change what the view shows.
CHANGES = frozenset({"queue_add", "queue_remove", "operators"})
# Frames of a watched chat that the supervisor's page shows.
WATCHED = frozenset({"message", "status", "typing"})
MAX_WATCHED = 20
UNREACHABLE_SEQ = 2**62


class SupervisorConsumer(ChatSocket):
    audience = "operator"  # hears what operators hear of a chat (typing by the visitor)
    protocol_socket = "supervisor"

    handlers = {
        "sync": "on_sync",
        "watch": "on_watch",
        "unwatch": "on_unwatch",
        "reassign": "on_reassign",
    }

    async def __call__(self, scope, receive, send) -> None:
        """All of this socket's database work, its timers' included, runs on the back-office
        ORM thread (councils/tenancy.py): an overview or a reassignment takes tens of
        milliseconds, which no resident's message should wait behind."""
        with back_office():
            await super().__call__(scope, receive, send)

    async def open(self) -> None:
        opened = await self.open_staff_session("supervisor view")
        if opened is None:
            return
        lookup, self.session_key = opened
        council = self.council
        if lookup.operator is None or not await in_council(
            council, supervision.may_supervise_user_id, lookup.operator.id
        ):
            return await self.refuse(4403, "forbidden", "Only supervisors can use this view.")
        self.supervisor = lookup.operator
        if not await in_council(
            council, console_session_alive_unsafe, self.session_key, self.supervisor.id, False
        ):
            return await self.refuse(4401, "login_required", "Your session has ended.")
        self.refresh_pending = False
        await self.join(groups.queue_group(council.id))
        # Sign-out and disabled accounts ring this group (staffauth.sessions).
        await self.join(groups.operator_group(council.id, self.supervisor.id))
        await self.send_overview()
        self.timer = asyncio.create_task(self.tick())

    async def tick(self) -> None:
        """The slow refresh, and the session's limits (as the console's heartbeat)."""
        while True:
            await asyncio.sleep(REFRESH_EVERY_S)
            try:
                alive = await in_council(
                    self.council,
                    console_session_alive_unsafe,
                    self.session_key,
                    self.supervisor.id,
                    False,
                )
                if not alive:
                    await self.send_frame(frames.signed_out("session_ended"))
                    await self.close(code=4401)
                    return
                await self.send_overview()
            except RETRYABLE as exc:
                logger.warning("supervisor refresh failed: %r", type(exc))

    async def on_exit(self) -> None:
        timer = getattr(self, "timer", None)
        if timer is not None:
            timer.cancel()

    async def send_overview(self) -> None:
        state = await in_council(self.council, supervision.supervisor_overview)
        await self.send_frame(frames.overview(state))

    def refresh_soon(self) -> None:
        """One overview for a burst of changes."""
        if self.refresh_pending or self.exited:
            return
        self.refresh_pending = True

        async def later() -> None:
            await asyncio.sleep(REFRESH_DELAY_S)
            self.refresh_pending = False
            if self.exited:
                return
            try:
                await self.send_overview()
            except Exception as exc:  # the timer sends the next one
                logger.warning("supervisor overview not sent: %r", type(exc))

        task = asyncio.ensure_future(later())
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def resync(self) -> None:
        """After a Redis outage: a fresh overview, then the watched chats' missed messages."""
        await self.send_overview()
        await super().resync()

    async def forward(self, event: dict[str, Any]) -> None:
        """Queue-group changes become a fresh overview; a watched chat's frames go on; the
        rest (another operator's console frames) are not this page's."""
        frame = event["frame"]
        kind = frame.get("type")
        if kind in CHANGES:
            self.refresh_soon()
        elif kind in WATCHED and event.get("to", self.audience) == self.audience:
            conversation = frame.get("conversation")
            if conversation and groups.conversation_group(self.council.id, conversation) in (
                self.joined
            ):
                await self.send_frame(frame)

    async def session_ended(self, event: dict[str, Any]) -> None:
        if event.get("session_key") in (None, self.session_key):
            await self.send_frame(frames.signed_out(str(event.get("reason") or "signed_out")))
            await self.close(code=4401)

    async def chat_transferred(self, event: dict[str, Any]) -> None:
        """A watched chat moved to another council: it is gone from this view."""
        self.refresh_soon()

    async def on_sync(self, frame: dict[str, Any]) -> None:
        await self.send_overview()

    async def on_watch(self, frame: dict[str, Any]) -> None:
        conversation = _uuid(frame.get("conversation"))
        group = groups.conversation_group(self.council.id, conversation)
        watched = [g for g in self.joined if ".conv." in g]
        if group not in self.joined and len(watched) >= MAX_WATCHED:
            raise FrameError("too_many", f"Open at most {MAX_WATCHED} chats at once.")
        # Join first, so nothing stored after the read below is missed; until the chat is
        # sent, its live messages wait (a seq nobody reaches), then anything stored after
        # the read is replayed behind it, in order, once.
        key = str(conversation)
        already, previous = group in self.joined, self.delivered.get(key)
        self.delivered[key] = UNREACHABLE_SEQ
        await self.join(group)
        try:
            view = await in_council(self.council, supervision.watch_view, conversation)
            if view is None:
                raise ChatError("not_found", "No such chat in progress.")
            await in_council(self.council, supervisor_opened, self.supervisor, conversation)
        except Exception:
            # Not watched after all (no such chat, or the database away: `unavailable`,
            # and the page asks again): hear nothing more of it. Before, a failed read
            # left the group joined and the chat's status and typing frames coming.
            if already and previous is not None:
                self.delivered[key] = previous  # still watched, as it was
            else:
                await self.leave(group)
                self.delivered.pop(key, None)
            raise
        async with self.delivery_lock:
            last_seq = view["conversation"]["last_seq"]
            self.delivered[key] = last_seq
            await self.send_frame(frames.watching(view))
            await self.replay_unlocked(conversation, last_seq)

    async def on_unwatch(self, frame: dict[str, Any]) -> None:
        conversation = _uuid(frame.get("conversation"))
        await self.leave(groups.conversation_group(self.council.id, conversation))
        self.delivered.pop(str(conversation), None)

    async def on_reassign(self, frame: dict[str, Any]) -> None:
        conversation = _uuid(frame.get("conversation"))
        target = frame.get("operator")
        if not isinstance(target, int) or isinstance(target, bool):
            raise FrameError("invalid_frame", "operator must be an operator id.")
        summary = await in_council(
            self.council,
            transfers.reassign_by_supervisor,
            council=self.council,
            conversation_id=conversation,
            supervisor=self.supervisor,
            to_user_id=target,
        )
        await self.send_frame(
            frames.reassigned(str(conversation), {"id": target, "name": summary["operator"]})
        )
        self.refresh_soon()
