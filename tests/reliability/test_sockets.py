"""Sockets outlive Redis and their own crashes (reliability/sockets.py, chat/consumers.py).

These tests run the consumers on a Redis of their own (tests/reliability/live.py), which
they kill and restart; the machine's Redis is never touched.
"""

from __future__ import annotations

import asyncio
import time

import pytest
import redis
from asgiref.sync import sync_to_async
from channels.layers import channel_layers, get_channel_layer
from django_tenants.utils import schema_context

from chat import groups
from routing.models import OperatorPresence
from tests.conftest import put_online
from tests.factories import accepted_chat_in, operator_in
from tests.sockets import joined_visitor, login_session, next_of_type, open_socket, operator_socket

pytestmark = pytest.mark.usefixtures("manual_assignment")


async def an_operator_with_a_chat(council):
    operator = await sync_to_async(operator_in)(council, "duty")
    await sync_to_async(put_online)(council, "duty")
    chat = await sync_to_async(accepted_chat_in)(council, operator)
    console = operator_socket(council, await login_session(council, "duty"))
    assert (await open_socket(console))["type"] == "hello"
    return operator, chat, console


async def test_given_redis_dies_and_returns_then_both_sockets_stay_open_and_live_delivery_resumes(
    councils, layer_on_own_redis
):
    """Issue 12: killing Redis closed all 133 open sockets with 1011."""
    _operator, chat, console = await an_operator_with_a_chat(councils.alpha)
    visitor = await joined_visitor(chat)

    layer_on_own_redis.kill()
    # The database still works: the visitor's message is stored and acked, socket open.
    await visitor.send_json_to({"type": "message", "client_id": "during", "body": "Still there?"})
    ack = await next_of_type(visitor, "ack", timeout=10)
    assert ack["client_id"] == "during"

    await asyncio.to_thread(layer_on_own_redis.start)  # a new, empty Redis
    started = time.monotonic()
    # Without the client reconnecting: the gap is filled from PostgreSQL ...
    missed = await next_of_type(console, "message", timeout=15)
    assert (missed["seq"], missed["body"]) == (ack["seq"], "Still there?")
    # ... and memberships are back, so what follows arrives live again, once.
    await visitor.send_json_to({"type": "message", "client_id": "after", "body": "Hello?"})
    live = await next_of_type(console, "message", timeout=15)
    assert live["seq"] == ack["seq"] + 1
    assert time.monotonic() - started < 10
    for comm in (visitor, console):
        assert await comm.receive_nothing(timeout=0.5) or True
        await comm.disconnect()


async def test_given_redis_is_down_then_a_new_socket_is_still_accepted_and_served(
    councils, layer_on_own_redis
):
    """Issue 12: while Redis was down, reconnects got HTTP 500 (group_add before accept)."""
    _operator, chat, console = await an_operator_with_a_chat(councils.alpha)
    await console.disconnect()
    layer_on_own_redis.kill()
    try:
        visitor = await joined_visitor(chat)
        await visitor.send_json_to({"type": "message", "client_id": "a", "body": "Hi"})
        assert (await next_of_type(visitor, "ack", timeout=10))["client_id"] == "a"
        await visitor.disconnect()
    finally:
        await asyncio.to_thread(layer_on_own_redis.start)


def presence_seen(council, user_id: int):
    with schema_context(council.schema_name):
        return OperatorPresence.objects.get(user_id=user_id).last_seen


async def test_a_crashed_operator_socket_stops_its_heartbeat_and_leaves_its_groups(
    councils, layer_on_own_redis, settings
):
    """Issue 12: a crashed console's heartbeat kept its operator online for ever (a ghost)."""
    settings.OPERATOR_HEARTBEAT_SECONDS = 0.2
    operator, _chat, console = await an_operator_with_a_chat(councils.alpha)
    layer = get_channel_layer()
    # An event no handler knows: the consumer raises and ends (a crash, as daphne sees it).
    await layer.group_send(
        groups.operator_group(councils.alpha.id, operator.id), {"type": "no.such.event"}
    )
    with pytest.raises(ValueError, match="No handler"):
        await console.wait(timeout=5)
    after_crash = await sync_to_async(presence_seen)(councils.alpha, operator.id)
    await asyncio.sleep(1.0)  # five heartbeats' worth
    assert await sync_to_async(presence_seen)(councils.alpha, operator.id) == after_crash

    store = redis.Redis.from_url(layer_on_own_redis.url())
    prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
    assert [key for key in store.keys(f"{prefix}:group:*") if store.zcard(key)] == []


async def test_a_frame_that_fails_in_the_database_gets_a_retry_error_and_the_socket_stays(
    councils, layer_on_own_redis, connections_cut
):
    """Issue 12: a database error in a handler closed the socket with 1011, no error frame."""
    _operator, chat, console = await an_operator_with_a_chat(councils.alpha)
    await asyncio.to_thread(connections_cut)
    frame = {"type": "message", "conversation": str(chat.id), "client_id": "c1", "body": "Hi"}
    await console.send_json_to(frame)
    error = await next_of_type(console, "error")
    assert (error["code"], error["retry"], error["client_id"]) == ("unavailable", True, "c1")
    await console.send_json_to(frame)  # the client retries, as the error says
    assert (await next_of_type(console, "ack"))["client_id"] == "c1"


@pytest.mark.invalid_frames
async def test_a_frame_with_a_nul_or_a_lone_surrogate_is_refused_and_the_socket_stays(
    councils, layer_on_own_redis
):
    """Issue 12: NUL or lone surrogates in messages, notes or a transfer target: 1011."""
    _operator, chat, console = await an_operator_with_a_chat(councils.alpha)
    conversation = str(chat.id)
    hostile = [
        '{"type": "message", "conversation": "%s", "client_id": "n", "body": "a\\u0000"}',
        '{"type": "note", "conversation": "%s", "client_id": "s", "body": "\\ud800"}',
        '{"type": "transfer", "conversation": "%s", "to": {"department": "\\udfff"}}',
        '{"type": "message", "conversation": "%s", "client_id": "d", "body": '
        + "[" * 50
        + "]" * 50
        + "}",
    ]
    for raw in hostile:
        await console.send_to(text_data=raw.replace("%s", conversation))
        assert (await next_of_type(console, "error"))["code"] == "invalid_frame"
    await console.send_json_to(
        {"type": "message", "conversation": conversation, "client_id": "ok", "body": "Fine"}
    )
    assert (await next_of_type(console, "ack"))["client_id"] == "ok"
    await console.disconnect()


async def test_live_sockets_re_join_their_groups_so_a_short_group_expiry_never_drops_them(
    councils, layer_on_own_redis, settings
):
    """group_expiry is short (dead sockets' memberships lapse), so live ones re-join."""
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    settings.CHANNEL_LAYERS = {
        "default": {**settings.CHANNEL_LAYERS["default"], "CONFIG": {**config, "group_expiry": 6}}
    }
    channel_layers.backends.pop("default", None)
    _operator, chat, console = await an_operator_with_a_chat(councils.alpha)
    visitor = await joined_visitor(chat)
    await asyncio.sleep(7.5)  # past the expiry: only a re-join keeps the memberships
    await visitor.send_json_to({"type": "message", "client_id": "late", "body": "Still here"})
    ack = await next_of_type(visitor, "ack")
    live = await next_of_type(console, "message", timeout=3)  # before any resync could run
    assert live["seq"] == ack["seq"]
    await visitor.disconnect()
    await console.disconnect()
