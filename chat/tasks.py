"""Background work on chats. Tasks take ids, never model instances, and run in the schema
they were sent from (tenant-schemas-celery)."""

from celery import shared_task
from django.conf import settings
from django.db import connection

from chat.actions.emails import enquiry_send, transcript_send
from chat.actions.lifecycle import end_idle_conversations
from chat.actions.sweeps import sweep_council
from councils.models import Council
from councils.sites import council_ref
from councils.tenancy import send_to_every_council


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def end_idle_conversations_task(idle_seconds: int | None = None) -> int:
    """End this council's chats that have been silent too long (runs in the sender's schema)."""
    council = Council.objects.select_related("partnership").get(schema_name=connection.schema_name)
    return end_idle_conversations(
        council=council_ref(council),
        idle_seconds=(settings.CONVERSATION_IDLE_TIMEOUT if idle_seconds is None else idle_seconds),
    )


@shared_task
def end_idle_conversations_in_all_councils() -> int:
    """Beat entry point: one task per council, each run in its own schema."""
    return send_to_every_council(end_idle_conversations_task)


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def sweep_council_task() -> dict:
    """Requeue dropped operators' and unanswered chats, mark long waits missed (this council)."""
    council = Council.objects.select_related("partnership").get(schema_name=connection.schema_name)
    return sweep_council(council=council_ref(council)).__dict__


@shared_task
def sweep_all_councils() -> int:
    """Beat entry point: one sweep per council, each run in its own schema."""
    return send_to_every_council(sweep_council_task)


# Emails go through the outbox now (chat/actions/emails.py, outbox/services.py); these two
# remain so tasks queued by an older release still run.
@shared_task(autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5)
def send_transcript_task(conversation_id: str, email: str = "") -> bool:
    return transcript_send(conversation_id, email)


@shared_task(autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5)
def send_enquiry_task(enquiry_id: str) -> bool:
    return enquiry_send(enquiry_id)
