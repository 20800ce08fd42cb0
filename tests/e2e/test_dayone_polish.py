"""What a Welsh-speaking resident, an operator on a laptop and a supervisor meet on day one
(issue 15's follow-ups), in real headless Chromium against a real daphne:

- a Welsh chat passed to another council reads that council's Welsh name, in the widget's
  title and in the transfer's line, with one notice;
- each ending of a chat shows exactly one line in the widget, in English and in Welsh: the
  resident's own, the operator's, and a quick exit seen from the resident's other tab;
- in a Welsh chat the console's `/` lists the Welsh replies first and fills their
  placeholders in Welsh (an unknown name, the council's Welsh name);
- at 1366x768 and 1280x720 the message list keeps a usable width with the chat's details
  and notes open, and at 320 CSS pixels (400% zoom) the console reflows without losing
  anything or scrolling sideways.
axe-core scans each state.

The test councils have Welsh names (tests/conftest.py): Alpha is "Cyngor Alffa", Beta
"Cyngor Beta"; Gamma has none.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from chat.actions.lifecycle import conversation_accept, conversation_end
from chat.actions.notes import note_create
from chat.actions.transfers import transfer_to_council
from chat.models import Conversation, Visitor
from tests.chat.console_factories import canned_in, give_email
from tests.e2e.axe import axe_violations
from tests.e2e.test_console_flows import console_for
from tests.e2e.test_console_polish import panel
from tests.e2e.test_widget_flows import PARKING_PAGE, conversation_of, start_chat, visitor
from tests.factories import PASSWORD, accepted_chat_in, operator_in
from tests.polling import poll_until
from tests.widgets.factories import widget_settings_in
from tests.widgets.fixtures import clean_hours  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.usefixtures("staffed", "clean_hours"), pytest.mark.browser]

ENDING_LINES = "[data-testid=cc-log] [data-ending]"


def welsh_chat(browser, server, host: str, name: str = "Siân", question: str = "Ble mae talu?"):
    """A resident who switches the widget to Welsh, then starts a chat."""
    page = visitor(browser, server, host, PARKING_PAGE)
    page.click("[data-testid=cc-launcher]")
    page.click("[data-testid=cc-language]")
    expect(page.locator("[data-testid=cc-start]")).to_have_text("Dechrau sgwrs")
    page.fill("[data-testid=cc-name]", name)
    page.fill("[data-testid=cc-question]", question)
    page.click("[data-testid=cc-start]")
    expect(page.locator("[data-testid=cc-log]")).to_contain_text(question)
    return page


# ---- council names in Welsh -----------------------------------------------------------------


def test_a_welsh_chat_passed_to_another_council_reads_its_welsh_name_once(
    councils, daphne_server, browser
):
    widget_settings_in(councils.alpha, offer_welsh=True)
    sam = operator_in(councils.alpha, "sam", first_name="Sam", last_name="Patel")
    page = welsh_chat(browser, daphne_server, "alpha.localhost")
    chat = conversation_of(page)
    log = page.locator("[data-testid=cc-log]")
    with schema_context(councils.alpha.schema_name):
        conversation_accept(council=councils.alpha, conversation_id=chat, operator=sam)
    expect(log).to_contain_text("Mae Sam wedi ymuno â'r sgwrs.")

    with schema_context(councils.alpha.schema_name):
        transfer_to_council(
            council=councils.alpha, conversation_id=chat, operator=sam, to_council=councils.beta
        )
    expect(page.locator("#cc-title")).to_have_text("Cyngor Beta \u2013 sgwrs fyw")
    expect(log).to_contain_text(
        "Mae Sam wedi trosglwyddo eich sgwrs. Bydd Cyngor Beta yn eich ateb: rydych chi ar "
        "flaen eu ciw."
    )
    expect(log.locator(".m.system, .m.local").filter(has_text="Beta")).to_have_count(1)
    shown = page.locator("#cc-title").inner_text() + log.inner_text()
    assert "Beta Council" not in shown
    assert axe_violations(page) == [], "a Welsh chat passed to another council"

    page.reload()  # the new council's Welsh name is remembered with the chat
    expect(page.locator("#cc-title")).to_have_text("Cyngor Beta \u2013 sgwrs fyw")

    # The chat carries on with Beta through the partnership's host, which Alpha's page lets
    # the widget reach (CSP connect-src): the reconnected socket hears Beta's operator, and
    # the rating goes through (it was refused on Alpha's host, which takes only Alpha's
    # tokens).
    kim = operator_in(councils.beta, "kim", first_name="Kim", last_name="Jones")
    with schema_context(councils.beta.schema_name):
        conversation_accept(council=councils.beta, conversation_id=chat, operator=kim)
    expect(log).to_contain_text("Mae Kim wedi ymuno â'r sgwrs.")
    with schema_context(councils.beta.schema_name):
        conversation_end(council=councils.beta, conversation_id=chat, operator=kim)
    expect(page.locator(ENDING_LINES)).to_have_text(["Mae Kim wedi dod â'r sgwrs i ben."])
    page.locator("[data-testid=cc-rating-4]").check()
    page.click("[data-testid=cc-rating-send]")
    expect(page.locator("[data-testid=cc-rating-done]")).to_be_visible()
    with schema_context(councils.beta.schema_name):
        assert Conversation.objects.get(id=chat).rating == 4


def test_a_chat_started_while_the_welsh_words_load_is_a_welsh_chat(
    councils, daphne_server, browser
):
    """The language switch fetches the Welsh config; a resident quick enough to start the chat
    before it arrives gets a Welsh chat (it was stored in English while the page read Welsh)."""
    widget_settings_in(councils.alpha, offer_welsh=True)
    page = visitor(browser, daphne_server, "alpha.localhost", PARKING_PAGE)
    page.click("[data-testid=cc-launcher]")
    held = []
    page.route("**/widget/config?*lang=cy*", lambda route: held.append(route))
    page.click("[data-testid=cc-language]")
    page.fill("[data-testid=cc-name]", "Siân")
    page.fill("[data-testid=cc-question]", "Ble mae talu?")
    page.click("[data-testid=cc-start]")
    expect(page.locator("[data-testid=cc-log]")).to_contain_text("Ble mae talu?")
    for route in held:  # the Welsh words arrive late
        route.continue_()
    expect(page.locator("[data-testid=cc-end]")).to_have_text("Gorffen y sgwrs")
    with schema_context(councils.alpha.schema_name):
        assert Conversation.objects.get(id=conversation_of(page)).language == "cy"


# ---- one line for each ending -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "mine", "theirs"),
    [
        ("en", "You ended the chat.", "Sam ended the chat."),
        ("cy", "Daethoch â'r sgwrs i ben.", "Mae Sam wedi dod â'r sgwrs i ben."),
    ],
)
def test_each_ending_shows_exactly_one_line_in_the_chat_s_language(
    councils, daphne_server, browser, language, mine, theirs
):
    widget_settings_in(councils.alpha, offer_welsh=True)
    sam = operator_in(councils.alpha, "sam", first_name="Sam", last_name="Patel")

    def chatting():
        if language == "cy":
            page = welsh_chat(browser, daphne_server, "alpha.localhost")
        else:
            page = visitor(browser, daphne_server, "alpha.localhost", PARKING_PAGE)
            start_chat(page, name="Jo")
        chat = conversation_of(page)
        with schema_context(councils.alpha.schema_name):
            conversation_accept(council=councils.alpha, conversation_id=chat, operator=sam)
        expect(page.locator("[data-testid=cc-log] .m.system")).to_have_count(1)  # joined
        return page, chat

    # The resident ends it: their own line, and not the server's "Jo ended the chat." too.
    page, chat = chatting()
    page.click("[data-testid=cc-end]")
    page.click("[data-testid=cc-end-yes]")
    expect(page.locator("[data-testid=cc-after]")).to_be_visible()
    with schema_context(councils.alpha.schema_name):
        poll_until(
            lambda: Conversation.objects.filter(id=chat, status="ended").exists(),
            "the resident's end to be stored",
            timeout=10,
        )
    expect(page.locator(ENDING_LINES)).to_have_text([mine])
    page.reload()  # the stored line comes back as the resident's own, once
    expect(page.locator(ENDING_LINES)).to_have_text([mine])
    assert "Jo ended the chat." not in page.locator("[data-testid=cc-log]").inner_text()
    assert "Siân" not in page.locator("[data-testid=cc-log]").inner_text()
    assert axe_violations(page) == [], f"ended by the resident ({language})"

    # The operator ends it: their line, once.
    page, chat = chatting()
    with schema_context(councils.alpha.schema_name):
        conversation_end(council=councils.alpha, conversation_id=chat, operator=sam)
    expect(page.locator("[data-testid=cc-after]")).to_be_visible()
    expect(page.locator(ENDING_LINES)).to_have_text([theirs])
    page.reload()
    expect(page.locator(ENDING_LINES)).to_have_text([theirs])
    assert axe_violations(page) == [], f"ended by the operator ({language})"


@pytest.mark.parametrize(
    ("language", "line"),
    [("en", "You left by the quick exit."), ("cy", "Gadawsoch drwy'r allanfa gyflym.")],
)
def test_a_quick_exit_seen_from_the_resident_s_other_tab_is_one_line(
    councils, daphne_server, browser, language, line
):
    neutral = daphne_server.url("localhost", "/healthz")
    widget_settings_in(
        councils.gamma, quick_exit_enabled=True, quick_exit_url=neutral, offer_welsh=True
    )
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    first = context.new_page()
    first.goto(daphne_server.url("gamma.localhost", PARKING_PAGE))
    if language == "cy":
        first.click("[data-testid=cc-launcher]")
        first.click("[data-testid=cc-language]")
        expect(first.locator("[data-testid=cc-start]")).to_have_text("Dechrau sgwrs")
        first.fill("[data-testid=cc-name]", "Siân")
        first.fill("[data-testid=cc-question]", "Ble mae talu?")
        first.click("[data-testid=cc-start]")
        expect(first.locator("[data-testid=cc-log]")).to_contain_text("Ble mae talu?")
    else:
        start_chat(first, name="Jo", question="Ble mae talu?")
    second = context.new_page()  # the same resident's other tab: the same chat
    second.goto(daphne_server.url("gamma.localhost", PARKING_PAGE))  # opens on the chat
    expect(second.locator("[data-testid=cc-log]")).to_contain_text("Ble mae talu?")

    first.click("[data-testid=cc-exit]")
    first.wait_for_url(neutral)
    expect(second.locator(ENDING_LINES)).to_have_text([line])
    expect(second.locator("[data-testid=cc-after]")).to_be_visible()
    assert axe_violations(second) == [], f"the other tab after a quick exit ({language})"


# ---- canned replies in the chat's language ------------------------------------------------


def test_in_a_welsh_chat_slash_offers_the_welsh_replies_first_and_fills_them_in_welsh(
    councils, daphne_server, browser
):
    alpha = councils.alpha
    alex = operator_in(alpha, "alex", first_name="Alex", last_name="Morgan")
    canned_in(alpha, "hello", "Hello {visitor_name}, this is {council}.", title="Greeting")
    canned_in(
        alpha,
        "hello",
        "Helo {visitor_name}, yn ateb ar ran {council}.",
        title="Cyfarch",
        language="cy",
    )
    canned_in(alpha, "bins", "Check your bin day online.", title="Bins")
    welsh = accepted_chat_in(alpha, alex, message="Helo?")
    english = accepted_chat_in(alpha, alex, name="Jo", message="Hello?")
    with schema_context(alpha.schema_name):
        Conversation.objects.filter(id=welsh.id).update(language="cy")
        Visitor.objects.filter(conversations__id=welsh.id).update(name="")
    console = console_for(browser, daphne_server, "alpha.localhost", "alex")

    reply = panel(console, welsh.id).locator("[data-testid=reply]")
    reply.fill("/")
    options = panel(console, welsh.id).locator("[data-testid=canned-option]")
    expect(options).to_have_count(3)
    assert [o.get_attribute("data-language") for o in options.all()] == ["cy", "en", "en"]
    expect(options.first).to_contain_text("(Welsh)")
    assert axe_violations(console) == [], "a Welsh chat's replies"
    reply.press("Enter")
    expect(reply).to_have_value("Helo chi, yn ateb ar ran Cyngor Alffa.")
    reply.fill("/")  # an English reply in a Welsh chat is filled in English
    options.filter(has_text="Greeting").click()
    expect(reply).to_have_value("Hello there, this is Alpha Council.")

    other = panel(console, english.id).locator("[data-testid=reply]")
    other.fill("/hel")
    options = panel(console, english.id).locator("[data-testid=canned-option]")
    expect(options).to_have_count(2)
    assert [o.get_attribute("data-language") for o in options.all()] == ["en", "cy"]
    other.press("Enter")
    expect(other).to_have_value("Hello Jo, this is Alpha Council.")


# ---- the console on a laptop, and at 400% zoom ---------------------------------------------

LIST_SIZES = """
() => [...document.querySelectorAll('[data-testid=chat-panel]')].map(p => {
  const log = p.querySelector('[data-testid=chat-log]');
  return {width: log.clientWidth, height: log.clientHeight};
})
"""


def crowded_chats(council, operator, count: int = 3) -> list:
    """Chats with pre-chat answers, an email (so "earlier chats" shows) and notes."""
    chats = [
        accepted_chat_in(council, operator, name=f"Resident {n}", department="parking")
        for n in range(count)
    ]
    with schema_context(council.schema_name):
        for n, chat in enumerate(chats):
            Conversation.objects.filter(id=chat.id).update(
                prechat={"postcode": "DT1 1AA", "reference": f"PCN{n:07d}", "phone": "01305 000"}
            )
            for k in range(3):
                with transaction.atomic():
                    note_create(
                        council=council,
                        conversation_id=chat.id,
                        operator=operator,
                        body=f"Note {k}: called the resident back about the fine.",
                        client_id=f"note-{n}-{k}",
                    )
    for chat in chats:
        give_email(council, chat.id, "resident@example.org")
    return chats


@pytest.mark.parametrize("viewport", [(1366, 768), (1280, 720)])
def test_on_a_laptop_the_message_list_keeps_a_usable_width_with_details_and_notes_open(
    councils, daphne_server, browser, viewport
):
    alpha = councils.alpha
    alex = operator_in(alpha, "alex", first_name="Alex", last_name="Morgan")
    chats = crowded_chats(alpha, alex)
    width, height = viewport
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.goto(daphne_server.url("alpha.localhost", "/console/"))
    page.fill("#id_username", "alex")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live", timeout=10000)
    for chat in chats:
        chat_panel = panel(page, chat.id)
        expect(chat_panel.locator("[data-testid=notes-list] li")).to_have_count(3)
        chat_panel.locator("[data-testid=notes] summary").click()
        expect(chat_panel.locator("[data-testid=note-input]")).to_be_visible()
    sizes = page.evaluate(LIST_SIZES)
    assert len(sizes) == 3
    for size in sizes:
        assert size["width"] >= 360, sizes
        assert size["height"] >= 180, sizes
    box = page.evaluate(
        "() => ({w: innerWidth, h: innerHeight, sw: document.scrollingElement.scrollWidth,"
        " sh: document.scrollingElement.scrollHeight})"
    )
    assert box["sw"] <= box["w"] and box["sh"] <= box["h"], box  # no page-level scrolling
    assert axe_violations(page) == [], f"details and notes open at {width}x{height}"


def test_at_400_percent_zoom_the_console_reflows_into_320_pixels_and_loses_nothing(
    councils, daphne_server, browser
):
    """WCAG 1.4.10: 1280 CSS pixels at 400% are 320 wide; nothing may need sideways scrolling
    and every control stays reachable."""
    alpha = councils.alpha
    alex = operator_in(alpha, "alex", first_name="Alex", last_name="Morgan")
    chats = crowded_chats(alpha, alex, count=2)
    page = browser.new_context(viewport={"width": 320, "height": 256}).new_page()
    page.goto(daphne_server.url("alpha.localhost", "/console/"))
    page.fill("#id_username", "alex")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live", timeout=10000)
    chat_panel = panel(page, chats[0].id)
    chat_panel.locator("[data-testid=notes] summary").click()
    scroll_width = page.evaluate("() => document.scrollingElement.scrollWidth")
    assert scroll_width <= 320, scroll_width
    for testid in ("reply", "send", "canned-button", "end", "note-input", "note-add"):
        control = chat_panel.locator(f"[data-testid={testid}]")
        control.scroll_into_view_if_needed()
        box = control.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320, testid
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('body *')].filter(e => {
             const r = e.getBoundingClientRect();
             return r.width > 0 && (r.right > 320.5 || r.left < -0.5)
               && !e.closest('.visually-hidden, .skip-link');
           }).map(e => e.tagName + '.' + e.className).slice(0, 5)"""
    )
    assert overflowing == []
    assert axe_violations(page) == [], "the console at 320 CSS pixels"
