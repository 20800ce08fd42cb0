"""Two ORM threads per process (councils/tenancy.py): a resident's message never waits
behind back-office work, such as a console's note or the supervisor's view (issue 12).

Each test holds the back-office thread with a call that waits on an event, so "does not
wait" is proved by the message arriving while it is held, not by a clock."""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from django_tenants.utils import schema_context

from chat.models import Message, Note
from councils.tenancy import back_office, on_orm_thread
from tests.chat.test_supervisor_socket import make_admin, supervisor_socket
from tests.factories import accepted_chat_in, operator_in
from tests.sockets import (
    joined_visitor,
    login_session,
    next_of_type,
    open_socket,
    operator_socket,
)

pytestmark = pytest.mark.usefixtures("manual_assignment")


class HeldBackOffice:
    """Occupies the back-office thread until released (and always on leaving)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()

    def _hold(self) -> str:
        self.started.set()
        self.release.wait(timeout=30)
        return threading.current_thread().name

    async def __aenter__(self) -> HeldBackOffice:
        with back_office():
            self.task = asyncio.ensure_future(on_orm_thread(self._hold)())
        await asyncio.to_thread(self.started.wait, 5)
        assert self.started.is_set()
        return self

    async def __aexit__(self, *exc) -> None:
        self.release.set()
        await self.task


async def test_calls_run_on_the_chat_thread_unless_made_in_back_office():
    def thread_name() -> str:
        return threading.current_thread().name

    with back_office():
        on_back_office = await on_orm_thread(thread_name)()
    on_chat_thread = await on_orm_thread(thread_name)()
    assert on_back_office.startswith("orm-back-office")
    assert not on_chat_thread.startswith("orm-back-office")


@sync_to_async
def stored(council, chat_id) -> tuple[list[str], list[str]]:
    with schema_context(council.schema_name):
        return (
            list(Message.objects.filter(conversation_id=chat_id).values_list("body", flat=True)),
            list(Note.objects.filter(conversation_id=chat_id).values_list("body", flat=True)),
        )


async def test_while_a_note_waits_for_the_back_office_a_residents_message_is_acked_and_shown(
    councils,
):
    alpha = councils.alpha
    alex = await sync_to_async(operator_in)(alpha, "alex")
    chat = await sync_to_async(accepted_chat_in)(alpha, alex)
    session = await login_session(alpha, "alex")
    console = operator_socket(alpha, session)
    assert (await open_socket(console))["type"] == "hello"
    # The note comes from Alex's other tab: a socket handles one thing at a time, so a
    # console waiting for its own note hears nothing else meanwhile.
    other_tab = operator_socket(alpha, session)
    assert (await open_socket(other_tab))["type"] == "hello"
    visitor = await joined_visitor(chat)

    async with HeldBackOffice():
        await other_tab.send_json_to(
            {"type": "note", "conversation": str(chat.id), "client_id": "n-1", "body": "Paid"}
        )
        await visitor.send_json_to({"type": "message", "client_id": "v-1", "body": "Still there?"})
        ack = await next_of_type(visitor, "ack")
        shown = await next_of_type(console, "message")
        assert (shown["seq"], shown["body"]) == (ack["seq"], "Still there?")
        messages, notes = await stored(alpha, chat.id)
        assert "Still there?" in messages
        assert notes == []  # the note is still waiting for its thread
    # Released: the note is stored and announced, nothing lost.
    note = await next_of_type(console, "note")
    assert note["body"] == "Paid"
    assert (await stored(alpha, chat.id))[1] == ["Paid"]
    for comm in (visitor, console, other_tab):
        await comm.disconnect()


async def test_while_the_supervisors_view_waits_for_the_back_office_residents_are_answered(
    councils,
):

    alpha = councils.alpha
    alex = await sync_to_async(operator_in)(alpha, "alex")
    await make_admin(alpha, "chris")
    chat = await sync_to_async(accepted_chat_in)(alpha, alex)
    console = operator_socket(alpha, await login_session(alpha, "alex"))
    assert (await open_socket(console))["type"] == "hello"
    visitor = await joined_visitor(chat)
    boss = supervisor_socket(alpha, await login_session(alpha, "chris"))

    async with HeldBackOffice():
        connected, _ = await boss.connect(timeout=5)
        assert connected
        await visitor.send_json_to({"type": "message", "client_id": "v-1", "body": "Hello?"})
        ack = await next_of_type(visitor, "ack")
        assert (await next_of_type(console, "message"))["seq"] == ack["seq"]
        assert await boss.receive_nothing(timeout=0.3)  # its overview waits its turn
    overview = await next_of_type(boss, "overview")
    assert [c["id"] for row in overview["operators"] for c in row["chats"]] == [str(chat.id)]
    for comm in (visitor, console, boss):
        await comm.disconnect()
