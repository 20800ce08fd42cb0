"""Emails the council owes a resident or a department, sent by the outbox (outbox/services.py).

(The sending lives with the actions because marking a transcript or an enquiry as emailed
is a write to the chat's rows.)

Each function is an outbox handler: it takes the OutboxItem, sends, and marks the row it is
about as sent, inside the outbox's transaction. Returning means done, raising means retry.
Runs in the council's schema.
"""

from __future__ import annotations

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import connection
from django.utils import timezone

from chat.models import Conversation, Enquiry
from chat.transcripts import enquiry_render, transcript_render

TRANSCRIPT = "transcript_email"
ENQUIRY = "enquiry_email"


def _council_name(language: str = "en") -> str:
    """This schema's council's name as a reader of `language` reads it (its Welsh name in a
    Welsh transcript, when it has one)."""
    from councils.models import Council

    return Council.objects.get(schema_name=connection.schema_name).name_in(language)


def transcript_send(conversation_id: str, email: str = "") -> bool:
    """Email the chat's transcript to `email` (the address travels with the request: read
    from the row at send time, two quick requests to different addresses would both go to
    the second). False when there is nothing to send."""
    conversation = Conversation.objects.filter(id=conversation_id).first()
    to = email or (conversation.transcript_email if conversation else "")
    if conversation is None or not to:
        return False
    transcript = transcript_render(conversation, council_name=_council_name(conversation.language))
    mail = EmailMultiAlternatives(subject=transcript.subject, body=transcript.text, to=[to])
    mail.attach_alternative(transcript.html, "text/html")
    mail.send()
    Conversation.objects.filter(id=conversation_id).update(transcript_sent_at=timezone.now())
    return True


def enquiry_send(enquiry_id: str) -> bool:
    """Email an out-of-hours enquiry to its department; False when it has no address."""
    enquiry = Enquiry.objects.select_related("department").filter(id=enquiry_id).first()
    if enquiry is None or enquiry.department is None or not enquiry.department.email:
        return False
    subject, body = enquiry_render(enquiry, council_name=_council_name())
    reply_to = [enquiry.email] if enquiry.email else None
    to = [enquiry.department.email]
    EmailMessage(subject=subject, body=body, to=to, reply_to=reply_to).send()
    Enquiry.objects.filter(id=enquiry_id).update(emailed_at=timezone.now())
    return True


def send_transcript_item(item) -> None:
    """Outbox handler for TRANSCRIPT: ref is the conversation, payload {"email": ...}."""
    transcript_send(item.ref, item.payload.get("email", ""))


def send_enquiry_item(item) -> None:
    """Outbox handler for ENQUIRY: ref is the enquiry."""
    enquiry_send(item.ref)
