"""Messages: the one function that stores a message of any kind, and what builds on it.

`message_store_unsafe` is the only code that inserts `Message` rows with a new seq (a
cross-council transfer copies rows it moves, seqs and all). Visitors, operators, the
council's assistant and the system all go through it, so every message gets its seq the
same way, the same columns are written, and the same announcement follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from chat import channel_hooks, frames, groups, system_messages
from chat.errors import ChatError
from chat.models import Conversation, Message
from chat.operators import OperatorRef
from chat.payloads import message_payload
from councils.sites import CouncilRef

# Chats that take no more messages (issue 15): answered with `conversation_closed`.
CLOSED = (Conversation.Status.ENDED, Conversation.Status.MISSED)


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


# Two statements per message (measured in bench B3, docs/performance.md): the seq bump takes
# the conversation's row lock and returns what the checks need, and the insert relies on
# message_client_id_unique to recognise a re-sent client_id. The ORM version took five
# (lock, idempotency read, visitor read, bump, insert). Table names are unqualified: the
# connection's search_path is the council's schema.
_MESSAGE_BUMP_SQL = """
UPDATE chat_conversation AS c
   SET last_seq = c.last_seq + 1,
       last_message_at = %(now)s,
       first_response_at = CASE WHEN %(by_operator)s AND c.first_response_at IS NULL
                                THEN %(now)s ELSE c.first_response_at END,
       first_reply_at = CASE WHEN %(by_operator)s AND c.first_reply_at IS NULL
                             THEN %(now)s ELSE c.first_reply_at END
 WHERE c.id = %(conversation_id)s
RETURNING c.last_seq, c.status, c.operator_id,
          (SELECT v.name FROM chat_visitor AS v WHERE v.id = c.visitor_id), c.channel,
          c.language
"""

# Every concrete column of Message but its id. tests/chat/test_messages.py fails when the
# model gains a column missing here, so no field is silently left to its database default.
_MESSAGE_INSERT_SQL = """
INSERT INTO chat_message
       (conversation_id, seq, author, author_user_id, author_name, body, client_id,
        created_at, extra, code, params)
VALUES (%(conversation_id)s, %(seq)s, %(author)s, %(author_user_id)s, %(author_name)s,
        %(body)s, %(client_id)s, %(created_at)s, %(extra)s, %(code)s, %(params)s)
ON CONFLICT (conversation_id, client_id) DO NOTHING
RETURNING id
"""
MESSAGE_INSERT_COLUMNS = (
    "conversation_id",
    "seq",
    "author",
    "author_user_id",
    "author_name",
    "body",
    "client_id",
    "created_at",
    "extra",
    "code",
    "params",
)
_INSERT_FIELDS = [Message._meta.get_field(column) for column in MESSAGE_INSERT_COLUMNS]


def _insert_params(message: Message) -> dict[str, Any]:
    """The row's values as the database takes them (JSON adapted, times aware)."""
    return {
        field.attname: field.get_db_prep_save(getattr(message, field.attname), connection)
        for field in _INSERT_FIELDS
    }


def _existing_message_unsafe(conversation_id: UUID, client_id: str) -> StoredMessage | None:
    existing = Message.objects.filter(conversation_id=conversation_id, client_id=client_id).first()
    return None if existing is None else StoredMessage(message_payload(existing), created=False)


def announce_message_on_commit(council: CouncilRef, payload: dict[str, Any]) -> None:
    """After commit, everyone in the chat (visitor's and operator's sockets) gets the message."""
    frames.send_frame_on_commit(
        groups.conversation_group(council.id, payload["conversation"]), frames.message(payload)
    )


def message_store_unsafe(
    council: CouncilRef,
    conversation_id: UUID,
    *,
    author: str,
    body: str,
    author_name: str | None = None,
    author_user_id: int | None = None,
    client_id: str | None = None,
    extra: dict[str, Any] | None = None,
    announce: bool = True,
    outbound: dict[str, Any] | None = None,
    code: str = "",
    params: dict[str, Any] | None = None,
) -> StoredMessage:
    """Store one message with the conversation's next seq and announce it after commit
    (`announce=False` only where nobody can be listening yet: a chat being started).

    The seq bump takes the conversation row lock first, so writers are serialised, seqs are
    gapless, and a re-sent client_id always finds the first copy (READ COMMITTED: each later
    statement sees what the previous lock holder committed).

    `body` is already cleaned (`clean_body`); `author_name` None means the visitor's name.
    `code` and `params`: a system line (chat/system_messages.py); `body` is then its English
    rendering, and the payload's `body` is rendered in the chat's language.
    Refused with ChatError: no such conversation; an operator's message in a chat that is not
    theirs; anything but a system message in an ended or missed chat, `conversation_closed`
    (unless it re-sends a stored client_id, answered with the stored copy): nothing stored.

    An operator's message in a chat on another channel (Messenger, WhatsApp) also passes
    that channel's hooks (chat.channel_hooks): they may refuse it (ChatError: nothing is
    stored) and record it for sending in this transaction; `outbound` carries the channel's
    options (a Messenger tag, a WhatsApp template).

    Precondition: inside an atomic block. When the message is not stored after all (a
    re-send), that innermost block is marked for rollback to undo the bump: callers that
    write more in the same transaction wrap this call in an atomic block of its own.
    """
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            _MESSAGE_BUMP_SQL,
            {
                "now": now,
                "by_operator": author == Message.Author.OPERATOR,
                "conversation_id": conversation_id,
            },
        )
        row = cursor.fetchone()
        if row is None:
            raise ChatError("not_found", "No such conversation.")
        seq, status, operator_id, visitor_name, channel, language = row
        if author == Message.Author.OPERATOR and operator_id != author_user_id:
            raise ChatError("not_assigned", "This chat is not assigned to you.")
        hooks = None
        if author == Message.Author.OPERATOR and channel != Conversation.Channel.WEB:
            hooks = channel_hooks.hooks_for(channel)
            if hooks is None:
                raise ChatError("channel_unavailable", "Replies on this channel are not set up.")
        elif outbound:
            raise ChatError("invalid_frame", "Tags and templates are for social chats only.")
        if author != Message.Author.SYSTEM and status in CLOSED:
            existing = _existing_message_unsafe(conversation_id, client_id) if client_id else None
            if existing is None:
                raise ChatError(
                    "conversation_closed",
                    "This chat has ended."
                    if status == Conversation.Status.ENDED
                    else "Nobody could answer this chat in time: it takes no more messages.",
                )
            transaction.set_rollback(True)  # undo the bump
            return existing
        extra = dict(extra or {})
        if hooks is not None:
            # A re-send is answered with the first copy before the channel is asked again.
            existing = _existing_message_unsafe(conversation_id, client_id) if client_id else None
            if existing is not None:
                transaction.set_rollback(True)  # undo the bump
                return existing
            extra.update(hooks.reply_prepare(conversation_id, outbound or {}))
        message = Message(
            conversation_id=conversation_id,
            seq=seq,
            author=author,
            author_user_id=author_user_id,
            author_name=visitor_name if author_name is None else author_name,
            body=body,
            client_id=client_id,
            created_at=now,
            extra=extra or {},
            code=code,
            params=params or {},
        )
        cursor.execute(_MESSAGE_INSERT_SQL, _insert_params(message))
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
            body=body,
            options=outbound or {},
        )
    payload = message_payload(message, language)
    if announce:
        announce_message_on_commit(council, payload)
    return StoredMessage(payload=payload, created=True)


def system_message_unsafe(
    council: CouncilRef,
    conversation: Conversation,
    code: str,
    params: dict[str, Any] | None = None,
    *,
    extra: dict[str, Any] | None = None,
) -> StoredMessage:
    """Add what the system says about a change (line `code` of chat/system_messages.py with
    its `params`, e.g. "joined", {"operator": "Sam Patel"}) and announce it. The row keeps the
    English text in `body`; every reader renders the line in its own language.

    A code that is not registered is a programming error (ValueError): every line a resident
    can read must exist in Welsh. Precondition: inside a transaction holding the
    conversation's row lock.
    """
    if not system_messages.is_registered(code):
        raise ValueError(f"No system line {code!r}: register it in chat/system_messages.py.")
    params = {key: value for key, value in (params or {}).items() if value not in (None, "")}
    stored = message_store_unsafe(
        council,
        conversation.id,
        author=Message.Author.SYSTEM,
        author_name="",
        body=system_messages.english(code, params),
        extra=extra,
        code=code,
        params=params,
    )
    conversation.last_seq = stored.seq
    return stored


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

    `outbound`: a social channel's options for an operator's reply (message_store_unsafe)."""
    text = clean_body(body)
    if operator is None:
        author, name, user_id = Message.Author.VISITOR, None, None
    else:
        author, name, user_id = Message.Author.OPERATOR, operator.name, operator.id
    return message_store_unsafe(
        council,
        conversation_id,
        author=author,
        body=text,
        author_name=name,
        author_user_id=user_id,
        client_id=client_id,
        extra=extra,
        outbound=outbound,
    )


@transaction.atomic
def bot_message_create(
    *,
    council: CouncilRef,
    conversation_id: UUID,
    body: Any,
    name: str,
    extra: dict[str, Any] | None = None,
    client_id: str | None = None,
) -> StoredMessage:
    """Store an answer of the council's assistant (`extra` carries its links, suggestions…).

    With a `client_id`, a retried answer is stored once.
    """
    return message_store_unsafe(
        council,
        conversation_id,
        author=Message.Author.BOT,
        body=clean_body(body),
        author_name=name,
        client_id=client_id,
        extra=extra,
    )


async def typing_relay(
    *, council: CouncilRef, conversation_id: UUID, active: bool, operator: OperatorRef | None
) -> None:
    """Tell the other side someone is typing: not stored, so there is no commit to wait for.

    Precondition: the caller has checked the sender may speak in this conversation.
    """
    if operator is None:
        frame = frames.typing_by_visitor(str(conversation_id), bool(active))
        event = frames.to_group(frame, to="operator")
    else:
        frame = frames.typing_by_operator(str(conversation_id), operator.name, bool(active))
        event = frames.to_group(frame, to="visitor")
    await get_channel_layer().group_send(
        groups.conversation_group(council.id, conversation_id), event
    )


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
        frames.send_frame_on_commit(
            groups.operator_group(council.id, row["operator_id"]),
            frames.read(str(conversation_id), read),
        )
    return read
