"""Presence that tells the truth, in real Chromium against a real daphne (issue 15): two
operators and three residents. Logging out, closing the console and a silent outage assign
nothing to the departed operator, and no resident is ever shown an absent adviser's name. A
missed chat without contact details offers the contact form, keeping what was typed, and
refuses further messages.

The silent outage goes through a small TCP relay on 127.0.0.1 that stops passing bytes while
keeping every connection open: the network failing under open sockets.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from chat.actions.sweeps import sweep_council
from chat.models import Conversation
from routing.models import ConsoleSocket
from tests.conftest import set_routing
from tests.e2e.axe import axe_violations
from tests.e2e.test_console_flows import Visitor, console_for
from tests.factories import chat_in, operator_in
from tests.polling import poll_until
from tests.widgets.factories import widget_settings_in

pytestmark = [pytest.mark.usefixtures("committed"), pytest.mark.browser]

HOST = "alpha.localhost"


class FreezableRelay:
    """Relays TCP from a free port to `target`; `freeze()` stops every byte both ways while
    the connections stay open (and new ones are accepted but never served)."""

    def __init__(self, target_port: int) -> None:
        self.target = target_port
        self.frozen = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pipe, args=(a, b), daemon=True).start()

    def pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                while self.frozen.is_set():
                    time.sleep(0.05)  # hold the bytes: nothing passes, nothing closes
                sink.sendall(data)
        except OSError:
            pass
        finally:
            if not self.frozen.is_set():
                for s in (source, sink):
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)

    def freeze(self) -> None:
        self.frozen.set()

    def thaw(self) -> None:
        """Let the held bytes through again (what a recovering network does)."""
        self.frozen.clear()

    def close(self) -> None:
        self.server.close()


class Server:
    """The live server as seen through another port (the relay)."""

    def __init__(self, port: int) -> None:
        self.port = port

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.port}{path}"


def new_chat(council, name: str):
    """A resident's chat, dispatched as the widget's start does (assignment after commit)."""
    from chat.actions.assignment import dispatch_queue

    chat = chat_in(council, name=name)
    with schema_context(council.schema_name):
        dispatch_queue(council=council)
    return chat


def live_consoles(council) -> set[int]:
    with schema_context(council.schema_name):
        return set(ConsoleSocket.objects.values_list("user_id", flat=True))


def operators_of(council, chats) -> list[int | None]:
    with schema_context(council.schema_name):
        rows = dict(
            Conversation.objects.filter(id__in=[c.id for c in chats]).values_list(
                "id", "operator_id"
            )
        )
    return [rows[c.id] for c in chats]


def names_shown(visitor: Visitor) -> set[str]:
    """Every adviser name a resident's socket was ever given."""
    return {
        f["operator"]
        for f in visitor.frames()
        if f["type"] in ("hello", "status", "operator_presence") and f.get("operator")
    }


@pytest.fixture
def two_operators(councils):
    alpha = councils.alpha
    set_routing(alpha, assignment_strategy="least_busy", max_chats_per_operator=5)
    ann = operator_in(alpha, "ann", first_name="Ann", last_name="Absent")
    bob = operator_in(alpha, "bob", first_name="Bob", last_name="Here")
    with schema_context(alpha.schema_name):
        ConsoleSocket.objects.all().delete()
    return ann, bob


@pytest.mark.parametrize("departure", ["logout", "tab_close", "silent_outage"])
def test_a_departed_operator_gets_no_chats_and_no_resident_sees_their_name(
    councils, daphne_server, browser, two_operators, departure
):
    alpha = councils.alpha
    ann, bob = two_operators
    relay = FreezableRelay(daphne_server.port)
    try:
        via = Server(relay.port) if departure == "silent_outage" else daphne_server
        ann_console = console_for(browser, via, HOST, "ann")
        bob_console = console_for(browser, daphne_server, HOST, "bob")
        poll_until(lambda: live_consoles(alpha) == {ann.id, bob.id}, "both consoles live")

        if departure == "logout":
            ann_console.click("form.logout button")  # the console's own Log out
        elif departure == "tab_close":
            ann_console.context.close()
        else:
            relay.freeze()
            expect(ann_console.locator("#connection")).to_contain_text(
                "Reconnecting", timeout=12000
            )
            assert ann_console.locator("#connection").get_attribute("role") == "status"
            assert axe_violations(ann_console) == [], "console: reconnecting"
        # Out of assignment as soon as the server knows (a silent one within 10 s).
        poll_until(lambda: live_consoles(alpha) == {bob.id}, "ann out of assignment", timeout=15)

        chats = [new_chat(alpha, f"Resident {n}") for n in range(3)]
        residents = [Visitor(browser, daphne_server, chat) for chat in chats]
        poll_until(lambda: None not in operators_of(alpha, chats), "the chats to be assigned")
        assert operators_of(alpha, chats) == [bob.id] * 3
        for resident in residents:
            resident.wait_for("f => f.type === 'hello' || f.type === 'status'")
            assert "Ann" not in names_shown(resident)  # the name residents see
        expect(bob_console.locator("[data-testid=chat-panel]")).to_have_count(3)
    finally:
        relay.close()


def test_a_chat_held_by_an_operator_who_left_never_names_them(
    councils, daphne_server, browser, two_operators
):
    alpha = councils.alpha
    ann, _bob = two_operators
    ann_console = console_for(browser, daphne_server, HOST, "ann")
    poll_until(lambda: live_consoles(alpha) == {ann.id}, "ann's console live")
    chat = new_chat(alpha, "Resident One")
    poll_until(lambda: operators_of(alpha, [chat]) == [ann.id], "the chat to go to ann")
    resident = Visitor(browser, daphne_server, chat)
    ann_console.context.close()
    resident.wait_for("f => f.type === 'operator_presence' && f.present === false")
    again = Visitor(browser, daphne_server, chat)  # a reload while ann is away
    hello = next(f for f in again.frames() if f["type"] == "hello")
    assert (hello["status"], hello["operator"]) == ("active", None)


def test_the_console_shows_the_residents_page_open_hidden_and_gone(
    councils, daphne_server, browser, two_operators
):
    alpha = councils.alpha
    ann, _bob = two_operators
    console = console_for(browser, daphne_server, HOST, "ann")
    poll_until(lambda: live_consoles(alpha) == {ann.id}, "ann's console live")
    chat = new_chat(alpha, "Resident Away")
    resident = Visitor(browser, daphne_server, chat)
    presence = console.locator("[data-testid=visitor-presence]")
    expect(presence).to_have_attribute("data-state", "open", timeout=10000)
    resident.send({"type": "presence", "state": "hidden"})
    expect(presence).to_have_attribute("data-state", "hidden")
    expect(presence).to_contain_text("page hidden (since")
    resident.page.context.close()
    expect(presence).to_have_attribute("data-state", "gone")
    assert axe_violations(console) == [], "console: resident gone"


def test_a_missed_chat_without_contact_details_offers_the_contact_form_and_takes_no_more(
    councils, daphne_server, browser, two_operators
):
    alpha = councils.alpha
    _ann, _bob = two_operators
    set_routing(alpha, assignment_strategy="manual", missed_after_seconds=30)
    widget_settings_in(alpha, offline_mode="hours")
    console_for(browser, daphne_server, HOST, "ann")  # someone is online: the chat queues
    page = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    page.goto(daphne_server.url(HOST, "/"))
    page.click("[data-testid=cc-launcher]")
    page.fill("[data-testid=cc-name]", "Jo")
    page.fill("[data-testid=cc-question]", "My bin was not collected")
    page.click("[data-testid=cc-start]")
    expect(page.locator("[data-testid=cc-log]")).to_contain_text("My bin was not collected")
    page.fill("[data-testid=cc-input]", "It is Elm Road")  # typed, not yet sent
    with schema_context(alpha.schema_name):
        Conversation.objects.update(queued_at=timezone.now() - timedelta(minutes=5))
        sweep_council(council=alpha)
    closed = page.locator("[data-testid=cc-closed]")
    expect(closed).to_contain_text("Leave your contact details")
    expect(closed).not_to_contain_text("will follow up")
    message = page.locator("[data-testid=cc-closed-message]")
    expect(message).to_have_value("My bin was not collected\nIt is Elm Road")
    expect(page.locator("[data-testid=cc-input]")).to_be_disabled()
    expect(page.locator("[data-testid=cc-new]")).to_be_visible()
    assert axe_violations(page) == [], "widget: missed chat, contact form"
    # Whatever a client still sends is refused and nothing is stored.
    with schema_context(alpha.schema_name):
        missed = Conversation.objects.get()
        before = missed.messages.count()
    resident = Visitor(browser, daphne_server, _started(alpha, missed))
    resident.send({"type": "message", "client_id": "late", "body": "Hello?"})
    resident.wait_for("f => f.type === 'error' && f.code === 'conversation_closed'")
    with schema_context(alpha.schema_name):
        assert missed.messages.count() == before
    page.fill("#cc-k-email", "jo@example.com")
    page.click("[data-testid=cc-closed-send]")
    expect(page.locator("[data-testid=cc-enquiry-sent]")).to_be_focused()
    with schema_context(alpha.schema_name):
        from chat.models import Enquiry

        enquiry = Enquiry.objects.get()
        assert (enquiry.reason, enquiry.email) == ("missed", "jo@example.com")
        assert "It is Elm Road" in enquiry.message


def _started(council, conversation):
    from chat.tokens import visitor_token_issue
    from tests.factories import StartedChat

    token = visitor_token_issue(council_id=council.id, conversation_id=conversation.id)
    return StartedChat(council=council, id=conversation.id, token=token)


def widget_chat(browser, server, question: str):
    page = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    page.goto(server.url(HOST, "/"))
    page.click("[data-testid=cc-launcher]")
    page.fill("[data-testid=cc-name]", "Jo")
    page.fill("[data-testid=cc-question]", question)
    page.click("[data-testid=cc-start]")
    expect(page.locator("[data-testid=cc-log]")).to_contain_text(question)
    return page


def test_the_widget_says_the_adviser_has_dropped_without_their_name_until_they_return(
    councils, daphne_server, browser, two_operators
):
    alpha = councils.alpha
    ann, _bob = two_operators
    console = console_for(browser, daphne_server, HOST, "ann")
    page = widget_chat(browser, daphne_server, "Where is my permit?")
    status = page.locator("[data-testid=cc-status]")
    expect(status).to_have_text("You are talking to Ann", timeout=10000)
    console.context.close()
    expect(status).to_contain_text("connection has dropped")
    expect(status).not_to_contain_text("Ann")
    assert axe_violations(page) == [], "widget: adviser away"
    console_for(browser, daphne_server, HOST, "ann")  # back within the grace period
    expect(status).to_have_text("You are talking to Ann", timeout=10000)
    assert live_consoles(alpha) == {ann.id}


def test_a_message_to_a_chat_the_server_has_closed_is_refused_and_the_widget_says_why(
    councils, daphne_server, browser, two_operators
):
    alpha = councils.alpha
    console_for(browser, daphne_server, HOST, "ann")
    page = widget_chat(browser, daphne_server, "Can I get a new bin?")
    with schema_context(alpha.schema_name):  # ended where the widget did not hear of it
        Conversation.objects.update(status="ended", ended_at=timezone.now())
    page.fill("[data-testid=cc-input]", "A green one please")
    page.click("[data-testid=cc-send]")
    closed = page.locator("[data-testid=cc-closed]")
    expect(closed).to_contain_text("your message was not sent")
    expect(page.locator("[data-testid=cc-new]")).to_be_visible()
    assert axe_violations(page) == [], "widget: chat closed"
    page.click("[data-testid=cc-closed-contact]")
    expect(page.locator("[data-testid=cc-closed-message]")).to_have_value(
        "Can I get a new bin?\nA green one please"
    )
    with schema_context(alpha.schema_name):
        bodies = list(Conversation.objects.get().messages.values_list("body", flat=True))
    assert "A green one please" not in bodies


def test_the_console_shows_a_quick_exit_as_such_on_the_ended_chat(
    councils, daphne_server, browser, two_operators
):
    from chat.actions.lifecycle import conversation_end

    alpha = councils.alpha
    ann, _bob = two_operators
    console = console_for(browser, daphne_server, HOST, "ann")
    poll_until(lambda: live_consoles(alpha) == {ann.id}, "ann's console live")
    chat = new_chat(alpha, "Resident Fled")
    panel = console.locator("[data-testid=chat-panel]")
    expect(panel).to_have_count(1, timeout=10000)
    with schema_context(alpha.schema_name):
        conversation_end(council=alpha, conversation_id=chat.id, quick_exit=True)
    expect(panel).to_have_attribute("data-outcome", "quick_exit")
    expect(panel.locator(".chat-status")).to_have_text("Chat ended: Resident used quick exit")
    expect(panel).to_contain_text("Resident Fled left by the quick exit.")
    assert axe_violations(console) == [], "console: ended by quick exit"


def test_a_resident_s_widget_notices_a_silent_outage_and_its_message_arrives_once(
    councils, daphne_server, browser, two_operators
):
    """The network fails under the widget's open socket: within seconds of sending, the
    resident is told it is reconnecting; when the network is back, the message typed during
    the outage is stored once (the dead socket's copy and the re-send are one message)."""
    alpha = councils.alpha
    ann, _bob = two_operators
    console_for(browser, daphne_server, HOST, "ann")
    poll_until(lambda: live_consoles(alpha) == {ann.id}, "ann's console live")
    relay = FreezableRelay(daphne_server.port)
    try:
        page = browser.new_context().new_page()
        page.goto(Server(relay.port).url(HOST, "/"))
        page.click("[data-testid=cc-launcher]")
        page.fill("[data-testid=cc-name]", "Jo")
        page.fill("[data-testid=cc-question]", "When is the tip open?")
        page.click("[data-testid=cc-start]")
        status = page.locator("[data-testid=cc-status]")
        expect(page.locator("[data-testid=cc-log]")).to_contain_text("When is the tip open?")
        expect(status).not_to_contain_text("Connecting", timeout=10000)

        relay.freeze()
        page.fill("[data-testid=cc-input]", "Sent while the network was down")
        page.click("[data-testid=cc-send]")
        expect(status).to_contain_text("Reconnecting", timeout=15000)
        assert axe_violations(page) == [], "widget: reconnecting"

        relay.thaw()
        expect(status).not_to_contain_text("Reconnecting", timeout=20000)
        log = page.locator("[data-testid=cc-log]")
        expect(log).to_contain_text("Sent while the network was down")

        def stored() -> list[str]:
            with schema_context(alpha.schema_name):
                conversation = Conversation.objects.get()
                return list(
                    conversation.messages.filter(
                        body="Sent while the network was down"
                    ).values_list("body", flat=True)
                )

        poll_until(lambda: len(stored()) == 1, "the message stored")
        time.sleep(1)  # a late copy from the dead socket would be stored by now
        assert len(stored()) == 1
        assert log.get_by_text("Sent while the network was down").count() == 1
    finally:
        relay.close()
