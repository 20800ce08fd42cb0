"""Background work on chats. Tasks take ids, never model instances, and run in the schema
they were sent from (tenant-schemas-celery)."""

from celery import shared_task
from django.conf import settings
from django.db import connection

from chat.services import end_idle_conversations
from councils.sites import council_ref
from councils.tenancy import send_to_every_council


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def end_idle_conversations_task(idle_seconds: int | None = None) -> int:
    """End this council's chats that have been silent too long (runs in the sender's schema)."""
    from councils.models import Council

    council = Council.objects.select_related("partnership").get(schema_name=connection.schema_name)
    return end_idle_conversations(
        council=council_ref(council),
        idle_seconds=(settings.CONVERSATION_IDLE_TIMEOUT if idle_seconds is None else idle_seconds),
    )


@shared_task
def end_idle_conversations_in_all_councils() -> int:
    """Beat entry point: one task per council, each run in its own schema."""
    return send_to_every_council(end_idle_conversations_task)


# Emails now go through the outbox (chat/emails.py, outbox/services.py); these two remain
# so tasks queued by an older release still run.
@shared_task(autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5)
def send_transcript_task(conversation_id: str, email: str = "") -> bool:
    from chat.emails import transcript_send

    return transcript_send(conversation_id, email)


@shared_task(autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5)
def send_enquiry_task(enquiry_id: str) -> bool:
    from chat.emails import enquiry_send

    return enquiry_send(enquiry_id)
