"""The outbox's personal data, for privacy.registry: what a queued send carries
(`OutboxItem.payload`: a transcript's address today; any handler's text and addresses
tomorrow).

An item is the subject's when it is about one of their conversations (`ref`), or when its
payload holds their email address, their phone number (its digits, in either national or
international form) or their name as a whole value. Erasure empties the payload (a send not
made yet is given up: nobody may be sent the erased person's data); the row stays, with its
kind, times and attempts, for the outbox's counts. Retention empties the payload of every
item about a conversation or enquiry already anonymised (so an item about a chat follows
that chat: its department's date, its legal hold), and of every other item finished (sent
or given up) before the transcripts' date. Erasure leaves chats under legal hold too.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import Func, Q, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone

from outbox.models import OutboxItem
from privacy.registry import Found, Provider, RetentionOutcome, RetentionPlan, Subject, register

CATEGORY = "outbox items"
ERASED = "Erased"  # last_error of a send given up because its subject was erased


def _items(subject: Subject, conversation_ids: set[UUID]):
    match = Q(ref__in=[str(c) for c in conversation_ids])
    if subject.email.strip():
        match |= Q(payload_text__icontains=subject.email.strip())
    for digits in subject.phone_digits:
        match |= Q(payload_digits__contains=digits)
    if subject.name.strip():
        # A whole JSON string value, so "Jo" does not find every "John".
        match |= Q(payload_text__icontains=f'"{subject.name.strip()}"')
    # The payload's text without the spaces, brackets, dots, dashes and plus signs that
    # people write in phone numbers.
    digits = Func(
        Cast("payload", TextField()),
        Value("[[:space:]()+.-]"),
        Value(""),
        Value("g"),
        function="regexp_replace",
        output_field=TextField(),
    )
    return OutboxItem.objects.annotate(
        payload_text=Cast("payload", TextField()), payload_digits=digits
    ).filter(match)


def _held(conversation_ids: set[UUID]) -> set[str]:
    from privacy.models import LegalHold

    return {
        str(c)
        for c in LegalHold.objects.filter(
            conversation_id__in=conversation_ids, released_at__isnull=True
        ).values_list("conversation_id", flat=True)
    }


def _state(item: OutboxItem) -> str:
    return "sent" if item.sent_at else "given up" if item.given_up_at else "pending"


def find(subject: Subject, conversation_ids: set[UUID]) -> Found:
    records: list[dict[str, Any]] = [
        {
            "kind": item.kind,
            "about": item.ref,
            "payload": item.payload,
            "state": _state(item),
            "created_at": item.created_at.isoformat(),
            "sent_at": item.sent_at.isoformat() if item.sent_at else None,
        }
        for item in _items(subject, conversation_ids).order_by("created_at", "id")
    ]
    return Found(records={CATEGORY: records})


def erase(subject: Subject, conversation_ids: set[UUID], dry_run: bool) -> dict[str, int]:
    items = _items(subject, conversation_ids).exclude(ref__in=_held(conversation_ids))
    ids = list(items.exclude(payload={}).values_list("id", flat=True))
    if not dry_run and ids:
        OutboxItem.objects.filter(id__in=ids).update(payload={})
        OutboxItem.objects.filter(
            id__in=ids, sent_at__isnull=True, given_up_at__isnull=True
        ).update(given_up_at=timezone.now(), last_error=ERASED)
    return {CATEGORY: len(ids)}


# Items with a payload about an anonymised conversation or enquiry, or about nothing in
# chat (no conversation of that id) and finished before the transcripts' date. An item about
# a conversation follows that conversation (its department's date, its legal hold).
_DUE = """
SELECT o.id FROM outbox_outboxitem AS o
 WHERE o.payload <> '{}'::jsonb
   AND (EXISTS (SELECT 1 FROM privacy_redaction AS r
                 WHERE r.kind IN ('conversation', 'enquiry') AND r.object_id = o.ref)
        OR (COALESCE(o.sent_at, o.given_up_at) < %s
            AND NOT EXISTS (SELECT 1 FROM chat_conversation AS c WHERE c.id::text = o.ref)))
"""


def expire(plan: RetentionPlan, dry_run: bool, batch_size: int) -> RetentionOutcome:
    cutoff = plan.cutoffs["transcripts"].default
    with connection.cursor() as cursor:
        if dry_run:
            from chat.privacy import due_conversations_sql

            count_sql = f"SELECT count(*) FROM ({_DUE}) AS due"  # noqa: S608 - fixed SQL
            cursor.execute(count_sql, [cutoff])
            count = cursor.fetchone()[0]
            for sql, params in due_conversations_sql(plan):
                cursor.execute(
                    # `sql` is chat's fixed statement; values travel as parameters.
                    "SELECT count(*) FROM outbox_outboxitem WHERE payload <> '{}'::jsonb"  # noqa: S608
                    f" AND id NOT IN ({_DUE}) AND ref IN (SELECT id::text FROM ({sql}) AS c)",
                    [cutoff, *params],
                )
                count += cursor.fetchone()[0]
            return RetentionOutcome(counts={CATEGORY: count})
        cursor.execute(
            f"UPDATE outbox_outboxitem SET payload = '{{}}'::jsonb WHERE id IN ({_DUE})",  # noqa: S608
            [cutoff],
        )
        count = cursor.rowcount
    return RetentionOutcome(counts={CATEGORY: count}, batches=1)


register(
    Provider(
        key="outbox",
        categories={CATEGORY: "Emails and other sends queued for residents: their addresses"},
        find=find,
        erase=erase,
        expire=expire,
    )
)
