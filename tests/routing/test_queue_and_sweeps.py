"""The queue as visitors see it, and the sweeps that keep chats from being orphaned."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from django_tenants.utils import schema_context

from chat.actions.lifecycle import conversation_accept, conversation_end
from chat.actions.sweeps import sweep_council
from chat.models import Conversation, Message
from chat.queue import estimate_wait_s
from routing.models import ConsoleSocket, OperatorPresence
from tests.conftest import put_online, set_routing
from tests.factories import chat_in, operator_in
from tests.sockets import (
    drain,
    frames_until,
    joined_visitor,
    next_of_type,
    open_socket,
    visitor_socket,
)

pytestmark = pytest.mark.usefixtures("manual_assignment")


def status_of(council, chat) -> str:
    with schema_context(council.schema_name):
        return Conversation.objects.get(id=chat.id).status


def sweep(council, **later):
    with schema_context(council.schema_name):
        return sweep_council(council=council, now=timezone.now() + timedelta(**later))


async def test_queued_visitors_hear_their_position_change_as_chats_come_and_go(councils):
    alpha = councils.alpha
    first = await sync_to_async(chat_in)(alpha)
    second = await sync_to_async(chat_in)(alpha)
    third = await sync_to_async(chat_in)(alpha)
    visitor = visitor_socket(third.id, third.token, host="alpha.localhost")
    assert (await open_socket(visitor))["type"] == "hello"
    assert (await next_of_type(visitor, "queue"))["position"] == 3  # told at once on joining
    alex = await sync_to_async(operator_in)(alpha, "alex")

    @sync_to_async
    def accept(chat):
        with schema_context(alpha.schema_name):
            conversation_accept(council=alpha, conversation_id=chat.id, operator=alex)

    @sync_to_async
    def visitor_leaves(chat):
        with schema_context(alpha.schema_name):
            conversation_end(council=alpha, conversation_id=chat.id)

    await accept(first)
    update = await next_of_type(visitor, "queue")
    assert update["position"] == 2
    assert update["estimated_wait_s"] > 0
    await visitor_leaves(second)
    assert (await next_of_type(visitor, "queue"))["position"] == 1
    await visitor.disconnect()


def test_the_estimate_grows_with_position_and_shrinks_with_free_operators():
    assert estimate_wait_s(1, 1, 60) == 60
    assert estimate_wait_s(4, 1, 60) == 240
    assert estimate_wait_s(4, 2, 60) == 120
    assert estimate_wait_s(3, 0, 60) == 180  # nobody free yet: still an honest number


def test_past_the_queue_cap_a_new_chat_is_refused_as_offline(councils):
    import json

    from django.test import Client

    alpha = councils.alpha
    put_online(alpha, "alex")
    set_routing(alpha, assignment_strategy="manual", queue_cap=2)
    client = Client(HTTP_HOST="alpha.localhost")
    body = json.dumps({"name": "Jo", "message": "Hello"})
    assert client.post("/widget/conversations", body, "application/json").status_code == 201
    assert client.post("/widget/conversations", body, "application/json").status_code == 201
    full = client.post("/widget/conversations", body, "application/json")
    assert full.status_code == 409
    assert full.json()["reason"] == "queue_full"
    with schema_context(alpha.schema_name):
        assert Conversation.objects.count() == 2


def test_with_nobody_online_a_new_chat_is_refused_as_offline_and_nothing_is_stored(councils):
    import json

    from django.test import Client

    response = Client(HTTP_HOST="alpha.localhost").post(
        "/widget/conversations", json.dumps({"name": "Jo", "message": "Hi"}), "application/json"
    )
    assert response.status_code == 409
    assert response.json()["reason"] == "no_operator_online"
    assert response.json()["detail"]
    with schema_context(councils.alpha.schema_name):
        assert Conversation.objects.count() == 0


def test_a_chat_waiting_too_long_becomes_missed_and_stays_for_follow_up(councils):
    alpha = councils.alpha
    set_routing(alpha, assignment_strategy="manual", missed_after_seconds=300)
    chat = chat_in(alpha)
    assert sweep(alpha, seconds=60).missed == 0
    assert sweep(alpha, seconds=301).missed == 1
    assert status_of(alpha, chat) == "missed"
    with schema_context(alpha.schema_name):
        last = Message.objects.filter(conversation_id=chat.id).order_by("-seq").first()
        # No way to reach the resident: no promise of a follow-up (issue 15).
        assert "Leave your contact details" in last.body


def test_a_missed_chat_promises_a_follow_up_only_when_the_resident_left_contact_details(
    councils,
):
    from chat.actions.lifecycle import conversation_start
    from widgets.models import PrechatField

    alpha = councils.alpha
    set_routing(alpha, assignment_strategy="manual", missed_after_seconds=300)
    with schema_context(alpha.schema_name):
        PrechatField.objects.create(key="email", kind="email", label="Email")
        with_email, _ = conversation_start(
            council=alpha,
            name="Jo",
            message="Bins?",
            department=None,
            prechat={"email": "jo@example.com"},
        )
    sweep(alpha, seconds=301)
    with schema_context(alpha.schema_name):
        last = Message.objects.filter(conversation_id=with_email.id).order_by("-seq").first()
        assert last.body == "Sorry, no one could answer in time. The council will follow up."


def test_an_accepted_chat_not_answered_in_time_goes_back_to_the_queue(councils):
    from chat.actions.messages import message_create

    alpha = councils.alpha
    set_routing(alpha, assignment_strategy="manual", unanswered_after_seconds=120)
    alex_id = put_online(alpha, "alex")
    alex = operator_in(alpha, "alex")
    quiet, answered = chat_in(alpha), chat_in(alpha)
    with schema_context(alpha.schema_name):
        conversation_accept(council=alpha, conversation_id=quiet.id, operator=alex)
        conversation_accept(council=alpha, conversation_id=answered.id, operator=alex)
        message_create(
            council=alpha, conversation_id=answered.id, body="Hello!", client_id="r1", operator=alex
        )
        OperatorPresence.objects.filter(user_id=alex_id).update(
            last_seen=timezone.now() + timedelta(seconds=200)
        )
    report = sweep(alpha, seconds=121)
    assert report.requeued_unanswered == 1
    assert status_of(alpha, quiet) == "queued"
    assert status_of(alpha, answered) == "active"
    with schema_context(alpha.schema_name):
        requeued = Conversation.objects.get(id=quiet.id)
        assert requeued.operator_id is None and requeued.priority == 1


async def test_a_dropped_operators_chats_go_to_the_front_and_visitors_are_told(councils):
    alpha = councils.alpha
    waiting_before = await sync_to_async(chat_in)(alpha)

    @sync_to_async
    def accepted_by_dropped_operator():
        put_online(alpha, "alex")
        alex = operator_in(alpha, "alex")
        chat = chat_in(alpha)
        with schema_context(alpha.schema_name):
            conversation_accept(council=alpha, conversation_id=chat.id, operator=alex)
            OperatorPresence.objects.filter(user_id=alex.id).update(
                last_seen=timezone.now() - timedelta(seconds=61)
            )
            ConsoleSocket.objects.filter(user_id=alex.id).delete()  # their console went
        return chat

    chat = await accepted_by_dropped_operator()
    visitor = await joined_visitor(chat)
    report = await sync_to_async(sweep)(alpha)
    assert (report.operators_dropped, report.requeued_dropped) == (1, 1)
    frames = await frames_until(visitor, lambda f: f["type"] == "status")
    assert frames[-1] == {"type": "status", "status": "queued", "operator": None}
    frames += await drain(visitor)
    assert any(f["type"] == "message" and "front of the queue" in f["body"] for f in frames)
    assert any(f["type"] == "queue" and f["position"] == 1 for f in frames)

    @sync_to_async
    def queue_order():
        with schema_context(alpha.schema_name):
            from chat.queue import queued_ids_in_order

            return queued_ids_in_order()

    assert await queue_order() == [chat.id, waiting_before.id]
    await visitor.disconnect()


def test_an_operator_going_offline_hands_back_their_chats_at_once(councils):
    from chat.actions.presence import presence_set

    alpha = councils.alpha
    put_online(alpha, "alex")
    alex = operator_in(alpha, "alex")
    chat = chat_in(alpha)
    with schema_context(alpha.schema_name):
        conversation_accept(council=alpha, conversation_id=chat.id, operator=alex)
        presence_set(council=alpha, user_id=alex.id, status="offline")
    assert status_of(alpha, chat) == "queued"


async def test_a_burst_of_assignments_reaches_waiting_visitors_as_one_final_position(councils):
    from chat.actions.assignment import dispatch_queue

    alpha = councils.alpha
    set_routing_async = sync_to_async(set_routing)
    await set_routing_async(alpha, assignment_strategy="least_busy", max_chats_per_operator=1)
    first = await sync_to_async(chat_in)(alpha)
    await sync_to_async(chat_in)(alpha)
    third = await sync_to_async(chat_in)(alpha)
    visitor = visitor_socket(third.id, third.token, host="alpha.localhost")
    await open_socket(visitor)
    assert (await next_of_type(visitor, "queue"))["position"] == 3

    @sync_to_async
    def two_operators_arrive_and_dispatch() -> int:
        put_online(alpha, "alex")
        put_online(alpha, "sam")
        with schema_context(alpha.schema_name):
            return dispatch_queue(council=alpha)

    assert await two_operators_arrive_and_dispatch() == 2
    positions = [f["position"] for f in await drain(visitor) if f["type"] == "queue"]
    assert positions == [1]  # not 2 then 1: one announcement for the whole burst
    assert await sync_to_async(status_of)(alpha, first) == "active"
    await visitor.disconnect()
