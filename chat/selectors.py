"""Reads of chats. Call inside the council's schema; results are evaluated (lists, dicts,
dataclasses), never lazy QuerySets, because a QuerySet evaluated later runs in whatever
schema is current then (django-tenants #164)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection
from django.db.models import F, OuterRef, Q, Subquery

from chat import channel_hooks
from chat.labels import prechat_answers
from chat.models import (
    OPERATOR_OUTCOMES,
    CannedResponse,
    Conversation,
    ConversationTransfer,
    Enquiry,
    Message,
    Note,
    Tag,
)
from chat.payloads import (
    conversation_payload,
    enquiry_payload,
    iso_utc,
    message_payload,
    operator_display_name,
)
from councils.models import Council
from routing.capacity import load_of, operator_loads
from routing.models import ConsoleSocket, OperatorPresence, socket_live_since
from routing.selectors import department_list
from widgets.models import PrechatField


@dataclass(frozen=True)
class VisitorView:
    """What a visitor's socket needs to know about its conversation."""

    id: UUID
    status: str
    last_seq: int
    operator: str | None


def _with_relations(qs):
    first_body = Message.objects.filter(conversation=OuterRef("pk"), seq=1).values("body")[:1]
    return qs.select_related("visitor", "department", "operator__presence").annotate(
        preview=Subquery(first_body)
    )


def _summaries(qs) -> list[dict[str, Any]]:
    rows = []
    questions = None
    for c in _with_relations(qs):
        row = conversation_payload(c, preview=c.preview or "")
        # Console additions (issue 5): how far the visitor has read, and who to follow up.
        row["visitor_read_seq"] = c.visitor_read_seq
        row["visitor_email"] = c.visitor.email
        if c.prechat:  # what staff read: the questions' labels, not keys (issue 15)
            if questions is None:
                questions = list(PrechatField.objects.all())
            row["answers"] = prechat_answers(c.prechat, questions)
        rows.append(row)
    # Chats on other channels (Messenger, WhatsApp) carry that channel's fields too.
    channel_hooks.extend_summaries(rows)
    return rows


def conversation_summary(conversation_id: UUID) -> dict[str, Any] | None:
    rows = _summaries(Conversation.objects.filter(id=conversation_id))
    return rows[0] if rows else None


def queue_list() -> list[dict[str, Any]]:
    """Queued chats in the order operators should take them (requeued first, then oldest)."""
    rows = _summaries(
        Conversation.objects.filter(status=Conversation.Status.QUEUED).order_by(
            "-priority", "queued_at"
        )
    )
    for position, row in enumerate(rows, start=1):
        row["queue_position"] = position
    return rows


def active_list_for_operator(user_id: int) -> list[dict[str, Any]]:
    return _summaries(
        Conversation.objects.filter(
            status=Conversation.Status.ACTIVE, operator_id=user_id
        ).order_by("accepted_at")
    )


# One statement for everything a visitor's socket needs when it opens: the chat, its
# operator's name and, when the socket says what it has already shown (`after_seq`), the
# messages after that. Every reconnect runs it on the one ORM thread (bench B2).
_VISITOR_VIEW_SQL = """
SELECT c.id, c.status, c.last_seq, u.username, u.first_name, p.display_name, c.language,
       m.seq, m.author, m.author_name, m.body, m.client_id, m.created_at, m.extra,
       m.code, m.params
  FROM {conversation} AS c
  LEFT JOIN {user} AS u ON u.id = c.operator_id
  LEFT JOIN {presence} AS p ON p.user_id = u.id
  LEFT JOIN {message} AS m
         ON %(replay)s AND m.conversation_id = c.id AND m.seq > %(after_seq)s
 WHERE c.id = %(conversation_id)s
 ORDER BY m.seq
"""


def visitor_view_with_messages(
    conversation_id: UUID, after_seq: int | None
) -> tuple[VisitorView | None, list[dict[str, Any]]]:
    """The chat as its visitor sees it and, unless `after_seq` is None, every message after
    it in order; (None, []) when there is no such chat. One snapshot, one statement."""
    user_model = get_user_model()
    sql = _VISITOR_VIEW_SQL.format(
        conversation=Conversation._meta.db_table,
        user=user_model._meta.db_table,
        message=Message._meta.db_table,
        presence=OperatorPresence._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "conversation_id": conversation_id,
                "replay": after_seq is not None,
                "after_seq": after_seq or 0,
            },
        )
        rows = cursor.fetchall()
    if not rows:
        return None, []
    cid, status, last_seq, username, first_name, display_name, language = rows[0][:7]
    operator = None
    if username is not None:
        operator = operator_display_name(
            user_model(username=username, first_name=first_name), display_name or ""
        )
    extra_field = Message._meta.get_field("extra")
    params_field = Message._meta.get_field("params")
    messages = [
        message_payload(
            Message(
                conversation_id=cid,
                seq=seq,
                author=author,
                author_name=author_name,
                body=body,
                client_id=client_id,
                created_at=created_at,
                extra=extra_field.from_db_value(extra, None, connection),
                code=code,
                params=params_field.from_db_value(params, None, connection),
            ),
            language,
        )
        for *_view, seq, author, author_name, body, client_id, created_at, extra, code, params in (
            rows
        )
        if seq is not None
    ]
    view = VisitorView(id=cid, status=status, last_seq=last_seq, operator=operator)
    return view, messages


def visitor_view(conversation_id: UUID) -> VisitorView | None:
    return visitor_view_with_messages(conversation_id, None)[0]


def operator_may_read(conversation_id: UUID, user_id: int) -> bool:
    """Operators read the transcripts of chats assigned to them (active or ended)."""
    return Conversation.objects.filter(id=conversation_id, operator_id=user_id).exists()


def message_list_after(conversation_id: UUID, after_seq: int) -> list[dict[str, Any]]:
    """Messages after `after_seq`, system lines in the chat's language."""
    return [
        message_payload(m, m.chat_language)
        for m in Message.objects.filter(conversation_id=conversation_id, seq__gt=after_seq)
        .annotate(chat_language=F("conversation__language"))
        .order_by("seq")
    ]


def message_list_after_with_last_seq(
    conversation_id: UUID, after_seq: int
) -> tuple[list[dict[str, Any]], int]:
    """Messages after `after_seq` and the conversation's last seq (0 if there is no such
    conversation), read in one statement, so they always agree."""
    view, messages = visitor_view_with_messages(conversation_id, after_seq)
    return messages, (view.last_seq if view else 0)


def console_context(user_id: int, council) -> dict[str, Any]:
    """What an operator's console needs on (re)connect, read in one go."""
    fellow_members = []
    if council.partnership_id:
        fellow_members = [
            {"slug": slug, "name": name}
            for slug, name in Council.objects.filter(partnership_id=council.partnership_id)
            .exclude(pk=council.id)
            .order_by("name")
            .values_list("slug", "name")
        ]
    return {
        "queue": queue_list(),
        "active": active_list_for_operator(user_id),
        "presence": load_of(user_id).payload(),
        "operators": operator_loads(),
        "departments": [{"slug": d.slug, "name": d.name} for d in department_list()],
        "councils": fellow_members,
        "canned": canned_list(),
        "followups": followup_list(),
        "outcomes": [
            {"value": value, "label": str(label)}
            for value, label in Conversation.Outcome.choices
            if value in OPERATOR_OUTCOMES
        ],
        "tags": tag_list(),  # issue 15, point 8
    }


# ---- Console additions (issue 5) -------------------------------------------------------

EARLIER_LIMIT = 10
FOLLOWUP_LIMIT = 100


def note_payload(note: Note) -> dict[str, Any]:
    return {
        "id": note.id,
        "conversation": str(note.conversation_id),
        "client_id": note.client_id,
        "author": note.author_name,
        "body": note.body,
        "created_at": iso_utc(note.created_at),
    }


def note_list(conversation_id: UUID) -> list[dict[str, Any]]:
    return [
        note_payload(n)
        for n in Note.objects.filter(conversation_id=conversation_id).order_by("created_at", "id")
    ]


def operator_may_follow_up(conversation_id: UUID, user_id: int) -> bool:
    """Operators see the context and notes of their own chats, and of missed chats (anyone
    may follow those up)."""
    return Conversation.objects.filter(
        Q(operator_id=user_id) | Q(status=Conversation.Status.MISSED), id=conversation_id
    ).exists()


def earlier_conversations(conversation_id: UUID) -> tuple[str, list[dict[str, Any]]]:
    """The visitor's email and their other chats with this council (newest first).

    Precondition: in the council's schema, which is what keeps this to one council: the
    same email at another council is another council's business.
    """
    conv = Conversation.objects.select_related("visitor").filter(id=conversation_id).first()
    if conv is None or not conv.visitor.email:
        return "", []
    first_body = Message.objects.filter(conversation=OuterRef("pk"), seq=1).values("body")[:1]
    earlier = (
        Conversation.objects.filter(visitor__email__iexact=conv.visitor.email)
        .exclude(id=conv.id)
        .select_related("department", "operator__presence")
        .annotate(preview=Subquery(first_body))
        .order_by("-created_at")[:EARLIER_LIMIT]
    )
    return conv.visitor.email, [
        {
            "id": str(c.id),
            "created_at": iso_utc(c.created_at),
            "status": c.status,
            "outcome": c.outcome,
            "outcome_label": c.get_outcome_display() if c.outcome else "",
            "department_name": c.department.name if c.department else None,
            "operator": operator_display_name(c.operator) if c.operator else None,
            "preview": c.preview or "",
        }
        for c in earlier
    ]


def conversation_context(conversation_id: UUID) -> dict[str, Any]:
    """What the console shows beside a chat: earlier chats and the internal notes."""
    email, earlier = earlier_conversations(conversation_id)
    return {
        "visitor_email": email,
        "earlier": earlier,
        "notes": note_list(conversation_id),
        "tags": conversation_tags(conversation_id),  # issue 15, point 8
    }


def canned_list() -> list[dict[str, Any]]:
    """Every canned response; the console offers those of the chat's department and the
    council-wide ones (department null)."""
    return [
        {
            "shortcut": c.shortcut,
            "title": c.title,
            "body": c.body,
            "department": c.department.slug if c.department else None,
            "language": c.language,
        }
        for c in CannedResponse.objects.select_related("department").order_by(
            "shortcut", "department__slug", "language"
        )
    ]


def followup_list() -> dict[str, list[dict[str, Any]]]:
    """What needs a follow-up: unhandled out-of-hours enquiries and missed chats, oldest first."""
    enquiries = [
        enquiry_payload(e)
        for e in Enquiry.objects.filter(handled_at__isnull=True)
        .select_related("department")
        .order_by("created_at")[:FOLLOWUP_LIMIT]
    ]
    missed_ids = list(
        Conversation.objects.filter(status=Conversation.Status.MISSED)
        .order_by("queued_at")
        .values_list("id", flat=True)[:FOLLOWUP_LIMIT]
    )
    missed = _summaries(Conversation.objects.filter(id__in=missed_ids).order_by("queued_at"))
    return {"enquiries": enquiries, "missed": missed}


def prechat_email(prechat: dict[str, Any] | None) -> str:
    """The visitor's email from their pre-chat answers: the first answer to one of the
    council's email questions (widgets.PrechatField, kind email) that is a valid address.

    Precondition: in the council's schema (the questions are the council's own).
    """
    if not prechat:
        return ""
    keys = PrechatField.objects.filter(kind=PrechatField.Kind.EMAIL).values_list("key", flat=True)
    for key in keys:
        value = prechat.get(key)
        if isinstance(value, str) and value.strip():
            try:
                validate_email(value.strip())
            except ValidationError:
                continue
            return value.strip()[:254]
    return ""


def has_contact_details(conversation: Conversation) -> bool:
    """Whether the council has a way to reach the resident after a missed chat: an email or
    phone answer before the chat, or the social channel they wrote from."""
    if conversation.channel != Conversation.Channel.WEB:
        return True
    if prechat_email(conversation.prechat):
        return True
    phones = PrechatField.objects.filter(kind=PrechatField.Kind.PHONE).values_list("key", flat=True)
    prechat = conversation.prechat or {}
    return any(isinstance(prechat.get(key), str) and prechat[key].strip() for key in phones)


@dataclass(frozen=True)
class VisitorPresenceView:
    """What a (re)connecting widget is told beyond its hello (issue 15)."""

    operator_present: bool | None  # None: no operator has the chat
    follow_up: bool | None  # None: the chat is not missed


def visitor_opening(
    conversation_id: UUID, after_seq: int | None
) -> tuple[VisitorView | None, list[dict[str, Any]], VisitorPresenceView]:
    """What a widget socket reads as it opens (the chat, the replay, the adviser's presence)
    in one trip to the consumers' one ORM thread instead of two (bench B2)."""
    view, replay = visitor_view_with_messages(conversation_id, after_seq)
    if view is None:
        return None, [], VisitorPresenceView(None, None)
    return view, replay, visitor_presence_view(conversation_id)


def visitor_presence_view(conversation_id: UUID) -> VisitorPresenceView:
    conversation = Conversation.objects.filter(id=conversation_id).first()
    if conversation is None:
        return VisitorPresenceView(None, None)
    present = None
    if conversation.status == Conversation.Status.ACTIVE and conversation.operator_id:
        present = ConsoleSocket.objects.filter(
            user_id=conversation.operator_id, beat_at__gte=socket_live_since()
        ).exists()
    follow_up = None
    if conversation.status == Conversation.Status.MISSED:
        follow_up = has_contact_details(conversation)
    return VisitorPresenceView(present, follow_up)


def transferred_to(conversation_id: UUID) -> int | None:
    """The council a chat left this council for, if it did. Call in the old council's schema."""
    record = (
        ConversationTransfer.objects.filter(conversation_id=conversation_id, direction="out")
        .order_by("-created_at")
        .first()
    )
    return record.other_council_id if record else None


def conversation_language(conversation_id: UUID) -> str:
    """The language the resident chats in ("en" or "cy"; "en" for an unknown chat), for what
    the server names in the resident's words (a council's Welsh name). Call in its schema."""
    language = (
        Conversation.objects.filter(id=conversation_id).values_list("language", flat=True).first()
    )
    return language or "en"


def transcript_status(conversation_id: UUID) -> str:
    """Where the chat's latest transcript request stands: `pending` (recorded in the outbox,
    not sent yet, retried while it fails), `sent`, `failed` (the outbox gave up) or `none`
    (never asked for). Call in the council's schema."""
    from outbox.models import OutboxItem

    latest = (
        # chat.actions.emails.TRANSCRIPT (reads do not import actions: test_architecture)
        OutboxItem.objects.filter(kind="transcript_email", ref=str(conversation_id))
        .order_by("-created_at", "-id")
        .values_list("sent_at", "given_up_at")
        .first()
    )
    if latest is None:
        # Sent items are pruned after OUTBOX_KEEP_SENT_DAYS; the chat remembers the send.
        sent = Conversation.objects.filter(
            id=conversation_id, transcript_sent_at__isnull=False
        ).exists()
        return "sent" if sent else "none"
    sent_at, given_up_at = latest
    return "sent" if sent_at else "failed" if given_up_at else "pending"


# ---- Tags on conversations (issue 15, point 8) -------------------------------------------


def tag_list() -> list[dict[str, str]]:
    """The council's tags, in the admin's order: what the console offers."""
    return [{"slug": slug, "name": name} for slug, name in Tag.objects.values_list("slug", "name")]


def conversation_tags(conversation_id: UUID) -> list[dict[str, str]]:
    """The tags on one conversation, in the council's order."""
    return [
        {"slug": slug, "name": name}
        for slug, name in Tag.objects.filter(conversations=conversation_id).values_list(
            "slug", "name"
        )
    ]
