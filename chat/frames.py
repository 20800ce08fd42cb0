"""Every frame the server sends to a websocket client, defined once.

Actions send these frames to channel-layer groups as they are (wrapped by `to_group`, which
adds the key Channels dispatches on); consumers forward them, and keep a handler only where
a socket adds something: filling a seq gap (`message`), following the queue (`status` on
the visitor socket), watching or leaving a chat (`accepted`, `chat_removed`).

The visitor socket is one conversation, so it drops the `conversation` field of the frames
it forwards. Each frame's JSON Schema is in `chat.protocol`; docs/protocol.md documents it.

Two group events are not frames, because each socket computes its own frame from them:
`chat.queue` (the queue order, from which a queued visitor's socket works out its
`queue` frame) and `chat.transferred` (a visitor's socket follows the chat to its new
council and sends `transferred` with a token of its own).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from chat.broadcast import send_on_commit
from chat.payloads import iso_utc

Audience = Literal["visitor", "operator"]
Frame = dict[str, Any]


def to_group(frame: Frame, *, to: Audience | None = None) -> dict[str, Any]:
    """The channel-layer message carrying `frame`: Channels calls `frame_<frame type>` on a
    socket that defines it, and every other socket forwards the frame (`ChatSocket.forward`).
    `to` names the only kind of socket that forwards it (a typing frame is for the other
    side)."""
    event: dict[str, Any] = {"type": f"frame.{frame['type']}", "frame": frame}
    if to is not None:
        event["to"] = to
    return event


def send_frame_on_commit(group: str, frame: Frame, *, to: Audience | None = None) -> None:
    """Send `frame` to `group` once the current transaction commits."""
    send_on_commit(group, to_group(frame, to=to))


# ---- Frames both sockets receive ------------------------------------------------------


def message(payload: dict[str, Any]) -> Frame:
    """A stored message (`chat.payloads.message_payload`)."""
    return {"type": "message", **payload}


def status(conversation: str, status: str, operator: str | None) -> Frame:
    return {"type": "status", "conversation": conversation, "status": status, "operator": operator}


def typing_by_visitor(conversation: str, active: bool) -> Frame:
    """For the operator's console only (sent with `to="operator"`)."""
    return {"type": "typing", "conversation": conversation, "author": "visitor", "active": active}


def typing_by_operator(conversation: str, name: str, active: bool) -> Frame:
    """For the visitor's sockets only (sent with `to="visitor"`)."""
    return {
        "type": "typing",
        "conversation": conversation,
        "author": "operator",
        "name": name,
        "active": active,
    }


def ack(client_id: str, seq: int, conversation: str | None = None) -> Frame:
    """The sender's message is committed (the operator socket names the conversation)."""
    frame: Frame = {"type": "ack"}
    if conversation is not None:
        frame["conversation"] = conversation
    return {**frame, "client_id": client_id, "seq": seq}


def resumed(last_seq: int, conversation: str | None = None) -> Frame:
    frame: Frame = {"type": "resumed"}
    if conversation is not None:
        frame["conversation"] = conversation
    return {**frame, "last_seq": last_seq}


def error(code: str, detail: str, **echo: Any) -> Frame:
    """A refused or bad frame; `echo` carries the request's conversation, client_id or id."""
    return {"type": "error", "code": code, "detail": detail, **echo}


# ---- Visitor socket -------------------------------------------------------------------


def visitor_hello(conversation: str, status: str, last_seq: int, operator: str | None) -> Frame:
    return {
        "type": "hello",
        "conversation": conversation,
        "status": status,
        "last_seq": last_seq,
        "operator": operator,
    }


def operator_presence(conversation: str, present: bool, operator: str | None) -> Frame:
    """For the visitor's sockets only (sent with `to="visitor"`): whether their adviser's
    console is there. Absent: no name, so the resident is never told "You are talking to X"
    while X is gone (issue 15)."""
    return {
        "type": "operator_presence",
        "conversation": conversation,
        "present": present,
        "operator": operator if present else None,
    }


def missed(conversation: str, follow_up: bool) -> Frame:
    """For the visitor's sockets only: nobody answered in time; `follow_up` true when the
    council has a way to reach them, otherwise the widget offers the contact form."""
    return {"type": "missed", "conversation": conversation, "follow_up": follow_up}


def pong() -> Frame:
    """The answer to a client's `ping` (both sockets)."""
    return {"type": "pong"}


def queue_position(position: int, estimated_wait_s: int) -> Frame:
    return {"type": "queue", "position": position, "estimated_wait_s": estimated_wait_s}


def transferred(
    council_slug: str,
    council_name: str,
    token: str,
    websocket: str,
    branding: dict[str, str] | None = None,
) -> Frame:
    """`branding`: the new council's brand_colour, text_colour and logo_url
    (`widgets.selectors.council_branding`), so the widget looks like the council it names."""
    return {
        "type": "transferred",
        "council": {"slug": council_slug, "name": council_name, **(branding or {})},
        "token": token,
        "websocket": websocket,
    }


def offline(reason: str, offer: dict[str, Any]) -> Frame:
    """The visitor asked the assistant for a person and nobody can take the chat: what the
    council's offline window offers (`offer`: mode, message, detail, links, contact_form,
    hours, next_open, next_open_text; built by `assistant.services.offline_frame`)."""
    return {"type": "offline", "reason": reason, **offer}


def feedback(seq: int, helpful: bool) -> Frame:
    """The visitor's verdict on the assistant's answer at `seq` is stored."""
    return {"type": "feedback", "seq": seq, "helpful": helpful}


# ---- Operator socket ------------------------------------------------------------------


def operator_hello(operator: dict[str, Any], context: dict[str, Any]) -> Frame:
    """`context` is `chat.selectors.console_context`."""
    return {"type": "hello", "operator": operator, **context}


def accepted(summary: dict[str, Any], reason: str) -> Frame:
    """A chat became mine: `reason` accepted (I picked it), auto or transfer."""
    return {"type": "accepted", "conversation": summary, "reason": reason}


def chat_removed(conversation: str, reason: str) -> Frame:
    """A chat is no longer mine: `reason` requeued, unanswered or transferred."""
    return {"type": "chat_removed", "conversation": conversation, "reason": reason}


def queue_add(summary: dict[str, Any]) -> Frame:
    return {"type": "queue_add", "conversation": summary}


def queue_remove(conversation: str, reason: str) -> Frame:
    """Left the queue: `reason` accepted, assigned (automatic assignment), ended or missed."""
    return {"type": "queue_remove", "conversation": conversation, "reason": reason}


def presence(load: dict[str, Any]) -> Frame:
    """My own status and load (`routing.capacity.Load.payload`)."""
    return {
        "type": "presence",
        "status": load["status"],
        "active": load["active"],
        "max_chats": load["max_chats"],
    }


def visitor_presence(conversation: str, presence: str, since: datetime) -> Frame:
    """For operators' sockets only: the resident's page is open, hidden or gone (since)."""
    return {
        "type": "visitor_presence",
        "conversation": conversation,
        "presence": presence,
        "since": iso_utc(since),
    }


def ended(conversation: str, ended_by: str, outcome: str, outcome_label: str) -> Frame:
    """For operators' sockets only, after the `status` frame of an ended chat: who or what
    ended it and its outcome (a quick exit shows as such)."""
    return {
        "type": "ended",
        "conversation": conversation,
        "ended_by": ended_by,
        "outcome": outcome,
        "outcome_label": outcome_label,
    }


def operators(team: list[dict[str, Any]]) -> Frame:
    return {"type": "operators", "operators": team}


def read(conversation: str, seq: int) -> Frame:
    return {"type": "read", "conversation": conversation, "seq": seq}


def note(payload: dict[str, Any]) -> Frame:
    """An internal note (`chat.selectors.note_payload`)."""
    return {"type": "note", **payload}


def context(conversation: str, context: dict[str, Any]) -> Frame:
    return {"type": "context", "conversation": conversation, **context}


def followups(lists: dict[str, Any]) -> Frame:
    return {"type": "followups", **lists}


def followup_add(kind: str, item: dict[str, Any]) -> Frame:
    return {"type": "followup_add", "kind": kind, "item": item}


def followup_handled(kind: str, item_id: str, by: str) -> Frame:
    return {"type": "followup_handled", "kind": kind, "id": item_id, "by": by}


def delivery(conversation: str, seq: int, state: str, error: str = "") -> Frame:
    """A social reply's delivery state (social/): sent, delivered, read or failed."""
    frame: Frame = {"type": "delivery", "conversation": conversation, "seq": seq, "state": state}
    if error:
        frame["error"] = error
    return frame


def attachments(conversation: str, seq: int, items: list[dict[str, Any]]) -> Frame:
    """A social message's attachments were fetched or refused (social/media.py)."""
    return {"type": "attachments", "conversation": conversation, "seq": seq, "attachments": items}


def handled(kind: str, item_id: str) -> Frame:
    return {"type": "handled", "kind": kind, "id": item_id}


def signed_out(reason: str) -> Frame:
    """The operator's session ended (sign-out, everywhere, disabled, a limit): the socket
    closes with 4401 after it (staffauth.sessions)."""
    return {"type": "signed_out", "reason": reason}


def tags(conversation: str, tag_rows: list[dict[str, str]]) -> Frame:
    """The tags now on a conversation (issue 15, point 8): operators only."""
    return {"type": "tags", "conversation": conversation, "tags": tag_rows}


# ---- Supervisor socket (issue 15) ----------------------------------------------------


def overview(state: dict[str, Any]) -> Frame:
    """The supervisor's whole view (`chat.supervision.supervisor_overview`)."""
    return {"type": "overview", **state}


def watching(view: dict[str, Any]) -> Frame:
    """A chat opened read-only: its summary and messages so far (`chat.supervision.watch_view`);
    its later messages, status and typing follow as on the operator socket."""
    return {"type": "watching", **view}


def reassigned(conversation: str, operator: dict[str, Any]) -> Frame:
    return {"type": "reassigned", "conversation": conversation, "operator": operator}
