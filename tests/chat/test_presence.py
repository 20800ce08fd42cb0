"""Presence that tells the truth (issue 15): who may be assigned, what the resident is told,
the resident's own presence, abandoned, missed and closed chats, and how chats ended."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from uuid import uuid4

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from chat.actions.lifecycle import conversation_accept, conversation_end
from chat.actions.sweeps import sweep_council
from chat.models import Conversation, Message
from routing.models import ConsoleSocket, OperatorPresence
from tests.conftest import put_online, set_routing
from tests.factories import accepted_chat_in, chat_in, operator_in
from tests.sockets import (
    joined_visitor,
    login_session,
    next_of_type,
    open_socket,
    operator_socket,
)

pytestmark = pytest.mark.usefixtures("manual_assignment")


def available_ids(council) -> list[int]:
    with schema_context(council.schema_name):
        return list(OperatorPresence.objects.available().values_list("user_id", flat=True))


@sync_to_async
def sockets_of(council, user_id) -> int:
    with schema_context(council.schema_name):
        return ConsoleSocket.objects.filter(user_id=user_id).count()


@sync_to_async
def conversation(council, chat) -> Conversation:
    with schema_context(council.schema_name):
        return Conversation.objects.get(id=chat.id)


def test_an_online_operator_without_a_live_console_socket_is_never_available(councils):
    alpha, beta = councils.alpha, councils.beta
    alex = put_online(alpha, "alex")
    put_online(beta, "alex")
    assert available_ids(alpha) == [alex]
    with schema_context(alpha.schema_name):
        ConsoleSocket.objects.filter(user_id=alex).delete()
    assert available_ids(alpha) == []
    assert len(available_ids(beta)) == 1  # the other council's operator is untouched


def test_a_console_whose_server_stopped_beating_is_swept_and_its_operator_leaves(councils):
    alpha = councils.alpha
    alex = put_online(alpha, "alex")
    with schema_context(alpha.schema_name):
        ConsoleSocket.objects.filter(user_id=alex).update(
            beat_at=timezone.now() - timedelta(minutes=5)
        )
        assert OperatorPresence.objects.available().count() == 0
        sweep_council(council=alpha)
        assert not ConsoleSocket.objects.filter(user_id=alex).exists()


async def test_closing_the_last_console_takes_the_operator_out_at_once_and_hides_their_name(
    councils,
):
    alpha = councils.alpha
    alex = await sync_to_async(operator_in)(alpha, "alex")
    console = operator_socket(alpha, await login_session(alpha, "alex"))
    await open_socket(console)
    assert await sync_to_async(available_ids)(alpha) == [alex.id]
    chat = await sync_to_async(accepted_chat_in)(alpha, alex)
    visitor = await joined_visitor(chat)
    await console.disconnect()
    gone = await next_of_type(visitor, "operator_presence")
    assert gone == {"type": "operator_presence", "present": False, "operator": None}
    assert await sync_to_async(available_ids)(alpha) == []
    # A resident who reconnects now is not told the absent adviser's name either.
    again = await joined_visitor(chat)
    assert (await conversation(alpha, chat)).status == "active"
    await visitor.disconnect()
    await again.disconnect()


async def test_an_operator_back_within_the_grace_keeps_their_chats_and_is_named_again(councils):
    alpha = councils.alpha
    alex = await sync_to_async(operator_in)(alpha, "alex")
    session = await login_session(alpha, "alex")
    console = operator_socket(alpha, session)
    await open_socket(console)
    chat = await sync_to_async(accepted_chat_in)(alpha, alex)
    visitor = await joined_visitor(chat)
    await console.disconnect()
    assert (await next_of_type(visitor, "operator_presence"))["present"] is False
    back = operator_socket(alpha, session)
    hello = await open_socket(back)
    assert [c["id"] for c in hello["active"]] == [str(chat.id)]
    named = await next_of_type(visitor, "operator_presence")
    assert named == {"type": "operator_presence", "present": True, "operator": "Alex"}
    report = await sync_to_async(lambda: _sweep(alpha))()
    assert report.requeued_dropped == 0
    assert (await conversation(alpha, chat)).status == "active"
    await back.disconnect()
    await visitor.disconnect()


def _sweep(council, **later):
    with schema_context(council.schema_name):
        return sweep_council(council=council, now=timezone.now() + timedelta(**later))


async def test_logging_out_takes_the_operator_out_of_assignment_and_closes_the_console(
    councils,
):
    alpha = councils.alpha
    alex = await sync_to_async(operator_in)(alpha, "alex")

    @sync_to_async
    def signed_in() -> Client:
        with schema_context(alpha.schema_name):
            client = Client(HTTP_HOST=alpha.hosts[0])
            client.force_login(alex_user())
            return client

    def alex_user():
        from django.contrib.auth import get_user_model

        return get_user_model().objects.get(id=alex.id)

    client = await signed_in()
    console = operator_socket(alpha, client.cookies["sessionid"].value)
    await open_socket(console)
    assert await sockets_of(alpha, alex.id) == 1

    @sync_to_async
    def log_out():
        with schema_context(alpha.schema_name):
            client.logout()  # Django's user_logged_out signal, as the console's Log out

    await log_out()
    assert await sockets_of(alpha, alex.id) == 0  # at once, before the socket has closed
    assert await sync_to_async(available_ids)(alpha) == []
    assert (await next_of_type(console, "signed_out"))["reason"] == "signed_out"
    await console.disconnect()


async def test_a_console_that_pings_then_goes_silent_is_closed_and_leaves_assignment(
    councils, settings
):
    settings.OPERATOR_PING_TIMEOUT_SECONDS = 0.6
    alpha = councils.alpha
    alex = await sync_to_async(operator_in)(alpha, "alex")
    console = operator_socket(alpha, await login_session(alpha, "alex"))
    await open_socket(console)
    await console.send_json_to({"type": "ping"})
    assert await next_of_type(console, "pong") == {"type": "pong"}
    while True:  # then nothing from the console: the server closes it
        out = await console.receive_output(timeout=5)
        if out["type"] == "websocket.close":
            break
    assert out["code"] == 4408
    assert await sockets_of(alpha, alex.id) == 0
    assert await sync_to_async(available_ids)(alpha) == []


async def console_holding_a_chat(alpha):
    """Alex's console, open and synced, with one chat accepted by Alex."""
    alex = await sync_to_async(operator_in)(alpha, "alex")
    console = operator_socket(alpha, await login_session(alpha, "alex"))
    await open_socket(console)
    chat = await sync_to_async(accepted_chat_in)(alpha, alex)
    await console.send_json_to({"type": "sync"})
    await next_of_type(console, "hello")
    return console, chat


async def test_the_operator_sees_the_residents_page_open_hidden_and_gone(councils):
    alpha = councils.alpha
    console, chat = await console_holding_a_chat(alpha)
    visitor = await joined_visitor(chat)
    opened = await next_of_type(console, "visitor_presence")
    assert (opened["conversation"], opened["presence"]) == (str(chat.id), "open")
    await visitor.send_json_to({"type": "presence", "state": "hidden"})
    assert (await next_of_type(console, "visitor_presence"))["presence"] == "hidden"
    await visitor.disconnect()
    assert (await next_of_type(console, "visitor_presence"))["presence"] == "gone"
    stored = await conversation(alpha, chat)
    assert stored.visitor_presence == "gone" and stored.visitor_presence_at is not None
    await console.disconnect()


@pytest.mark.invalid_frames  # refused frames on purpose (tests/protocol.py)
async def test_a_bad_page_state_is_refused_with_an_error_frame(councils):
    chat = await sync_to_async(chat_in)(councils.alpha)
    visitor = await joined_visitor(chat)
    await visitor.send_json_to({"type": "presence", "state": "asleep"})
    assert (await next_of_type(visitor, "error"))["code"] == "invalid_frame"
    await visitor.disconnect()


def test_a_chat_whose_resident_has_gone_long_enough_ends_as_abandoned(councils):
    alpha = councils.alpha
    set_routing(alpha, assignment_strategy="manual", abandoned_after_seconds=120)
    alex_id = put_online(alpha, "alex")
    alex = operator_in(alpha, "alex")
    gone, still_here = chat_in(alpha), chat_in(alpha)
    with schema_context(alpha.schema_name):
        conversation_accept(council=alpha, conversation_id=gone.id, operator=alex)
        Conversation.objects.filter(id=gone.id).update(
            visitor_presence="gone", visitor_presence_at=timezone.now()
        )
        Conversation.objects.filter(id=still_here.id).update(
            visitor_presence="open", visitor_presence_at=timezone.now()
        )
        OperatorPresence.objects.filter(user_id=alex_id).update(
            last_seen=timezone.now() + timedelta(seconds=200)
        )
        ConsoleSocket.objects.filter(user_id=alex_id).update(
            beat_at=timezone.now() + timedelta(seconds=200)
        )
    assert _sweep(alpha, seconds=60).abandoned == 0
    assert _sweep(alpha, seconds=121).abandoned == 1
    with schema_context(alpha.schema_name):
        ended = Conversation.objects.get(id=gone.id)
        assert (ended.status, ended.ended_by, ended.outcome) == ("ended", "system", "abandoned")
        assert Conversation.objects.get(id=still_here.id).status == "queued"


@pytest.mark.invalid_frames  # refused frames on purpose (tests/protocol.py)
async def test_a_missed_chat_refuses_further_messages_and_stores_nothing(councils):
    alpha = councils.alpha
    await sync_to_async(set_routing)(alpha, assignment_strategy="manual", missed_after_seconds=60)
    chat = await sync_to_async(chat_in)(alpha)
    visitor = await joined_visitor(chat)
    await sync_to_async(lambda: _sweep(alpha, seconds=61))()
    told = await next_of_type(visitor, "missed")
    assert told == {"type": "missed", "follow_up": False}
    await visitor.send_json_to({"type": "message", "client_id": "late-1", "body": "Hello?"})
    refused = await next_of_type(visitor, "error")
    assert (refused["code"], refused["client_id"]) == ("conversation_closed", "late-1")

    @sync_to_async
    def stored_bodies():
        with schema_context(alpha.schema_name):
            return list(
                Message.objects.filter(conversation_id=chat.id).values_list("body", flat=True)
            )

    assert "Hello?" not in await stored_bodies()
    # A widget reconnecting to the missed chat hears what happens next again.
    again = await joined_visitor(chat)
    assert (await next_of_type(again, "missed"))["follow_up"] is False
    await visitor.disconnect()
    await again.disconnect()


@pytest.mark.parametrize(
    ("how", "outcome", "ended_by"),
    [
        ({}, "ended_by_visitor", "visitor"),
        ({"quick_exit": True}, "quick_exit", "system"),
        ({"idle": True}, "timed_out", "system"),
    ],
)
def test_each_way_a_chat_ends_without_its_operator_records_its_own_outcome(
    councils, how, outcome, ended_by
):
    alpha = councils.alpha
    chat = chat_in(alpha)
    with schema_context(alpha.schema_name):
        conversation_end(council=alpha, conversation_id=chat.id, **how)
        ended = Conversation.objects.get(id=chat.id)
        assert (ended.outcome, ended.ended_by) == (outcome, ended_by)


async def test_the_operator_is_told_a_quick_exit_as_such(councils):
    alpha = councils.alpha
    console, chat = await console_holding_a_chat(alpha)

    @sync_to_async
    def quick_exit():
        with schema_context(alpha.schema_name):
            conversation_end(council=alpha, conversation_id=chat.id, quick_exit=True)

    await quick_exit()
    ended = await next_of_type(console, "ended")
    assert (ended["outcome"], ended["outcome_label"]) == ("quick_exit", "Resident used quick exit")
    await console.disconnect()


@pytest.mark.invalid_frames
async def test_an_operator_cannot_choose_a_system_outcome(councils):
    alpha = councils.alpha
    alex = await sync_to_async(operator_in)(alpha, "alex")
    console = operator_socket(alpha, await login_session(alpha, "alex"))
    hello = await open_socket(console)
    assert "abandoned" not in {o["value"] for o in hello["outcomes"]}
    chat = await sync_to_async(accepted_chat_in)(alpha, alex)
    await console.send_json_to(
        {"type": "end", "conversation": str(chat.id), "outcome": "abandoned"}
    )
    assert (await next_of_type(console, "error"))["code"] == "invalid_outcome"
    assert (await conversation(alpha, chat)).status == "active"
    await console.disconnect()


def test_a_chat_cannot_be_transferred_to_an_operator_whose_console_has_gone(councils):
    from chat.actions.transfers import transfer_to_operator
    from chat.errors import ChatError

    alpha = councils.alpha
    put_online(alpha, "alex")
    sam = put_online(alpha, "sam")
    alex = operator_in(alpha, "alex")
    chat = accepted_chat_in(alpha, alex)
    with schema_context(alpha.schema_name):
        ConsoleSocket.objects.filter(user_id=sam).delete()
        with pytest.raises(ChatError) as refused:
            transfer_to_operator(
                council=alpha, conversation_id=chat.id, operator=alex, to_user_id=sam
            )
        assert refused.value.code == "not_available"
        assert Conversation.objects.get(id=chat.id).operator_id == alex.id


def test_a_widget_socket_whose_server_stopped_beating_counts_as_the_resident_gone(councils):
    from chat.actions.presence import visitor_connected
    from chat.models import VisitorSocket

    alpha = councils.alpha
    chat = chat_in(alpha)
    with schema_context(alpha.schema_name):
        visitor_connected(council=alpha, conversation_id=chat.id, channel_name="widget-1")
        assert Conversation.objects.get(id=chat.id).visitor_presence == "open"
        VisitorSocket.objects.update(beat_at=timezone.now() - timedelta(minutes=5))
        sweep_council(council=alpha)
        assert Conversation.objects.get(id=chat.id).visitor_presence == "gone"
        assert not VisitorSocket.objects.exists()


@sync_to_async
def beats_of(council, chat) -> list:
    from chat.models import VisitorSocket

    with schema_context(council.schema_name):
        return list(VisitorSocket.objects.filter(conversation_id=chat.id).values_list("beat_at"))


@sync_to_async
def age_widget_rows(council, chat) -> None:
    from chat.models import VisitorSocket

    with schema_context(council.schema_name):
        VisitorSocket.objects.filter(conversation_id=chat.id).update(
            beat_at=timezone.now() - timedelta(minutes=5)
        )


async def test_every_open_widget_socket_is_beaten_in_its_own_council_one_statement_each(
    councils,
):
    """chat/visitor_beats.py: one UPDATE per council per beat keeps every live widget socket
    from being swept as gone; a closed socket is no longer beaten."""
    from chat.visitor_beats import visitor_beats

    chats = [
        await sync_to_async(chat_in)(councils.alpha),
        await sync_to_async(chat_in)(councils.alpha),
        await sync_to_async(chat_in)(councils.beta),
    ]
    sockets = [await joined_visitor(chat) for chat in chats]
    for chat in chats:
        await age_widget_rows(chat.council, chat)
    await visitor_beats().beat()
    fresh = timezone.now() - timedelta(seconds=30)
    for chat in chats:
        (beat_at,) = (await beats_of(chat.council, chat))[0]
        assert beat_at > fresh

    await sockets[0].disconnect()
    assert await beats_of(councils.alpha, chats[0]) == []  # its row left with it
    for socket in sockets[1:]:
        await socket.disconnect()


def test_many_widget_sockets_opened_and_closed_in_one_batch_each_count_and_a_gone_chat_fails_none(
    councils,
):
    """A reconnect storm's opens and closes are written together (chat/visitor_beats.py,
    PresenceWrites): every socket counts, and a chat erased meanwhile writes nothing and
    fails no other socket of its batch."""
    from chat.actions.presence import visitor_sockets_changed
    from chat.models import VisitorSocket

    alpha = councils.alpha
    chats = [chat_in(alpha) for _ in range(3)]
    gone = uuid4()
    with schema_context(alpha.schema_name):
        visitor_sockets_changed(
            council=alpha,
            opened=[(chat.id, f"w-{n}") for n, chat in enumerate(chats)] + [(gone, "w-gone")],
        )
        assert set(Conversation.objects.values_list("visitor_presence", flat=True)) == {"open"}
        assert VisitorSocket.objects.count() == 3
        visitor_sockets_changed(
            council=alpha,
            opened=[(chats[0].id, "w-again")],
            closed=[(chat.id, f"w-{n}") for n, chat in enumerate(chats)] + [(gone, "w-gone")],
        )
        presence = dict(Conversation.objects.values_list("id", "visitor_presence"))
        assert presence == {chats[0].id: "open", chats[1].id: "gone", chats[2].id: "gone"}
        assert list(VisitorSocket.objects.values_list("channel_name", flat=True)) == ["w-again"]


async def test_widget_sockets_opening_together_are_each_counted_and_leave_no_row_behind(councils):
    from chat.models import VisitorSocket

    alpha = councils.alpha
    chats = [await sync_to_async(chat_in)(alpha) for _ in range(12)]
    visitors = await asyncio.gather(*(joined_visitor(chat) for chat in chats))

    @sync_to_async
    def rows() -> tuple[int, set[str]]:
        with schema_context(alpha.schema_name):
            return VisitorSocket.objects.count(), set(
                Conversation.objects.values_list("visitor_presence", flat=True)
            )

    deadline = asyncio.get_running_loop().time() + 10
    while await rows() != (12, {"open"}) and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    assert await rows() == (12, {"open"})
    await asyncio.gather(*(visitor.disconnect() for visitor in visitors))
    assert await rows() == (0, {"gone"})
