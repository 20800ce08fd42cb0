"""The chat app's personal data, for privacy.registry: transcripts and enquiries.

Transcripts (per conversation): message bodies, message attachments and provider ids
(`Message.extra`), system lines' params (the names in "Sam joined the chat."), internal
notes, pre-chat answers, the visitor's name and email, the page address, the rating comment
and the transcript address. Anonymising keeps the rows that statistics read: every message
row stays (seq, author, times) with an empty body (and a system line without its code and
params), so message counts, first-response and handle times do not change; notes are
deleted (no report counts them); the conversation keeps council, department, channel,
language, times, outcome, rating and tags (the council's labels, chat.Tag: no personal data;
listed in a subject access export, and gone with the conversation when it is deleted).

Enquiries: name, email, phone, message, page address, pre-chat answers and the follow-up
note are blanked; department, reason, language and times stay.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import connection

from chat.actions.redaction import anonymise_conversations_unsafe, anonymise_enquiries_unsafe
from chat.models import Conversation, Enquiry, Message, Note
from privacy.registry import (
    Found,
    Provider,
    RetentionOutcome,
    RetentionPlan,
    Subject,
    department_filter,
    register,
    run_batches,
)

# Conversations whose personal data is still there: ended (or missed) before the cutoff, not
# anonymised yet, not under an active legal hold. Live chats are never touched.
_DUE_CONVERSATIONS = """
SELECT c.id FROM chat_conversation AS c
 WHERE c.status IN ('ended', 'missed')
   AND COALESCE(c.ended_at, c.last_message_at, c.created_at) < %s
   AND {departments}
   AND NOT EXISTS (SELECT 1 FROM privacy_redaction AS r
                    WHERE r.kind = 'conversation' AND r.object_id = c.id::text)
   AND NOT EXISTS (SELECT 1 FROM privacy_legalhold AS h
                    WHERE h.conversation_id = c.id AND h.released_at IS NULL)
"""
_DUE_ENQUIRIES = """
SELECT e.id FROM chat_enquiry AS e
 WHERE e.created_at < %s
   AND {departments}
   AND NOT EXISTS (SELECT 1 FROM privacy_redaction AS r
                    WHERE r.kind = 'enquiry' AND r.object_id = e.id::text)
"""


def due_conversations_sql(plan: RetentionPlan) -> list[tuple[str, list[Any]]]:
    """(SQL selecting ids, params) of the conversations `expire` would anonymise now, one
    per department group: for other providers' dry runs (assistant, outbox)."""
    found = []
    for cutoff, only, excluding in plan.cutoffs["transcripts"].groups():
        condition, dept_params = department_filter("c.department_id", only, excluding)
        found.append((_DUE_CONVERSATIONS.format(departments=condition), [cutoff, *dept_params]))
    return found


def _select(sql: str, params: list[Any]) -> list[UUID]:
    """Every due id, once per run (no locks: each batch locks and re-checks its own)."""
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY 1", params)
        return [row[0] for row in cursor.fetchall()]


def _count(sql: str, params: list[Any]) -> int:
    with connection.cursor() as cursor:
        # `sql` is one of this module's fixed statements; values travel as parameters.
        cursor.execute(f"SELECT count(*) FROM ({sql}) AS due", params)  # noqa: S608
        return cursor.fetchone()[0]


# Each batch locks its rows, skipping any another transaction holds, and re-checks that the
# chat is still ended and not held (a hold may have been placed since the run began).
_LOCK_CONVERSATIONS = """
SELECT c.id FROM chat_conversation AS c
 WHERE c.id = ANY(%s) AND c.status IN ('ended', 'missed')
   AND NOT EXISTS (SELECT 1 FROM privacy_legalhold AS h
                    WHERE h.conversation_id = c.id AND h.released_at IS NULL)
 ORDER BY c.id FOR UPDATE OF c SKIP LOCKED
"""
_LOCK_ENQUIRIES = (
    "SELECT id FROM chat_enquiry WHERE id = ANY(%s) ORDER BY id FOR UPDATE SKIP LOCKED"
)


def _locked_then(lock_sql: str, anonymise):
    def apply(chunk: list[UUID]) -> int:
        with connection.cursor() as cursor:
            cursor.execute(lock_sql, [chunk])
            locked = [row[0] for row in cursor.fetchall()]
        return anonymise(locked, reason="retention")

    return apply


def expire(plan: RetentionPlan, dry_run: bool, batch_size: int) -> RetentionOutcome:
    """Anonymise the conversations and enquiries past their council's (or department's) date."""
    outcome = RetentionOutcome()
    if not dry_run:
        # Fresh statistics for the anti-join with what is already anonymised: with stale ones
        # (a table that grew by thousands last night) PostgreSQL chose a nested loop that took
        # 28 s instead of 0.1 s (measured in bench/reports_bench.py).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE privacy_redaction")
    jobs = [
        ("transcripts", _DUE_CONVERSATIONS, "c.department_id", _LOCK_CONVERSATIONS,
         anonymise_conversations_unsafe),
        ("enquiries", _DUE_ENQUIRIES, "e.department_id", _LOCK_ENQUIRIES,
         anonymise_enquiries_unsafe),
    ]  # fmt: skip
    for category, template, column, lock_sql, anonymise in jobs:
        counted = 0
        for cutoff, only, excluding in plan.cutoffs[category].groups():
            condition, dept_params = department_filter(column, only, excluding)
            sql = template.format(departments=condition)
            params = [cutoff, *dept_params]
            if dry_run:
                counted += _count(sql, params)
                continue
            rows, batches, longest = run_batches(
                _select(sql, params), _locked_then(lock_sql, anonymise), batch_size=batch_size
            )
            counted += rows
            outcome.batches += batches
            outcome.max_batch_seconds = max(outcome.max_batch_seconds, longest)
        outcome.counts[category] = counted
    return outcome


# --- subject access and erasure --------------------------------------------------------


def _conversation_query(subject: Subject) -> tuple[str, list[Any]]:
    """SQL selecting the ids of conversations about `subject` (by visitor and pre-chat)."""
    if subject.email:
        return (
            "SELECT c.id FROM chat_conversation c JOIN chat_visitor v ON v.id = c.visitor_id"
            " WHERE lower(v.email) = lower(%s) OR lower(c.transcript_email) = lower(%s)"
            " OR EXISTS (SELECT 1 FROM jsonb_each_text(c.prechat) p"
            "            WHERE lower(btrim(p.value)) = lower(%s))",
            [subject.email.strip()] * 3,
        )
    if subject.phone:
        digits = list(subject.phone_digits)
        return (
            "SELECT c.id FROM chat_conversation c WHERE EXISTS"
            " (SELECT 1 FROM jsonb_each_text(c.prechat) p"
            "   WHERE regexp_replace(p.value, '\\D', '', 'g') = ANY(%s))",
            [digits],
        )
    if subject.name:
        return (
            "SELECT c.id FROM chat_conversation c JOIN chat_visitor v ON v.id = c.visitor_id"
            " WHERE lower(btrim(v.name)) = lower(btrim(%s))",
            [subject.name],
        )
    return "SELECT NULL::uuid WHERE FALSE", []


def _enquiry_ids(subject: Subject) -> list[UUID]:
    if subject.email:
        where, params = "lower(email) = lower(%s)", [subject.email.strip()]
    elif subject.phone:
        where = "regexp_replace(phone, '\\D', '', 'g') = ANY(%s)"
        params = [list(subject.phone_digits)]
    elif subject.name:
        where, params = "lower(btrim(name)) = lower(btrim(%s))", [subject.name]
    else:
        return []
    with connection.cursor() as cursor:
        # `where` is one of the fixed conditions above; values travel as parameters.
        cursor.execute(f"SELECT id FROM chat_enquiry WHERE {where}", params)  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


def conversations(subject: Subject) -> set[UUID]:
    sql, params = _conversation_query(subject)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall() if row[0] is not None}


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def find(subject: Subject, conversation_ids: set[UUID]) -> Found:
    """Every conversation (with messages, notes, rating) and enquiry about `subject`."""
    found = Found(conversation_ids=set(conversation_ids))
    chats = (
        Conversation.objects.filter(id__in=conversation_ids)
        .select_related("visitor", "department", "operator")
        .prefetch_related("tags")
        .order_by("created_at")
    )
    messages: dict[UUID, list[dict[str, Any]]] = {}
    for m in Message.objects.filter(conversation_id__in=conversation_ids).order_by(
        "conversation_id", "seq"
    ):
        messages.setdefault(m.conversation_id, []).append(
            {
                "seq": m.seq,
                "author": m.author,
                "author_name": m.author_name,
                "body": m.body,
                "extra": m.extra,
                "code": m.code,
                "params": m.params,
                "created_at": _iso(m.created_at),
            }
        )
    notes: dict[UUID, list[dict[str, Any]]] = {}
    for n in Note.objects.filter(conversation_id__in=conversation_ids).order_by("created_at"):
        notes.setdefault(n.conversation_id, []).append(
            {"author_name": n.author_name, "body": n.body, "created_at": _iso(n.created_at)}
        )
    found.records["conversations"] = [
        {
            "id": str(c.id),
            "visitor_name": c.visitor.name,
            "visitor_email": c.visitor.email,
            "channel": c.channel,
            "language": c.language,
            "department": c.department.name if c.department else None,
            "operator": c.operator.get_username() if c.operator else None,
            "status": c.status,
            "page_url": c.page_url,
            "prechat": c.prechat,
            "created_at": _iso(c.created_at),
            "accepted_at": _iso(c.accepted_at),
            "ended_at": _iso(c.ended_at),
            "outcome": c.outcome,
            # Staff's labels on the chat (issue 15): about the resident's chat, so theirs to see.
            "tags": [tag.name for tag in c.tags.all()],
            "rating": c.rating,
            "rating_comment": c.rating_comment,
            "transcript_email": c.transcript_email,
            "messages": messages.get(c.id, []),
            "notes": notes.get(c.id, []),
        }
        for c in chats
    ]
    enquiries = Enquiry.objects.filter(id__in=_enquiry_ids(subject)).select_related("department")
    found.records["enquiries"] = [
        {
            "id": str(e.id),
            "name": e.name,
            "email": e.email,
            "phone": e.phone,
            "message": e.message,
            "department": e.department.name if e.department else None,
            "page_url": e.page_url,
            "language": e.language,
            "prechat": e.prechat,
            "reason": e.reason,
            "created_at": _iso(e.created_at),
            "handled_at": _iso(e.handled_at),
            "handled_note": e.handled_note,
        }
        for e in enquiries.order_by("created_at")
    ]
    found.object_ids = {str(i) for i in conversation_ids} | {
        e["id"] for e in found.records["enquiries"]
    }
    return found


def erase(subject: Subject, conversation_ids: set[UUID], dry_run: bool) -> dict[str, int]:
    """Anonymise the subject's conversations (those under legal hold are left) and enquiries.

    Precondition: in the council's schema, inside the caller's transaction.
    """
    from privacy.models import LegalHold

    held = set(
        LegalHold.objects.filter(
            conversation_id__in=conversation_ids, released_at__isnull=True
        ).values_list("conversation_id", flat=True)
    )
    chat_ids = sorted(set(conversation_ids) - held)
    enquiry_ids = sorted(_enquiry_ids(subject))
    counts = {
        "conversations": len(chat_ids),
        "messages": Message.objects.filter(conversation_id__in=chat_ids).count(),
        "notes": Note.objects.filter(conversation_id__in=chat_ids).count(),
        "enquiries": len(enquiry_ids),
        "held": len(held),
    }
    if not dry_run:
        anonymise_conversations_unsafe(chat_ids, reason="erasure")
        anonymise_enquiries_unsafe(enquiry_ids, reason="erasure")
    return counts


register(
    Provider(
        key="chat",
        categories={
            "transcripts": "Chat transcripts: messages, notes, pre-chat answers, the "
            "visitor's name and contact details, page addresses, rating comments",
            "enquiries": "Out-of-hours enquiries: name, email, phone, message",
        },
        find=find,
        erase=erase,
        expire=expire,
        conversations=conversations,
    )
)
