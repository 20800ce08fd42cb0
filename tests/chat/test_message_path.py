"""The visitor-message path's fast statements behave exactly like the ORM version did:
what is stored, what a re-send gets back, what a resume replays, and broadcast order."""

from __future__ import annotations

import asyncio
import threading

import pytest
from channels.layers import get_channel_layer
from django_tenants.utils import schema_context

from chat.actions.lifecycle import conversation_end
from chat.actions.messages import message_create
from chat.broadcast import send_now, wait_until_sent
from chat.errors import ChatError
from chat.models import Conversation, Message
from chat.selectors import message_list_after_with_last_seq
from tests.factories import accepted_chat_in, chat_in, operator_in

pytestmark = pytest.mark.usefixtures("manual_assignment")


def _state(chat_id):
    row = Conversation.objects.get(id=chat_id)
    return row.last_seq, row.last_message_at


def test_given_a_stored_client_id_when_sent_again_then_the_first_copy_returns_and_nothing_moves(
    councils,
):
    chat = chat_in(councils.alpha)
    with schema_context(councils.alpha.schema_name):
        first = message_create(
            council=councils.alpha, conversation_id=chat.id, body="first", client_id="c1"
        )
        before = _state(chat.id)
        again = message_create(
            council=councils.alpha, conversation_id=chat.id, body="changed", client_id="c1"
        )
        assert (again.created, again.payload) == (False, first.payload)
        assert again.payload["body"] == "first"
        assert _state(chat.id) == before
        nxt = message_create(
            council=councils.alpha, conversation_id=chat.id, body="n", client_id="c2"
        )
        assert nxt.seq == first.seq + 1


def test_given_an_ended_chat_then_a_resend_gets_its_first_copy_and_a_new_message_is_refused(
    councils,
):
    alex = operator_in(councils.alpha, "alex")
    chat = accepted_chat_in(councils.alpha, alex)
    with schema_context(councils.alpha.schema_name):
        first = message_create(
            council=councils.alpha, conversation_id=chat.id, body="hi", client_id="c1"
        )
        conversation_end(council=councils.alpha, conversation_id=chat.id, operator=alex)
        before = _state(chat.id)
        again = message_create(
            council=councils.alpha, conversation_id=chat.id, body="hi", client_id="c1"
        )
        assert (again.created, again.seq) == (False, first.seq)
        with pytest.raises(ChatError) as err:
            message_create(
                council=councils.alpha, conversation_id=chat.id, body="x", client_id="c9"
            )
        assert err.value.code == "conversation_closed"
        assert _state(chat.id) == before


def test_given_an_operators_first_reply_then_first_response_is_its_time_and_later_ones_keep_it(
    councils,
):
    alex = operator_in(councils.alpha, "alex")
    chat = accepted_chat_in(councils.alpha, alex)
    with schema_context(councils.alpha.schema_name):
        message_create(council=councils.alpha, conversation_id=chat.id, body="v", client_id="v1")
        assert Conversation.objects.get(id=chat.id).first_response_at is None
        reply = message_create(
            council=councils.alpha,
            conversation_id=chat.id,
            body="r1",
            client_id="o1",
            operator=alex,
        )
        message_create(
            council=councils.alpha,
            conversation_id=chat.id,
            body="r2",
            client_id="o2",
            operator=alex,
        )
        stored = Message.objects.get(conversation_id=chat.id, client_id="o1")
        assert Conversation.objects.get(id=chat.id).first_response_at == stored.created_at
        assert reply.payload["name"] == alex.name
        assert stored.author_user_id == alex.id and stored.author == "operator"


def test_when_a_client_resumes_then_the_replay_equals_what_was_sent_live(councils):
    chat = chat_in(councils.alpha, name="Ann")
    with schema_context(councils.alpha.schema_name):
        live = [
            message_create(
                council=councils.alpha, conversation_id=chat.id, body=f"m{i}", client_id=f"c{i}"
            ).payload
            for i in range(3)
        ]
        messages, last_seq = message_list_after_with_last_seq(chat.id, 1)
        assert messages == live
        assert live[0]["name"] == "Ann"
        assert last_seq == 4
        assert message_list_after_with_last_seq(chat.id, 4) == ([], 4)
    with schema_context(councils.beta.schema_name):  # the id means nothing in another council
        assert message_list_after_with_last_seq(chat.id, 0) == ([], 0)


def test_given_sends_from_several_threads_then_each_threads_events_arrive_in_order(committed):
    layer = get_channel_layer()

    async def join() -> str:
        channel = await layer.new_channel()
        await layer.group_add("test.broadcast.order", channel)
        return channel

    channel = asyncio.run(join())

    def sender(name: str) -> None:
        for i in range(20):
            send_now("test.broadcast.order", {"type": "x", "from": name, "n": i})

    threads = [threading.Thread(target=sender, args=(name,)) for name in ("a", "b", "c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_until_sent()

    async def receive_all() -> list[dict]:
        got = [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(60)]
        await layer.group_discard("test.broadcast.order", channel)
        return got

    received = asyncio.run(receive_all())
    for name in ("a", "b", "c"):
        assert [e["n"] for e in received if e["from"] == name] == list(range(20))
