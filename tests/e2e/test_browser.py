"""A resident and an operator in real headless Chromium, against a real daphne process."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import axe_violations
from tests.e2e.screenshots import save_screenshot
from tests.factories import PASSWORD, operator_in

pytestmark = [pytest.mark.usefixtures("staffed"), pytest.mark.browser]


def console_for(browser, daphne_server, council_host: str, username: str):
    page = browser.new_context(viewport={"width": 1366, "height": 800}).new_page()
    page.goto(daphne_server.url(council_host, "/console/"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live", timeout=10000)
    return page


def test_a_resident_chats_with_an_operator_and_nothing_typed_becomes_markup(
    councils, daphne_server, browser
):
    operator_in(councils.alpha, "alex", first_name="Alex", last_name="Morgan")
    console = console_for(browser, daphne_server, "alpha.localhost", "alex")

    resident = browser.new_context(viewport={"width": 390, "height": 800}).new_page()
    resident.goto(daphne_server.url("alpha.localhost", "/parking/pay-a-parking-fine"))
    expect(resident.locator("[data-testid=cc-launcher]")).to_be_visible()
    assert axe_violations(resident) == [], "launcher"
    resident.click("[data-testid=cc-launcher]")
    resident.click("[data-testid=cc-start]")  # empty form: errors shown and announced
    expect(resident.locator("[data-testid=cc-name]")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(resident) == [], "form with errors"
    resident.fill("[data-testid=cc-name]", "Jo <b>Bloggs</b>")
    resident.fill("[data-testid=cc-question]", "Can I pay in instalments?")
    resident.click("[data-testid=cc-start]")
    expect(resident.locator("[data-testid=cc-log]")).to_contain_text("Can I pay in instalments?")

    item = console.locator("[data-testid=queue-item]").filter(has_text="Jo <b>Bloggs</b>")
    expect(item).to_contain_text("Can I pay in instalments?")
    item.locator("[data-testid=accept]").click()
    panel = console.locator("[data-testid=chat-panel]").filter(has_text="Jo <b>Bloggs</b>")
    expect(panel).to_be_visible()
    expect(resident.locator("[data-testid=cc-status]")).to_contain_text("Alex")

    panel.locator("[data-testid=reply]").fill("Yes, call us to set that up.")
    panel.locator("[data-testid=send]").click()
    expect(resident.locator("[data-testid=cc-log]")).to_contain_text("Yes, call us to set that up.")

    attack = "<img src=x onerror=\"document.title='pwned'\">"
    resident.fill("[data-testid=cc-input]", attack)
    resident.click("[data-testid=cc-send]")
    expect(panel.locator("[data-testid=chat-log]")).to_contain_text(attack)
    assert panel.locator("[data-testid=chat-log] img").count() == 0
    assert resident.locator("[data-testid=cc-log] img").count() == 0
    assert "pwned" not in console.title()

    assert axe_violations(resident) == [], "chatting"
    assert axe_violations(console) == [], "console with a chat"

    save_screenshot(console, "browser", "console", for_docs=False)
    save_screenshot(resident, "browser", "widget-chatting", for_docs=False)

    # A reload keeps the conversation, each message shown once.
    resident.reload()
    log = resident.locator("[data-testid=cc-log]")
    expect(log).to_contain_text("Yes, call us to set that up.")
    expect(log.locator("[data-seq]")).to_have_count(
        len(set(log.locator("[data-seq]").evaluate_all("els => els.map(e => e.dataset.seq)")))
    )
    assert re.search(r"instalments", log.inner_text())
