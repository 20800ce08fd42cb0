"""Test data built through the real services, inside the right council's schema."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from uuid import UUID

import factory
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context

from chat.actions.lifecycle import conversation_accept, conversation_start
from chat.broadcast import wait_until_sent
from chat.operators import OperatorRef, operator_ref
from chat.tokens import visitor_token_issue
from councils.sites import CouncilRef
from routing.models import Department

PASSWORD = "correct-horse-battery"
_names = itertools.count(1)


class UserFactory(factory.django.DjangoModelFactory):
    """Call inside a council's schema (users belong to one council)."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"operator{n}")
    first_name = factory.Sequence(lambda n: f"Op{n}")
    last_name = "Erator"
    is_staff = True
    password = factory.django.Password(PASSWORD)


def operator_in(council: CouncilRef, username: str, **extra) -> OperatorRef:
    """The council's user `username`, created or reset to exactly these attributes.

    Users outlive a test (only chat tables are wiped), so an existing one is reset.
    """
    attributes = {
        "is_staff": True,
        "is_superuser": False,
        "first_name": username.title(),
        "last_name": "",
        **extra,
    }
    with schema_context(council.schema_name):
        user = UserFactory(username=username)
        for name, value in attributes.items():
            setattr(user, name, value)
        user.set_password(PASSWORD)
        user.save()
        return operator_ref(user)


@dataclass(frozen=True)
class StartedChat:
    council: CouncilRef
    id: UUID
    token: str


def chat_in(
    council: CouncilRef,
    *,
    name: str | None = None,
    message: str = "How do I pay a parking fine?",
    department: str | None = None,
) -> StartedChat:
    with schema_context(council.schema_name):
        dept = Department.objects.get(slug=department) if department else None
        conversation, _ = conversation_start(
            council=council,
            name=name or f"Resident {next(_names)}",
            message=message,
            department=dept,
            page_url="https://www.example.gov.uk/parking",
        )
    token = visitor_token_issue(council_id=council.id, conversation_id=conversation.id)
    return StartedChat(council=council, id=conversation.id, token=token)


def accepted_chat_in(council: CouncilRef, operator: OperatorRef, **kwargs) -> StartedChat:
    chat = chat_in(council, **kwargs)
    with schema_context(council.schema_name):
        conversation_accept(council=council, conversation_id=chat.id, operator=operator)
    # Its announcements reach Redis before any socket the test opens next joins a group.
    wait_until_sent()
    return chat
