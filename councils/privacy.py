"""The partnership routing log's personal data, for privacy.registry.

`public.councils_routingdecision` says why a partnership chat went to a council: the rule,
the service, the postcode district (`DT1`, never the full postcode) and the path of the
page the chat started on. The path is the one thing a resident can put there (a council's
site may carry a name or a reference in it), so it follows the chat: it is in the subject
access export of the chat, blanked when the chat is erased or anonymised by retention.
The rest of the row (rule, kind, service, district, times) stays: managers' statistics.

The table is in the public schema, shared by the partnership's councils; every statement
here names the current council, so one council's request touches its own chats' rows only.
"""

from __future__ import annotations

from uuid import UUID

from django.db import connection

from councils.models import Council, RoutingDecision
from privacy.registry import Found, Provider, RetentionOutcome, RetentionPlan, Subject, register

CATEGORY = "partnership routing"


def _council_id() -> int | None:
    """The council whose schema is current (the providers run inside it)."""
    return (
        Council.objects.filter(schema_name=connection.schema_name)
        .values_list("id", flat=True)
        .first()
    )


def _decisions(conversation_ids: set[UUID]):
    return RoutingDecision.objects.filter(
        council_id=_council_id(), conversation_id__in=conversation_ids
    )


def find(subject: Subject, conversation_ids: set[UUID]) -> Found:
    records = [
        {
            "conversation": str(d.conversation_id),
            "why": d.label,
            "postcode_district": d.postcode_district,
            "page_path": d.page_path,
            "at": d.created_at.isoformat(),
        }
        for d in _decisions(conversation_ids).order_by("created_at")
    ]
    return Found(records={CATEGORY: records})


def erase(subject: Subject, conversation_ids: set[UUID], dry_run: bool) -> dict[str, int]:
    from privacy.models import LegalHold

    held = set(
        LegalHold.objects.filter(
            conversation_id__in=conversation_ids, released_at__isnull=True
        ).values_list("conversation_id", flat=True)
    )
    rows = _decisions(set(conversation_ids) - held).exclude(page_path="")
    count = rows.count()
    if not dry_run and count:
        rows.update(page_path="")
    return {CATEGORY: count}


# Rows of this council's chats already anonymised (by retention or erasure), or that chat's
# provider anonymises in this run ({due}: it runs after this one, in INSTALLED_APPS order).
_DUE = """
SELECT d.id FROM public.councils_routingdecision AS d
 WHERE d.council_id = %s AND d.page_path <> ''
   AND (d.conversation_id::text IN
          (SELECT object_id FROM privacy_redaction WHERE kind = 'conversation')
        OR d.conversation_id IN ({due}))
"""


def expire(plan: RetentionPlan, dry_run: bool, batch_size: int) -> RetentionOutcome:
    """Blank the page path of chats whose personal data retention removes."""
    from chat.privacy import due_conversations_sql

    council_id = _council_id()
    if council_id is None:
        return RetentionOutcome(counts={CATEGORY: 0})
    ids: set[int] = set()
    with connection.cursor() as cursor:
        for sql, params in due_conversations_sql(plan):
            # `sql` is chat's fixed statement; values travel as parameters.
            cursor.execute(_DUE.format(due=sql), [council_id, *params])
            ids |= {row[0] for row in cursor.fetchall()}
    if not dry_run and ids:
        RoutingDecision.objects.filter(id__in=ids).update(page_path="")
    return RetentionOutcome(counts={CATEGORY: len(ids)}, batches=0 if dry_run else 1)


register(
    Provider(
        key="councils",
        categories={CATEGORY: "Why a partnership chat went to this council: the page's path"},
        find=find,
        erase=erase,
        expire=expire,
    )
)
