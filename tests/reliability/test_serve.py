"""Our web server as the production image runs it (the Dockerfile's CMD, reliability.serve):
redeploys drain with 1012, oversize frames get 1009, a client-set X-Forwarded-For changes
nothing, and a lossy PostgreSQL is reported at start."""

from __future__ import annotations

import asyncio
import json
import os
import urllib.request

import pytest
import redis
from django.conf import settings
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chat import groups
from tests.conftest import put_online
from tests.factories import chat_in
from tests.reliability.live import Daphne, daphne_env, django_database_url
from tests.sockets import login_session_unsafe

pytestmark = [pytest.mark.usefixtures("manual_assignment"), pytest.mark.live_server]


def server(**env: str) -> Daphne:
    return Daphne(env=daphne_env(django_database_url(), os.environ["REDIS_URL"], **env))


@pytest.fixture(scope="module")
def lossy_server(councils):
    """Started with a session that has synchronous_commit=off, and real rate limits."""
    daphne = server(
        PGOPTIONS="-c synchronous_commit=off",
        DJANGO_SETTINGS_MODULE="tests.reliability.live_settings",
    ).start()
    yield daphne
    daphne.kill()


def post_chat(daphne: Daphne, forwarded_for: str, name: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{daphne.port}/widget/conversations",
        data=json.dumps({"name": name, "message": "Hello"}).encode(),
        headers={
            "Host": "gamma.localhost",
            "Content-Type": "application/json",
            "X-Forwarded-For": forwarded_for,
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def test_a_server_whose_postgresql_can_lose_acked_messages_says_so_loudly_at_start(lossy_server):
    log = lossy_server.output()
    assert "WARNING" in log and "DURABILITY" in log and "synchronous_commit=off" in log


def test_a_client_set_forwarded_for_does_not_reset_the_per_address_limit(councils, lossy_server):
    """Issue 12: daphne --proxy-headers believed the header, 30 of 30 chat starts went through."""
    put_online(councils.gamma)
    answers = [post_chat(lossy_server, f"198.51.100.{i}", f"Jo {i}") for i in range(5)]
    assert answers == [201, 201, 201, 429, 429]


async def test_a_message_over_64_kib_is_answered_with_1009_and_a_close_frame(
    councils, lossy_server
):
    chat = await asyncio.to_thread(chat_in, councils.alpha)
    host = f"alpha.localhost:{lossy_server.port}"
    async with connect(
        f"ws://{host}/ws/visitor/{chat.id}/?token={chat.token}",
        host="127.0.0.1",
        port=lossy_server.port,
        origin=f"http://{host}",
        max_size=None,
    ) as ws:
        assert json.loads(await ws.recv())["type"] == "hello"
        await ws.send(json.dumps({"type": "message", "client_id": "big", "body": "x" * 70_000}))
        with pytest.raises(ConnectionClosed):
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == 1009 and ws.protocol.close_rcvd is not None


async def test_on_sigterm_every_socket_is_closed_with_1012_its_groups_left_and_the_server_exits(
    councils,
):
    """Issue 12: a redeploy closed every socket with 1006 and left its memberships in Redis."""
    daphne = await asyncio.to_thread(lambda: server(SHUTDOWN_GRACE_SECONDS="15").start())
    try:
        operator_id = await asyncio.to_thread(put_online, councils.alpha)
        session = await asyncio.to_thread(login_session_unsafe, councils.alpha, "duty")
        chat = await asyncio.to_thread(chat_in, councils.alpha)
        host = f"alpha.localhost:{daphne.port}"
        common = {"host": "127.0.0.1", "port": daphne.port, "origin": f"http://{host}"}
        visitor = await connect(f"ws://{host}/ws/visitor/{chat.id}/?token={chat.token}", **common)
        operator = await connect(
            f"ws://{host}/ws/operator/",
            additional_headers={"Cookie": f"sessionid={session}"},
            **common,
        )
        assert json.loads(await visitor.recv())["type"] == "hello"
        assert json.loads(await operator.recv())["type"] == "hello"

        layer = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
        keys = [
            f"{layer}:group:{name}"
            for name in (
                groups.conversation_group(councils.alpha.id, chat.id),
                groups.operator_group(councils.alpha.id, operator_id),
                groups.queue_group(councils.alpha.id),
            )
        ]
        store = redis.Redis.from_url(os.environ["REDIS_URL"])
        assert all(store.zcard(key) == 1 for key in keys)

        took = await asyncio.to_thread(daphne.terminate)
        for ws in (visitor, operator):
            with pytest.raises(ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), 10)
            assert ws.close_code == 1012, ws.close_code
            assert (
                ws.protocol.close_rcvd is not None
            )  # a real close frame, not a dropped connection
        assert took < 15, daphne.output()[-2000:]
        assert [store.zcard(key) for key in keys] == [0, 0, 0], daphne.output()[-2000:]
        assert "drained" in daphne.output()
    finally:
        daphne.kill()
