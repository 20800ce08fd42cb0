"""Every change to a chat happens here: stored first, then announced after commit.

Callers (views, consumers, tasks) run these inside the council's schema and pass the
council's `CouncilRef`, whose id scopes every group name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from chat import channel_hooks, groups
from chat.broadcast import send_many, send_now, send_on_commit
from chat.coalesce import defer
from chat.errors import ChatError
from chat.models import Conversation, Message, Visitor
from chat.payloads import message_payload, operator_display_name
from chat.queue import announce_positions_on_commit
from chat.selectors import conversation_summary, prechat_email
from councils.sites import CouncilRef
from councils.tenancy import council_schema
from routing.capacity import load_of, lock_load_unsafe, operator_loads
from routing.models import Department, OperatorPresence


@dataclass(frozen=True)
class OperatorRef:
    id: int
    username: str
    name: str


@dataclass(frozen=True)
class StoredMessage:
    payload: dict[str, Any]
    created: bool

    @property
    def seq(self) -> int:
        return self.payload["seq"]


def clean_body(body: Any) -> str:
    """The text of a chat message, or a ChatError saying what is wrong with it."""
    if not isinstance(body, str):
        raise ChatError("invalid_frame", "body must be a string.")
    text = body.strip()
    if not text:
        raise ChatError("body_empty", "A message cannot be empty.")
    if len(text) > settings.MESSAGE_MAX_CHARS:
        raise ChatError(
            "body_too_long", f"A message can be at most {settings.MESSAGE_MAX_CHARS} characters."
        )
    return text


def append_message_unsafe(
    conversation: Conversation,
    *,
    author: str,
    author_name: str,
    body: str,
    client_id: str | None,
    author_user_id: int | None = None,
    extra: dict[str, Any] | None = None,
) -> Message:
    """Precondition: inside a transaction holding the conversation's row lock."""
    Conversation.objects.filter(pk=conversation.pk).update(
        last_seq=F("last_seq") + 1, last_message_at=timezone.now()
    )
    conversation.last_seq += 1
    return Message.objects.create(
        conversation=conversation,
        seq=conversation.last_seq,
        author=author,
        author_user_id=author_user_id,
        author_name=author_name,
        body=body,
        client_id=client_id,
        extra=extra or {},
    )


def announce_message_on_commit(council: CouncilRef, message: Message) -> dict[str, Any]:
    payload = message_payload(message)
    send_on_commit(
        groups.conversation_group(council.id, message.conversation_id),
        {"type": "chat.message", "message": payload},
    )
    return payload


def announce_status_on_commit(
    council: CouncilRef, conversation: Conversation, operator: str | None
) -> None:
    send_on_commit(
        groups.conversation_group(council.id, conversation.id),
        {
            "type": "chat.status",
            "conversation": str(conversation.id),
            "status": conversation.status,
            "operator": operator,
        },
    )


@transaction.atomic
def conversation_start(
    *,
    council: CouncilRef,
    name: str,
    message: str,
    department: Department | None,
    page_url: str = "",
    prechat: dict[str, Any] | None = None,
    language: str = Conversation.Language.ENGLISH,
    routed_by: dict[str, Any] | None = None,
    channel: str = Conversation.Channel.WEB,
    extra: dict[str, Any] | None = None,
) -> tuple[Conversation, dict[str, Any]]:
    """Open a chat in the council's queue with the visitor's question stored as seq 1.

    Operators are not chosen here: callers run `routing.assignment.dispatch_queue` after
    the commit, in its own transactions.
    """
    body = clean_body(message)
    # The email lets the console list the visitor's earlier chats with this council.
    visitor = Visitor.objects.create(name=name, email=prechat_email(prechat))
    conversation = Conversation.objects.create(
        visitor=visitor,
        department=department,
        page_url=page_url,
        prechat=prechat or {},
        language=language,
        routed_by=routed_by or {},
        channel=channel,
    )
    append_message_unsafe(
        conversation,
        author=Message.Author.VISITOR,
        author_name=name,
        body=body,
        client_id=None,
        extra=extra,
    )
    summary = conversation_summary(conversation.id)
    send_on_commit(groups.queue_group(council.id), {"type": "queue.add", "conversation": summary})
    announce_positions_on_commit(council)
    return conversation, summary


# The visitor-message path in two statements (measured in bench B3, docs/performance.md):
# the seq bump takes the conversation's row lock and returns what the checks need, and the
# insert relies on message_client_id_unique to recognise a re-sent client_id. The ORM
# version took five (lock, idempotency read, visitor read, bump, insert). Table names are
# unqualified: the connection's search_path is the council's schema.
_MESSAGE_BUMP_SQL = """
UPDATE chat_conversation AS c
   SET last_seq = c.last_seq + 1,
       last_message_at = %(now)s,
       first_response_at = CASE WHEN %(by_operator)s AND c.first_response_at IS NULL
                                THEN %(now)s ELSE c.first_response_at END
 WHERE c.id = %(conversation_id)s
RETURNING c.last_seq, c.status, c.operator_id,
          (SELECT v.name FROM chat_visitor AS v WHERE v.id = c.visitor_id), c.channel
"""
_MESSAGE_INSERT_SQL = """
INSERT INTO chat_message
       (conversation_id, seq, author, author_user_id, author_name, body, client_id, created_at,
        extra)
VALUES (%(conversation_id)s, %(seq)s, %(author)s, %(author_user_id)s, %(author_name)s,
        %(body)s, %(client_id)s, %(now)s, %(extra)s::jsonb)
ON CONFLICT (conversation_id, client_id) DO NOTHING
RETURNING id
"""


def _existing_message_unsafe(conversation_id: UUID, client_id: str) -> StoredMessage | None:
    existing = Message.objects.filter(conversation_id=conversation_id, client_id=client_id).first()
    return None if existing is None else StoredMessage(message_payload(existing), created=False)


@transaction.atomic
def message_create(
    *,
    council: CouncilRef,
    conversation_id: UUID,
    body: Any,
    client_id: str,
    operator: OperatorRef | None = None,
    extra: dict[str, Any] | None = None,
    outbound: dict[str, Any] | None = None,
) -> StoredMessage:
    """Store one visitor message (operator=None) or operator reply, idempotent on client_id.

    `extra` goes into Message.extra (and the wire payload). In a chat on another channel
    (Messenger, WhatsApp) an operator's reply also passes that channel's hooks
    (chat.channel_hooks): they may refuse it (nothing is stored) and record it for sending;
    `outbound` carries the channel's options (a Messenger tag, a WhatsApp template).

    The seq bump takes the conversation row lock first, so writers are serialised, seqs are
    gapless, and a re-sent client_id always finds the first copy (READ COMMITTED: each
    later statement sees what the previous lock holder committed). When the message is not
    stored after all (a re-send, an ended chat, another operator's chat), the bump is rolled
    back with everything else.
    """
    text = clean_body(body)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _MESSAGE_BUMP_SQL,
            {"now": now, "by_operator": operator is not None, "conversation_id": conversation_id},
        )
        row = cursor.fetchone()
        if row is None:
            raise ChatError("not_found", "No such conversation.")
        seq, status, operator_id, visitor_name, channel = row
        if operator is not None and operator_id != operator.id:
            raise ChatError("not_assigned", "This chat is not assigned to you.")
        hooks = None
        if operator is not None and channel != Conversation.Channel.WEB:
            hooks = channel_hooks.hooks_for(channel)
            if hooks is None:
                raise ChatError("channel_unavailable", "Replies on this channel are not set up.")
        elif outbound:
            raise ChatError("invalid_frame", "Tags and templates are for social chats only.")
        if status == Conversation.Status.ENDED:
            existing = _existing_message_unsafe(conversation_id, client_id)
            if existing is None:
                raise ChatError("conversation_ended", "This chat has ended.")
            transaction.set_rollback(True)  # undo the bump
            return existing
        if operator is None:
            author, author_name, user_id = Message.Author.VISITOR, visitor_name, None
        else:
            author, author_name, user_id = Message.Author.OPERATOR, operator.name, operator.id
        extra = dict(extra or {})
        if hooks is not None:
            # A re-send is answered with the first copy before the channel is asked again.
            existing = _existing_message_unsafe(conversation_id, client_id)
            if existing is not None:
                transaction.set_rollback(True)  # undo the bump
                return existing
            extra.update(hooks.reply_prepare(conversation_id, outbound or {}))
        message = Message(
            conversation_id=conversation_id,
            seq=seq,
            author=author,
            author_user_id=user_id,
            author_name=author_name,
            body=text,
            client_id=client_id,
            created_at=now,
            extra=extra,
        )
        cursor.execute(
            _MESSAGE_INSERT_SQL,
            {
                "conversation_id": conversation_id,
                "seq": seq,
                "author": author,
                "author_user_id": user_id,
                "author_name": author_name,
                "body": text,
                "client_id": client_id,
                "now": now,
                "extra": json.dumps(extra),
            },
        )
        inserted = cursor.fetchone()
    if inserted is None:  # this client_id was stored before: answer with the first copy
        existing = _existing_message_unsafe(conversation_id, client_id)
        if existing is None:  # cannot happen: the conflict was on a committed row
            raise ChatError("conflict", "This message could not be stored; send it again.")
        transaction.set_rollback(True)  # undo the bump
        return existing
    message.id = inserted[0]
    if hooks is not None:
        hooks.reply_record(
            council=council,
            conversation_id=conversation_id,
            message_id=message.id,
            seq=seq,
            body=text,
            options=outbound or {},
        )
    return StoredMessage(payload=announce_message_on_commit(council, message), created=True)


@transaction.atomic
def conversation_accept(
    *, council: CouncilRef, conversation_id: UUID, operator: OperatorRef
) -> dict[str, Any]:
    """Give a queued chat to `operator`, who picked it from the queue.

    Exactly one of several racing operators wins (the conversation row lock), and an
    operator at their limit is refused (their presence row lock, taken second).
    """
    conversation = Conversation.objects.select_for_update().filter(id=conversation_id).first()
    if conversation is None:
        raise ChatError("not_found", "No such conversation.")
    if conversation.status != Conversation.Status.QUEUED:
        raise ChatError("already_taken", "Another operator has already taken this chat.")
    load = lock_load_unsafe(operator.id)
    if not load.has_room:
        raise ChatError("at_capacity", f"You already have {load.active} of {load.max_chats} chats.")
    return conversation_assign_unsafe(council, conversation, operator, reason="accepted")


def conversation_assign_unsafe(
    council: CouncilRef, conversation: Conversation, operator: OperatorRef, *, reason: str
) -> dict[str, Any]:
    """Make `operator` the chat's operator and tell everyone.

    Precondition: in a transaction holding the conversation's row lock and the operator's
    presence lock, with their room checked.
    """
    was_queued = conversation.status == Conversation.Status.QUEUED
    previous_operator_id = conversation.operator_id
    now = timezone.now()
    conversation.status = Conversation.Status.ACTIVE
    conversation.operator_id = operator.id
    conversation.accepted_at = now
    conversation.first_response_at = None
    conversation.save(update_fields=["status", "operator", "accepted_at", "first_response_at"])
    OperatorPresence.objects.filter(user_id=operator.id).update(last_assigned_at=now)
    text = (
        f"{operator.name} joined the chat."
        if reason != "transfer"
        else f"You are now talking to {operator.name}."
    )
    message = append_message_unsafe(
        conversation, author=Message.Author.SYSTEM, author_name="", body=text, client_id=None
    )
    announce_message_on_commit(council, message)
    announce_status_on_commit(council, conversation, operator.name)
    summary = conversation_summary(conversation.id)
    if was_queued:
        send_on_commit(
            groups.queue_group(council.id),
            {
                "type": "queue.remove",
                "conversation": str(conversation.id),
                "reason": "accepted" if reason == "accepted" else "assigned",
            },
        )
        announce_positions_on_commit(council)
    send_on_commit(
        groups.operator_group(council.id, operator.id),
        {"type": "operator.accepted", "conversation": summary, "reason": reason},
    )
    announce_load_on_commit(council, operator.id, previous_operator_id)
    return summary


def conversation_requeue_unsafe(
    council: CouncilRef,
    conversation: Conversation,
    *,
    visitor_text: str,
    removed_reason: str,
    department=None,
) -> None:
    """Put an active chat back at the front of the queue, telling visitor and operator.

    Precondition: in a transaction holding the conversation's row lock.
    """
    previous_operator_id = conversation.operator_id
    conversation.status = Conversation.Status.QUEUED
    conversation.operator_id = None
    conversation.priority = 1
    conversation.queued_at = timezone.now()
    fields = ["status", "operator", "priority", "queued_at"]
    if department is not None:
        conversation.department = department
        fields.append("department")
    conversation.save(update_fields=fields)
    message = append_message_unsafe(
        conversation,
        author=Message.Author.SYSTEM,
        author_name="",
        body=visitor_text,
        client_id=None,
    )
    announce_message_on_commit(council, message)
    announce_status_on_commit(council, conversation, None)
    if previous_operator_id:
        send_on_commit(
            groups.operator_group(council.id, previous_operator_id),
            {
                "type": "operator.removed",
                "conversation": str(conversation.id),
                "reason": removed_reason,
            },
        )
    send_on_commit(
        groups.queue_group(council.id),
        {"type": "queue.add", "conversation": conversation_summary(conversation.id)},
    )
    announce_positions_on_commit(council)
    announce_load_on_commit(council, previous_operator_id)
    dispatch_on_commit(council)


def conversation_mark_missed_unsafe(council: CouncilRef, conversation: Conversation) -> None:
    """Nobody answered in time: keep the chat for follow-up and tell the visitor and consoles.

    Precondition: in a transaction holding the conversation's row lock; it is queued.
    """
    conversation.status = Conversation.Status.MISSED
    conversation.save(update_fields=["status"])
    message = append_message_unsafe(
        conversation,
        author=Message.Author.SYSTEM,
        author_name="",
        body="Sorry, no one could answer in time. The council will follow up.",
        client_id=None,
    )
    announce_message_on_commit(council, message)
    announce_status_on_commit(council, conversation, None)
    send_on_commit(
        groups.queue_group(council.id),
        {"type": "queue.remove", "conversation": str(conversation.id), "reason": "missed"},
    )


def announce_load_on_commit(council: CouncilRef, *user_ids: int | None) -> None:
    """After commit, tell operators their own load and every console the team's loads.

    The team's loads (one row per operator) are coalesced in a burst (`chat.coalesce`).
    """

    def _announce_own() -> None:
        with council_schema(council.schema_name):
            loads = {uid: load_of(uid).payload() for uid in user_ids if uid}
        send_many(
            (groups.operator_group(council.id, uid), {"type": "operator.presence", **load})
            for uid, load in loads.items()
        )

    def _announce_team() -> None:
        with council_schema(council.schema_name):
            team = operator_loads()
        send_now(groups.queue_group(council.id), {"type": "operators.changed", "operators": team})

    transaction.on_commit(_announce_own)
    if not defer(f"team:{council.id}", _announce_team):
        transaction.on_commit(_announce_team)


def dispatch_on_commit(council: CouncilRef) -> None:
    """After commit, offer queued chats to operators with room (automatic assignment)."""

    def _dispatch() -> None:
        from routing.assignment import dispatch_queue

        with council_schema(council.schema_name):
            dispatch_queue(council=council)

    transaction.on_commit(_dispatch)


@transaction.atomic
def conversation_end(
    *,
    council: CouncilRef,
    conversation_id: UUID,
    operator: OperatorRef | None = None,
    idle: bool = False,
    outcome: str = "",
) -> None:
    """End a chat: by its operator, by the system when idle, otherwise by its visitor.

    `outcome` is the operator's wrap-up (Conversation.Outcome); an empty one is allowed.
    """
    if outcome and outcome not in Conversation.Outcome.values:
        raise ChatError("invalid_outcome", "Choose one of the listed outcomes.")
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("operator", "visitor")
        .filter(id=conversation_id)
        .first()
    )
    if conversation is None:
        raise ChatError("not_found", "No such conversation.")
    if operator is not None and conversation.operator_id != operator.id:
        raise ChatError("not_assigned", "This chat is not assigned to you.")
    if conversation.status == Conversation.Status.ENDED:
        return
    was_queued = conversation.status == Conversation.Status.QUEUED
    conversation.status = Conversation.Status.ENDED
    conversation.ended_at = timezone.now()
    if operator is not None:
        conversation.ended_by = Conversation.EndedBy.OPERATOR
    elif idle:
        conversation.ended_by = Conversation.EndedBy.SYSTEM
    else:
        conversation.ended_by = Conversation.EndedBy.VISITOR
    conversation.outcome = outcome
    conversation.save(update_fields=["status", "ended_at", "ended_by", "outcome"])
    if idle:
        text = "The chat was closed after a long time with no messages."
    else:
        text = f"{operator.name if operator else conversation.visitor.name} ended the chat."
    message = append_message_unsafe(
        conversation,
        author=Message.Author.SYSTEM,
        author_name="",
        body=text,
        client_id=None,
    )
    announce_message_on_commit(council, message)
    current = operator_display_name(conversation.operator) if conversation.operator else None
    announce_status_on_commit(council, conversation, current)
    if was_queued:
        send_on_commit(
            groups.queue_group(council.id),
            {"type": "queue.remove", "conversation": str(conversation.id), "reason": "ended"},
        )
        announce_positions_on_commit(council)
    elif conversation.operator_id:
        announce_load_on_commit(council, conversation.operator_id)
        dispatch_on_commit(council)


def end_idle_conversations(*, council: CouncilRef, idle_seconds: int) -> int:
    """End chats with no message for `idle_seconds`, telling both sides. Returns how many."""
    cutoff = timezone.now() - timedelta(seconds=idle_seconds)
    idle_ids = list(
        Conversation.objects.exclude(status=Conversation.Status.ENDED)
        .filter(last_message_at__lt=cutoff)
        .values_list("id", flat=True)
    )
    for conversation_id in idle_ids:
        conversation_end(council=council, conversation_id=conversation_id, idle=True)
    return len(idle_ids)


async def typing_relay(
    *, council: CouncilRef, conversation_id: UUID, active: bool, operator: OperatorRef | None
) -> None:
    """Tell the other side someone is typing: not stored, so there is no commit to wait for.

    Precondition: the caller has checked the sender may speak in this conversation.
    """
    event = {
        "type": "chat.typing",
        "conversation": str(conversation_id),
        "author": "operator" if operator else "visitor",
        "name": operator.name if operator else None,
        "active": bool(active),
    }
    await get_channel_layer().group_send(
        groups.conversation_group(council.id, conversation_id), event
    )


# ---- Console additions (issue 5): read receipts, notes, follow-up ---------------------


@transaction.atomic
def conversation_mark_read(*, council: CouncilRef, conversation_id: UUID, seq: Any) -> int:
    """The visitor has seen everything up to `seq`: store it (never lower) and tell the
    assigned operator's consoles after commit. Returns the stored read seq.

    A seq past the conversation's last one is capped at it, so a confused widget cannot
    mark unsent messages as read. No row lock: widgets send this often, and it must not
    queue behind message writers. The conditional UPDATE keeps it monotonic, because under
    READ COMMITTED a waiting UPDATE re-checks its WHERE against the committed row.
    """
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise ChatError("invalid_frame", "seq must be a whole number, 0 or more.")
    row = (
        Conversation.objects.filter(id=conversation_id)
        .values("last_seq", "visitor_read_seq", "operator_id")
        .first()
    )
    if row is None:
        raise ChatError("not_found", "No such conversation.")
    read = min(seq, row["last_seq"])
    if read <= row["visitor_read_seq"]:
        return row["visitor_read_seq"]
    raised = Conversation.objects.filter(id=conversation_id, visitor_read_seq__lt=read).update(
        visitor_read_seq=read
    )
    if raised and row["operator_id"]:
        send_on_commit(
            groups.operator_group(council.id, row["operator_id"]),
            {"type": "operator.read", "conversation": str(conversation_id), "seq": read},
        )
    return read


def clean_note(body: Any) -> str:
    """The text of an internal note (same limits as a message)."""
    return clean_body(body)


def _may_follow_up(conversation: Conversation, operator: OperatorRef) -> bool:
    """Notes go on chats the operator has (or had), and on missed chats any operator follows up."""
    return (
        conversation.operator_id == operator.id or conversation.status == Conversation.Status.MISSED
    )


@transaction.atomic
def note_create(
    *,
    council: CouncilRef,
    conversation_id: UUID,
    operator: OperatorRef,
    body: Any,
    client_id: str,
) -> tuple[dict[str, Any], bool]:
    """Store an operator's internal note, idempotent on client_id; returns (payload, created).

    Notes are announced only to operators' groups, never to the conversation group, which
    the visitor's sockets share.
    """
    from chat.models import Note
    from chat.selectors import note_payload

    text = clean_note(body)
    conversation = Conversation.objects.select_for_update().filter(id=conversation_id).first()
    if conversation is None:
        raise ChatError("not_found", "No such conversation.")
    if not _may_follow_up(conversation, operator):
        raise ChatError("not_assigned", "This chat is not assigned to you.")
    existing = Note.objects.filter(conversation=conversation, client_id=client_id).first()
    if existing is not None:
        return note_payload(existing), False
    note = Note.objects.create(
        conversation=conversation,
        author_user_id=operator.id,
        author_name=operator.name,
        body=text,
        client_id=client_id,
    )
    payload = note_payload(note)
    audience = {operator.id}
    if conversation.operator_id:
        audience.add(conversation.operator_id)
    for user_id in audience:
        send_on_commit(
            groups.operator_group(council.id, user_id), {"type": "operator.note", "note": payload}
        )
    return payload, True


def _followup_note(note: Any) -> str:
    """What an operator wrote when marking a follow-up done: optional, at most a message long."""
    text = note.strip() if isinstance(note, str) else ""
    if len(text) > settings.MESSAGE_MAX_CHARS:
        raise ChatError(
            "body_too_long", f"A note can be at most {settings.MESSAGE_MAX_CHARS} characters."
        )
    return text


@transaction.atomic
def enquiry_mark_handled(
    *, council: CouncilRef, enquiry_id: UUID, operator: OperatorRef, note: Any
) -> None:
    """An operator followed up an out-of-hours enquiry; every console drops it from its list."""
    from chat.models import Enquiry

    text = _followup_note(note)
    enquiry = Enquiry.objects.select_for_update().filter(id=enquiry_id).first()
    if enquiry is None:
        raise ChatError("not_found", "No such enquiry.")
    if enquiry.handled_at is not None:
        raise ChatError("already_handled", "Someone has already marked this handled.")
    enquiry.handled_at = timezone.now()
    enquiry.handled_by_id = operator.id
    enquiry.handled_note = text
    enquiry.save(update_fields=["handled_at", "handled_by", "handled_note"])
    _announce_followup_handled(council, "enquiry", enquiry.id, operator)


@transaction.atomic
def missed_mark_handled(
    *, council: CouncilRef, conversation_id: UUID, operator: OperatorRef, note: Any
) -> None:
    """An operator followed up a missed chat: it ends, recorded as theirs and resolved, and
    their note (if any) is kept as an internal note. The visitor is long gone, so nothing is
    added to the transcript; a still-open widget hears the status change."""
    from chat.models import Note

    text = _followup_note(note)
    conversation = Conversation.objects.select_for_update().filter(id=conversation_id).first()
    if conversation is None:
        raise ChatError("not_found", "No such conversation.")
    if conversation.status != Conversation.Status.MISSED:
        raise ChatError("already_handled", "This chat no longer needs a follow-up.")
    conversation.status = Conversation.Status.ENDED
    conversation.ended_at = timezone.now()
    conversation.ended_by = Conversation.EndedBy.OPERATOR
    conversation.outcome = Conversation.Outcome.RESOLVED
    conversation.operator_id = operator.id
    conversation.save(update_fields=["status", "ended_at", "ended_by", "outcome", "operator"])
    if text:
        Note.objects.create(
            conversation=conversation,
            author_user_id=operator.id,
            author_name=operator.name,
            body=text,
        )
    announce_status_on_commit(council, conversation, operator.name)
    _announce_followup_handled(council, "missed", conversation.id, operator)


def _announce_followup_handled(
    council: CouncilRef, kind: str, item_id: UUID, operator: OperatorRef
) -> None:
    send_on_commit(
        groups.queue_group(council.id),
        {"type": "followup.handled", "kind": kind, "id": str(item_id), "by": operator.name},
    )
