"""Console additions (issue 5) at the service layer."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from chat.actions.lifecycle import conversation_start
from chat.models import Conversation
from chat.selectors import earlier_conversations
from widgets.models import PrechatField

pytestmark = pytest.mark.usefixtures("committed")


def start_with_prechat(council, prechat: dict) -> Conversation:
    with schema_context(council.schema_name):
        conversation, _ = conversation_start(
            council=council, name="Jo", message="Hello", department=None, prechat=prechat
        )
        return Conversation.objects.select_related("visitor").get(id=conversation.id)


def test_the_answer_to_an_email_question_becomes_the_visitors_email(councils):
    with schema_context(councils.alpha.schema_name):
        PrechatField.objects.create(key="account", label="Account number")
        PrechatField.objects.create(key="contact", label="Your email", kind="email")
    chat = start_with_prechat(councils.alpha, {"account": "a@b.cd", "contact": "jo@example.org"})
    assert chat.visitor.email == "jo@example.org"


def test_without_an_email_question_or_with_a_bad_answer_no_email_is_kept(councils):
    # beta has no email question: an email-looking answer to another question is not taken
    assert start_with_prechat(councils.beta, {"contact": "jo@example.org"}).visitor.email == ""
    with schema_context(councils.alpha.schema_name):
        PrechatField.objects.create(key="contact", label="Your email", kind="email")
    assert start_with_prechat(councils.alpha, {"contact": "not an email"}).visitor.email == ""


def test_earlier_chats_follow_the_email_from_the_prechat_form(councils):
    with schema_context(councils.alpha.schema_name):
        PrechatField.objects.create(key="contact", label="Your email", kind="email")
    first = start_with_prechat(councils.alpha, {"contact": "jo@example.org"})
    second = start_with_prechat(councils.alpha, {"contact": "JO@example.org"})
    with schema_context(councils.alpha.schema_name):
        email, earlier = earlier_conversations(second.id)
    assert email == "JO@example.org"
    assert [c["id"] for c in earlier] == [str(first.id)]
