"""Issue 12's socket guarantees on the sockets added since (issue 15): the supervisor view
(/ws/supervisor/) and the console's presence pings. Through a Redis restart they stay open,
re-join their groups and fill the gap from PostgreSQL; a database error answers
`unavailable`, never 1011; SIGTERM closes them with 1012 (test_serve.py starts the daphne).

Redis here is the test's own (tests/reliability/live.py), killed and restarted; the
machine's is never touched.
"""

from __future__ import annotations

import asyncio
import json
import os

import pytest
import redis
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings
from django_tenants.utils import schema_context
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chat import groups
from routing.models import ConsoleSocket
from tests.conftest import put_online
from tests.factories import accepted_chat_in, chat_in, operator_in
from tests.reliability.live import Daphne, daphne_env, django_database_url
from tests.sockets import (
    joined_visitor,
    login_session,
    login_session_unsafe,
    next_of_type,
    open_socket,
    operator_socket,
)

pytestmark = pytest.mark.usefixtures("manual_assignment")


@sync_to_async
def a_supervisor_and_a_chat(council):
    duty = operator_in(council, "duty")
    put_online(council, "duty")
    # A superuser holds the supervise permission without depending on the seeded group.
    operator_in(council, "chris", is_superuser=True)
    return accepted_chat_in(council, duty)


async def supervisor_socket(council):
    comm = operator_socket(council, await login_session(council, "chris"))
    comm.scope["path"] = "/ws/supervisor/"
    assert (await open_socket(comm))["type"] == "overview"
    return comm


async def test_the_supervisor_view_survives_a_redis_restart_and_fills_the_gap(
    councils, layer_on_own_redis
):
    alpha = councils.alpha
    chat = await a_supervisor_and_a_chat(alpha)
    supervisor = await supervisor_socket(alpha)
    await supervisor.send_json_to({"type": "watch", "conversation": str(chat.id)})
    watching = await next_of_type(supervisor, "watching")
    last_seq = watching["conversation"]["last_seq"]
    visitor = await joined_visitor(chat)

    layer_on_own_redis.kill()
    await visitor.send_json_to({"type": "message", "client_id": "gap", "body": "Anyone?"})
    ack = await next_of_type(visitor, "ack", timeout=10)
    assert ack["seq"] == last_seq + 1
    await asyncio.to_thread(layer_on_own_redis.start)  # a new, empty Redis

    # Without reconnecting: the missed message from PostgreSQL, once ...
    missed = await next_of_type(supervisor, "message", timeout=15)
    assert (missed["seq"], missed["body"]) == (ack["seq"], "Anyone?")
    # ... the queue group re-joined (a new chat reaches the overview) ...
    await sync_to_async(chat_in)(alpha)
    overview = await next_of_type(supervisor, "overview", timeout=15)
    while len(overview["queue"]) != 1:
        overview = await next_of_type(supervisor, "overview", timeout=15)
    # ... and the watched chat's group too: the next message arrives live.
    await visitor.send_json_to({"type": "message", "client_id": "live", "body": "Hello?"})
    live = await next_of_type(supervisor, "message", timeout=15)
    assert live["seq"] == ack["seq"] + 1
    for comm in (visitor, supervisor):
        await comm.disconnect()


async def test_console_pings_are_answered_through_a_redis_restart_and_presence_holds(
    councils, layer_on_own_redis, settings
):
    """The console's pings (issue 15) need no Redis: the socket is not closed as silent, its
    ConsoleSocket row keeps being beaten, and queue frames reach it again afterwards."""
    settings.OPERATOR_HEARTBEAT_SECONDS = 0.3
    alpha = councils.alpha
    await a_supervisor_and_a_chat(alpha)
    console = operator_socket(alpha, await login_session(alpha, "duty"))
    assert (await open_socket(console))["type"] == "hello"

    @sync_to_async
    def beaten_at():
        with schema_context(alpha.schema_name):  # the console's own row, not put_online's
            rows = ConsoleSocket.objects.exclude(channel_name__startswith="test-")
            return rows.values_list("beat_at", flat=True).get()

    before = await beaten_at()
    layer_on_own_redis.kill()
    for _ in range(4):
        await console.send_json_to({"type": "ping"})
        assert (await next_of_type(console, "pong", timeout=5))["type"] == "pong"
        await asyncio.sleep(0.3)
    await asyncio.to_thread(layer_on_own_redis.start)
    for _ in range(4):
        await console.send_json_to({"type": "ping"})
        await next_of_type(console, "pong", timeout=5)
        await asyncio.sleep(0.3)
    assert await beaten_at() > before
    await sync_to_async(chat_in)(alpha)  # the queue group is back: the console hears of it
    await next_of_type(console, "queue_add", timeout=15)
    await console.disconnect()


async def test_a_database_error_on_the_supervisor_socket_answers_unavailable_not_1011(
    councils, layer_on_own_redis, connections_cut
):
    alpha = councils.alpha
    chat = await a_supervisor_and_a_chat(alpha)
    supervisor = await supervisor_socket(alpha)
    await asyncio.to_thread(connections_cut)
    await supervisor.send_json_to({"type": "watch", "conversation": str(chat.id)})
    error = await next_of_type(supervisor, "error")
    assert (error["code"], error["retry"]) == ("unavailable", True)
    await supervisor.send_json_to({"type": "watch", "conversation": str(chat.id)})
    assert (await next_of_type(supervisor, "watching"))["conversation"]["id"] == str(chat.id)
    await asyncio.to_thread(connections_cut)
    await supervisor.send_json_to({"type": "sync"})
    error = await next_of_type(supervisor, "error")
    assert (error["code"], error["retry"]) == ("unavailable", True)
    await supervisor.send_json_to({"type": "sync"})
    assert (await next_of_type(supervisor, "overview"))["type"] == "overview"
    await supervisor.disconnect()


@pytest.mark.live_server
async def test_on_sigterm_the_supervisor_view_is_closed_with_1012_and_leaves_its_groups(councils):
    env = daphne_env(django_database_url(), os.environ["REDIS_URL"], SHUTDOWN_GRACE_SECONDS="15")
    daphne = await asyncio.to_thread(lambda: Daphne(env=env).start())
    try:
        chat = await a_supervisor_and_a_chat(councils.alpha)
        session = await asyncio.to_thread(login_session_unsafe, councils.alpha, "chris")
        host = f"alpha.localhost:{daphne.port}"
        ws = await connect(
            f"ws://{host}/ws/supervisor/",
            host="127.0.0.1",
            port=daphne.port,
            origin=f"http://{host}",
            additional_headers={"Cookie": f"sessionid={session}"},
        )
        assert json.loads(await ws.recv())["type"] == "overview"
        await ws.send(json.dumps({"type": "watch", "conversation": str(chat.id)}))
        while json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] != "watching":
            pass
        prefix = django_settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
        keys = [
            f"{prefix}:group:{groups.queue_group(councils.alpha.id)}",
            f"{prefix}:group:{groups.conversation_group(councils.alpha.id, chat.id)}",
        ]
        store = redis.Redis.from_url(os.environ["REDIS_URL"])
        assert [store.zcard(key) for key in keys] == [1, 1]
        took = await asyncio.to_thread(daphne.terminate)
        with pytest.raises(ConnectionClosed):
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == 1012 and ws.protocol.close_rcvd is not None
        assert took < 15, daphne.output()[-2000:]
        assert [store.zcard(key) for key in keys] == [0, 0], daphne.output()[-2000:]
    finally:
        daphne.kill()
