"""Legal holds: a conversation kept past its retention date (and from erasure) until the
hold is released. Placing and releasing are audited."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from privacy import audit
from privacy.models import LegalHold


@transaction.atomic
def legal_hold_place(*, conversation_ids: Iterable[UUID], reason: str, actor: audit.Actor) -> int:
    """Hold these conversations (those already held are left as they are). Returns how many
    new holds were placed."""
    placed = 0
    reason = (reason or "").strip()[:200] or "Legal hold"
    for conversation_id in conversation_ids:
        if LegalHold.objects.filter(
            conversation_id=conversation_id, released_at__isnull=True
        ).exists():
            continue
        LegalHold.objects.create(
            conversation_id=conversation_id, reason=reason, placed_by_name=actor.name[:150]
        )
        audit.record(
            actor=actor,
            action=audit.Action.LEGAL_HOLD_PLACED,
            object_type="conversation",
            object_id=conversation_id,
        )
        placed += 1
    return placed


@transaction.atomic
def legal_hold_release(*, conversation_ids: Iterable[UUID], actor: audit.Actor) -> int:
    """Release the active holds on these conversations. Returns how many were released."""
    released = 0
    for hold in LegalHold.objects.select_for_update().filter(
        conversation_id__in=list(conversation_ids), released_at__isnull=True
    ):
        hold.released_at = timezone.now()
        hold.released_by_name = actor.name[:150]
        hold.save(update_fields=["released_at", "released_by_name"])
        audit.record(
            actor=actor,
            action=audit.Action.LEGAL_HOLD_RELEASED,
            object_type="conversation",
            object_id=hold.conversation_id,
        )
        released += 1
    return released


def retention_change_record(
    *, actor: audit.Actor, object_type: str, object_id: object, changes: dict[str, list]
) -> None:
    """Audit a change to the retention schedule: which fields, from what to what (months)."""
    if changes:
        audit.record(
            actor=actor,
            action=audit.Action.RETENTION_CHANGED,
            object_type=object_type,
            object_id=object_id,
            detail={"changes": changes},
        )
