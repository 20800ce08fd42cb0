"""The operator console in real headless Chromium against a real daphne process: two
operators and three visitors at once (issue 5).

Visitors here are pages on the council's host that speak the visitor protocol over a real
websocket (docs/protocol.md), so the console is tested on its own terms: whatever the widget
shows, the console must accept, reply, insert canned responses, keep notes to operators,
show read receipts and survive a dropped connection without losing or repeating anything.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from chat.actions.lifecycle import conversation_end
from chat.models import Conversation, Enquiry
from routing.models import OperatorPresence
from tests.chat.console_factories import canned_in, enquiry_in, give_email, mark_missed
from tests.e2e.axe import axe_violations
from tests.e2e.screenshots import save_screenshot
from tests.factories import PASSWORD, chat_in, operator_in

pytestmark = [pytest.mark.usefixtures("staffed"), pytest.mark.browser]

# Test-only instruments, added before the console's own script runs: count beeps, record
# desktop notifications, and keep hold of the console's sockets so a test can drop them.
INSTRUMENTS = """
(() => {
  window.__beeps = 0; window.__notifications = [];
  const AC = window.AudioContext || window.webkitAudioContext;
  if (AC) {
    const make = AC.prototype.createOscillator;
    AC.prototype.createOscillator = function () { window.__beeps += 1; return make.call(this); };
  }
  class RecordedNotification {
    constructor(title, options) {
      window.__notifications.push({ title, body: options && options.body });
    }
    close() {}
    static requestPermission() { return Promise.resolve('granted'); }
  }
  RecordedNotification.permission = 'granted';
  Object.defineProperty(
    window, 'Notification', { value: RecordedNotification, configurable: true, writable: true }
  );
  const Native = window.WebSocket;
  window.__sockets = [];
  function Recorded(url, protocols) {
    const socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
    window.__sockets.push(socket);
    return socket;
  }
  Recorded.prototype = Native.prototype;
  ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED'].forEach(k => { Recorded[k] = Native[k]; });
  window.WebSocket = Recorded;
})();
"""
VISITOR_OPEN = """
url => new Promise((resolve, reject) => {
  const ws = new WebSocket(url);
  window.cc = { ws, frames: [] };
  ws.onmessage = e => window.cc.frames.push(JSON.parse(e.data));
  ws.onopen = () => resolve(true);
  ws.onerror = () => reject(new Error('visitor socket failed'));
})
"""


def console_for(browser, server, host: str, username: str):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_init_script(INSTRUMENTS)
    page = context.new_page()
    page.goto(server.url(host, "/console/"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live", timeout=10000)
    return page


class Visitor:
    """A resident's browser speaking the visitor protocol over a real websocket."""

    def __init__(self, browser, server, chat):
        self.chat = chat
        self.page = browser.new_context().new_page()
        host = chat.council.hosts[0]
        self.page.goto(server.url(host, "/healthz"))
        url = f"ws://{host}:{server.port}/ws/visitor/{chat.id}/?token={chat.token}"
        self.page.evaluate(VISITOR_OPEN, url)
        self.wait_for("f => f.type === 'hello'")

    def send(self, frame: dict) -> None:
        self.page.evaluate("f => window.cc.ws.send(JSON.stringify(f))", frame)

    def wait_for(self, predicate: str) -> None:
        self.page.wait_for_function(f"() => window.cc.frames.some({predicate})", timeout=10000)

    def frames(self) -> list[dict]:
        return self.page.evaluate("() => window.cc.frames")

    def say(self, client_id: str, body: str) -> None:
        self.send({"type": "message", "client_id": client_id, "body": body})
        self.wait_for(f"f => f.type === 'ack' && f.client_id === {client_id!r}")

    def last_seq(self) -> int:
        return max(f["seq"] for f in self.frames() if f["type"] == "message")


def panel_of(console, name: str):
    return console.locator("[data-testid=chat-panel]").filter(has_text=name)


def seqs_shown(panel) -> list[int]:
    return [
        int(s)
        for s in panel.locator("[data-testid=chat-log] [data-seq]").evaluate_all(
            "els => els.map(e => e.dataset.seq)"
        )
    ]


def shoot(page, name: str) -> None:
    save_screenshot(page, "console", name)


def test_two_operators_handle_three_visitors_with_canned_replies_notes_receipts_and_reconnect(
    councils, daphne_server, browser
):
    alpha = councils.alpha
    operator_in(alpha, "alex", first_name="Alex", last_name="Morgan")
    operator_in(alpha, "sam", first_name="Sam", last_name="Patel")
    canned_in(alpha, "hours", "We are open 9am to 5pm, Monday to Friday.", title="Opening hours")
    canned_in(
        alpha,
        "pcn",
        "Your PCN number is the 10-character code at the top of the notice.",
        title="Where to find the PCN number",
        department="parking",
    )
    earlier = chat_in(alpha, name="Jo Bloggs", message="Do I need a permit on Elm Road?")
    with schema_context(alpha.schema_name):
        conversation_end(council=alpha, conversation_id=earlier.id)
    give_email(alpha, earlier.id, "jo@example.org")
    alex = console_for(browser, daphne_server, "alpha.localhost", "alex")
    sam = console_for(browser, daphne_server, "alpha.localhost", "sam")
    alex.check("[data-testid=alert-desktop]")  # asks permission; the instrument grants it

    jo = chat_in(
        alpha, name="Jo <b>Bloggs</b>", message="What is my PCN number?", department="parking"
    )
    kim = chat_in(alpha, name="Kim Lee", message="My bin was not emptied")
    lee = chat_in(alpha, name="Lee Ray", message="Pothole on Mill Lane")
    give_email(alpha, jo.id, "jo@example.org")
    for console in (alex, sam):
        expect(console.locator("[data-testid=queue-item]")).to_have_count(3)
        expect(console.locator("[data-testid=waited]").first).to_contain_text("Waiting")
    assert alex.evaluate("() => window.__beeps") >= 3, "a sound for each chat that arrived"
    assert [n["title"] for n in alex.evaluate("() => window.__notifications")] == [
        "New chat waiting"
    ] * 3
    assert axe_violations(alex) == [], "console with a queue"
    shoot(alex, "queue")

    # Accept: two chats for Alex, one for Sam; each leaves both queues.
    for name in ("Jo <b>Bloggs</b>", "Kim Lee"):
        alex.locator("[data-testid=queue-item]").filter(has_text=name).locator(
            "[data-testid=accept]"
        ).click()
        expect(panel_of(alex, name)).to_be_visible()
    sam.locator("[data-testid=queue-item]").filter(has_text="Lee Ray").locator(
        "[data-testid=accept]"
    ).click()
    expect(panel_of(sam, "Lee Ray")).to_be_visible()
    for console in (alex, sam):
        expect(console.locator("[data-testid=queue-item]")).to_have_count(0)
    expect(alex.locator("[data-testid=capacity]")).to_have_text("Chats: 2 of 3")

    visitors = {
        "jo": Visitor(browser, daphne_server, jo),
        "kim": Visitor(browser, daphne_server, kim),
        "lee": Visitor(browser, daphne_server, lee),
    }
    jo_panel, kim_panel = panel_of(alex, "Jo <b>Bloggs</b>"), panel_of(alex, "Kim Lee")

    # Visitor context: the same email's earlier chat with this council.
    expect(jo_panel).to_contain_text("jo@example.org")
    jo_panel.locator("[data-testid=earlier] summary").click()
    expect(jo_panel.locator("[data-testid=earlier-item]")).to_contain_text("permit on Elm Road")
    expect(kim_panel.locator("[data-testid=earlier]")).to_be_hidden()

    # Canned response: "/pc" offers the parking reply; Enter inserts it, Enter sends it.
    reply = jo_panel.locator("[data-testid=reply]")
    reply.click()
    reply.press_sequentially("/pc")
    picker = jo_panel.locator("[data-testid=canned-picker]")
    expect(picker.locator("[data-testid=canned-option]")).to_have_count(1)
    expect(picker).to_contain_text("/pcn")
    assert axe_violations(alex) == [], "canned response picker open"
    shoot(alex, "canned-responses")
    reply.press("Enter")
    expect(reply).to_have_value(
        "Your PCN number is the 10-character code at the top of the notice."
    )
    expect(picker).to_be_hidden()
    reply.press("Enter")
    visitors["jo"].wait_for("f => f.type === 'message' && f.body.startsWith('Your PCN number')")
    # Kim's chat has no department: the parking reply is not offered there.
    kim_panel.locator("[data-testid=canned-button]").click()
    expect(kim_panel.locator("[data-testid=canned-option]")).to_have_count(1)
    expect(kim_panel.locator("[data-testid=canned-option]")).to_contain_text("/hours")
    kim_panel.locator("[data-testid=reply]").press("Escape")
    kim_panel.locator("[data-testid=reply]").fill("")

    # Three chats at once, with typing both ways and unread counts.
    jo_panel.locator("[data-testid=reply]").click()
    visitors["kim"].send({"type": "typing", "active": True})
    expect(kim_panel.locator("[data-testid=typing]")).to_have_text("Visitor is typing…")
    visitors["kim"].say("k-1", "It was due on Tuesday")
    visitors["lee"].say("l-1", "It is outside number 12")
    expect(kim_panel.locator("[data-testid=chat-log]")).to_contain_text("It was due on Tuesday")
    expect(kim_panel.locator("[data-testid=unread]")).to_have_text("1 unread")
    expect(panel_of(sam, "Lee Ray").locator("[data-testid=chat-log]")).to_contain_text(
        "outside number 12"
    )
    assert panel_of(alex, "Lee Ray").count() == 0
    sam_reply = panel_of(sam, "Lee Ray").locator("[data-testid=reply]")
    sam_reply.fill("Thanks, I have reported it.")
    sam_reply.press("Enter")
    visitors["lee"].wait_for("f => f.type === 'typing' && f.author === 'operator'")
    visitors["lee"].wait_for(
        "f => f.type === 'message' && f.body === 'Thanks, I have reported it.'"
    )

    # Internal note: shown to operators, never sent to the visitor.
    jo_panel.locator("[data-testid=notes] summary").click()
    jo_panel.locator("[data-testid=note-input]").fill("Caller sounded upset; PCN AB12345678")
    jo_panel.locator("[data-testid=note-add]").click()
    note = jo_panel.locator("[data-testid=note]").filter(has_text="PCN AB12345678")
    expect(note).to_have_attribute("data-note", re.compile(r"^\d+$"))

    # Read receipt: the visitor has seen Alex's reply.
    jo_visitor = visitors["jo"]
    jo_visitor.send({"type": "read", "seq": jo_visitor.last_seq()})
    expect(jo_panel.locator(".msg.operator [data-testid=receipt]")).to_have_text("Seen")
    assert axe_violations(alex) == [], "three chats, a note and a read receipt"
    shoot(alex, "chats-side-by-side")

    # Tabs: the unread count moves to the tab and clears when the chat is opened.
    alex.click("[data-testid=view-tabs]")
    kim_tab = alex.locator("[data-testid=chat-tab]").filter(has_text="Kim Lee")
    expect(kim_tab.locator("[data-testid=tab-unread]")).to_have_text("1")
    assert axe_violations(alex) == [], "tabs"
    shoot(alex, "chats-in-tabs")
    kim_tab.click()
    expect(kim_tab.locator("[data-testid=tab-unread]")).to_be_hidden()
    expect(kim_panel).to_be_visible()
    expect(jo_panel).to_be_hidden()
    alex.click("[data-testid=view-grid]")

    # A network drop: the console reconnects, resumes every chat and shows nothing twice.
    alex.context.set_offline(True)
    alex.evaluate("() => window.__sockets.forEach(s => s.close())")
    expect(alex.locator("#connection")).to_have_attribute("data-state", "offline")
    jo_visitor.say("j-2", "Sorry, one more thing")
    jo_visitor.say("j-3", "Can I pay by phone?")
    visitors["kim"].say("k-2", "Are you still there?")
    alex.context.set_offline(False)
    expect(alex.locator("#connection")).to_have_attribute("data-state", "live", timeout=20000)
    expect(jo_panel.locator("[data-testid=chat-log]")).to_contain_text("Can I pay by phone?")
    expect(kim_panel.locator("[data-testid=chat-log]")).to_contain_text("Are you still there?")
    for panel, visitor in ((jo_panel, jo_visitor), (kim_panel, visitors["kim"])):
        assert seqs_shown(panel) == list(range(1, visitor.last_seq() + 1))
    expect(jo_panel.locator("[data-testid=note]")).to_have_count(1)
    expect(jo_panel.locator(".msg.operator [data-testid=receipt]")).to_have_text("Seen")

    # The note never reached the visitor, live or in a full replay.
    jo_visitor.send({"type": "resume", "after_seq": 0})
    jo_visitor.wait_for("f => f.type === 'resumed'")
    assert "AB12345678" not in repr(jo_visitor.frames())
    assert sam.get_by_text("AB12345678").count() == 0

    # Wrap-up: ending asks for an outcome, which is stored.
    kim_panel.locator("[data-testid=end]").click()
    kim_panel.locator("[data-testid=end-confirm]").click()
    expect(kim_panel.locator("[data-testid=end-error]")).to_have_text("Choose how the chat ended.")
    kim_panel.get_by_label("Referred to another team").check()
    assert axe_violations(alex) == [], "wrap-up"
    shoot(alex, "wrap-up")
    kim_panel.locator("[data-testid=end-confirm]").click()
    expect(kim_panel).to_contain_text("Chat ended")
    visitors["kim"].wait_for("f => f.type === 'status' && f.status === 'ended'")
    with schema_context(alpha.schema_name):
        ended = Conversation.objects.get(id=kim.id)
        assert (ended.status, ended.outcome, ended.ended_by) == ("ended", "referred", "operator")
    assert "<b>" not in alex.locator("[data-testid=chat-grid]").inner_html().replace(
        "&lt;b&gt;", ""
    )


def test_missed_chats_and_enquiries_are_followed_up_and_alert_settings_are_remembered(
    councils, daphne_server, browser
):
    alpha = councils.alpha
    operator_in(alpha, "alex", first_name="Alex", last_name="Morgan")
    operator_in(alpha, "sam", first_name="Sam", last_name="Patel")
    enquiry = enquiry_in(
        alpha, name="Pat <i>Lee</i>", message="Please call me about my council tax"
    )
    missed = chat_in(alpha, name="Mo Khan", message="Is the tip open on Sunday?")
    mark_missed(alpha, missed.id)
    alex = console_for(browser, daphne_server, "alpha.localhost", "alex")
    sam = console_for(browser, daphne_server, "alpha.localhost", "sam")

    for console in (alex, sam):
        expect(console.locator("[data-testid=enquiry-item]")).to_contain_text(
            "Please call me about my council tax"
        )
        expect(console.locator("[data-testid=missed-item]")).to_contain_text("Mo Khan")
    assert alex.locator("[data-testid=followups] i").count() == 0

    item = alex.locator("[data-testid=enquiry-item]")
    item.locator("[data-testid=handle]").click()
    item.locator("[data-testid=handle-note]").fill("Rang back, direct debit set up")
    assert axe_violations(alex) == [], "follow-up list"
    shoot(alex, "follow-up")
    item.locator("[data-testid=handle-submit]").click()
    for console in (alex, sam):
        expect(console.locator("[data-testid=enquiry-item]")).to_have_count(0)
    sam.locator("[data-testid=missed-item] [data-testid=handle]").click()
    sam.locator("[data-testid=missed-item] [data-testid=handle-submit]").click()
    for console in (alex, sam):
        expect(console.locator("[data-testid=missed-item]")).to_have_count(0)

    # An enquiry left now through the widget's endpoint appears at once, not at the next
    # minute's re-fetch.
    left = Client(HTTP_HOST="alpha.localhost").post(
        "/widget/enquiries",
        {"name": "Ola <b>Nowak</b>", "phone": "01305 221000", "message": "Call me re bins"},
        content_type="application/json",
    )
    assert left.status_code == 201
    for console in (alex, sam):
        expect(console.locator("[data-testid=enquiry-item]")).to_contain_text(
            "Ola <b>Nowak</b>", timeout=5000
        )
    with schema_context(alpha.schema_name):
        handled = Enquiry.objects.get(id=enquiry)
        assert handled.handled_note == "Rang back, direct debit set up"
        assert Conversation.objects.get(id=missed.id).status == "ended"

    # Sound on by default, desktop off; both switches are remembered.
    expect(alex.locator("[data-testid=alert-sound]")).to_be_checked()
    expect(alex.locator("[data-testid=alert-desktop]")).not_to_be_checked()
    alex.uncheck("[data-testid=alert-sound]")
    alex.check("[data-testid=alert-desktop]")
    alex.reload()
    expect(alex.locator("#connection")).to_have_attribute("data-state", "live", timeout=10000)
    expect(alex.locator("[data-testid=alert-sound]")).not_to_be_checked()
    expect(alex.locator("[data-testid=alert-desktop]")).to_be_checked()
    chat_in(alpha, name="Quiet Arrival")
    expect(alex.locator("[data-testid=queue-item]")).to_have_count(1)
    assert alex.evaluate("() => window.__beeps") == 0
    assert len(alex.evaluate("() => window.__notifications")) == 1

    # Presence: going away is stored and shown back.
    alex.select_option("[data-testid=presence]", "away")
    expect(alex.locator("[data-testid=presence]")).not_to_have_attribute("aria-busy", "true")
    expect(alex.locator("[data-testid=presence]")).to_have_value("away")
    with schema_context(alpha.schema_name):
        user_id = get_user_model().objects.get(username="alex").id
        assert OperatorPresence.objects.get(user_id=user_id).status == "away"
