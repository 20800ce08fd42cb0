"""Welsh everywhere a resident reads, and links in the council's messages (issue 15), in real
headless Chromium against a real daphne process.

- A Welsh chat shows every system line in Welsh through joining, two transfers and the end,
  and the Welsh department names in the form.
- An operator's link is a real link in the widget (new tab, no opener, the address shown and
  "(yn agor mewn tab newydd)"/"(opens in a new tab)" for screen readers); `javascript:` and
  `data:` addresses and whatever the resident typed stay text. The console shows the same.
- A chat passed to another council wears that council's colours, with one notice.
axe-core scans each state.
"""

from __future__ import annotations

import string
import uuid

import pytest
from django.db import transaction
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from chat import system_messages
from chat.actions.lifecycle import conversation_accept, conversation_end
from chat.actions.messages import message_create
from chat.actions.transfers import transfer_to_council, transfer_to_department, transfer_to_operator
from routing.models import Department
from tests.conftest import put_online
from tests.e2e.axe import axe_violations
from tests.e2e.screenshots import save_screenshot
from tests.e2e.test_console_flows import console_for
from tests.e2e.test_widget_flows import conversation_of, visitor
from tests.factories import operator_in
from tests.widgets.factories import widget_settings_in
from tests.widgets.fixtures import clean_hours  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.usefixtures("staffed", "clean_hours"), pytest.mark.browser]

# The longest fixed part of each English line ("joined the chat."): none may show in Welsh.
ENGLISH_LINES = [
    max((text for text, *_ in string.Formatter().parse(line.en)), key=len).strip()
    for line in system_messages.LINES.values()
]


@pytest.fixture
def welsh_departments(councils):
    with schema_context(councils.alpha.schema_name):
        Department.objects.filter(slug="parking").update(name_cy="Parcio")
        Department.objects.filter(slug="highways").update(name_cy="Priffyrdd")
    yield
    with schema_context(councils.alpha.schema_name):
        Department.objects.update(name_cy="")


def say(council, conversation_id, operator, text: str) -> None:
    with schema_context(council.schema_name), transaction.atomic():
        message_create(
            council=council,
            conversation_id=conversation_id,
            body=text,
            client_id=uuid.uuid4().hex,
            operator=operator,
        )


def system_lines(page) -> list[str]:
    return page.locator("[data-testid=cc-log] .m.system p").all_inner_texts()


def test_the_welsh_widget_shows_every_system_line_in_welsh_from_joining_to_the_end(
    councils, daphne_server, browser, welsh_departments
):
    widget_settings_in(councils.alpha, offer_welsh=True)
    put_online(councils.alpha, "sam", max_chats=3)  # (resets the user: names come after)
    put_online(councils.alpha, "alex", max_chats=3)
    sam = operator_in(councils.alpha, "sam", first_name="Sam", last_name="Patel")
    alex = operator_in(councils.alpha, "alex", first_name="Alex", last_name="Morgan")
    page = visitor(browser, daphne_server, "alpha.localhost")
    page.click("[data-testid=cc-launcher]")
    page.click("[data-testid=cc-language]")
    department = page.locator("[data-testid=cc-department]")
    expect(department).to_contain_text("Priffyrdd")  # the Welsh form is drawn
    assert set(department.locator("option").all_inner_texts()) >= {"Parcio", "Priffyrdd"}
    page.fill("[data-testid=cc-name]", "Siân")
    department.select_option("parking")
    page.fill("[data-testid=cc-question]", "Ble mae talu dirwy?")
    page.click("[data-testid=cc-start]")
    expect(page.locator("[data-testid=cc-status]")).to_contain_text("ciw")
    chat = conversation_of(page)
    log = page.locator("[data-testid=cc-log]")

    with schema_context(councils.alpha.schema_name):
        conversation_accept(council=councils.alpha, conversation_id=chat, operator=sam)
    expect(log).to_contain_text("Mae Sam Patel wedi ymuno â'r sgwrs.")
    with schema_context(councils.alpha.schema_name):
        transfer_to_operator(
            council=councils.alpha, conversation_id=chat, operator=sam, to_user_id=alex.id
        )
    expect(log).to_contain_text("Rydych chi nawr yn siarad ag Alex Morgan.")
    with schema_context(councils.alpha.schema_name):
        transfer_to_department(
            council=councils.alpha, conversation_id=chat, operator=alex, department_slug="highways"
        )
    expect(log).to_contain_text("i'r tîm Priffyrdd")
    with schema_context(councils.alpha.schema_name):
        conversation_accept(council=councils.alpha, conversation_id=chat, operator=sam)
    expect(page.locator("[data-testid=cc-status]")).to_contain_text("Sam Patel")
    assert axe_violations(page) == [], "a Welsh chat with system lines"
    save_screenshot(page, "widget", "welsh-system-lines")
    with schema_context(councils.alpha.schema_name):
        conversation_end(council=councils.alpha, conversation_id=chat, operator=sam)
    expect(log).to_contain_text("Mae Sam Patel wedi dod â'r sgwrs i ben.")

    assert system_lines(page) == [
        "Mae Sam Patel wedi ymuno â'r sgwrs.",
        "Rydych chi nawr yn siarad ag Alex Morgan.",
        "Mae Alex Morgan wedi trosglwyddo eich sgwrs i'r tîm Priffyrdd. "
        "Rydych chi ar flaen eu ciw.",
        "Mae Sam Patel wedi ymuno â'r sgwrs.",
        "Mae Sam Patel wedi dod â'r sgwrs i ben.",
    ]
    shown = log.inner_text() + page.locator("[data-testid=cc-status]").inner_text()
    for english in ENGLISH_LINES:
        assert english.strip() not in shown, english
    assert axe_violations(page) == [], "a Welsh chat that has ended"


def test_an_operator_s_link_is_clickable_in_the_widget_and_a_javascript_address_is_not(
    councils, daphne_server, browser
):
    sam = operator_in(councils.alpha, "sam", first_name="Sam", last_name="Patel")
    page = visitor(browser, daphne_server, "alpha.localhost")
    page.click("[data-testid=cc-launcher]")
    page.fill("[data-testid=cc-name]", "Jo")
    page.fill("[data-testid=cc-question]", "Where is the form? https://visitor.example/x")
    page.click("[data-testid=cc-start]")
    log = page.locator("[data-testid=cc-log]")
    expect(log).to_contain_text("Where is the form?")
    chat = conversation_of(page)
    form = daphne_server.url("alpha.localhost", "/healthz")
    with schema_context(councils.alpha.schema_name):
        conversation_accept(council=councils.alpha, conversation_id=chat, operator=sam)
    say(
        councils.alpha,
        chat,
        sam,
        f"Fill in {form}. Not javascript:alert(document.domain) nor data:text/html,<b>x</b>",
    )
    link = log.locator("[data-testid=cc-link]")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", form)
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_have_text(f"{form} (opens in a new tab)")
    expect(link.locator(".vh")).to_have_text(" (opens in a new tab)")
    message = log.locator(".m.operator p").last
    expect(message).to_contain_text("javascript:alert(document.domain) nor data:text/html,<b>x</b>")
    assert log.locator("a[href^='javascript'], a[href^='data'], p b").count() == 0
    # The resident's own address is text; the full stop after the operator's is outside.
    assert log.locator(".m.visitor a").count() == 0
    assert message.evaluate("p => p.childNodes[2].textContent").startswith(". Not javascript:")
    assert axe_violations(page) == [], "an operator message with a link"
    save_screenshot(page, "widget", "link")

    with page.context.expect_page() as opened:
        link.click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url == form
    assert tab.evaluate("() => window.opener") is None


def test_the_console_shows_the_council_s_links_as_links_and_the_resident_s_as_text(
    councils, daphne_server, browser
):
    operator_in(councils.alpha, "duty", first_name="Dee", last_name="Uty")
    page = visitor(browser, daphne_server, "alpha.localhost")
    page.click("[data-testid=cc-launcher]")
    page.fill("[data-testid=cc-name]", "Jo")
    page.fill("[data-testid=cc-question]", "Is https://phish.example/login yours?")
    page.click("[data-testid=cc-start]")
    expect(page.locator("[data-testid=cc-log]")).to_contain_text("phish.example")
    chat = conversation_of(page)
    console = console_for(browser, daphne_server, "alpha.localhost", "duty")
    console.click(f"[data-testid=queue-item][data-conversation='{chat}'] [data-testid=accept]")
    panel = console.locator(f"[data-testid=chat-panel][data-conversation='{chat}']")
    panel.locator("[data-testid=reply]").fill(
        "No. Use https://alpha.example.gov.uk/pay (not javascript:void(0))."
    )
    panel.locator("[data-testid=send]").click()
    link = panel.locator("[data-testid=message-link]")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", "https://alpha.example.gov.uk/pay")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_have_text("https://alpha.example.gov.uk/pay (opens in a new tab)")
    expect(panel.locator("[data-testid=chat-log]")).to_contain_text("Dee Uty joined the chat.")
    assert panel.locator(".msg.visitor a").count() == 0
    assert axe_violations(console) == [], "the console with a link"
    # The widget got the same message as a link.
    expect(page.locator("[data-testid=cc-link]")).to_have_attribute(
        "href", "https://alpha.example.gov.uk/pay"
    )


def test_a_chat_passed_to_another_council_wears_its_colours_with_one_notice(
    councils, daphne_server, browser
):
    widget_settings_in(councils.alpha, brand_colour="#1d4f91")
    widget_settings_in(councils.beta, brand_colour="#6f2c91")
    sam = operator_in(councils.alpha, "sam", first_name="Sam", last_name="Patel")
    page = visitor(browser, daphne_server, "alpha.localhost")
    page.click("[data-testid=cc-launcher]")
    page.fill("[data-testid=cc-name]", "Jo")
    page.fill("[data-testid=cc-question]", "Is my bin day changing?")
    page.click("[data-testid=cc-start]")
    expect(page.locator("[data-testid=cc-log]")).to_contain_text("bin day")
    chat = conversation_of(page)
    with schema_context(councils.alpha.schema_name):
        conversation_accept(council=councils.alpha, conversation_id=chat, operator=sam)
    log = page.locator("[data-testid=cc-log]")
    expect(log).to_contain_text("Sam Patel joined the chat.")
    head = page.locator(".head")
    assert head.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(29, 79, 145)"

    with schema_context(councils.alpha.schema_name):
        transfer_to_council(
            council=councils.alpha, conversation_id=chat, operator=sam, to_council=councils.beta
        )
    expect(page.locator("#cc-title")).to_have_text("Beta Council \u2013 live chat")
    expect(log).to_contain_text("Sam Patel passed your chat to Beta Council.")
    expect(head).to_have_css("background-color", "rgb(111, 44, 145)")
    expect(page.locator("[data-testid=cc-launcher]")).to_have_css(
        "background-color", "rgb(111, 44, 145)"
    )
    notices = log.locator(".m.system, .m.local").filter(has_text="Beta Council")
    expect(notices).to_have_count(1)
    assert axe_violations(page) == [], "a chat passed to another council"

    page.reload()  # the new council's branding is remembered
    expect(page.locator(".head")).to_have_css("background-color", "rgb(111, 44, 145)")
    expect(page.locator("#cc-title")).to_have_text("Beta Council \u2013 live chat")
