"""Websocket adapters: parse frames, authorise against the scope, call one service, reply.

Consumers never touch the ORM directly: every database call goes through
`councils.tenancy.in_council`, which pins the council's schema on the ORM thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
from contextlib import nullcontext
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs
from uuid import UUID

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.db import InterfaceError, OperationalError, connection

from assistant import consumer as assistant_consumer
from attachments import links as attachment_links
from chat import frames, groups, selectors
from chat.actions import followups, lifecycle, messages, notes, presence, tags, transfers
from chat.errors import ChatError
from chat.operators import operator_for_session_unsafe
from chat.payloads import english_frame
from chat.protocol import client_frame_errors
from chat.queue import QueueState, queue_position_of
from chat.tokens import TokenExpired, TokenInvalid, visitor_token_issue, visitor_token_read
from chat.visitor_beats import presence_writes, visitor_beats
from councils.lanes import LaneShare, lane_share
from councils.middleware import header
from councils.sites import CouncilRef, council_ref_by_id, council_ref_by_slug
from councils.tenancy import back_office, charged_to, in_council, in_public, on_orm_thread
from privacy.audit import console_opened
from reliability.frame_rate import DbTimeBudget, FrameBudget
from reliability.sockets import ResilientSocket
from reliability.validation import InvalidInput, loads_checked
from staffauth.sessions import console_session_alive_unsafe
from widgets.selectors import council_branding

logger = logging.getLogger(__name__)

CLIENT_ID_MAX = 64
# Close codes after a failure in open(): 4503 "unavailable, reconnect soon" (the database
# was away), 4500 "server error". daphne lets applications send only 1000 and 3000-4999.
CLOSE_UNAVAILABLE = 4503
CLOSE_SERVER_ERROR = 4500
RETRYABLE = (OperationalError, InterfaceError)
# The server's own `pong` to a console that pings (issue 15), so its pings never depend on
# the browser's timers alone.
KEEPALIVE_SECONDS = 3.0
# What an error frame may echo back, per socket (chat/protocol.py's error schemas).
ECHO_FIELDS = {
    "visitor": ("client_id",),
    "operator": ("conversation", "client_id", "id"),
    "supervisor": ("conversation",),  # chat/supervisor_socket.py
}


class FrameError(ChatError):
    pass


# Every client frame is checked against its schema in chat/protocol.py before its handler
# (issue 12): unknown fields, missing fields, wrong types, lengths, enums and bounds are all
# refused here with an `error` frame, nothing stored. Most refusals are `invalid_frame`; a
# few keep the specific codes clients act on (docs/protocol.md, Error codes).
SPECIFIC_CODES = {
    ("body", "minLength"): ("body_empty", "A message cannot be empty."),
    ("body", "maxLength"): (
        "body_too_long",
        f"A message can be at most {settings.MESSAGE_MAX_CHARS} characters.",
    ),
    ("note", "maxLength"): (
        "body_too_long",
        f"A note can be at most {settings.MESSAGE_MAX_CHARS} characters.",
    ),
}


def _sentence(error: Any) -> str:
    """One sentence for a jsonschema error, naming the field, never echoing its value."""
    where = ".".join(str(part) for part in error.absolute_path) or "the frame"
    expected = error.validator_value
    match error.validator:
        case "additionalProperties":
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            return f"{', '.join(map(str, extra))[:100]}: not a field of this frame."
        case "required":
            missing = [name for name in expected if name not in error.instance]
            return f"{(missing or expected)[0]} is required."
        case "type":
            return f"{where} must be of type {expected}."
        case "minLength":
            return f"{where} must be at least {expected} characters."
        case "maxLength":
            return f"{where} must be at most {expected} characters."
        case "minimum":
            return f"{where} must be {expected} or more."
        case "maximum":
            return f"{where} must be {expected} or less."
        case "pattern":
            return f"{where} must be an id."
        case "enum":
            return f"{where} must be one of: {', '.join(map(str, expected))}."
        case "const":
            return f"{where} must be {expected}."
        case "oneOf" | "anyOf" if where == "to":
            return "Transfer to an operator id, or a department or council slug."
        case "maxItems" | "maxProperties":
            return f"{where} has too many items."
    return f"{where} is not valid here."


def frame_refusal(socket: str, frame: dict[str, Any]) -> tuple[str, str] | None:
    """(code, detail) for the first error of `frame` by its schema, or None when valid.

    Precondition: `frame` is an object whose `type` is one of this socket's frame types."""
    errors = client_frame_errors(socket, frame)
    if not errors:
        return None
    error = errors[0]
    path = tuple(error.absolute_path)
    if path == ("outcome",) and isinstance(error.instance, str):
        return "invalid_outcome", "Choose one of the listed outcomes."
    if len(path) == 1 and (path[0], error.validator) in SPECIFIC_CODES:
        return SPECIFIC_CODES[(path[0], error.validator)]
    return "invalid_frame", _sentence(error)


def _uuid(value: Any, field: str = "conversation") -> UUID:
    try:
        return UUID(str(value))
    except (TypeError, ValueError) as exc:
        raise FrameError("invalid_frame", f"{field} must be a conversation id.") from exc


def _client_id(frame: dict[str, Any]) -> str:
    value = frame.get("client_id")
    if not isinstance(value, str) or not 1 <= len(value) <= CLIENT_ID_MAX:
        raise FrameError("invalid_frame", f"client_id must be 1 to {CLIENT_ID_MAX} characters.")
    return value


def _after_seq_param(query: dict[str, list[str]]) -> int | None:
    """The socket URL's `after_seq` (what the widget has shown), or None when absent."""
    raw = (query.get("after_seq") or [None])[0]
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:  # not "²": int() refuses it
        raise FrameError("invalid_after_seq", "after_seq must be a whole number, 0 or more.")
    return int(raw)


def _after_seq(frame: dict[str, Any]) -> int:
    value = frame.get("after_seq", 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise FrameError("invalid_frame", "after_seq must be a whole number, 0 or more.")
    return value


async def drop_database_connection() -> None:
    """After a retryable database error, the ORM thread's connection is closed, so the
    client's retry opens a fresh one. Otherwise a connection PostgreSQL had terminated (a
    restart) was still taken for usable by the next call, and the retry failed too:
    found on the supervisor socket (tests/reliability/test_newer_sockets.py). The thread
    is the lane the failed call ran on (`councils.tenancy.back_office`)."""
    await on_orm_thread(_close_connection)()


def _close_connection() -> None:
    connection.close()


class ChatSocket(ResilientSocket, AsyncWebsocketConsumer):
    """Frame parsing, errors and in-order, de-duplicated delivery shared by both sockets.

    ResilientSocket (reliability/sockets.py) keeps the socket through Redis outages, and
    every frame's failure is answered with an error frame: nothing a client sends, and no
    database or layer error, ends the socket with 1011 (docs/reliability.md).
    """

    council: CouncilRef
    handlers: dict[str, str] = {}
    # Frames whose database work runs on the back-office ORM thread, so that it never holds
    # up a conversation's messages (councils/tenancy.py): catching up, looking around,
    # reorganising. The rest (a message, typing, a read mark, an accept) stay on the chat
    # thread, whose calls are all short.
    back_office_frames: frozenset[str] = frozenset()
    audience: frames.Audience
    # Whose frames (chat/protocol.py) this socket speaks: its audience's, except the
    # supervisor's socket, which hears what operators hear (chat/supervisor_socket.py).
    protocol_socket: str | None = None
    accepted = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.background: set[asyncio.Task] = set()
        self.budget = FrameBudget(settings.FRAME_RATE_PER_SECOND, settings.FRAME_RATE_BURST)
        self.db_budget = DbTimeBudget(settings.SOCKET_DB_SHARE, settings.SOCKET_DB_BURST_SECONDS)
        self.lane_share = LaneShare()

    async def connect(self) -> None:
        # conversation id -> highest seq sent on this socket; messages at or below it are
        # never sent again, and a gap is filled from PostgreSQL before anything later.
        self.delivered: dict[str, int] = {}
        try:
            await self.open()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            await self.fail_open(exc)

    async def accept(self, subprotocol: str | None = None, headers=None) -> None:
        if not self.accepted:
            self.accepted = True
            await super().accept(subprotocol, headers)

    async def fail_open(self, exc: Exception) -> None:
        """Anything that went wrong in open(): say so and close at once (never hang)."""
        retry = isinstance(exc, RETRYABLE)
        if retry:
            logger.warning("socket open failed, database unavailable: %r", type(exc))
            await drop_database_connection()
        else:
            logger.exception("socket open failed")
        await self.accept()
        if retry:
            await self.send_unavailable({})
        else:
            await self.send_internal_error({})
        await self.close(code=CLOSE_UNAVAILABLE if retry else CLOSE_SERVER_ERROR)

    async def send_unavailable(self, echo: dict[str, Any]) -> None:
        detail = "The service is restarting. Try again in a moment."
        await self.send_error("unavailable", detail, retry=True, **echo)

    async def send_internal_error(self, echo: dict[str, Any]) -> None:
        await self.send_error("internal_error", "Something went wrong.", retry=False, **echo)

    async def open(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    async def open_staff_session(self, page: str) -> tuple[Any, str] | None:
        """A staff socket's opening (the console's, the supervisor view's): the council from
        the host, the Origin, then the user of the host-only session cookie, looked up in
        the council's schema. Accepted before that lookup, as the visitor's socket is before
        its read: a database that is slow or away then answers with an error frame and a
        close at once (fail_open), not a handshake left hanging for 30 s (issue 12).
        Returns the lookup and the session key, or None once it has refused the socket."""
        council = self.scope["site"].council
        if council is None:
            await self.refuse(4404, "unknown_host", f"The {page} is on a council's host.")
            return None
        if not council.is_own_origin(header(self.scope, b"origin")):
            await self.refuse(4403, "origin_not_allowed", f"Open the {page} from its page.")
            return None
        self.council = council
        await self.accept()
        cookies = SimpleCookie(header(self.scope, b"cookie") or "")
        morsel = cookies.get(settings.SESSION_COOKIE_NAME)
        lookup = await in_council(
            council, operator_for_session_unsafe, morsel.value if morsel else None
        )
        if lookup.outcome == "anonymous" or morsel is None:
            await self.refuse(4401, "login_required", f"Log in to the {page} first.")
            return None
        return lookup, morsel.value

    async def refuse(self, code: int, error: str, detail: str) -> None:
        """Accept (if not yet), say why in one error frame, close with `code`."""
        await self.accept()
        await self.send_frame(frames.error(error, detail))
        await self.close(code=code)

    async def join(self, group: str) -> None:
        if group not in self.joined:
            await super().join(group)  # never raises: re-joined when Redis is back

    async def disconnect(self, code: int) -> None:
        await self.cleanup()  # also runs on a crash or cancellation (ResilientSocket)

    # Channels 4.2+ runs `close_old_connections` through `sync_to_async` before every
    # handler and again on disconnect: a hop through the one ORM thread for every frame,
    # every channel-layer event (each message a socket is sent) and every connect and
    # disconnect, whether or not the handler touches the database. Ours reach the ORM only
    # through `in_council` (`database_sync_to_async`), which closes old connections before
    # and after each call, so these hops do nothing but queue. Measured in bench B2: with
    # them, a reconnect storm queued thousands of them ahead of every handshake
    # (docs/performance.md).
    #
    # Group messages carrying a frame (`chat.frames.to_group`) go to `frame_<type>` where a
    # socket adds logic, and are otherwise forwarded as they are.
    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None and not message["type"].startswith("frame."):
            raise ValueError(f"No handler for message type {message['type']}")
        if message["type"].startswith("websocket."):
            return await handler(message)  # connect and receive handle their own errors
        try:
            if handler is not None:
                await handler(message)
            else:
                await self.forward(message)
        except (asyncio.CancelledError, StopConsumer):
            raise
        except Exception as exc:
            # A group's frame we could not forward (the gap fill's read failed): the socket
            # stays, and fills the gap from PostgreSQL in a moment.
            logger.warning("event %s not forwarded (%r): resync soon", message["type"], exc)
            self.resync_soon()

    def resync_soon(self, delay: float = 2.0) -> None:
        async def later() -> None:
            await asyncio.sleep(delay)
            if self.exited:
                return
            try:
                async with self.delivery_lock:
                    await self.resync()
            except Exception as exc:
                logger.warning("resync failed (%r): trying again", type(exc))
                self.resync_soon(min(delay * 2, 30))

        task = asyncio.ensure_future(later())
        self.background.add(task)  # a reference, so the task is not collected mid-way
        task.add_done_callback(self.background.discard)

    async def resync(self) -> None:
        """Send what PostgreSQL has that this socket has not (after a Redis outage).

        Precondition: the delivery lock is held."""
        for conversation, sent in list(self.delivered.items()):
            for missed in await in_council(
                self.council, selectors.message_list_after, UUID(conversation), sent
            ):
                if missed["seq"] > self.delivered.get(conversation, 0):
                    await self.send_frame(self.message_frame(missed))
                    self.delivered[conversation] = missed["seq"]

    async def forward(self, event: dict[str, Any]) -> None:
        """Send a group's frame on, unless it is meant for the other kind of socket."""
        if event.get("to", self.audience) == self.audience:
            await self.send_frame(self.outgoing(event["frame"]))

    def outgoing(self, frame: dict[str, Any]) -> dict[str, Any]:
        """A group's frame as this socket sends it."""
        return frame

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        await self.disconnect(message.get("code", 1005))
        raise StopConsumer()

    async def send_frame(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame, separators=(",", ":")))

    async def send_error(self, code: str, detail: str, **extra: Any) -> None:
        await self.send_frame(frames.error(code, detail, **extra))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        wait = self.budget.take() or self.db_budget.due()
        if wait:
            return await self.refuse_over_budget(text_data, wait)
        if text_data is None:
            return await self.send_error("binary_not_supported", "Send JSON text frames.")
        if len(text_data) > settings.FRAME_MAX_BYTES // 4 and (
            len(text_data.encode("utf-8", "surrogatepass")) > settings.FRAME_MAX_BYTES
        ):
            return await self.send_error(
                "frame_too_large", f"A frame can be at most {settings.FRAME_MAX_BYTES} bytes."
            )
        try:
            # Depth, NUL, lone surrogates, number bounds (reliability/validation.py).
            frame = loads_checked(text_data)
        except InvalidInput as err:
            code = "invalid_json" if err.code == "invalid_json" else "invalid_frame"
            return await self.send_error(code, err.detail)
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            return await self.send_error("invalid_frame", "A frame is a JSON object with a type.")
        handler = self.handlers.get(frame["type"])
        if handler is None:
            return await self.send_error("unknown_type", f"Unknown frame type {frame['type']!r}.")
        refusal = frame_refusal(self.protocol_socket or self.audience, frame)
        if refusal:
            return await self.send_error(*refusal, **self.echo(frame))
        paying = charged_to.set(self.db_budget.spend)  # this frame's ORM time is ours
        sharing = lane_share.set(self.lane_share)  # and its place in the ORM queues
        lane = back_office() if frame["type"] in self.back_office_frames else nullcontext()
        try:
            with lane:
                await getattr(self, handler)(frame)
        except (asyncio.CancelledError, StopConsumer):
            raise
        except ChatError as err:
            await self.send_error(err.code, err.detail, **self.echo(frame))
        except InvalidInput as err:
            await self.send_error("invalid_frame", err.detail, **self.echo(frame))
        except RETRYABLE as exc:
            logger.warning("frame %r not handled, database unavailable: %r", frame["type"], exc)
            await drop_database_connection()
            await self.send_unavailable(self.echo(frame))
        except Exception:
            logger.exception("frame %r not handled", frame["type"])
            await self.send_internal_error(self.echo(frame))
        finally:
            charged_to.reset(paying)
            lane_share.reset(sharing)

    async def refuse_over_budget(self, text_data: str | None, wait: float) -> None:
        """A frame over this socket's budget (reliability/frame_rate.py): not handled,
        answered `rate_limited` so that the client sends it again later; a client that
        does not slow down is closed with 1008."""
        if self.budget.refused_in_a_row > settings.FRAME_RATE_CLOSE_AFTER:
            await self.close(code=1008, reason="Too many frames.")
            return
        echo = {}
        if text_data and len(text_data) <= settings.FRAME_MAX_BYTES:
            try:
                frame = loads_checked(text_data)
            except InvalidInput:
                frame = None
            if isinstance(frame, dict) and isinstance(frame.get("type"), str):
                echo = self.echo(frame)
        await self.send_error(
            "rate_limited",
            "Too many frames: slow down and send it again.",
            retry=True,
            retry_after=round(max(wait, 0.1), 1),
            **echo,
        )

    def echo(self, frame: dict[str, Any]) -> dict[str, Any]:
        """What lets a client match an error to what it sent (the fields its socket's
        error frame carries)."""
        extra = {}
        for name in ECHO_FIELDS[self.protocol_socket or self.audience]:
            if name == "id" and frame["type"] != "handle":
                continue
            if isinstance(frame.get(name), str):
                extra[name] = frame[name]
        return extra

    def message_frame(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self.outgoing(frames.message(payload))

    async def deliver(self, frame: dict[str, Any]) -> None:
        """Send one stored message unless already sent; fill any gap from PostgreSQL first."""
        async with self.delivery_lock:  # a resync may be sending this conversation's seqs
            await self.deliver_unlocked(frame)

    async def deliver_unlocked(self, frame: dict[str, Any]) -> None:
        conversation = frame["conversation"]
        sent = self.delivered.get(conversation, 0)
        seq = frame["seq"]
        if seq <= sent:
            return
        if seq > sent + 1:
            for missed in await in_council(
                self.council, selectors.message_list_after, UUID(conversation), sent
            ):
                if missed["seq"] > self.delivered.get(conversation, 0):
                    await self.send_frame(self.message_frame(missed))
                    self.delivered[conversation] = missed["seq"]
            return
        await self.send_frame(self.outgoing(frame))
        self.delivered[conversation] = seq

    async def replay(self, conversation: UUID, after_seq: int) -> int:
        """Send every message after `after_seq` in order; return the conversation's last seq.

        A client claiming more than exists learns the true last seq rather than its own.
        """
        async with self.delivery_lock:
            return await self.replay_unlocked(conversation, after_seq)

    async def replay_unlocked(self, conversation: UUID, after_seq: int) -> int:
        messages, last_seq = await in_council(
            self.council, selectors.message_list_after_with_last_seq, conversation, after_seq
        )
        for payload in messages:
            await self.send_frame(self.message_frame(payload))
        key = str(conversation)
        if messages:
            self.delivered[key] = max(self.delivered.get(key, 0), messages[-1]["seq"])
        return last_seq

    # Frames from groups where a socket adds logic.
    async def frame_message(self, event: dict[str, Any]) -> None:
        await self.deliver(event["frame"])


class VisitorConsumer(ChatSocket):
    """/ws/visitor/<conversation>/?token=…: one resident in one chat."""

    audience = "visitor"

    handlers = {
        "message": "on_message",
        "resume": "on_resume",
        "typing": "on_typing",
        "end": "on_end",
        "read": "on_read",
        "presence": "on_presence",
        "ping": "on_ping",
        # The council's assistant (issue 14, assistant/consumer.py)
        "handoff": "on_handoff",
        "feedback": "on_feedback",
    }
    back_office_frames = frozenset({"resume", "end", "handoff", "feedback"})

    async def open(self) -> None:
        site = self.scope["site"]
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        token = (query.get("token") or [""])[0]
        if not token:
            return await self.refuse(4400, "token_missing", "Start a chat to get a token.")
        try:
            grant = visitor_token_read(token)
        except (TokenExpired, TokenInvalid) as exc:
            return await self.refuse(4401, exc.code, str(exc))
        if str(grant.conversation_id) != self.scope["url_route"]["kwargs"]["conversation"]:
            return await self.refuse(4403, "forbidden", "This token is for another chat.")
        council = site.council_for_token(grant.council_id)
        if council is None:
            return await self.refuse(4403, "forbidden", "This token is for another council.")
        if not council.allows_origin(header(self.scope, b"origin")):
            return await self.refuse(4403, "origin_not_allowed", "This site may not embed chat.")
        try:
            after_seq = _after_seq_param(query)
        except FrameError as err:
            return await self.refuse(4400, err.code, err.detail)
        self.council = council
        self.conversation = grant.conversation_id
        # The signed token is the authority, so the handshake completes before any database
        # work: in a reconnect storm the one ORM thread's queue can be longer than daphne's
        # 5 s handshake timeout, and a handshake thrown away after its work was queued is
        # work done for nobody (bench B2). Joining first means nothing stored after the read
        # below is missed; the read runs once, with the replay when `after_seq` was given.
        await self.accept()
        await self.join(groups.conversation_group(council.id, self.conversation))
        # With presence (issue 15): never name an adviser whose console is gone.
        view, replay, extras = await in_council(
            council, selectors.visitor_opening, self.conversation, after_seq
        )
        moved = False
        if view is None:
            # Transferred while this visitor was away: follow it to its new council.
            moved = await self.move_to_new_council()
            if moved:
                view, replay, extras = await in_council(
                    self.council, selectors.visitor_opening, self.conversation, after_seq
                )
        if view is None:
            await self.send_error("not_found", "This chat no longer exists.")
            return await self.close(code=4404)
        self.delivered[str(self.conversation)] = view.last_seq
        operator = None if extras.operator_present is False else view.operator
        await self.send_frame(
            frames.visitor_hello(str(view.id), view.status, view.last_seq, operator)
        )
        if after_seq is not None:
            for payload in replay:
                await self.send_frame(self.message_frame(payload))
            await self.send_frame(frames.resumed(view.last_seq))
        if moved:
            await self.send_transferred()
        if view.status == "queued":
            await self.send_queue_position()
        await self.presence_opened(view.status, extras)

    # ---- presence (issue 15) ------------------------------------------------------------
    async def presence_opened(self, status: str, extras: selectors.VisitorPresenceView) -> None:
        """After hello: the adviser's absence or a missed chat's next step, then this page
        counts as the resident's presence (beaten while it lives)."""
        conversation = str(self.conversation)
        if extras.operator_present is False:
            await self.send_frame(
                self.outgoing(frames.operator_presence(conversation, False, None))
            )
        if extras.follow_up is not None:
            await self.send_frame(self.outgoing(frames.missed(conversation, extras.follow_up)))
        if status == "ended":
            return
        await self.presence_count()
        visitor_beats().add(self)  # its row is beaten with the process's others

    async def presence_count(self) -> None:
        """This socket counts towards its resident's presence, in its chat's council."""
        # Written with the other sockets opening meanwhile (a group commit: visitor_beats).
        await presence_writes().opened(self.council, self.conversation, self.channel_name)
        self.presence_counted = self.council

    async def presence_uncount(self, council: CouncilRef) -> None:
        await presence_writes().closed(council, self.conversation, self.channel_name)

    async def on_presence(self, frame: dict[str, Any]) -> None:
        await in_council(
            self.council,
            presence.visitor_visibility,
            council=self.council,
            conversation_id=self.conversation,
            channel_name=self.channel_name,
            state=frame.get("state"),
        )

    async def on_ping(self, frame: dict[str, Any]) -> None:
        await self.send_frame(frames.pong())

    async def on_exit(self) -> None:
        """However the socket ends, the resident's page no longer counts as there."""
        visitor_beats().discard(self)
        counted = getattr(self, "presence_counted", None)
        if counted is not None:
            # Bounded: at shutdown (the event loop cancelling every task) the ORM thread may
            # never run it; the row is then swept as dead after three heartbeats.
            await asyncio.wait_for(self.presence_uncount(counted), timeout=5)

    def outgoing(self, frame: dict[str, Any]) -> dict[str, Any]:
        """This socket is one conversation: its frames do not name it. An attachment's
        link is the resident's own, freshly signed (issue 15, attachments/links.py)."""
        out = {key: value for key, value in frame.items() if key != "conversation"}
        if "attachment" in out:
            out["attachment"] = attachment_links.for_visitor(
                out["attachment"], council_id=self.council.id, base=self.widget_base()
            )
        return out

    def widget_base(self) -> str:
        """The scheme and host this socket was opened on: where its widget's API is."""
        scheme = "https" if self.scope.get("scheme") == "wss" else "http"
        return f"{scheme}://{header(self.scope, b'host') or self.council.hosts[0]}"

    async def on_message(self, frame: dict[str, Any]) -> None:
        client_id = _client_id(frame)
        # Stored as ever; while the assistant has the chat it answers in the same transaction.
        outcome = await in_council(
            self.council,
            assistant_consumer.visitor_message,
            council=self.council,
            conversation_id=self.conversation,
            body=frame.get("body"),
            client_id=client_id,
        )
        await self.send_frame(frames.ack(client_id, outcome.stored.seq))
        if outcome.said:
            # The assistant's answer goes straight back on this socket (the group's copies
            # are skipped by seq): no channel-layer hop, and it arrives while Redis is away.
            await self.deliver(frames.message(outcome.stored.payload))
            for payload in outcome.said:
                await self.deliver(frames.message(payload))
        if outcome.offline is not None:
            await self.send_frame(outcome.offline.frame)

    async def on_handoff(self, frame: dict[str, Any]) -> None:
        await assistant_consumer.on_handoff(self, frame)

    async def on_feedback(self, frame: dict[str, Any]) -> None:
        await assistant_consumer.on_feedback(self, frame)

    async def on_resume(self, frame: dict[str, Any]) -> None:
        last = await self.replay(self.conversation, _after_seq(frame))
        await self.send_frame(frames.resumed(last))

    async def on_typing(self, frame: dict[str, Any]) -> None:
        await messages.typing_relay(
            council=self.council,
            conversation_id=self.conversation,
            active=bool(frame.get("active")),
            operator=None,
        )

    async def on_end(self, frame: dict[str, Any]) -> None:
        await in_council(
            self.council,
            lifecycle.conversation_end,
            council=self.council,
            conversation_id=self.conversation,
        )

    async def on_read(self, frame: dict[str, Any]) -> None:
        await in_council(
            self.council,
            messages.conversation_mark_read,
            council=self.council,
            conversation_id=self.conversation,
            seq=frame.get("seq"),
        )

    async def follow_transfer(self, old: CouncilRef) -> CouncilRef | None:
        """The council a chat moved to from `old` (same partnership), now this socket's."""
        new_id = await in_council(old, selectors.transferred_to, self.conversation)
        if new_id is None:
            return None
        new = await in_public(council_ref_by_id, new_id)
        if new is None or new.partnership_id != old.partnership_id:
            return None
        self.council = new
        return new

    async def send_transferred(self) -> None:
        """Tell the widget its chat's new council and how to reconnect to it.

        The new websocket URL is on the partnership's host, which accepts tokens of every
        member council (a council's own host accepts only its own).
        """
        token = visitor_token_issue(council_id=self.council.id, conversation_id=self.conversation)
        host = self.council.partnership_host or self.council.hosts[0]
        port = (header(self.scope, b"host") or "").rpartition(":")[2]
        netloc = f"{host}:{port}" if port.isdigit() else host
        scheme = "wss" if self.scope.get("scheme") == "wss" else "ws"
        websocket = f"{scheme}://{netloc}/ws/visitor/{self.conversation}/?token={token}"
        branding = await in_council(self.council, council_branding)
        # The new council as the resident reads it: its Welsh name in a Welsh chat (issue 15).
        language = await in_council(
            self.council, selectors.conversation_language, self.conversation
        )
        name = self.council.name_in(language)
        await self.send_frame(
            frames.transferred(self.council.slug, name, token, websocket, branding)
        )

    async def move_to_new_council(self) -> bool:
        """Follow this chat's transfer: switch council and conversation group. False when
        it was not transferred (or not within the partnership)."""
        old = self.council
        if await self.follow_transfer(old) is None:
            return False
        await self.leave(groups.conversation_group(old.id, self.conversation))
        await self.join(groups.conversation_group(self.council.id, self.conversation))
        if getattr(self, "presence_counted", None) is not None:  # the resident moves too
            await self.presence_uncount(old)
            await self.presence_count()
        return True

    async def chat_transferred(self, event: dict[str, Any]) -> None:
        if not await self.move_to_new_council():
            return
        await self.send_transferred()
        # Anything the new council said before this socket joined its group.
        await self.replay(self.conversation, self.delivered.get(str(self.conversation), 0))
        view = await in_council(self.council, selectors.visitor_view, self.conversation)
        if view is not None:
            status = frames.status(str(self.conversation), view.status, view.operator)
            await self.send_frame(self.outgoing(status))
            if view.status == "queued":
                await self.send_queue_position()

    async def send_queue_position(self) -> None:
        """Where this queued chat stands now; later changes arrive as `chat.queue` events."""
        await self.join(groups.waiting_group(self.council.id))
        found = await in_council(self.council, queue_position_of, self.conversation)
        await self.send_position(found)

    async def send_position(self, found: tuple[int, int] | None) -> None:
        """Send this chat's place in the queue, unless it is not queued or has not changed."""
        if found is None or found == getattr(self, "last_position", None):
            return
        self.last_position = found
        position, wait = found
        await self.send_frame(frames.queue_position(position, wait))

    async def chat_queue(self, event: dict[str, Any]) -> None:
        await self.send_position(QueueState.from_event(event).position_of(self.conversation))

    async def frame_status(self, event: dict[str, Any]) -> None:
        await self.forward(event)
        if event["frame"]["status"] == "queued":  # back in the queue: where, and hear changes
            self.last_position = None
            await self.send_queue_position()


class OperatorConsumer(ChatSocket):
    """/ws/operator/: one operator's console on their council's host."""

    audience = "operator"

    def outgoing(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Staff read system lines in English (the group's frame has the chat's language)."""
        return english_frame(frame) if frame.get("type") == "message" else frame

    handlers = {
        "accept": "on_accept",
        "message": "on_message",
        "end": "on_end",
        "resume": "on_resume",
        "typing": "on_typing",
        "sync": "on_sync",
        "presence": "on_presence",
        "transfer": "on_transfer",
        "note": "on_note",
        "context": "on_context",
        "followups": "on_followups",
        "handle": "on_handle",
        "template": "on_template",
        "ping": "on_ping",
        "tags": "on_tags",  # issue 15, point 8
    }
    back_office_frames = frozenset(
        {"resume", "sync", "presence", "transfer", "note", "context", "followups", "handle"}
        | {"tags", "end"}
    )

    async def open(self) -> None:
        # Loading a console (its session, presence, every chat it holds with context) is
        # back-office work (councils/tenancy.py); so are the heartbeat and watchdog it
        # starts, which inherit the lane. Its frames choose their own (`receive`).
        with back_office():
            await self.open_console()

    async def open_console(self) -> None:
        opened = await self.open_staff_session("console")
        if opened is None:
            return
        lookup, self.session_key = opened
        council = self.council
        if lookup.outcome == "not_staff" or lookup.operator is None:
            return await self.refuse(4403, "forbidden", "Only council staff can use the console.")
        self.operator = lookup.operator
        if not await in_council(
            council, console_session_alive_unsafe, self.session_key, self.operator.id, True
        ):  # past the council's idle or absolute limit (staffauth.sessions)
            return await self.refuse(4401, "login_required", "Your session has ended.")
        self.active = False  # a frame from the operator since the last session check
        await self.join(groups.queue_group(council.id))
        await self.join(groups.operator_group(council.id, self.operator.id))
        await in_council(
            council,
            presence.operator_connected,
            council=council,
            user_id=self.operator.id,
            channel_name=self.channel_name,
            session_key=self.session_key,
        )
        self.heartbeat = asyncio.create_task(self.beat())
        self.watchdog = asyncio.create_task(self.watch_pings())
        await self.send_hello()

    # ---- silent outages (issue 15) --------------------------------------------------------
    # The console pings every few seconds; once a socket has pinged, the server expects to
    # hear from it (any frame) at least every OPERATOR_PING_TIMEOUT_SECONDS. A socket that
    # goes silent (the network died with the socket left open) is closed, and its operator
    # leaves assignment at once. Sockets that never ping (tools, older consoles) are not
    # watched: their presence still ends with their heartbeat.
    heard_at = 0.0
    pinging = False

    async def on_ping(self, frame: dict[str, Any]) -> None:
        self.pinging = True
        await self.send_frame(frames.pong())

    async def watch_pings(self) -> None:
        """Close a silent console; and once it pings, send it `pong` every few seconds unasked,
        so a background tab (whose timers the browser may throttle to once a minute) pings
        back from its message handler."""
        loop = asyncio.get_running_loop()
        self.heard_at = sent_at = loop.time()
        timeout = settings.OPERATOR_PING_TIMEOUT_SECONDS
        while True:
            await asyncio.sleep(min(0.5, timeout / 4))
            now = loop.time()
            if self.pinging and now - sent_at >= KEEPALIVE_SECONDS:
                sent_at = now
                await self.send_frame(frames.pong())
            if self.pinging and now - self.heard_at > timeout:
                logger.info("console silent for %.0f s: closed", timeout)
                await self.cleanup()  # out of assignment now, whether or not the close arrives
                await self.close(code=4408)
                return

    async def beat(self) -> None:
        """Keep this operator's presence fresh while the socket is open (a failed beat, the
        database away, is logged and the next one tried), and end the socket with its session
        (the council's idle and absolute limits: staffauth.sessions)."""
        while True:
            await asyncio.sleep(settings.OPERATOR_HEARTBEAT_SECONDS)
            # The session first: a socket whose session has just signed out must not write
            # its ConsoleSocket row back (issue 15: logging out leaves assignment at once).
            active, self.active = self.active, False
            try:
                alive = await in_council(
                    self.council,
                    console_session_alive_unsafe,
                    self.session_key,
                    self.operator.id,
                    active,
                )
            except RETRYABLE as exc:
                logger.warning("operator session check failed: %r", type(exc))
                continue
            if not alive:
                await self.signed_out("session_ended")
                return
            try:
                await in_council(
                    self.council,
                    presence.operator_heartbeat,
                    user_id=self.operator.id,
                    channel_name=self.channel_name,
                    session_key=self.session_key,
                )
            except RETRYABLE as exc:
                logger.warning("operator heartbeat failed: %r", type(exc))

    # Frames a person causes: they count as activity for the council's idle timeout. The
    # console's own timers (followups each minute, resume and sync after reconnecting) do not.
    ACTIVITY_FRAMES = frozenset(
        {"accept", "message", "end", "typing", "presence", "transfer", "note", "handle", "tags"}
    )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        self.heard_at = asyncio.get_running_loop().time()
        if not self.active and text_data and len(text_data) <= settings.FRAME_MAX_BYTES:
            try:  # the same checked parse as the frame's own (no RecursionError from nesting)
                kind = loads_checked(text_data).get("type")
            except (InvalidInput, AttributeError):
                kind = None
            self.active = kind in self.ACTIVITY_FRAMES
        await super().receive(text_data, bytes_data)

    async def signed_out(self, reason: str) -> None:
        await self.send_frame(frames.signed_out(reason))
        await self.close(code=4401)

    async def session_ended(self, event: dict[str, Any]) -> None:
        """Sign-out, sign-out everywhere or a disabled account (staffauth.sessions)."""
        if event.get("session_key") in (None, self.session_key):
            await self.signed_out(str(event.get("reason") or "signed_out"))

    async def on_exit(self) -> None:
        """However the socket ends (a close, a crash, shutdown), its heartbeat ends with it,
        so a crashed console can no longer keep its operator online for ever (issue 12)."""
        heartbeat = getattr(self, "heartbeat", None)
        if heartbeat is not None:
            heartbeat.cancel()
            watchdog = getattr(self, "watchdog", None)
            if watchdog is not None and watchdog is not asyncio.current_task():
                watchdog.cancel()
            await in_council(
                self.council,
                presence.operator_disconnected,
                council=self.council,
                user_id=self.operator.id,
                channel_name=self.channel_name,
            )

    async def resync(self) -> None:
        """After a Redis outage: a fresh hello (queue, chats, presence), then missed messages."""
        await self.send_hello()
        await super().resync()

    async def send_hello(self) -> None:
        context = await in_council(
            self.council, selectors.console_context, self.operator.id, self.council
        )
        for conversation in context["active"]:
            await self.watch(conversation)
        operator = {
            "id": self.operator.id,
            "username": self.operator.username,
            "name": self.operator.name,
        }
        await self.send_frame(frames.operator_hello(operator, context))

    async def watch(self, conversation: dict[str, Any]) -> None:
        await self.join(groups.conversation_group(self.council.id, conversation["id"]))
        self.delivered.setdefault(conversation["id"], conversation["last_seq"])

    async def on_accept(self, frame: dict[str, Any]) -> None:
        # Answer directly rather than trust the layer; the group event then tells this
        # operator's other tabs, and `operator_accepted` skips chats already watched.
        summary = await in_council(
            self.council,
            lifecycle.conversation_accept,
            council=self.council,
            conversation_id=_uuid(frame.get("conversation")),
            operator=self.operator,
        )
        await self.watch(summary)
        await self.send_frame(frames.accepted(summary, "accepted"))

    async def on_message(self, frame: dict[str, Any]) -> None:
        conversation = _uuid(frame.get("conversation"))
        client_id = _client_id(frame)
        # A Messenger reply after 24 hours goes tagged HUMAN_AGENT (social/, docs/social.md).
        tag = frame.get("tag")
        if tag is not None and tag != "human_agent":
            raise FrameError("invalid_frame", "tag must be human_agent.")
        stored = await in_council(
            self.council,
            messages.message_create,
            council=self.council,
            conversation_id=conversation,
            body=frame.get("body"),
            client_id=client_id,
            operator=self.operator,
            outbound={"tag": tag} if tag else None,
        )
        await self.send_frame(frames.ack(client_id, stored.seq, str(conversation)))

    async def on_template(self, frame: dict[str, Any]) -> None:
        """Send an approved WhatsApp template (social/): allowed outside the 24 hours."""
        from social.outbound import template_send

        conversation = _uuid(frame.get("conversation"))
        client_id = _client_id(frame)
        stored = await in_council(
            self.council,
            template_send,
            council=self.council,
            conversation_id=conversation,
            operator=self.operator,
            client_id=client_id,
            template_id=frame.get("template"),
        )
        await self.send_frame(frames.ack(client_id, stored.seq, str(conversation)))

    async def on_end(self, frame: dict[str, Any]) -> None:
        outcome = frame.get("outcome", "")
        if outcome is None:
            outcome = ""
        if not isinstance(outcome, str):
            raise FrameError("invalid_frame", "outcome must be one of the listed outcomes.")
        await in_council(
            self.council,
            lifecycle.conversation_end,
            council=self.council,
            conversation_id=_uuid(frame.get("conversation")),
            operator=self.operator,
            outcome=outcome,
        )

    async def on_resume(self, frame: dict[str, Any]) -> None:
        conversation = _uuid(frame.get("conversation"))
        after = _after_seq(frame)
        if not await in_council(
            self.council, selectors.operator_may_read, conversation, self.operator.id
        ):
            raise ChatError("not_found", "No such conversation among your chats.")
        last = await self.replay(conversation, after)
        await self.send_frame(frames.resumed(last, str(conversation)))

    async def on_typing(self, frame: dict[str, Any]) -> None:
        conversation = _uuid(frame.get("conversation"))
        if groups.conversation_group(self.council.id, conversation) not in self.joined:
            raise ChatError("not_assigned", "This chat is not assigned to you.")
        await messages.typing_relay(
            council=self.council,
            conversation_id=conversation,
            active=bool(frame.get("active")),
            operator=self.operator,
        )

    async def on_sync(self, frame: dict[str, Any]) -> None:
        await self.send_hello()

    async def on_presence(self, frame: dict[str, Any]) -> None:
        status = frame.get("status")
        if not isinstance(status, str):
            raise FrameError("invalid_frame", "status must be online, away or offline.")
        await in_council(
            self.council,
            presence.presence_set,
            council=self.council,
            user_id=self.operator.id,
            status=status,
        )

    async def on_transfer(self, frame: dict[str, Any]) -> None:
        conversation = _uuid(frame.get("conversation"))
        target = frame.get("to")
        if not isinstance(target, dict) or len(target) != 1:
            raise FrameError(
                "invalid_frame",
                'to must be {"operator": id}, {"department": slug} or {"council": slug}.',
            )
        ((kind, value),) = target.items()
        if kind == "operator" and isinstance(value, int) and not isinstance(value, bool):
            await in_council(
                self.council,
                transfers.transfer_to_operator,
                council=self.council,
                conversation_id=conversation,
                operator=self.operator,
                to_user_id=value,
            )
        elif kind == "department" and isinstance(value, str):
            await in_council(
                self.council,
                transfers.transfer_to_department,
                council=self.council,
                conversation_id=conversation,
                operator=self.operator,
                department_slug=value,
            )
        elif kind == "council" and isinstance(value, str):
            to_council = await in_public(council_ref_by_slug, value)
            if to_council is None:
                raise ChatError("not_found", "No such council.")
            await in_council(
                self.council,
                transfers.transfer_to_council,
                council=self.council,
                conversation_id=conversation,
                operator=self.operator,
                to_council=to_council,
            )
        else:
            raise FrameError(
                "invalid_frame", "Transfer to an operator id, or a department or council slug."
            )

    async def on_note(self, frame: dict[str, Any]) -> None:
        """An internal note: stored, then sent to operators only (never the visitor)."""
        conversation = _uuid(frame.get("conversation"))
        client_id = _client_id(frame)
        payload, _ = await in_council(
            self.council,
            notes.note_create,
            council=self.council,
            conversation_id=conversation,
            operator=self.operator,
            body=frame.get("body"),
            client_id=client_id,
        )
        # Answer directly (the layer is only a doorbell); the console de-duplicates by id.
        await self.send_frame(frames.note(payload))

    async def on_context(self, frame: dict[str, Any]) -> None:
        conversation = _uuid(frame.get("conversation"))
        if not await in_council(
            self.council, selectors.operator_may_follow_up, conversation, self.operator.id
        ):
            raise ChatError("not_found", "No such conversation among your chats.")
        context = await in_council(self.council, selectors.conversation_context, conversation)
        await in_council(self.council, console_opened, self.operator, conversation)  # audit
        await self.send_frame(frames.context(str(conversation), context))

    async def on_followups(self, frame: dict[str, Any]) -> None:
        followups = await in_council(self.council, selectors.followup_list)
        await self.send_frame(frames.followups(followups))

    async def on_handle(self, frame: dict[str, Any]) -> None:
        kind = frame.get("kind")
        item = _uuid(frame.get("id"), "id")
        note = frame.get("note", "")
        if note is not None and not isinstance(note, str):
            raise FrameError("invalid_frame", "note must be text.")
        if kind == "enquiry":
            await in_council(
                self.council,
                followups.enquiry_mark_handled,
                council=self.council,
                enquiry_id=item,
                operator=self.operator,
                note=note,
            )
        elif kind == "missed":
            await in_council(
                self.council,
                followups.missed_mark_handled,
                council=self.council,
                conversation_id=item,
                operator=self.operator,
                note=note,
            )
        else:
            raise FrameError("invalid_frame", "kind must be enquiry or missed.")
        await self.send_frame(frames.handled(kind, str(item)))

    async def on_tags(self, frame: dict[str, Any]) -> None:
        """Set a conversation's tags (issue 15, point 8); the answer is a `tags` frame."""
        conversation = _uuid(frame.get("conversation"))
        rows = await in_council(
            self.council,
            tags.conversation_tags_set,
            council=self.council,
            conversation_id=conversation,
            operator=self.operator,
            tags=frame.get("tags"),
        )
        await self.send_frame(frames.tags(str(conversation), rows))

    # Frames from groups where this socket adds logic; the rest are forwarded as they are.
    async def frame_accepted(self, event: dict[str, Any]) -> None:
        """A chat became mine: watch it, unless this tab already does (it accepted it)."""
        summary = event["frame"]["conversation"]
        if groups.conversation_group(self.council.id, summary["id"]) in self.joined:
            return
        await self.watch(summary)
        await self.forward(event)

    async def frame_chat_removed(self, event: dict[str, Any]) -> None:
        """A chat is no longer mine: stop hearing it."""
        conversation = event["frame"]["conversation"]
        group = groups.conversation_group(self.council.id, conversation)
        if group in self.joined:
            await self.leave(group)
        self.delivered.pop(conversation, None)
        await self.forward(event)

    async def chat_transferred(self, event: dict[str, Any]) -> None:
        """The operator side learns of a transfer through `chat_removed`."""


class UnknownPathConsumer(ChatSocket):
    """Any other websocket path: a clear close instead of a routing exception."""

    async def open(self) -> None:
        await self.refuse(4404, "not_found", "No websocket endpoint at this path.")
