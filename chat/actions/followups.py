"""What the council follows up: out-of-hours enquiries and missed chats.

Every console of the council keeps the follow-up list, so each change is announced to the
council's queue group after commit.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chat import frames, groups
from chat.actions import emails
from chat.actions.announce import announce_status_on_commit
from chat.errors import ChatError
from chat.models import Conversation, Enquiry, Note
from chat.operators import OperatorRef
from chat.payloads import enquiry_payload
from councils.sites import CouncilRef
from outbox.services import outbox_add


def enquiry_store_unsafe(council: CouncilRef, **fields: Any) -> Enquiry:
    """Store contact details left while chat was unavailable; after commit, email the
    department and list it on every console for follow-up.

    Precondition: inside a transaction, in the council's schema; `fields` are validated.
    """
    enquiry = Enquiry.objects.create(**fields)
    # Recorded with the enquiry; a worker emails it, the outbox's sweep if that task is lost.
    outbox_add(kind=emails.ENQUIRY, ref=str(enquiry.id))
    frames.send_frame_on_commit(
        groups.queue_group(council.id), frames.followup_add("enquiry", enquiry_payload(enquiry))
    )
    return enquiry


def _followup_note(note: Any) -> str:
    """What an operator wrote when marking a follow-up done: optional, at most a message long."""
    text = note.strip() if isinstance(note, str) else ""
    if len(text) > settings.MESSAGE_MAX_CHARS:
        raise ChatError(
            "body_too_long", f"A note can be at most {settings.MESSAGE_MAX_CHARS} characters."
        )
    return text


@transaction.atomic
def enquiry_mark_handled(
    *, council: CouncilRef, enquiry_id: UUID, operator: OperatorRef, note: Any
) -> None:
    """An operator followed up an out-of-hours enquiry; every console drops it from its list."""
    text = _followup_note(note)
    enquiry = Enquiry.objects.select_for_update().filter(id=enquiry_id).first()
    if enquiry is None:
        raise ChatError("not_found", "No such enquiry.")
    if enquiry.handled_at is not None:
        raise ChatError("already_handled", "Someone has already marked this handled.")
    enquiry.handled_at = timezone.now()
    enquiry.handled_by_id = operator.id
    enquiry.handled_note = text
    enquiry.save(update_fields=["handled_at", "handled_by", "handled_note"])
    _announce_followup_handled(council, "enquiry", enquiry.id, operator)


@transaction.atomic
def missed_mark_handled(
    *, council: CouncilRef, conversation_id: UUID, operator: OperatorRef, note: Any
) -> None:
    """An operator followed up a missed chat: it ends, recorded as theirs and resolved, and
    their note (if any) is kept as an internal note. The visitor is long gone, so nothing is
    added to the transcript; a still-open widget hears the status change."""
    text = _followup_note(note)
    conversation = Conversation.objects.select_for_update().filter(id=conversation_id).first()
    if conversation is None:
        raise ChatError("not_found", "No such conversation.")
    if conversation.status != Conversation.Status.MISSED:
        raise ChatError("already_handled", "This chat no longer needs a follow-up.")
    conversation.status = Conversation.Status.ENDED
    conversation.ended_at = timezone.now()
    conversation.ended_by = Conversation.EndedBy.OPERATOR
    conversation.outcome = Conversation.Outcome.RESOLVED
    conversation.operator_id = operator.id
    conversation.save(update_fields=["status", "ended_at", "ended_by", "outcome", "operator"])
    if text:
        Note.objects.create(
            conversation=conversation,
            author_user_id=operator.id,
            author_name=operator.staff_name,  # an internal note: the full name
            body=text,
        )
    announce_status_on_commit(council, conversation, operator.name)
    _announce_followup_handled(council, "missed", conversation.id, operator)


def _announce_followup_handled(
    council: CouncilRef, kind: str, item_id: UUID, operator: OperatorRef
) -> None:
    frames.send_frame_on_commit(
        groups.queue_group(council.id),
        frames.followup_handled(kind, str(item_id), operator.staff_name),
    )
