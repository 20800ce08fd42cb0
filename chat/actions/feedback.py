"""What a visitor asks for after the chat: a rating, a transcript by email."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction

from chat.models import Conversation
from chat.tasks import send_transcript_task


def conversation_rate(*, conversation_id: UUID, rating: int, comment: str) -> None:
    """Store the visitor's verdict (a later one replaces an earlier one).

    Precondition: in the council's schema; `rating` is 1 to 5 (the form checked it).
    """
    Conversation.objects.filter(id=conversation_id).update(rating=rating, rating_comment=comment)


@transaction.atomic
def transcript_request(*, conversation_id: UUID, email: str) -> None:
    """Remember where to send the transcript and email it after commit.

    Precondition: in the council's schema, which tenant-schemas-celery hands to the task.
    The address travels with the task (two quick requests must not both go to the second).
    """
    Conversation.objects.filter(id=conversation_id).update(
        transcript_email=email, transcript_sent_at=None
    )
    transaction.on_commit(lambda: send_transcript_task.delay(str(conversation_id), email))
