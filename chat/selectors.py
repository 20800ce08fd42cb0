"""Reads of chats. Call inside the council's schema; results are evaluated (lists, dicts,
dataclasses), never lazy QuerySets, because a QuerySet evaluated later runs in whatever
schema is current then (django-tenants #164)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import OuterRef, Subquery

from chat.models import Conversation, Message
from chat.payloads import conversation_payload, message_payload, operator_display_name


@dataclass(frozen=True)
class VisitorView:
    """What a visitor's socket needs to know about its conversation."""

    id: UUID
    status: str
    last_seq: int
    operator: str | None


def _with_relations(qs):
    first_body = Message.objects.filter(conversation=OuterRef("pk"), seq=1).values("body")[:1]
    return qs.select_related("visitor", "department", "operator").annotate(
        preview=Subquery(first_body)
    )


def _summaries(qs) -> list[dict[str, Any]]:
    return [conversation_payload(c, preview=c.preview or "") for c in _with_relations(qs)]


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


def visitor_view(conversation_id: UUID) -> VisitorView | None:
    conv = (
        Conversation.objects.select_related("operator")
        .filter(id=conversation_id)
        .only(
            "id",
            "status",
            "last_seq",
            "operator__username",
            "operator__first_name",
            "operator__last_name",
        )
        .first()
    )
    if conv is None:
        return None
    operator = operator_display_name(conv.operator) if conv.operator else None
    return VisitorView(id=conv.id, status=conv.status, last_seq=conv.last_seq, operator=operator)


def operator_may_read(conversation_id: UUID, user_id: int) -> bool:
    """Operators read the transcripts of chats assigned to them (active or ended)."""
    return Conversation.objects.filter(id=conversation_id, operator_id=user_id).exists()


def message_list_after(conversation_id: UUID, after_seq: int) -> list[dict[str, Any]]:
    return [
        message_payload(m)
        for m in Message.objects.filter(
            conversation_id=conversation_id, seq__gt=after_seq
        ).order_by("seq")
    ]


def message_list_after_with_last_seq(
    conversation_id: UUID, after_seq: int
) -> tuple[list[dict[str, Any]], int]:
    """Messages after `after_seq` and the conversation's last seq, read in one transaction."""
    with transaction.atomic():
        messages = message_list_after(conversation_id, after_seq)
        last_seq = (
            Conversation.objects.filter(id=conversation_id)
            .values_list("last_seq", flat=True)
            .first()
        )
    return messages, last_seq or 0


def console_context(user_id: int, council) -> dict[str, Any]:
    """What an operator's console needs on (re)connect, read in one go."""
    from councils.models import Council
    from routing.capacity import load_of, operator_loads
    from routing.selectors import department_list

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
    }
