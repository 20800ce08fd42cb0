"""Migration 0008 gives system messages stored before codes existed their code and params
(issue 15), so old chats are shown in Welsh too."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection
from django_tenants.utils import schema_context

from chat import system_messages
from chat.models import Conversation, Message
from chat.selectors import message_list_after
from routing.models import Department
from tests.factories import chat_in

pytestmark = pytest.mark.usefixtures("manual_assignment")

migration = importlib.import_module("chat.migrations.0008_message_code_params")

OLD_ROWS = [
    # (text as the old code wrote it, the code and params it gets)
    ("Sam Patel joined the chat.", "joined", {"operator": "Sam Patel"}),
    ("You are now talking to Alex Morgan.", "talking_to", {"operator": "Alex Morgan"}),
    (
        "Alex Morgan passed your chat to Highways. You're at the front of their queue.",
        "passed_to_department",
        {"operator": "Alex Morgan", "department": "Highways", "department_cy": "Priffyrdd"},
    ),
    (
        "Alex Morgan passed your chat to Beta Council. You're at the front of their queue.",
        "passed_to_council",
        {"operator": "Alex Morgan", "council": "Beta Council"},
    ),
    (
        "Sorry for the wait: you're back at the front of the queue for the next adviser.",
        "back_in_queue",
        {},
    ),
    ("Sorry, no one could answer in time. The council will follow up.", "missed", {}),
    ("The chat was closed after a long time with no messages.", "idle_ended", {}),
    ("Alex Morgan ended the chat.", "ended_by_operator", {"operator": "Alex Morgan"}),
]


@pytest.mark.parametrize(("text", "code", "params"), OLD_ROWS)
def test_each_old_english_line_is_recognised_and_renders_back_to_the_same_text(text, code, params):
    found = migration.legacy_code(
        text, ended_by="operator", departments={"Highways": "Priffyrdd", "Parking": ""}
    )
    assert found == (code, params)
    assert system_messages.english(code, params) == text


def test_a_chat_its_visitor_ended_is_ended_by_the_visitor_and_unknown_text_gets_no_code():
    found = migration.legacy_code("Jo ended the chat.", ended_by="visitor", departments={})
    assert found == ("ended_by_visitor", {"visitor": "Jo"})
    assert migration.legacy_code("Something else.", ended_by="", departments={}) is None


def test_old_rows_in_a_council_get_codes_and_a_welsh_chat_then_reads_them_in_welsh(councils):
    chat = chat_in(councils.alpha, name="Jo")
    with schema_context(councils.alpha.schema_name):
        Conversation.objects.filter(id=chat.id).update(
            language="cy", ended_by="visitor", status="ended"
        )
        Department.objects.filter(slug="highways").update(name_cy="Priffyrdd")
        texts = [text for text, _code, _params in OLD_ROWS[:-1]] + ["Jo ended the chat."]
        Message.objects.bulk_create(
            Message(conversation_id=chat.id, seq=seq, author="system", author_name="", body=text)
            for seq, text in enumerate(texts, start=2)
        )
        # A council's own Facebook post is a system message too, and is left as written.
        Message.objects.create(
            conversation_id=chat.id,
            seq=len(texts) + 2,
            author="system",
            author_name="Alpha (on Facebook)",
            body="Sam Patel joined the chat.",
            extra={"echo": True},
        )
        try:
            migration.codes_for_old_rows(apps, connection.schema_editor())
        finally:
            Department.objects.filter(slug="highways").update(name_cy="")
        rows = list(
            Message.objects.filter(conversation_id=chat.id, author="system")
            .order_by("seq")
            .values_list("code", "body")
        )
        shown = [m["body"] for m in message_list_after(chat.id, 0)]
    assert [code for code, _body in rows] == [code for _t, code, _p in OLD_ROWS[:-1]] + [
        "ended_by_visitor",
        "",
    ]
    assert [body for _code, body in rows] == [*texts, "Sam Patel joined the chat."]  # kept
    assert shown[1:] == [
        "Mae Sam Patel wedi ymuno â'r sgwrs.",
        "Rydych chi nawr yn siarad ag Alex Morgan.",
        "Mae Alex Morgan wedi trosglwyddo eich sgwrs i'r tîm Priffyrdd. "
        "Rydych chi ar flaen eu ciw.",
        "Mae Alex Morgan wedi trosglwyddo eich sgwrs. Bydd Beta Council yn eich ateb: rydych "
        "chi ar flaen eu ciw.",
        "Mae'n ddrwg gennym am yr oedi: rydych chi yn ôl ar flaen y ciw ar gyfer y "
        "cynghorydd nesaf.",
        "Mae'n ddrwg gennym, ni allai neb ateb mewn pryd. Bydd y cyngor yn cysylltu â chi.",
        "Cafodd y sgwrs ei chau ar ôl amser hir heb negeseuon.",
        "Mae Jo wedi dod â'r sgwrs i ben.",
        "Sam Patel joined the chat.",
    ]
