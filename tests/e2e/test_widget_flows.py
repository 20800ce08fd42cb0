"""The visitor widget in real headless Chromium against a real daphne process: a chat routed
from the partnership page, one straight to Parking, every offline mode, a reload mid-chat,
keyboard only, Welsh, a phone-sized screen, the quick exit and a strict CSP host page.

axe-core scans each state (no WCAG 2.2 AA violations) and a screenshot of each state is written
to artifacts/screenshots/widget/ (`make screenshots` refreshes docs/img/widget/). Operators act
through the real chat services (their console is covered by test_browser.py); every broadcast
reaches the widget through Redis as in production.
"""

from __future__ import annotations

import re
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from chat.actions.lifecycle import conversation_accept, conversation_end
from chat.actions.messages import message_create
from chat.models import Conversation, Enquiry
from config.celery import app
from routing.models import OperatorPresence
from tests.conftest import set_routing
from tests.e2e.axe import axe_violations
from tests.e2e.screenshots import save_screenshot
from tests.factories import operator_in
from tests.polling import poll_until
from tests.smtp_server import smtp_outbox, wait_for_mail  # noqa: F401 (a fixture)
from tests.widgets.factories import (
    closure_in,
    hours_in,
    offline_link_in,
    prechat_field_in,
    widget_settings_in,
)
from tests.widgets.fixtures import clean_hours  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.usefixtures("staffed", "clean_hours"), pytest.mark.browser]

PARKING_PAGE = "/parking/pay-a-parking-fine"
ATTACK = "<img src=x onerror=\"document.title='pwned'\">"


def visitor(browser, server, host: str, path: str = "/", **context):
    context.setdefault("viewport", {"width": 1024, "height": 768})
    page = browser.new_context(**context).new_page()
    page.goto(server.url(host, path))
    expect(page.locator("[data-testid=cc-launcher]")).to_be_visible()
    return page


def shot(page, name: str) -> None:
    save_screenshot(page, "widget", name)


def clean_axe(page, state: str) -> None:
    assert axe_violations(page) == [], state


def conversation_of(page) -> str:
    return page.evaluate(
        "() => { for (const k of Object.keys(localStorage)) if (k.startsWith('councilchat:')"
        " && !k.endsWith(':lang')) return JSON.parse(localStorage.getItem(k)).conversation; }"
    )


def operator_replies(council, conversation_id: str, text: str, accept: bool = True):
    operator = operator_in(council, "duty", first_name="Alex", last_name="Morgan")
    with schema_context(council.schema_name):
        if accept:
            conversation_accept(council=council, conversation_id=conversation_id, operator=operator)
        with transaction.atomic():
            message_create(
                council=council,
                conversation_id=conversation_id,
                body=text,
                client_id=uuid.uuid4().hex,
                operator=operator,
            )
    return operator


def operator_ends(council, conversation_id: str, operator) -> None:
    with schema_context(council.schema_name):
        conversation_end(council=council, conversation_id=conversation_id, operator=operator)


def start_chat(page, name="Jo Bloggs", question="Can I pay in instalments?") -> None:
    page.click("[data-testid=cc-launcher]")
    page.fill("[data-testid=cc-name]", name)
    page.fill("[data-testid=cc-question]", question)
    page.click("[data-testid=cc-start]")
    expect(page.locator("[data-testid=cc-log]")).to_contain_text(question)


# ---- routed chats -------------------------------------------------------------------------


def test_a_chat_from_the_partnership_page_is_routed_to_a_council_and_wears_its_branding(
    councils, daphne_server, browser
):
    widget_settings_in(councils.beta, brand_colour="#6f2c91", greeting="Beta welcomes you")
    page = visitor(browser, daphne_server, councils.partnership_host)
    clean_axe(page, "launcher")
    shot(page, "launcher")
    page.click("[data-testid=cc-launcher]")
    page.fill("[data-testid=cc-name]", "Jo")
    page.fill("[data-testid=cc-question]", "Is my bin day changing?")
    page.click("[data-testid=cc-start]")
    # No rule decides: the widget asks which council.
    expect(page.locator("[data-testid=cc-council]")).to_be_visible()
    page.check("[data-testid=cc-council-beta]")
    page.click("[data-testid=cc-start]")
    expect(page.locator("[data-testid=cc-log]")).to_contain_text("Is my bin day changing?")
    expect(page.locator("#cc-title")).to_have_text("Beta Council \u2013 live chat")
    head = page.locator(".head").evaluate("e => getComputedStyle(e).backgroundColor")
    assert head == "rgb(111, 44, 145)"
    with schema_context(councils.beta.schema_name):
        assert Conversation.objects.filter(id=conversation_of(page)).exists()
    shot(page, "partnership-routed")


def test_a_partnership_chat_routed_to_a_council_with_its_own_questions_asks_them_first(
    councils, daphne_server, browser
):
    prechat_field_in(
        councils.beta,
        "consent",
        kind="consent",
        label="I agree that Beta may keep a record of this chat",
        required=True,
    )
    page = visitor(browser, daphne_server, councils.partnership_host)
    page.click("[data-testid=cc-launcher]")
    page.fill("[data-testid=cc-name]", "Jo")
    page.fill("[data-testid=cc-question]", "Is my bin day changing?")
    page.click("[data-testid=cc-start]")
    page.check("[data-testid=cc-council-beta]")
    page.click("[data-testid=cc-start]")

    # Beta's own question appears, with what was typed kept; nothing is stored yet.
    consent = page.locator("[data-testid=cc-field-consent]")
    expect(consent).to_be_focused()
    expect(page.locator(".panel .note")).to_contain_text("Beta Council has a few more questions")
    expect(page.locator("[data-testid=cc-question]")).to_have_value("Is my bin day changing?")
    with schema_context(councils.beta.schema_name):
        assert not Conversation.objects.exists()
    clean_axe(page, "form: the routed council's own questions")

    consent.check()
    page.click("[data-testid=cc-start]")
    expect(page.locator("[data-testid=cc-log]")).to_contain_text("Is my bin day changing?")
    with schema_context(councils.beta.schema_name):
        assert Conversation.objects.get(id=conversation_of(page)).prechat["consent"] is True


def test_a_chat_from_the_parking_page_goes_straight_to_parking_and_survives_a_reload(
    councils,
    daphne_server,
    browser,
    smtp_outbox,  # noqa: F811 (the imported fixture)
):
    page = visitor(browser, daphne_server, "alpha.localhost", PARKING_PAGE)
    page.click("[data-testid=cc-launcher]")
    expect(page.locator("[data-testid=cc-department]")).to_be_hidden()  # no selector
    page.click("[data-testid=cc-start]")
    expect(page.locator("[data-testid=cc-name]")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[data-testid=cc-name]")).to_be_focused()
    clean_axe(page, "form with errors")
    shot(page, "form-errors")
    page.fill("[data-testid=cc-name]", "Jo <b>Bloggs</b>")
    page.fill("[data-testid=cc-question]", "Can I pay in instalments?")
    page.click("[data-testid=cc-start]")
    expect(page.locator("[data-testid=cc-status]")).to_contain_text("queue")
    clean_axe(page, "queued")
    shot(page, "queued")
    conversation_id = conversation_of(page)
    with schema_context(councils.alpha.schema_name):
        assert Conversation.objects.get(id=conversation_id).department.slug == "parking"

    operator_replies(councils.alpha, conversation_id, "Yes, call us to set that up.")
    expect(page.locator("[data-testid=cc-status]")).to_contain_text("Alex")
    expect(page.locator("[data-testid=cc-log]")).to_contain_text("Yes, call us")
    page.fill("[data-testid=cc-input]", ATTACK)
    page.click("[data-testid=cc-send]")
    mine = page.locator("[data-testid=cc-log] [data-client-id]").last
    expect(mine).not_to_have_class(re.compile(r"\bpending\b"))  # stored and confirmed
    assert page.locator("[data-testid=cc-log] img").count() == 0
    assert "pwned" not in page.title()
    clean_axe(page, "chatting")
    shot(page, "chatting")

    page.reload()
    log = page.locator("[data-testid=cc-log]")
    expect(log).to_contain_text(ATTACK)
    operator = operator_replies(councils.alpha, conversation_id, "Anything else?", accept=False)
    expect(log).to_contain_text("Anything else?")
    seqs = log.locator("[data-seq]").evaluate_all("els => els.map(e => e.dataset.seq)")
    assert seqs == [str(n) for n in range(1, len(seqs) + 1)]  # each once, in order
    assert log.inner_text().count("Can I pay in instalments?") == 1

    operator_ends(councils.alpha, conversation_id, operator)
    expect(page.locator("[data-testid=cc-rating-send]")).to_be_visible()
    clean_axe(page, "rating")
    shot(page, "rating")
    page.click("[data-testid=cc-rating-send]")  # nothing chosen: an error, tied to the group
    expect(page.locator("#cc-rating-err")).to_be_visible()
    page.check("[data-testid=cc-rating-5]")
    page.fill("[data-testid=cc-rating-comment]", ATTACK)
    page.click("[data-testid=cc-rating-send]")
    expect(page.locator("[data-testid=cc-rating-done]")).to_be_visible()
    with schema_context(councils.alpha.schema_name):
        rated = Conversation.objects.get(id=conversation_id)
        assert (rated.rating, rated.rating_comment) == (5, ATTACK)

    # The transcript, emailed by a real Celery worker through a real SMTP server.
    page.fill("[data-testid=cc-transcript-email]", "not an address")
    page.click("[data-testid=cc-transcript-send]")
    expect(page.locator("[data-testid=cc-transcript-email]")).to_have_attribute(
        "aria-invalid", "true"
    )
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        page.fill("[data-testid=cc-transcript-email]", "jo@example.com")
        page.click("[data-testid=cc-transcript-send]")
        done = page.locator("[data-testid=cc-transcript-done]")
        expect(done).to_contain_text("We will email a copy of this chat to jo@example.com")
        wait_for_mail(smtp_outbox)
        # Once the outbox has sent it, the widget says so (it asks GET …/transcript).
        expect(done).to_contain_text("has been emailed to jo@example.com", timeout=20_000)
    clean_axe(page, "transcript emailed")
    html = smtp_outbox[0].get_body(("html",)).get_content()
    assert "Yes, call us to set that up." in html and "<img" not in html


# ---- offline modes ------------------------------------------------------------------------


def test_offline_hours_mode_shows_the_hours_and_when_chat_opens_next(
    councils, daphne_server, browser
):
    widget_settings_in(councils.alpha, offline_mode="hours")
    hours_in(councils.alpha, "parking", *[(day, "09:00", "17:00") for day in range(7)])
    closure_in(councils.alpha, timezone.localdate())
    page = visitor(browser, daphne_server, "alpha.localhost", PARKING_PAGE)
    page.click("[data-testid=cc-launcher]")
    offline = page.locator("[data-testid=cc-offline]")
    expect(offline).to_contain_text("Chat is closed")
    expect(page.locator("[data-testid=cc-next-open]")).to_contain_text("09:00")
    expect(page.locator("[data-testid=cc-hours] tr")).to_have_count(7)
    expect(page.locator("[data-testid=cc-start]")).to_be_hidden()
    clean_axe(page, "offline: hours")
    shot(page, "offline-hours")


def test_choosing_a_closed_team_says_so_at_once_and_an_open_one_clears_it(
    councils, daphne_server, browser
):
    hours_in(councils.alpha, "highways", *[(day, "09:00", "17:00") for day in range(7)])
    closure_in(councils.alpha, timezone.localdate(), department="highways")
    page = visitor(browser, daphne_server, "alpha.localhost", "/")
    page.click("[data-testid=cc-launcher]")
    note = page.locator("[data-testid=cc-department-status]")

    page.select_option("[data-testid=cc-department]", "highways")
    expect(note).to_contain_text("This team is closed now")
    expect(note).to_contain_text("09:00")
    expect(page.locator("[data-testid=cc-start]")).to_be_visible()  # the form stays put
    clean_axe(page, "form: a closed team chosen")

    page.select_option("[data-testid=cc-department]", "parking")
    expect(note).to_have_text("")


def test_offline_contact_mode_keeps_what_was_typed_and_stores_an_enquiry(
    councils, daphne_server, browser
):
    widget_settings_in(councils.alpha, offline_mode="contact")
    page = visitor(browser, daphne_server, "alpha.localhost", PARKING_PAGE)
    with page.expect_response(re.compile(r"/widget/availability")):
        page.click("[data-testid=cc-launcher]")  # opening the panel refreshes availability
    page.fill("[data-testid=cc-name]", "Jo")
    page.fill("[data-testid=cc-question]", "My permit has not arrived")
    with schema_context(councils.alpha.schema_name):
        OperatorPresence.objects.update(status="offline")  # the last operator leaves
    page.click("[data-testid=cc-start]")
    offline = page.locator("[data-testid=cc-offline]")
    expect(offline).to_contain_text("No one is available")
    expect(page.locator("[data-testid=cc-enquiry-name]")).to_have_value("Jo")
    expect(page.locator("[data-testid=cc-enquiry-message]")).to_have_value(
        "My permit has not arrived"
    )
    page.click("[data-testid=cc-enquiry-send]")  # no email or phone: an error on the field
    expect(page.locator("[data-testid=cc-enquiry-email]")).to_have_attribute("aria-invalid", "true")
    clean_axe(page, "offline: contact form with an error")
    shot(page, "offline-contact")
    page.fill("[data-testid=cc-enquiry-email]", "jo@example.com")
    page.click("[data-testid=cc-enquiry-send]")
    expect(page.locator("[data-testid=cc-enquiry-sent]")).to_be_focused()
    with schema_context(councils.alpha.schema_name):
        enquiry = Enquiry.objects.get()
        assert (enquiry.reason, enquiry.message, enquiry.email) == (
            "no_operator_online",
            "My permit has not arrived",
            "jo@example.com",
        )


def test_offline_links_mode_when_the_queue_is_full_and_the_state_changes_live(
    councils, daphne_server, browser
):
    widget_settings_in(councils.alpha, offline_mode="links")
    offline_link_in(councils.alpha, "Pay a fine online", "https://www.alpha.gov.uk/pay")
    page = visitor(browser, daphne_server, "alpha.localhost", PARKING_PAGE)
    page.click("[data-testid=cc-launcher]")
    expect(page.locator("[data-testid=cc-start]")).to_be_visible()
    page.click("[data-testid=cc-close]")
    set_routing(councils.alpha, queue_cap=0, assignment_strategy="manual")
    page.click("[data-testid=cc-launcher]")  # opening the panel refreshes availability
    expect(page.locator("[data-testid=cc-offline]")).to_contain_text("very busy")
    expect(page.locator("[data-testid=cc-links] a")).to_have_attribute(
        "href", "https://www.alpha.gov.uk/pay"
    )
    clean_axe(page, "offline: links")
    shot(page, "offline-links")
    set_routing(councils.alpha, queue_cap=None)
    page.click("[data-testid=cc-close]")
    page.click("[data-testid=cc-launcher]")
    expect(page.locator("[data-testid=cc-start]")).to_be_visible()


# ---- keyboard, Welsh, phones --------------------------------------------------------------


def active_testid(page) -> str | None:
    return page.evaluate(
        "() => { const h = document.getElementById('councilchat-widget');"
        " const a = h && h.shadowRoot.activeElement; return a && (a.dataset.testid || a.id"
        " || a.tagName); }"
    )


def test_keyboard_only_from_the_launcher_to_the_rating_and_back(councils, daphne_server, browser):
    page = visitor(browser, daphne_server, "alpha.localhost", PARKING_PAGE)
    for _ in range(30):
        page.keyboard.press("Tab")
        if active_testid(page) == "cc-launcher":
            break
    assert active_testid(page) == "cc-launcher"
    page.keyboard.press("Enter")
    assert active_testid(page) == "cc-name"
    page.keyboard.type("Kim")
    page.keyboard.press("Tab")
    assert active_testid(page) == "cc-question"
    page.keyboard.type("Where do I get a permit?")
    page.keyboard.press("Tab")
    assert active_testid(page) == "cc-start"
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=cc-input]")).to_be_focused()
    conversation_id = conversation_of(page)
    operator = operator_replies(councils.alpha, conversation_id, "From our website.")
    expect(page.locator("[data-testid=cc-log]")).to_contain_text("From our website.")
    page.keyboard.type("Thanks!")
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=cc-log]")).to_contain_text("Thanks!")
    operator_ends(councils.alpha, conversation_id, operator)
    expect(page.locator("[data-testid=cc-rating-send]")).to_be_visible()
    page.keyboard.press("Tab")
    assert active_testid(page) == "cc-rating-1"
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert active_testid(page) == "cc-rating-4"
    page.keyboard.press("Tab")
    page.keyboard.type("Quick answer")
    page.keyboard.press("Tab")
    assert active_testid(page) == "cc-rating-send"
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=cc-rating-done]")).to_be_focused()
    page.keyboard.press("Escape")
    assert active_testid(page) == "cc-launcher"
    with schema_context(councils.alpha.schema_name):
        assert Conversation.objects.get(id=conversation_id).rating == 4


def test_the_welsh_version_from_the_language_switch_to_a_welsh_chat(
    councils, daphne_server, browser
):
    widget_settings_in(councils.alpha, offer_welsh=True, greeting_cy="Shwmae! Sut gallwn ni helpu?")
    page = visitor(browser, daphne_server, "alpha.localhost", PARKING_PAGE)
    page.click("[data-testid=cc-launcher]")
    page.fill("[data-testid=cc-name]", "Siân")  # kept across the switch
    page.click("[data-testid=cc-language]")
    expect(page.locator("[data-testid=cc-start]")).to_have_text("Dechrau sgwrs")
    expect(page.locator("[data-testid=cc-name]")).to_have_value("Siân")
    expect(page.locator(".greet")).to_have_text("Shwmae! Sut gallwn ni helpu?")
    expect(page.locator("[data-testid=cc-language]")).to_have_text("English")
    page.click("[data-testid=cc-start]")
    expect(page.locator("#cc-message-err")).to_have_text("Rhowch eich cwestiwn.")
    clean_axe(page, "Welsh form with errors")
    page.fill("[data-testid=cc-question]", "Ble mae talu?")
    page.click("[data-testid=cc-start]")
    expect(page.locator("[data-testid=cc-status]")).to_contain_text("ciw")
    shot(page, "welsh")
    with schema_context(councils.alpha.schema_name):
        assert Conversation.objects.get(id=conversation_of(page)).language == "cy"


@pytest.mark.parametrize(
    ("name", "viewport"),
    [("mobile", {"width": 360, "height": 740}), ("zoom-200", {"width": 640, "height": 400})],
)
def test_on_a_phone_and_at_200_percent_zoom_the_panel_fits_the_screen_without_motion(
    councils, daphne_server, browser, name, viewport
):
    page = visitor(
        browser,
        daphne_server,
        "alpha.localhost",
        PARKING_PAGE,
        viewport=viewport,
        reduced_motion="reduce",
    )
    page.click("[data-testid=cc-launcher]")
    assert page.locator("#cc-panel").evaluate("e => getComputedStyle(e).animationName") == "none"
    box = page.locator("#cc-panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
    expect(page.locator("[data-testid=cc-start]")).to_be_attached()
    page.locator("[data-testid=cc-start]").scroll_into_view_if_needed()
    expect(page.locator("[data-testid=cc-start]")).to_be_in_viewport()
    clean_axe(page, name)
    shot(page, name)


def test_with_motion_allowed_the_panel_slides_in_and_axe_scans_it_once_still(
    councils, daphne_server, browser
):
    """Other tests prefer reduced motion; here the panel animates, and the scan waits for it
    (axe sampling the panel mid-fade used to report its half-transparent text)."""
    page = visitor(
        browser, daphne_server, "alpha.localhost", PARKING_PAGE, reduced_motion="no-preference"
    )
    page.click("[data-testid=cc-launcher]")
    assert page.locator("#cc-panel").evaluate("e => getComputedStyle(e).animationName") == "up"
    clean_axe(page, "the panel after its opening animation")


# ---- quick exit and a strict CSP ----------------------------------------------------------


def test_quick_exit_ends_the_chat_and_leaves_for_a_neutral_page(councils, daphne_server, browser):
    neutral = daphne_server.url("localhost", "/healthz")
    widget_settings_in(councils.gamma, quick_exit_enabled=True, quick_exit_url=neutral)
    page = visitor(browser, daphne_server, "gamma.localhost", PARKING_PAGE)
    start_chat(page)
    conversation_id = conversation_of(page)
    clean_axe(page, "chatting with the quick exit")
    shot(page, "quick-exit")
    page.click("[data-testid=cc-exit]")
    page.wait_for_url(neutral)
    assert page.evaluate("() => Object.keys(localStorage).length") == 0
    with schema_context(councils.gamma.schema_name):
        ended = poll_until(
            lambda: Conversation.objects.filter(id=conversation_id, status="ended").first(),
            "the quick exit to end the chat",
            timeout=10,
        )
        assert ended.ended_by == "system"

    # Three presses of Shift do the same, with the panel closed; capitals typed are not presses.
    other = visitor(browser, daphne_server, "gamma.localhost", PARKING_PAGE)
    other.click("[data-testid=cc-launcher]")
    other.click("[data-testid=cc-name]")
    for letter in "JOE":
        other.keyboard.press(f"Shift+{letter}")
    expect(other.locator("[data-testid=cc-name]")).to_have_value("JOE")
    other.click("[data-testid=cc-close]")
    for _ in range(3):
        other.keyboard.press("Shift")
    other.wait_for_url(neutral)


def test_the_widget_works_on_a_host_page_with_a_strict_content_security_policy(
    councils, daphne_server, browser
):
    origin = daphne_server.url("alpha.localhost", "").rstrip("/")
    ws_origin = origin.replace("http://", "ws://")
    policy = (
        f"default-src 'none'; script-src {origin}/widget/embed.js; connect-src {origin} "
        f"{ws_origin}; img-src {origin}; style-src 'none'; base-uri 'none'; form-action 'none'"
    )
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Strict page</title>'
        "</head><body><main><h1>Strict page</h1></main>"
        f'<script src="{origin}/widget/embed.js" async data-department="parking"></script>'
        "</body></html>"
    )
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    console_messages = []  # CSP violations are reported here
    page.on("console", lambda m: console_messages.append(m.text))
    page.route(
        f"{origin}/strict",
        lambda route: route.fulfill(
            status=200,
            headers={"Content-Type": "text/html", "Content-Security-Policy": policy},
            body=html,
        ),
    )
    page.goto(f"{origin}/strict")
    expect(page.locator("[data-testid=cc-launcher]")).to_be_visible()
    start_chat(page)
    expect(page.locator("[data-testid=cc-status]")).to_contain_text("queue")
    colour = page.locator(".launch, .head").first.evaluate("e => getComputedStyle(e).color")
    assert colour == "rgb(255, 255, 255)"  # our stylesheet applied despite style-src 'none'
    assert console_messages == []
