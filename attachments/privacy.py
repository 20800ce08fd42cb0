"""The attachments app's personal data, for privacy.registry: photos and PDFs sent in web
chats (the files, their names, sizes and times).

They belong to their conversation: a subject access export includes each file (under
attachments/ in the zip) with its record; erasure deletes the rows and files of the
subject's conversations (those under legal hold stay); retention deletes them when the
chat's personal data is anonymised (chat's provider runs first and records the redaction;
a chat redacted since the last run is caught on this run or the next). Nothing is kept:
an attachment has no statistics worth keeping, and its message row keeps its seq and time.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q

from attachments.models import Attachment
from chat.privacy import _DUE_CONVERSATIONS  # the one definition of a chat due for retention
from privacy.registry import (
    Found,
    Provider,
    RetentionOutcome,
    RetentionPlan,
    Subject,
    department_filter,
    register,
)

_REDACTED = (
    "SELECT a.id FROM attachments_attachment AS a WHERE a.conversation_id::text IN"
    " (SELECT object_id FROM privacy_redaction WHERE kind = 'conversation')"
)


def _record(a: Attachment) -> dict[str, Any]:
    return {
        "id": str(a.id),
        "conversation": str(a.conversation_id),
        "sent_by": a.author,
        "name": a.name,
        "content_type": a.content_type,
        "size": a.size,
        "sent_at": a.created_at.isoformat(),
        "file": f"attachments/{a.id}-{a.name}",
    }


def find(subject: Subject, conversation_ids: set[UUID]) -> Found:
    attachments = list(
        Attachment.objects.filter(conversation_id__in=conversation_ids).order_by("created_at")
    )
    records = [_record(a) for a in attachments]
    return Found(
        records={"attachments": records},
        object_ids={str(a.id) for a in attachments},
        files={r["file"]: a.file.name for r, a in zip(records, attachments, strict=True)},
    )


def delete_unsafe(attachments: list[Attachment]) -> int:
    """Delete these rows now and their files once the transaction commits.

    Precondition: in the council's schema, inside a transaction."""
    names = [a.file.name for a in attachments if a.file]
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()

    def delete_files() -> None:
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete_files)
    return len(attachments)


def erase(subject: Subject, conversation_ids: set[UUID], dry_run: bool) -> dict[str, int]:
    from privacy.models import LegalHold

    held = set(
        LegalHold.objects.filter(
            conversation_id__in=conversation_ids, released_at__isnull=True
        ).values_list("conversation_id", flat=True)
    )
    attachments = list(Attachment.objects.filter(conversation_id__in=set(conversation_ids) - held))
    if not dry_run:
        delete_unsafe(attachments)
    return {"attachments": len(attachments)}


def expire(plan: RetentionPlan, dry_run: bool, batch_size: int) -> RetentionOutcome:
    """Attachments of conversations whose personal data retention has anonymised (chat's
    provider ran first); a dry run counts those of the conversations it would anonymise."""
    if dry_run:
        due_chats: set[UUID] = set()
        for cutoff, only, excluding in plan.cutoffs["transcripts"].groups():
            condition, params = department_filter("c.department_id", only, excluding)
            with connection.cursor() as cursor:
                cursor.execute(_DUE_CONVERSATIONS.format(departments=condition), [cutoff, *params])
                due_chats |= {row[0] for row in cursor.fetchall()}
        count = Attachment.objects.filter(
            Q(conversation_id__in=due_chats) | Q(id__in=_raw_ids())
        ).count()
        return RetentionOutcome(counts={"attachments": count})
    due = list(Attachment.objects.filter(id__in=_raw_ids()).order_by("pk"))
    outcome = RetentionOutcome(counts={"attachments": len(due)})
    for start in range(0, len(due), batch_size):
        with transaction.atomic():
            delete_unsafe(due[start : start + batch_size])
        outcome.batches += 1
    return outcome


def _raw_ids() -> list[UUID]:
    return [row.id for row in Attachment.objects.raw(_REDACTED)]


register(
    Provider(
        key="attachments",
        categories={"attachments": "Photos and PDF documents sent in web chats"},
        find=find,
        erase=erase,
        expire=expire,
    )
)
