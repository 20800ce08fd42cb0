"""Who gets a chat: strategies, capacity, and races decided in PostgreSQL."""

from __future__ import annotations

import functools
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from chat.actions.assignment import dispatch_queue
from chat.actions.lifecycle import conversation_accept, conversation_end
from chat.errors import ChatError
from chat.models import Conversation
from routing.models import OperatorPresence
from tests.conftest import put_online, set_routing
from tests.factories import chat_in, operator_in
from tests.races import race_rounds

pytestmark = pytest.mark.usefixtures("committed")


def operator_of(council, chat) -> int | None:
    with schema_context(council.schema_name):
        return Conversation.objects.get(id=chat.id).operator_id


def active_counts(council) -> dict[int, int]:
    with schema_context(council.schema_name):
        counts: dict[int, int] = {}
        for uid in Conversation.objects.filter(status="active").values_list(
            "operator_id", flat=True
        ):
            counts[uid] = counts.get(uid, 0) + 1
        return counts


def dispatch(council) -> int:
    with schema_context(council.schema_name):
        return dispatch_queue(council=council)


def test_least_busy_spreads_chats_evenly_and_never_past_capacity(councils):
    alpha = councils.alpha
    a = put_online(alpha, "alex")
    s = put_online(alpha, "sam")
    chats = [chat_in(alpha) for _ in range(7)]
    assert dispatch(alpha) == 6  # two operators times three chats each
    assert active_counts(alpha) == {a: 3, s: 3}
    assert operator_of(alpha, chats[-1]) is None  # the seventh waits
    with schema_context(alpha.schema_name):
        assert Conversation.objects.get(id=chats[-1].id).status == "queued"


def test_a_per_operator_limit_overrides_the_councils_default(councils):
    alpha = councils.alpha
    a = put_online(alpha, "alex", max_chats=1)
    set_routing(alpha, max_chats_per_operator=5)
    for _ in range(3):
        chat_in(alpha)
    dispatch(alpha)
    assert active_counts(alpha) == {a: 1}


def test_round_robin_takes_turns_even_when_loads_differ(councils):
    alpha = councils.alpha
    set_routing(alpha, assignment_strategy="round_robin", max_chats_per_operator=10)
    a = put_online(alpha, "alex")
    s = put_online(alpha, "sam")
    order = []
    for _ in range(4):
        chat = chat_in(alpha)
        dispatch(alpha)
        order.append(operator_of(alpha, chat))
    assert order[0] != order[1] and order[0] == order[2] and order[1] == order[3]
    assert set(order) == {a, s}


def test_manual_strategy_assigns_nothing(councils):
    alpha = councils.alpha
    set_routing(alpha, assignment_strategy="manual")
    put_online(alpha, "alex")
    chat = chat_in(alpha)
    assert dispatch(alpha) == 0
    assert operator_of(alpha, chat) is None


def test_away_offline_and_stale_operators_get_no_chats(councils):
    from datetime import timedelta

    from django.utils import timezone

    alpha = councils.alpha
    put_online(alpha, "alex", status="away")
    put_online(alpha, "sam", status="offline")
    put_online(alpha, "kim", last_seen=timezone.now() - timedelta(minutes=5))
    chat = chat_in(alpha)
    assert dispatch(alpha) == 0
    assert operator_of(alpha, chat) is None


def test_only_department_members_get_its_chats(councils):
    from routing.models import Department

    alpha = councils.alpha
    a = put_online(alpha, "alex")
    put_online(alpha, "sam")
    with schema_context(alpha.schema_name):
        Department.objects.get(slug="highways").members.set([a])
    try:
        for _ in range(2):
            chat_in(alpha, department="highways")
        dispatch(alpha)
        assert active_counts(alpha) == {a: 2}
    finally:
        with schema_context(alpha.schema_name):
            Department.objects.get(slug="highways").members.clear()


def test_a_welsh_chat_goes_to_a_welsh_speaker_and_waits_for_one_if_the_council_says_so(councils):
    from chat.actions.lifecycle import conversation_start

    alpha = councils.alpha
    put_online(alpha, "alex")
    cy = put_online(alpha, "sam", speaks_welsh=True)

    def welsh_chat():
        with schema_context(alpha.schema_name):
            conversation, _ = conversation_start(
                council=alpha, name="Rhys", message="Helo", department=None, language="cy"
            )
        return conversation

    first = welsh_chat()
    dispatch(alpha)
    assert operator_of(alpha, first) == cy

    set_routing(alpha, welsh_policy="wait")
    with schema_context(alpha.schema_name):
        OperatorPresence.objects.filter(user_id=cy).update(status="away")
    waiting = welsh_chat()
    dispatch(alpha)
    assert operator_of(alpha, waiting) is None  # alex is free, but does not speak Welsh

    set_routing(alpha, welsh_policy="fallback")
    dispatch(alpha)
    assert operator_of(alpha, waiting) is not None


def test_manual_accept_is_refused_at_capacity(councils):
    alpha = councils.alpha
    set_routing(alpha, assignment_strategy="manual", max_chats_per_operator=1)
    alex = operator_in(alpha, "alex")
    first, second = chat_in(alpha), chat_in(alpha)
    with schema_context(alpha.schema_name):
        conversation_accept(council=alpha, conversation_id=first.id, operator=alex)
        with pytest.raises(ChatError) as err:
            conversation_accept(council=alpha, conversation_id=second.id, operator=alex)
    assert err.value.code == "at_capacity"
    assert operator_of(alpha, second) is None


def _race(fns) -> list:
    barrier = threading.Barrier(len(fns))

    def run(fn):
        barrier.wait()
        try:
            return fn()
        finally:
            connection.close()

    with ThreadPoolExecutor(len(fns)) as pool:
        return list(pool.map(run, fns))


def test_two_operators_accepting_one_chat_have_exactly_one_winner_in_every_round(councils):
    alpha = councils.alpha
    set_routing(alpha, assignment_strategy="manual")
    alex, sam = operator_in(alpha, "alex"), operator_in(alpha, "sam")
    for _ in range(race_rounds()):
        chat = chat_in(alpha)

        def accept(operator, chat=chat):
            with schema_context(alpha.schema_name):
                try:
                    conversation_accept(council=alpha, conversation_id=chat.id, operator=operator)
                    return operator
                except ChatError as err:
                    return err.code

        outcomes = _race([lambda: accept(alex), lambda: accept(sam)])
        winners = [o for o in outcomes if not isinstance(o, str)]
        assert len(winners) == 1, outcomes
        assert [o for o in outcomes if isinstance(o, str)] == ["already_taken"]
        assert operator_of(alpha, chat) == winners[0].id
        with schema_context(alpha.schema_name):
            conversation_end(council=alpha, conversation_id=chat.id, operator=winners[0])


def test_two_chats_racing_for_one_operators_last_slot_have_exactly_one_winner_in_every_round(
    councils,
):
    alpha = councils.alpha
    set_routing(alpha, assignment_strategy="manual", max_chats_per_operator=1)
    alex = operator_in(alpha, "alex")
    for _ in range(race_rounds()):
        first, second = chat_in(alpha), chat_in(alpha)

        def accept(chat):
            with schema_context(alpha.schema_name):
                try:
                    conversation_accept(council=alpha, conversation_id=chat.id, operator=alex)
                    return chat.id
                except ChatError as err:
                    return err.code

        outcomes = _race([functools.partial(accept, first), functools.partial(accept, second)])
        assert sorted(map(str, outcomes)).count("at_capacity") == 1, outcomes
        assert active_counts(alpha) == {alex.id: 1}
        won = first if first.id in outcomes else second
        with schema_context(alpha.schema_name):
            conversation_end(council=alpha, conversation_id=won.id, operator=alex)
            loser = second if won is first else first
            conversation_end(council=alpha, conversation_id=loser.id)


def test_automatic_assignment_from_two_processes_never_exceeds_capacity(councils):
    """Dispatchers racing on separate connections, as several server processes would."""
    alpha = councils.alpha
    a = put_online(alpha, "alex")
    s = put_online(alpha, "sam")
    for _ in range(10):
        chat_in(alpha)
    _race([lambda: dispatch(alpha) for _ in range(4)])
    assert active_counts(alpha) == {a: 3, s: 3}
