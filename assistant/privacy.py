"""The assistant's personal data, for privacy.registry: the question a resident typed, kept
with each of the assistant's turns (`Turn.question`) for its reports ("top unanswered").

A turn belongs to a conversation, so it is found, exported and erased with that
conversation (the union every provider receives), and follows the chat's retention: once
chat's provider has anonymised a conversation (it runs first), its turns' questions are
blanked. The rest of a turn (kind, answer key, score, helpful, times) is statistics and
stays. Conversations under an active legal hold are left, as chat leaves them.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import connection

from assistant.models import Turn
from privacy.registry import Found, Provider, RetentionOutcome, RetentionPlan, Subject, register

CATEGORY = "assistant questions"

# Turns still holding a question whose conversation chat's retention has anonymised.
_REDACTED = """
SELECT t.id FROM assistant_turn AS t
 WHERE t.question <> ''
   AND EXISTS (SELECT 1 FROM privacy_redaction AS r
                WHERE r.kind = 'conversation' AND r.object_id = t.conversation_id::text)
"""


def _held(conversation_ids: set[UUID]) -> set[UUID]:
    from privacy.models import LegalHold

    return set(
        LegalHold.objects.filter(
            conversation_id__in=conversation_ids, released_at__isnull=True
        ).values_list("conversation_id", flat=True)
    )


def find(subject: Subject, conversation_ids: set[UUID]) -> Found:
    turns = Turn.objects.filter(conversation_id__in=conversation_ids).order_by(
        "conversation_id", "created_at"
    )
    records: list[dict[str, Any]] = [
        {
            "conversation": str(t.conversation_id),
            "seq": t.seq,
            "kind": t.kind,
            "question": t.question,
            "language": t.language,
            "answer_key": t.answer_key,
            "helpful": t.helpful,
            "at": t.created_at.isoformat(),
        }
        for t in turns
    ]
    return Found(records={CATEGORY: records})


def erase(subject: Subject, conversation_ids: set[UUID], dry_run: bool) -> dict[str, int]:
    ids = set(conversation_ids) - _held(conversation_ids)
    turns = Turn.objects.filter(conversation_id__in=ids).exclude(question="")
    count = turns.count()
    if not dry_run:
        turns.update(question="")
    return {CATEGORY: count}


def expire(plan: RetentionPlan, dry_run: bool, batch_size: int) -> RetentionOutcome:
    """Blank the questions of turns whose conversation is anonymised; in a dry run, count
    those of conversations chat's provider would anonymise now, too."""
    if dry_run:
        from chat.privacy import due_conversations_sql

        count = 0
        for sql, params in due_conversations_sql(plan):
            with connection.cursor() as cursor:
                cursor.execute(
                    # `sql` is chat's fixed statement; values travel as parameters.
                    "SELECT count(*) FROM assistant_turn WHERE question <> ''"  # noqa: S608
                    f" AND conversation_id IN ({sql})",
                    params,
                )
                count += cursor.fetchone()[0]
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM ({_REDACTED}) AS due")  # noqa: S608
            count += cursor.fetchone()[0]
        return RetentionOutcome(counts={CATEGORY: count})
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE assistant_turn SET question = '' WHERE id IN ({_REDACTED})"  # noqa: S608
        )
        count = cursor.rowcount
    return RetentionOutcome(counts={CATEGORY: count}, batches=1)


register(
    Provider(
        key="assistant",
        categories={CATEGORY: "What residents asked the council's assistant"},
        find=find,
        erase=erase,
        expire=expire,
    )
)
