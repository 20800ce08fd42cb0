"""Staff read pre-chat answers and routing decisions under readable labels (issue 15): the
console shows each question's label and the chosen option's label (not `topic`, not
`consent true`, the email once), and the admin shows tables instead of raw JSON."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from chat.actions.lifecycle import conversation_start
from tests.admin.factories import council_admin
from tests.e2e.axe import axe_violations
from tests.e2e.test_admin_pages import signed_in
from tests.e2e.test_console_flows import console_for, panel_of
from tests.factories import operator_in
from widgets.models import PrechatField

pytestmark = [pytest.mark.usefixtures("staffed"), pytest.mark.browser]


def chat_with_answers(council) -> str:
    with schema_context(council.schema_name):
        PrechatField.objects.get_or_create(
            key="email", defaults={"label": "Email address", "kind": "email", "position": 1}
        )
        PrechatField.objects.get_or_create(
            key="topic",
            defaults={
                "label": "What is it about?",
                "kind": "choice",
                "choices": "Parking fine (PCN) | Dirwy parcio\nBins",
                "position": 2,
            },
        )
        PrechatField.objects.get_or_create(
            key="consent",
            defaults={"label": "I agree the council may keep a record", "kind": "consent"},
        )
        conversation, _ = conversation_start(
            council=council,
            name="Jo Bloggs",
            message="About my fine",
            department=None,
            prechat={"email": "jo@example.org", "topic": "Parking fine (PCN)", "consent": True},
            routed_by={"rule": None, "kind": "council_host", "label": "Started on alpha.localhost"},
        )
    return str(conversation.id)


def test_the_console_and_the_admin_show_answers_and_routing_under_their_labels(
    councils, daphne_server, browser
):
    alpha = councils.alpha
    operator_in(alpha, "alex", first_name="Alex")
    council_admin(alpha, "chief")
    conversation_id = chat_with_answers(alpha)
    alex = console_for(browser, daphne_server, "alpha.localhost", "alex")
    alex.locator("[data-testid=queue-item]").filter(has_text="Jo Bloggs").locator(
        "[data-testid=accept]"
    ).click()
    panel = panel_of(alex, "Jo Bloggs")
    answers = panel.locator("[data-testid=prechat]")
    expect(answers).to_contain_text("What is it about?")
    expect(answers).to_contain_text("Parking fine (PCN)")
    expect(answers).to_contain_text("I agree the council may keep a record")
    expect(answers.locator("dt:has-text('I agree') + dd")).to_have_text("Yes")
    assert "topic" not in answers.inner_text() and "true" not in answers.inner_text()
    expect(panel).to_contain_text("jo@example.org")  # the "earlier chats" line
    assert panel.inner_text().count("jo@example.org") == 1, "the email once"
    assert axe_violations(alex) == [], "a chat with pre-chat answers"

    page = signed_in(browser, daphne_server.url, "alpha.localhost", "chief")
    page.goto(
        daphne_server.url("alpha.localhost", f"/admin/chat/conversation/{conversation_id}/change/")
    )
    table = page.locator(".field-prechat_answers table")
    expect(table.locator("th", has_text="What is it about?")).to_be_visible()
    expect(table).to_contain_text("Parking fine (PCN)")
    expect(page.locator(".field-routing_decision table")).to_contain_text(
        "Started on alpha.localhost"
    )
    expect(page.locator(".field-routing_decision table")).to_contain_text(
        "The council's own website"
    )
    assert "{" not in page.locator(".field-prechat_answers").inner_text()
    assert axe_violations(page) == [], "a conversation's readable answers"
