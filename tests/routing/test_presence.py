"""The console keeps an operator present; presence decides who gets chats automatically."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django_tenants.utils import schema_context

from routing.models import OperatorPresence
from tests.factories import chat_in, operator_in
from tests.polling import apoll_until
from tests.sockets import (
    frames_until,
    login_session,
    next_of_type,
    open_socket,
    operator_socket,
)

pytestmark = pytest.mark.usefixtures("committed")


@sync_to_async
def presence_of(council, user_id) -> OperatorPresence:
    with schema_context(council.schema_name):
        return OperatorPresence.objects.get(user_id=user_id)


async def test_opening_the_console_makes_the_operator_online_and_queued_chats_come_to_them(
    councils,
):
    alpha = councils.alpha
    waiting = await sync_to_async(chat_in)(alpha)
    alex = await sync_to_async(operator_in)(alpha, "alex")
    console = operator_socket(alpha, await login_session(alpha, "alex"))
    hello = await open_socket(console)
    assert hello["presence"]["status"] == "online"
    assert [o["name"] for o in hello["operators"] if o["id"] == alex.id] == ["Alex"]
    assert {d["slug"] for d in hello["departments"]} >= {"parking", "highways"}
    assert [c["slug"] for c in hello["councils"]] == ["beta"]  # alpha's fellow member
    # The waiting chat was assigned as the console connected: hello already lists it.
    assert [c["id"] for c in hello["active"]] == [str(waiting.id)]
    assert hello["presence"] == {"status": "online", "active": 1, "max_chats": 3}
    await console.disconnect()


@pytest.mark.invalid_frames  # refused frames on purpose (tests/protocol.py)
async def test_an_away_operator_gets_no_new_chats_until_back_online(councils):
    alpha = councils.alpha
    alex = await sync_to_async(operator_in)(alpha, "alex")
    console = operator_socket(alpha, await login_session(alpha, "alex"))
    await open_socket(console)
    await console.send_json_to({"type": "presence", "status": "away"})
    frames = await frames_until(console, lambda f: f.get("status") == "away")
    assert frames[-1]["type"] == "presence"
    chat = await sync_to_async(chat_in)(alpha)
    added = await next_of_type(console, "queue_add")
    assert added["conversation"]["id"] == str(chat.id)
    await console.send_json_to({"type": "presence", "status": "online"})
    assigned = await next_of_type(console, "accepted")
    assert assigned["conversation"]["id"] == str(chat.id)
    await console.send_json_to({"type": "presence", "status": "sleeping"})
    assert (await next_of_type(console, "error"))["code"] == "invalid_frame"
    assert (await presence_of(alpha, alex.id)).status == "online"
    await console.disconnect()


async def test_the_socket_heartbeat_keeps_last_seen_fresh_and_closing_starts_the_grace(
    councils, settings
):
    settings.OPERATOR_HEARTBEAT_SECONDS = 0.2
    alpha = councils.alpha
    alex = await sync_to_async(operator_in)(alpha, "alex")
    console = operator_socket(alpha, await login_session(alpha, "alex"))
    await open_socket(console)
    first = (await presence_of(alpha, alex.id)).last_seen

    async def beaten_since_opening():
        last_seen = (await presence_of(alpha, alex.id)).last_seen
        return last_seen if last_seen > first else None

    beaten = await apoll_until(beaten_since_opening, "a heartbeat to refresh last_seen")
    await console.disconnect()
    closed = await presence_of(alpha, alex.id)
    assert closed.last_seen >= beaten
    assert closed.status == "online"  # the sweep decides after the grace period
