"""/ws/supervisor/ (chat/supervisor_socket.py) over a real socket (issue 15): who may open
it, the overview and its live updates, read-only watching, and reassignment."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Group
from django_tenants.utils import schema_context

from config.asgi import application
from councils.onboarding import COUNCIL_ADMINS
from tests.conftest import put_online
from tests.factories import accepted_chat_in, chat_in, operator_in
from tests.sockets import (
    drain,
    expect_refused,
    frames_until,
    joined_visitor,
    login_session,
    next_of_type,
    open_socket,
    operator_socket,
)

pytestmark = pytest.mark.usefixtures("manual_assignment")

make_operator = sync_to_async(operator_in)
start_chat = sync_to_async(chat_in)
start_accepted_chat = sync_to_async(accepted_chat_in)
online = sync_to_async(put_online)


@sync_to_async
def make_admin(council, username: str):
    admin = operator_in(council, username, first_name="Chris", last_name="Evans")
    with schema_context(council.schema_name):
        Group.objects.get(name=COUNCIL_ADMINS).user_set.add(admin.id)
    return admin


def supervisor_socket(council, session_key, host=None) -> WebsocketCommunicator:
    host = host or council.hosts[0]
    headers = [(b"host", host.encode()), (b"origin", f"http://{host}".encode())]
    if session_key:
        headers.append((b"cookie", f"sessionid={session_key}".encode()))
    return WebsocketCommunicator(application, "/ws/supervisor/", headers=headers)


async def supervisor(council, username="chris"):
    comm = supervisor_socket(council, await login_session(council, username))
    first = await open_socket(comm)
    assert first["type"] == "overview", first
    return comm, first


async def test_a_plain_operator_and_a_stranger_are_refused_and_another_councils_admin_too(
    councils,
):
    await make_operator(councils.alpha, "alex")
    await expect_refused(
        supervisor_socket(councils.alpha, await login_session(councils.alpha, "alex")),
        4403,
        "forbidden",
    )
    await expect_refused(supervisor_socket(councils.alpha, None), 4401, "login_required")
    await make_admin(councils.beta, "chris")
    beta_session = await login_session(councils.beta, "chris")
    await expect_refused(supervisor_socket(councils.alpha, beta_session), 4401, "login_required")


async def test_the_overview_follows_a_chat_from_arrival_to_acceptance(councils):
    alpha = councils.alpha
    await make_admin(alpha, "chris")
    await online(alpha, "alex")  # put_online makes "Alex" of alex: the full name comes next
    alex = await make_operator(alpha, "alex", first_name="Alex", last_name="Morgan")
    comm, first = await supervisor(alpha)
    assert first["queue"] == []
    assert "Alex Morgan" in [o["full_name"] for o in first["operators"]]

    chat = await start_chat(alpha, name="Jo Bloggs")
    queued = await frames_until(comm, lambda f: f["type"] == "overview" and f["queue"])
    assert queued[-1]["queue"][0]["visitor_name"] == "Jo Bloggs"

    console = operator_socket(alpha, await login_session(alpha, "alex"))
    await open_socket(console)
    await console.send_json_to({"type": "accept", "conversation": str(chat.id)})
    taken = await frames_until(
        comm,
        lambda f: (
            f["type"] == "overview"
            and not f["queue"]
            and any(o["id"] == alex.id and o["chats"] for o in f["operators"])
        ),
    )
    row = next(o for o in taken[-1]["operators"] if o["id"] == alex.id)
    assert row["chats"][0]["id"] == str(chat.id)
    assert taken[-1]["today"]["answered"] >= 1
    await console.disconnect()
    await comm.disconnect()


async def test_a_watched_chat_streams_its_messages_and_the_socket_cannot_write_to_it(councils):
    alpha = councils.alpha
    await make_admin(alpha, "chris")
    alex = await make_operator(alpha, "alex", first_name="Alex")
    await online(alpha, "alex")
    chat = await start_accepted_chat(alpha, alex, message="Where is my bin?")
    comm, _ = await supervisor(alpha)
    await comm.send_json_to({"type": "watch", "conversation": str(chat.id)})
    watching = await next_of_type(comm, "watching")
    bodies = [m["body"] for m in watching["messages"]]
    assert bodies == ["Where is my bin?", "Alex joined the chat."]

    resident = await joined_visitor(chat)
    await resident.send_json_to({"type": "message", "client_id": "r-1", "body": "Still there?"})
    message = await next_of_type(comm, "message")
    assert (message["conversation"], message["body"]) == (str(chat.id), "Still there?")

    await comm.send_json_to({"type": "unwatch", "conversation": str(chat.id)})
    await comm.send_json_to({"type": "sync"})
    await next_of_type(comm, "overview")
    await resident.send_json_to({"type": "message", "client_id": "r-2", "body": "Hello?"})
    await next_of_type(resident, "ack")
    assert [f for f in await drain(comm) if f["type"] == "message"] == []
    await resident.disconnect()
    await comm.disconnect()


@pytest.mark.invalid_frames  # a message frame is not the supervisor's to send
async def test_a_supervisor_cannot_send_a_message_nor_watch_an_unknown_chat(councils):
    alpha = councils.alpha
    await make_admin(alpha, "chris")
    comm, _ = await supervisor(alpha)
    await comm.send_json_to({"type": "message", "conversation": "x", "body": "hi"})
    assert (await next_of_type(comm, "error"))["code"] == "unknown_type"
    unknown = "0b7c7d8e-1f2a-4b3c-9d4e-5f6a7b8c9d0e"
    await comm.send_json_to({"type": "watch", "conversation": unknown})
    error = await next_of_type(comm, "error")
    assert (error["code"], error["conversation"]) == ("not_found", unknown)
    await comm.send_json_to({"type": "reassign", "conversation": unknown, "operator": "7"})
    assert (await next_of_type(comm, "error"))["code"] == "invalid_frame"
    await comm.disconnect()


async def test_reassign_moves_the_chat_between_consoles(councils):
    alpha = councils.alpha
    await make_admin(alpha, "chris")
    alex = await make_operator(alpha, "alex", first_name="Alex")
    sam = await make_operator(alpha, "sam", first_name="Sam")
    await online(alpha, "alex")
    await online(alpha, "sam")
    chat = await start_accepted_chat(alpha, alex)
    alex_console = operator_socket(alpha, await login_session(alpha, "alex"))
    sam_console = operator_socket(alpha, await login_session(alpha, "sam"))
    await open_socket(alex_console)
    await open_socket(sam_console)
    comm, _ = await supervisor(alpha)

    await comm.send_json_to({"type": "reassign", "conversation": str(chat.id), "operator": sam.id})
    assert await next_of_type(comm, "reassigned") == {
        "type": "reassigned",
        "conversation": str(chat.id),
        "operator": {"id": sam.id, "name": "Sam"},
    }
    removed = await next_of_type(alex_console, "chat_removed")
    assert (removed["conversation"], removed["reason"]) == (str(chat.id), "transferred")
    accepted = await next_of_type(sam_console, "accepted")
    assert (accepted["conversation"]["id"], accepted["reason"]) == (str(chat.id), "transfer")
    for socket in (comm, alex_console, sam_console):
        await socket.disconnect()


@sync_to_async
def _opened_entries(council) -> list[tuple[str, str, str]]:
    from privacy.models import AuditEntry

    with schema_context(council.schema_name):
        return list(
            AuditEntry.objects.filter(action="transcript_opened")
            .order_by("at")
            .values_list("object_id", "actor_name", "source")
        )


async def test_a_supervisor_reopening_a_chat_after_each_reconnect_is_audited_once(councils):
    """The supervisor view opens its watched chats again after every socket reconnect: one
    audit entry per supervisor per chat per half hour (the console's rule), not one each."""
    alpha = councils.alpha
    await make_admin(alpha, "chris")
    alex = await make_operator(alpha, "alex", first_name="Alex")
    await online(alpha, "alex")
    chat = await start_accepted_chat(alpha, alex, message="Where is my bin?")
    session = await login_session(alpha, "chris")
    for _reconnect in range(3):
        comm = supervisor_socket(alpha, session)
        assert (await open_socket(comm))["type"] == "overview"
        await comm.send_json_to({"type": "watch", "conversation": str(chat.id)})
        await next_of_type(comm, "watching")
        await comm.disconnect()
    assert await _opened_entries(alpha) == [(str(chat.id), "chris", "supervisor")]
