"""Background work on chats. Tasks take ids, never model instances, and run in the schema
they were sent from (tenant-schemas-celery)."""

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import connection
from django.utils import timezone

from chat.actions.lifecycle import end_idle_conversations
from chat.actions.sweeps import sweep_council
from chat.models import Conversation, Enquiry
from chat.transcripts import enquiry_render, transcript_render
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


def _this_council():
    return Council.objects.get(schema_name=connection.schema_name)


@shared_task(autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5)
def send_transcript_task(conversation_id: str, email: str = "") -> bool:
    """Email the chat's transcript to the address the visitor gave (runs in its schema).

    The address travels with the task: read from the row at send time, two quick requests
    to different addresses would both go to the second.
    """
    conversation = Conversation.objects.filter(id=conversation_id).first()
    to = email or (conversation.transcript_email if conversation else "")
    if conversation is None or not to:
        return False
    transcript = transcript_render(conversation, council_name=_this_council().name)
    mail = EmailMultiAlternatives(subject=transcript.subject, body=transcript.text, to=[to])
    mail.attach_alternative(transcript.html, "text/html")
    mail.send()
    Conversation.objects.filter(id=conversation_id).update(transcript_sent_at=timezone.now())
    return True


@shared_task(autoretry_for=(ConnectionError, OSError), retry_backoff=True, max_retries=5)
def send_enquiry_task(enquiry_id: str) -> bool:
    """Email an out-of-hours enquiry to its department; nothing when it has no address."""
    enquiry = Enquiry.objects.select_related("department").filter(id=enquiry_id).first()
    if enquiry is None or enquiry.department is None or not enquiry.department.email:
        return False
    subject, body = enquiry_render(enquiry, council_name=_this_council().name)
    reply_to = [enquiry.email] if enquiry.email else None
    to = [enquiry.department.email]
    EmailMessage(subject=subject, body=body, to=to, reply_to=reply_to).send()
    Enquiry.objects.filter(id=enquiry_id).update(emailed_at=timezone.now())
    return True
