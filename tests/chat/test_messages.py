"""One function stores every message (chat/actions/messages.py): every column, every author,
and `extra` carried to the wire."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from chat.actions import messages
from chat.actions.lifecycle import conversation_end
from chat.actions.messages import bot_message_create, message_create
from chat.errors import ChatError
from chat.models import Message
from chat.selectors import message_list_after, visitor_view_with_messages
from tests.factories import accepted_chat_in, chat_in, operator_in

pytestmark = pytest.mark.usefixtures("manual_assignment")

ANSWER = {"answer_key": "bins.missed", "links": [{"url": "https://example.gov.uk/bins"}]}


def test_the_message_insert_writes_every_column_the_model_has():
    model_columns = {f.column for f in Message._meta.concrete_fields} - {"id"}
    assert set(messages.MESSAGE_INSERT_COLUMNS) == model_columns, (
        "Message gained or lost a column: add it to the insert in chat/actions/messages.py"
    )
    listed = re.search(r"INSERT INTO chat_message\s*\(([^)]*)\)", messages._MESSAGE_INSERT_SQL)
    assert [c.strip() for c in listed.group(1).split(",")] == list(messages.MESSAGE_INSERT_COLUMNS)


def test_an_assistant_answer_is_stored_with_its_extra_and_the_wire_carries_it(councils):
    chat = chat_in(councils.alpha)
    with schema_context(councils.alpha.schema_name):
        stored = bot_message_create(
            council=councils.alpha,
            conversation_id=chat.id,
            body="Missed bins are collected within two days.",
            name="Council assistant",
            extra=ANSWER,
        )
        assert (stored.seq, stored.payload["author"], stored.payload["extra"]) == (2, "bot", ANSWER)
        row = Message.objects.get(conversation_id=chat.id, seq=2)
        assert (row.author_name, row.extra) == ("Council assistant", ANSWER)
        replayed = message_list_after(chat.id, 0)
        _view, resumed = visitor_view_with_messages(chat.id, 0)
    assert replayed[1]["extra"] == ANSWER and resumed[1]["extra"] == ANSWER
    # Messages without extra keep their old shape: no `extra` key at all.
    assert "extra" not in replayed[0] and "extra" not in resumed[0]


def test_visitor_operator_and_system_messages_share_one_seq_sequence(councils):
    sam = operator_in(councils.alpha, "sam")
    chat = accepted_chat_in(councils.alpha, sam)  # 1 question, 2 "Sam joined the chat."
    with schema_context(councils.alpha.schema_name):
        message_create(council=councils.alpha, conversation_id=chat.id, body="hi", client_id="v")
        message_create(
            council=councils.alpha,
            conversation_id=chat.id,
            body="hello",
            client_id="o",
            operator=sam,
        )
        conversation_end(council=councils.alpha, conversation_id=chat.id, operator=sam)
        rows = list(
            Message.objects.filter(conversation_id=chat.id).values_list("seq", "author", "extra")
        )
    assert rows == [
        (1, "visitor", {}),
        (2, "system", {}),
        (3, "visitor", {}),
        (4, "operator", {}),
        (5, "system", {}),
    ]


def test_the_assistant_cannot_speak_in_an_ended_chat(councils):
    chat = chat_in(councils.alpha)
    with schema_context(councils.alpha.schema_name):
        conversation_end(council=councils.alpha, conversation_id=chat.id)
        with pytest.raises(ChatError) as refused:
            bot_message_create(
                council=councils.alpha, conversation_id=chat.id, body="Still there?", name="Bot"
            )
    assert refused.value.code == "conversation_closed"
