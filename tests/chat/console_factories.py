"""Test data for the console additions (issue 5): canned responses, enquiries, missed chats."""

from __future__ import annotations

from django.db import transaction
from django_tenants.utils import schema_context

from chat.actions.lifecycle import conversation_mark_missed_unsafe
from chat.models import CannedResponse, Conversation, Enquiry, Visitor
from councils.sites import CouncilRef
from routing.models import Department


def canned_in(
    council: CouncilRef,
    shortcut: str,
    body: str,
    *,
    department: str | None = None,
    title="",
    language: str = "en",
) -> None:
    with schema_context(council.schema_name):
        dept = Department.objects.get(slug=department) if department else None
        CannedResponse.objects.create(
            shortcut=shortcut,
            title=title or shortcut.title(),
            body=body,
            department=dept,
            language=language,
        )


def enquiry_in(council: CouncilRef, *, name: str = "Pat", message: str = "Call me back") -> str:
    """An out-of-hours enquiry as the widget leaves it; returns its id."""
    with schema_context(council.schema_name):
        enquiry = Enquiry.objects.create(
            name=name, email="pat@example.org", phone="01234 567890", message=message
        )
        return str(enquiry.id)


def give_email(council: CouncilRef, conversation_id, email: str) -> None:
    """The visitor left their email in the pre-chat form (the widget's part)."""
    with schema_context(council.schema_name):
        visitor_id = Conversation.objects.get(id=conversation_id).visitor_id
        Visitor.objects.filter(id=visitor_id).update(email=email)


def mark_missed(council: CouncilRef, conversation_id) -> None:
    """Nobody answered in time (what the routing sweep does)."""
    with schema_context(council.schema_name), transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(id=conversation_id)
        conversation_mark_missed_unsafe(council, conversation)
