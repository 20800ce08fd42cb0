"""The supervisor's live view (issue 15) in real Chromium against a real daphne: two
operators at their consoles, a resident, and a council admin watching.

The view must follow a chat from the queue to an operator without a reload, open it
read-only (messages live, nothing to type in) and move it to the other operator through the
same path as a transfer; plain operators get a 403 page.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from chat.actions.lifecycle import conversation_accept
from chat.models import Conversation
from chat.operators import operator_ref
from councils.onboarding import COUNCIL_ADMINS
from privacy.models import AuditEntry
from tests.e2e.axe import axe_violations
from tests.e2e.conftest import live_daphne
from tests.e2e.screenshots import save_screenshot
from tests.e2e.test_console_flows import Visitor, console_for, panel_of
from tests.factories import PASSWORD, accepted_chat_in, chat_in, operator_in

pytestmark = [pytest.mark.usefixtures("staffed"), pytest.mark.browser]
WAITED = re.compile(r"^\d+ (s|min( \d+ s)?)$")  # "4 s", "1 min 12 s"


def council_admin_in(council, username: str, **extra):
    operator = operator_in(council, username, **extra)
    with schema_context(council.schema_name):
        Group.objects.get(name=COUNCIL_ADMINS).user_set.add(operator.id)
    return operator


def supervisor_for(browser, server, host: str, username: str):
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    page.goto(server.url(host, "/console/supervisor/"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live", timeout=10000)
    return page


def operator_row(page, name: str):
    return page.locator("[data-testid=operator-row]").filter(has_text=name)


def test_the_supervisor_sees_a_chat_arrive_be_accepted_opens_it_read_only_and_reassigns_it(
    councils, daphne_server, browser
):
    alpha = councils.alpha
    operator_in(alpha, "alex", first_name="Alex", last_name="Morgan")
    operator_in(alpha, "sam", first_name="Sam", last_name="Patel")
    council_admin_in(alpha, "chris", first_name="Chris", last_name="Evans")
    alex = console_for(browser, daphne_server, "alpha.localhost", "alex")
    sam = console_for(browser, daphne_server, "alpha.localhost", "sam")
    boss = supervisor_for(browser, daphne_server, "alpha.localhost", "chris")

    # Before any chat: both operators online with room, nobody waiting.
    expect(operator_row(boss, "Alex Morgan").locator("[data-testid=operator-status]")).to_have_text(
        "Online"
    )
    expect(operator_row(boss, "Sam Patel").locator("[data-testid=operator-load]")).to_have_text(
        "0 of 3"
    )
    expect(boss.locator("[data-testid=queue-row]")).to_have_count(0)
    assert axe_violations(boss) == [], "supervisor view, quiet"
    answered_before = int(boss.locator("[data-testid=answered]").inner_text())

    # A resident's chat arrives: it is in the view's queue at once, with its waiting time.
    jo = chat_in(alpha, name="Jo Bloggs", message="My bin was not emptied")
    row = boss.locator("[data-testid=queue-row]").filter(has_text="Jo Bloggs")
    expect(row).to_be_visible()
    expect(row.locator("[data-testid=waiting-for]")).to_have_text(WAITED)
    expect(boss.locator("[data-testid=waiting]")).to_have_text("1")
    assert axe_violations(boss) == [], "supervisor view with a queue"
    save_screenshot(boss, "supervisor", "queue")

    # Alex accepts it: the queue empties, the chat is under Alex, and today's count goes up.
    alex.locator("[data-testid=queue-item]").filter(has_text="Jo Bloggs").locator(
        "[data-testid=accept]"
    ).click()
    expect(panel_of(alex, "Jo Bloggs")).to_be_visible()
    expect(boss.locator("[data-testid=queue-row]")).to_have_count(0)
    alex_row = operator_row(boss, "Alex Morgan")
    expect(alex_row.locator("[data-testid=operator-chat]")).to_contain_text("Jo Bloggs")
    expect(alex_row.locator("[data-testid=operator-load]")).to_have_text("1 of 3")
    expect(boss.locator("[data-testid=answered]")).to_have_text(str(answered_before + 1))

    # Read-only: the supervisor follows the chat live, with nothing to type into.
    resident = Visitor(browser, daphne_server, jo)
    alex_row.locator("[data-testid=open-chat]").click()
    panel = boss.locator("[data-testid=watch-panel]")
    expect(panel.locator("[data-testid=watch-log]")).to_contain_text("My bin was not emptied")
    expect(panel.locator("[data-testid=watch-status]")).to_have_text("With Alex")
    resident.say("j-1", "It was due on Tuesday")
    expect(panel.locator("[data-testid=watch-log]")).to_contain_text("It was due on Tuesday")
    assert panel.locator("textarea, input[type=text]").count() == 0
    assert axe_violations(boss) == [], "a chat open read-only"
    save_screenshot(boss, "supervisor", "read-only")
    with schema_context(alpha.schema_name):
        opened = AuditEntry.objects.filter(object_id=str(jo.id), source="supervisor")
        assert list(opened.values_list("actor_name", "action")) == [("chris", "transcript_opened")]

    # Reassign to Sam: Alex's console drops it, Sam's gains it, the resident is told.
    alex_row.locator("[data-testid=reassign-to]").select_option(label="Sam Patel (0 of 3)")
    alex_row.locator("[data-testid=reassign]").click()
    expect(boss.locator("[data-testid=notice]")).to_contain_text("The chat is now with Sam")
    expect(panel_of(sam, "Jo Bloggs")).to_be_visible()
    expect(panel_of(alex, "Jo Bloggs")).to_have_count(0)
    resident.wait_for("f => f.type === 'status' && f.operator === 'Sam'")
    expect(operator_row(boss, "Sam Patel").locator("[data-testid=operator-chat]")).to_contain_text(
        "Jo Bloggs"
    )
    expect(panel.locator("[data-testid=watch-status]")).to_have_text("With Sam")
    expect(panel.locator("[data-testid=watch-log]")).to_contain_text("You are now talking to Sam.")
    with schema_context(alpha.schema_name):
        conversation = Conversation.objects.select_related("operator").get(id=jo.id)
        assert (conversation.status, conversation.operator.username) == ("active", "sam")
    assert axe_violations(boss) == [], "after a reassignment"


def test_a_plain_operator_gets_a_403_page_and_no_link_while_an_admin_sees_the_link(
    councils, daphne_server, browser
):
    alpha = councils.alpha
    operator_in(alpha, "alex", first_name="Alex", last_name="Morgan")
    council_admin_in(alpha, "chris", first_name="Chris", last_name="Evans")
    alex = console_for(browser, daphne_server, "alpha.localhost", "alex")
    expect(alex.locator("[data-testid=supervisor-link]")).to_have_count(0)
    expect(alex.locator("[data-testid=admin-link]")).to_have_attribute("href", "/admin/")
    response = alex.goto(daphne_server.url("alpha.localhost", "/console/supervisor/"))
    assert response.status == 403
    expect(alex.locator("[data-testid=forbidden]")).to_have_text(
        "You cannot open the supervisor view"
    )
    assert axe_violations(alex) == [], "the 403 page"

    # An operator chooses the name residents see (issue 15).
    alex.goto(daphne_server.url("alpha.localhost", "/console/profile/"))
    expect(alex.locator("[data-testid=shown-as]")).to_have_text("Alex")
    alex.fill("[data-testid=display-name]", "Alex from Parking")
    alex.click("form.sv-profile button[type=submit]")
    expect(alex.locator("[data-testid=saved]")).to_contain_text("Alex from Parking")
    assert axe_violations(alex) == [], "my name in chats"
    jo = chat_in(alpha, name="Jo Bloggs")
    with schema_context(alpha.schema_name):
        user = get_user_model().objects.get(username="alex")
        summary = conversation_accept(
            council=alpha, conversation_id=jo.id, operator=operator_ref(user)
        )
    assert summary["operator"] == "Alex from Parking"  # what the resident is told

    chris = console_for(browser, daphne_server, "alpha.localhost", "chris")
    chris.locator("[data-testid=supervisor-link]").click()
    expect(chris.locator("#connection")).to_have_attribute("data-state", "live", timeout=10000)
    assert axe_violations(chris) == [], "console links"


def test_a_watch_refused_for_now_is_asked_for_again_and_the_chat_opens(councils, browser, tmp_path):
    """On a server whose frame budget allows one frame at once (then one every 2 s), the
    second chat the supervisor opens is refused with `rate_limited` and a wait; the page asks
    again after it (issue 12), and both chats end up open."""

    alpha = councils.alpha
    alex = operator_in(alpha, "alex", first_name="Alex", last_name="Morgan")
    council_admin_in(alpha, "chris", first_name="Chris", last_name="Evans")
    accepted_chat_in(alpha, alex, name="Jo Bloggs", message="My bin was not emptied")
    accepted_chat_in(alpha, alex, name="Kim Lee", message="Council tax question")
    env = {"DEMO": "1", "FRAME_RATE_BURST": "1", "FRAME_RATE_PER_SECOND": "0.5"}
    with live_daphne(tmp_path / "daphne.log", **env) as server:
        boss = supervisor_for(browser, server, "alpha.localhost", "chris")
        row = operator_row(boss, "Alex Morgan")
        expect(row.locator("[data-testid=operator-chat]")).to_have_count(2)
        for label in ("Jo Bloggs", "Kim Lee"):
            row.locator(f"[data-testid=open-chat][aria-label*='{label}']").click()
        panels = boss.locator("[data-testid=watch-panel]")
        expect(panels).to_have_count(2, timeout=15000)
        expect(panels.filter(has_text="Council tax question")).to_have_count(1)
        expect(panels.filter(has_text="My bin was not emptied")).to_have_count(1)
