"""Chats and enquiries with chosen times and personal data, built through the real start
service and then dated (retention is about age, so tests set the clock on the rows)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django_tenants.utils import schema_context

from chat.actions.lifecycle import conversation_start
from chat.models import Conversation, Enquiry, Message, Note, Visitor
from councils.sites import CouncilRef
from routing.models import Department


def planted_chat(
    council: CouncilRef,
    *,
    ended_at: datetime | None,
    name: str = "Resident",
    email: str = "",
    phone: str = "",
    text: str = "How do I pay a parking fine?",
    reply: str = "Here is how.",
    note: str = "Called back.",
    department: str | None = None,
    status: str = "ended",
    rating: int | None = 4,
    outcome: str = "resolved",
) -> UUID:
    with schema_context(council.schema_name):
        dept = Department.objects.get(slug=department) if department else None
        prechat = {"email": email, "phone": phone} if (email or phone) else {}
        conversation, _ = conversation_start(
            council=council,
            name=name,
            message=text,
            department=dept,
            page_url=f"https://www.example.gov.uk/parking?ref={name.replace(' ', '-')}",
            prechat=prechat,
        )
        Visitor.objects.filter(id=conversation.visitor_id).update(email=email)
        Message.objects.create(
            conversation=conversation,
            seq=2,
            author="operator",
            author_name="Sam",
            body=reply,
            created_at=conversation.created_at,
        )
        Note.objects.create(conversation=conversation, author_name="Sam", body=note)
        times = {}
        if ended_at is not None:
            times = {"created_at": ended_at, "queued_at": ended_at, "ended_at": ended_at}
        Conversation.objects.filter(id=conversation.id).update(
            status=status,
            last_seq=2,
            rating=rating,
            rating_comment=f"Thanks from {name}" if rating else "",
            outcome=outcome,
            transcript_email=email,
            **times,
        )
        Message.objects.filter(conversation=conversation).update(
            created_at=ended_at or conversation.created_at
        )
        return conversation.id


def planted_enquiry(
    council: CouncilRef,
    *,
    created_at: datetime,
    name: str = "Resident",
    email: str = "",
    phone: str = "",
    message: str = "Please call me back.",
    department: str | None = None,
) -> UUID:
    with schema_context(council.schema_name):
        dept = Department.objects.get(slug=department) if department else None
        enquiry = Enquiry.objects.create(
            name=name,
            email=email,
            phone=phone,
            message=message,
            department=dept,
            page_url="https://www.example.gov.uk/bins",
            prechat={"phone": phone} if phone else {},
            created_at=created_at,
        )
        return enquiry.id
