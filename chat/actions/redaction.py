"""Removing the personal data of conversations and enquiries, keeping their statistics.

Called by retention and erasure (chat/privacy.py, privacy/); what stays and what goes is
described there and in docs/data-protection.md. Message rows stay with an empty body, so
message counts, first-response and handle times are unchanged; notes are deleted.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from chat.models import Conversation, Enquiry


def anonymise_conversations_unsafe(ids: list[UUID], *, reason: str) -> int:
    """Remove the personal data of these conversations; keep their statistics.

    Precondition: in the council's schema, inside a transaction.
    """
    if not ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            # A system line's params hold names: they go with the body (code and all). The
            # client's id for a message (idempotent re-sends while the chat is live) is text
            # the resident's device chose, so it goes too.
            "UPDATE chat_message SET body = '', extra = '{}'::jsonb, code = '',"
            " params = '{}'::jsonb, client_id = NULL,"
            " author_name = CASE WHEN author = 'visitor' THEN '' ELSE author_name END"
            " WHERE conversation_id = ANY(%s)"
            "   AND (body <> '' OR extra <> '{}'::jsonb OR params <> '{}'::jsonb"
            "        OR client_id IS NOT NULL OR (author = 'visitor' AND author_name <> ''))",
            [ids],
        )
        cursor.execute("DELETE FROM chat_note WHERE conversation_id = ANY(%s)", [ids])
        cursor.execute(
            "UPDATE chat_visitor SET name = '', email = '' WHERE id IN"
            " (SELECT visitor_id FROM chat_conversation WHERE id = ANY(%s))",
            [ids],
        )
        cursor.execute(
            "UPDATE chat_conversation SET page_url = '', prechat = '{}'::jsonb,"
            " rating_comment = '', transcript_email = '' WHERE id = ANY(%s)",
            [ids],
        )
        cursor.execute(
            "INSERT INTO privacy_redaction (kind, object_id, reason, at)"
            " SELECT 'conversation', i::text, %s, now() FROM unnest(%s::uuid[]) AS i"
            " ON CONFLICT (kind, object_id) DO NOTHING",
            [reason, ids],
        )
    _scrub_admin_log(Conversation, ids)
    return len(ids)


def anonymise_enquiries_unsafe(ids: list[UUID], *, reason: str) -> int:
    """Blank these enquiries' personal data (department, reason and times stay)."""
    if not ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE chat_enquiry SET name = '', email = '', phone = '', message = '',"
            " page_url = '', prechat = '{}'::jsonb, handled_note = '' WHERE id = ANY(%s)",
            [ids],
        )
        cursor.execute(
            "INSERT INTO privacy_redaction (kind, object_id, reason, at)"
            " SELECT 'enquiry', i::text, %s, now() FROM unnest(%s::uuid[]) AS i"
            " ON CONFLICT (kind, object_id) DO NOTHING",
            [reason, ids],
        )
    _scrub_admin_log(Enquiry, ids)
    return len(ids)


def _scrub_admin_log(model, ids: list[UUID]) -> None:
    """The admin's change history names objects by their str() (the visitor's name)."""
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id__in=[str(i) for i in ids],
    ).update(object_repr="(removed)", change_message="")
