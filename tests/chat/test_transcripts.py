"""The transcript a resident is emailed (chat/transcripts.py, chat/actions/emails.py): system
lines in the chat's language, links only for the council's side, nothing else as HTML
(issue 15)."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction
from django_tenants.utils import schema_context

from chat.actions.emails import transcript_send
from chat.actions.lifecycle import conversation_accept, conversation_end
from chat.actions.messages import message_create
from chat.models import Conversation
from chat.transcripts import transcript_render
from tests.factories import chat_in, operator_in
from tests.smtp_server import smtp_outbox, wait_for_mail  # noqa: F401 (a fixture)

pytestmark = pytest.mark.usefixtures("manual_assignment")

LINK = (
    '<a href="https://example.gov.uk/pay" target="_blank" rel="noopener noreferrer">'
    "https://example.gov.uk/pay</a>"
)


def chat_with_links(council, language: str):
    sam = operator_in(council, "sam", first_name="Sam", last_name="Patel")
    chat = chat_in(council, name="Siân", message="Is https://visitor.example/form safe?")
    with schema_context(council.schema_name):
        Conversation.objects.filter(id=chat.id).update(language=language)
        conversation_accept(council=council, conversation_id=chat.id, operator=sam)
        with transaction.atomic():
            message_create(
                council=council,
                conversation_id=chat.id,
                body="Pay at https://example.gov.uk/pay. Not javascript:alert(1) <b>bold</b>",
                client_id=uuid.uuid4().hex,
                operator=sam,
            )
        conversation_end(council=council, conversation_id=chat.id)
        return transcript_render(Conversation.objects.get(id=chat.id), council_name=council.name)


def conversation_of_last_chat(council):
    with schema_context(council.schema_name):
        return Conversation.objects.latest("created_at")


def test_a_welsh_transcript_has_its_system_lines_in_welsh(councils):
    transcript = chat_with_links(councils.alpha, "cy")
    assert "Mae Sam Patel wedi ymuno â'r sgwrs." in transcript.text
    assert "Mae Siân wedi dod â'r sgwrs i ben." in transcript.text
    assert "joined the chat" not in transcript.text and "ended the chat" not in transcript.text
    assert "Mae Sam Patel wedi ymuno â&#x27;r sgwrs." in transcript.html
    assert '<html lang="cy">' in transcript.html


def test_an_english_transcript_has_them_in_english(councils):
    transcript = chat_with_links(councils.alpha, "en")
    assert "Sam Patel joined the chat." in transcript.text
    assert "Siân ended the chat." in transcript.text


def test_the_operator_s_address_is_a_safe_link_and_nothing_else_is_html(councils):
    html = chat_with_links(councils.alpha, "en").html
    assert f"Pay at {LINK}. Not javascript:alert(1) &lt;b&gt;bold&lt;/b&gt;" in html
    assert html.count("<a ") == 1  # the resident's own address stays text
    assert "Is https://visitor.example/form safe?" in html
    assert "<b>" not in html


def test_the_plain_text_transcript_keeps_addresses_as_written(councils):
    text = chat_with_links(councils.alpha, "en").text
    assert "Pay at https://example.gov.uk/pay. Not javascript:alert(1) <b>bold</b>" in text


def test_the_emailed_transcript_of_a_welsh_chat_is_in_welsh_with_the_link(
    councils,
    smtp_outbox,  # noqa: F811 (the imported fixture)
):
    chat_with_links(councils.alpha, "cy")
    conversation = conversation_of_last_chat(councils.alpha)
    with schema_context(councils.alpha.schema_name):
        assert transcript_send(str(conversation.id), "sian@example.com")
    wait_for_mail(smtp_outbox)
    mail = smtp_outbox[0]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Mae Sam Patel wedi ymuno â'r sgwrs." in text and "joined the chat" not in text
    assert "Mae Siân wedi dod â&#x27;r sgwrs i ben." in html
    assert LINK in html and html.count("<a ") == 1
