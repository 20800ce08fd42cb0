"""Chat services against real PostgreSQL, including real concurrent connections."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from chat.actions.lifecycle import conversation_accept, conversation_end
from chat.actions.messages import message_create
from chat.errors import ChatError
from chat.models import Conversation, Message
from tests.factories import accepted_chat_in, chat_in, operator_in
from tests.races import race_rounds

pytestmark = pytest.mark.usefixtures("manual_assignment")


def in_thread(fn, *args, **kwargs):
    """Run on a fresh thread, i.e. its own PostgreSQL connection, then close it."""

    def run():
        try:
            return fn(*args, **kwargs)
        finally:
            connection.close()

    return run


def test_given_many_writers_at_once_then_seqs_are_gapless_and_unique(councils):
    chat = chat_in(councils.alpha)
    barrier = threading.Barrier(4)

    def writer(n: int) -> list[int]:
        barrier.wait()
        seqs = []
        with schema_context(councils.alpha.schema_name):
            for i in range(10):
                stored = message_create(
                    council=councils.alpha,
                    conversation_id=chat.id,
                    body=f"w{n} m{i}",
                    client_id=f"w{n}-{i}",
                )
                seqs.append(stored.seq)
        return seqs

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda n: in_thread(writer, n)(), range(4)))
    all_seqs = sorted(s for seqs in results for s in seqs)
    assert all_seqs == list(range(2, 42))
    with schema_context(councils.alpha.schema_name):
        assert list(
            Message.objects.filter(conversation_id=chat.id).values_list("seq", flat=True)
        ) == list(range(1, 42))
        assert Conversation.objects.get(id=chat.id).last_seq == 41


def test_given_the_same_client_id_sent_concurrently_then_exactly_one_row_is_stored(councils):
    chat = chat_in(councils.alpha)
    barrier = threading.Barrier(5)

    def send() -> int:
        barrier.wait()
        with schema_context(councils.alpha.schema_name):
            return message_create(
                council=councils.alpha, conversation_id=chat.id, body="dup", client_id="same"
            ).seq

    with ThreadPoolExecutor(5) as pool:
        seqs = list(pool.map(lambda _: in_thread(send)(), range(5)))
    assert seqs == [2] * 5
    with schema_context(councils.alpha.schema_name):
        assert Message.objects.filter(conversation_id=chat.id, client_id="same").count() == 1


def test_given_two_operators_racing_to_accept_then_exactly_one_wins_every_round(councils):
    alex = operator_in(councils.alpha, "alex")
    sam = operator_in(councils.alpha, "sam")
    for _ in range(race_rounds()):
        chat = chat_in(councils.alpha)
        barrier = threading.Barrier(2)

        def accept(operator, chat=chat, barrier=barrier):
            barrier.wait()
            with schema_context(councils.alpha.schema_name):
                try:
                    conversation_accept(
                        council=councils.alpha, conversation_id=chat.id, operator=operator
                    )
                    return operator.id
                except ChatError as err:
                    assert err.code == "already_taken"
                    return None

        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(lambda op: in_thread(accept, op)(), [alex, sam]))
        winners = [o for o in outcomes if o is not None]
        assert len(winners) == 1
        with schema_context(councils.alpha.schema_name):
            assert Conversation.objects.get(id=chat.id).operator_id == winners[0]
            winner = alex if winners[0] == alex.id else sam
            conversation_end(council=councils.alpha, conversation_id=chat.id, operator=winner)


def test_an_operator_cannot_write_to_or_end_a_chat_assigned_to_someone_else(councils):
    alex = operator_in(councils.alpha, "alex")
    sam = operator_in(councils.alpha, "sam")
    chat = accepted_chat_in(councils.alpha, alex)
    with schema_context(councils.alpha.schema_name):
        with pytest.raises(ChatError) as err:
            message_create(
                council=councils.alpha,
                conversation_id=chat.id,
                body="hi",
                client_id="x",
                operator=sam,
            )
        assert err.value.code == "not_assigned"
        with pytest.raises(ChatError) as err:
            conversation_end(council=councils.alpha, conversation_id=chat.id, operator=sam)
        assert err.value.code == "not_assigned"
        assert Conversation.objects.get(id=chat.id).status == "active"


def test_a_queued_chat_cannot_receive_operator_messages(councils):
    alex = operator_in(councils.alpha, "alex")
    chat = chat_in(councils.alpha)
    with schema_context(councils.alpha.schema_name), pytest.raises(ChatError) as err:
        message_create(
            council=councils.alpha, conversation_id=chat.id, body="hi", client_id="x", operator=alex
        )
    assert err.value.code == "not_assigned"


def test_ending_twice_is_harmless_and_stores_one_system_message(councils):
    alex = operator_in(councils.alpha, "alex")
    chat = accepted_chat_in(councils.alpha, alex)
    with schema_context(councils.alpha.schema_name):
        conversation_end(council=councils.alpha, conversation_id=chat.id, operator=alex)
        conversation_end(council=councils.alpha, conversation_id=chat.id, operator=alex)
        ended = Message.objects.filter(conversation_id=chat.id, body__contains="ended the chat")
        assert ended.count() == 1


def test_a_chat_id_from_one_council_does_not_exist_in_another(councils):
    chat = chat_in(councils.alpha)
    with schema_context(councils.beta.schema_name), pytest.raises(ChatError) as err:
        message_create(council=councils.beta, conversation_id=chat.id, body="x", client_id="x")
    assert err.value.code == "not_found"


def test_given_an_operator_ends_with_a_wrap_up_outcome_then_who_ended_it_and_why_are_stored(
    councils,
):
    alex = operator_in(councils.alpha, "alex")
    by_operator = accepted_chat_in(councils.alpha, alex)
    by_visitor = chat_in(councils.alpha)
    with schema_context(councils.alpha.schema_name):
        conversation_end(
            council=councils.alpha,
            conversation_id=by_operator.id,
            operator=alex,
            outcome=Conversation.Outcome.RESOLVED,
        )
        conversation_end(council=councils.alpha, conversation_id=by_visitor.id)
        stored = Conversation.objects.get(id=by_operator.id)
        assert (stored.ended_by, stored.outcome) == ("operator", "resolved")
        assert Conversation.objects.get(id=by_visitor.id).ended_by == "visitor"


def test_given_an_unknown_outcome_then_the_chat_is_not_ended(councils):
    alex = operator_in(councils.alpha, "alex")
    chat = accepted_chat_in(councils.alpha, alex)
    with schema_context(councils.alpha.schema_name):
        with pytest.raises(ChatError) as err:
            conversation_end(
                council=councils.alpha, conversation_id=chat.id, operator=alex, outcome="shrug"
            )
        assert err.value.code == "invalid_outcome"
        assert Conversation.objects.get(id=chat.id).status == "active"
