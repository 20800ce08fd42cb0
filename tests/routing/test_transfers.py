"""Handing chats on: to an operator, a department, or another council of the partnership."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django_tenants.utils import schema_context

from chat.models import Conversation, ConversationTransfer, Message
from tests.conftest import put_online
from tests.factories import accepted_chat_in, chat_in, operator_in
from tests.sockets import (
    drain,
    frames_until,
    joined_visitor,
    login_session,
    next_of_type,
    open_socket,
    operator_socket,
    visitor_socket,
)

pytestmark = pytest.mark.usefixtures("manual_assignment")


@sync_to_async
def chat_row(council, chat):
    with schema_context(council.schema_name):
        return Conversation.objects.filter(id=chat.id).select_related("department").first()


@sync_to_async
def transcript(council, chat) -> list[tuple[int, str]]:
    with schema_context(council.schema_name):
        return list(
            Message.objects.filter(conversation_id=chat.id)
            .order_by("seq")
            .values_list("seq", "body")
        )


async def console(council, username):
    comm = operator_socket(council, await login_session(council, username))
    hello = await open_socket(comm)
    assert hello["type"] == "hello"
    return comm


async def test_a_chat_transferred_to_an_online_colleague_becomes_theirs(councils):
    alpha = councils.alpha
    await sync_to_async(put_online)(alpha, "sam")
    alex = await sync_to_async(operator_in)(alpha, "alex", first_name="Alex")
    chat = await sync_to_async(accepted_chat_in)(alpha, alex)
    visitor = await joined_visitor(chat)
    alex_console = await console(alpha, "alex")
    sam_console = await console(alpha, "sam")
    assert (await chat_row(alpha, chat)).operator_id == alex.id

    sam = await sync_to_async(operator_in)(alpha, "sam", first_name="Sam")
    await sync_to_async(put_online)(alpha, "sam")
    await alex_console.send_json_to(
        {"type": "transfer", "conversation": str(chat.id), "to": {"operator": sam.id}}
    )
    removed = await next_of_type(alex_console, "chat_removed")
    assert removed == {
        "type": "chat_removed",
        "conversation": str(chat.id),
        "reason": "transferred",
    }
    accepted = await next_of_type(sam_console, "accepted")
    assert (accepted["conversation"]["id"], accepted["reason"]) == (str(chat.id), "transfer")
    status = await next_of_type(visitor, "status")
    assert status == {"type": "status", "status": "active", "operator": "Sam"}
    assert (await chat_row(alpha, chat)).operator_id == sam.id
    # Alex can no longer write to it.
    await alex_console.send_json_to(
        {
            "type": "message",
            "conversation": str(chat.id),
            "client_id": "late",
            "body": "still here?",
        }
    )
    assert (await next_of_type(alex_console, "error"))["code"] == "not_assigned"
    for comm in (visitor, alex_console, sam_console):
        await comm.disconnect()


@pytest.mark.invalid_frames  # refused frames on purpose (tests/protocol.py)
async def test_a_transfer_to_an_operator_who_is_away_or_full_is_refused(councils):
    alpha = councils.alpha
    alex = await sync_to_async(operator_in)(alpha, "alex")
    chat = await sync_to_async(accepted_chat_in)(alpha, alex)
    sam_id = await sync_to_async(put_online)(alpha, "sam", status="away")
    alex_console = await console(alpha, "alex")
    await alex_console.send_json_to(
        {"type": "transfer", "conversation": str(chat.id), "to": {"operator": sam_id}}
    )
    assert (await next_of_type(alex_console, "error"))["code"] == "not_available"
    await alex_console.send_json_to(
        {"type": "transfer", "conversation": str(chat.id), "to": {"department": "nope"}}
    )
    assert (await next_of_type(alex_console, "error"))["code"] == "not_found"
    await alex_console.send_json_to(
        {"type": "transfer", "conversation": str(chat.id), "to": {"planet": "mars"}}
    )
    assert (await next_of_type(alex_console, "error"))["code"] == "invalid_frame"
    assert (await chat_row(alpha, chat)).operator_id == alex.id
    await alex_console.disconnect()


async def test_a_chat_transferred_to_a_department_goes_to_the_front_of_its_queue(councils):
    alpha = councils.alpha
    earlier = await sync_to_async(chat_in)(alpha)
    alex = await sync_to_async(operator_in)(alpha, "alex")
    chat = await sync_to_async(accepted_chat_in)(alpha, alex)
    visitor = await joined_visitor(chat)
    alex_console = await console(alpha, "alex")
    await alex_console.send_json_to(
        {"type": "transfer", "conversation": str(chat.id), "to": {"department": "highways"}}
    )
    assert (await next_of_type(alex_console, "chat_removed"))["reason"] == "transferred"
    row = await chat_row(alpha, chat)
    assert (row.status, row.department.slug, row.operator_id) == ("queued", "highways", None)
    frames = await frames_until(visitor, lambda f: f["type"] == "queue")
    assert frames[-1]["position"] == 1  # ahead of the chat that was already waiting
    assert any(f["type"] == "status" and f["status"] == "queued" for f in frames)
    assert (await chat_row(alpha, earlier)).status == "queued"
    await visitor.disconnect()
    await alex_console.disconnect()


async def test_a_cross_council_transfer_moves_the_whole_chat_and_the_old_council_loses_access(
    councils,
):
    alpha, beta = councils.alpha, councils.beta
    alex = await sync_to_async(operator_in)(alpha, "alex", first_name="Alex", is_superuser=True)
    await sync_to_async(operator_in)(beta, "bea", first_name="Bea")
    chat = await sync_to_async(accepted_chat_in)(alpha, alex)
    visitor = visitor_socket(chat.id, chat.token, host=councils.partnership_host)
    await open_socket(visitor)
    await visitor.send_json_to({"type": "message", "client_id": "v1", "body": "my bin"})
    await next_of_type(visitor, "ack")
    before = await transcript(alpha, chat)
    alex_console = await console(alpha, "alex")
    bea_console = await console(beta, "bea")

    await alex_console.send_json_to(
        {"type": "transfer", "conversation": str(chat.id), "to": {"council": "beta"}}
    )
    assert (await next_of_type(alex_console, "chat_removed"))["reason"] == "transferred"
    moved = await next_of_type(visitor, "transferred")
    # With the new council's branding, so the widget wears its colours (issue 15).
    assert moved["council"] == {
        "slug": "beta",
        "name": "Beta Council",
        "brand_colour": "#1d4f91",
        "text_colour": "#ffffff",
        "logo_url": "",
    }
    assert moved["websocket"].startswith(f"ws://{councils.partnership_host}/ws/visitor/")
    added = await next_of_type(bea_console, "queue_add")
    assert added["conversation"]["id"] == str(chat.id)

    # The whole history is in beta now, plus a note; nothing of it is left in alpha.
    after = await transcript(beta, chat)
    assert after[: len(before)] == before
    assert "Beta Council" in after[-1][1]
    assert await transcript(alpha, chat) == []
    assert await chat_row(alpha, chat) is None

    # The visitor's socket keeps working without a reload: the message lands in beta.
    await visitor.send_json_to({"type": "message", "client_id": "v2", "body": "still me"})
    assert (await next_of_type(visitor, "ack"))["seq"] == after[-1][0] + 1
    assert (await transcript(beta, chat))[-1][1] == "still me"

    # Bea takes it and sees the whole history.
    await bea_console.send_json_to({"type": "accept", "conversation": str(chat.id)})
    await next_of_type(bea_console, "accepted")
    await bea_console.send_json_to({"type": "resume", "conversation": str(chat.id), "after_seq": 0})
    replay = await frames_until(bea_console, lambda f: f["type"] == "resumed")
    bodies = [f["body"] for f in replay if f["type"] == "message"]
    assert "How do I pay a parking fine?" in bodies and "my bin" in bodies

    # Every path from alpha is closed.
    for frame in (
        {"type": "resume", "conversation": str(chat.id), "after_seq": 0},
        {"type": "message", "conversation": str(chat.id), "client_id": "x", "body": "hi"},
        {"type": "accept", "conversation": str(chat.id)},
        {"type": "end", "conversation": str(chat.id)},
    ):
        await alex_console.send_json_to(frame)
        assert (await next_of_type(alex_console, "error"))["code"] in ("not_found", "not_assigned")
    assert str(chat.id) not in str(await drain(alex_console))

    @sync_to_async
    def http_paths():
        client = Client(HTTP_HOST="alpha.localhost")
        client.post("/admin/login/", {"username": "alex", "password": "correct-horse-battery"})
        listing = client.get("/admin/chat/conversation/").content.decode()
        change = client.get(f"/admin/chat/conversation/{chat.id}/change/")
        with schema_context(alpha.schema_name):
            records = list(
                ConversationTransfer.objects.filter(conversation_id=chat.id).values_list(
                    "direction", "other_council_name"
                )
            )
        with schema_context(beta.schema_name):
            records += list(
                ConversationTransfer.objects.filter(conversation_id=chat.id).values_list(
                    "direction", "other_council_name"
                )
            )
        return str(chat.id) in listing, change.status_code, records

    listed, change_status, records = await http_paths()
    assert not listed
    assert change_status == 404
    assert sorted(records) == [("in", "Alpha Council"), ("out", "Beta Council")]

    # A visitor who reconnects with the old token is led to the chat's new council.
    await visitor.disconnect()
    again = visitor_socket(chat.id, chat.token, host=councils.partnership_host)
    await again.connect()
    assert (await again.receive_json_from())["type"] == "hello"
    moved_again = await again.receive_json_from()
    assert (moved_again["type"], moved_again["council"]["slug"]) == ("transferred", "beta")
    for comm in (again, alex_console, bea_console):
        await comm.disconnect()


async def test_a_transfer_to_a_council_outside_the_partnership_is_refused(councils):
    alpha = councils.alpha
    alex = await sync_to_async(operator_in)(alpha, "alex")
    chat = await sync_to_async(accepted_chat_in)(alpha, alex)
    alex_console = await console(alpha, "alex")
    for slug in ("gamma", "alpha", "no-such-council"):
        await alex_console.send_json_to(
            {"type": "transfer", "conversation": str(chat.id), "to": {"council": slug}}
        )
        assert (await next_of_type(alex_console, "error"))["code"] == "not_found"
    assert (await chat_row(alpha, chat)).operator_id == alex.id
    await alex_console.disconnect()
