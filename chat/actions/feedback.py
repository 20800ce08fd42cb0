"""What a visitor asks for after the chat: a rating, a transcript by email."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction

from chat.actions import emails
from chat.models import Conversation
from outbox.services import outbox_add


def conversation_rate(*, conversation_id: UUID, rating: int, comment: str) -> None:
    """Store the visitor's verdict (a later one replaces an earlier one).

    Precondition: in the council's schema; `rating` is 1 to 5 (the form checked it).
    """
    Conversation.objects.filter(id=conversation_id).update(rating=rating, rating_comment=comment)


@transaction.atomic
def transcript_request(*, conversation_id: UUID, email: str) -> None:
    """Remember where to send the transcript and record the send in the outbox, in one
    transaction: a worker sends it after commit, the outbox's sweep if that task is lost.

    Precondition: in the council's schema, which tenant-schemas-celery hands to the task.
    The address travels with the send (two quick requests must not both go to the second).
    """
    Conversation.objects.filter(id=conversation_id).update(
        transcript_email=email, transcript_sent_at=None
    )
    outbox_add(kind=emails.TRANSCRIPT, ref=str(conversation_id), payload={"email": email})
