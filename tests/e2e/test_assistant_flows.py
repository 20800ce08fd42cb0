"""The council's assistant in real Chromium (issue 14): a resident at a council whose
assistant takes every chat first (as Purbeck's does in the demo) asks, gets the council's
answer with a link button, asks for a person, and an operator takes over in the console.
Keyboard only on the resident's side; axe-clean in every state."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from assistant.demo import DATA, demo_synonyms
from assistant.knowledge import knowledge_import, synonyms_replace
from assistant.models import AssistantSettings
from tests.assistant.conftest import ASSISTANT_TABLES
from tests.e2e.axe import axe_violations
from tests.e2e.test_console_flows import console_for, panel_of
from tests.e2e.test_widget_flows import active_testid, visitor
from tests.factories import operator_in
from tests.widgets.fixtures import clean_hours  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.usefixtures("manual_assignment", "clean_hours"), pytest.mark.browser]


def demo_knowledge_for_test_councils() -> str:
    """The demo's English knowledge, handing off to the departments test councils have."""
    rows = list(csv.reader(io.StringIO((DATA / "knowledge_en.csv").read_text(encoding="utf-8"))))
    for row in rows[1:]:
        if row[6] not in ("parking", "highways"):
            row[6] = ""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


@pytest.fixture
def purbeck_like(manual_assignment):
    """Alpha runs the demo's knowledge with the assistant first, as Purbeck does."""
    alpha = manual_assignment.alpha
    with schema_context(alpha.schema_name):
        synonyms_replace(demo_synonyms())
        knowledge_import(demo_knowledge_for_test_councils(), replace=True)
        AssistantSettings.objects.update_or_create(pk=1, defaults={"mode": "first"})
    yield alpha
    for council in manual_assignment.all():
        with schema_context(council.schema_name), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {ASSISTANT_TABLES} CASCADE")
    connection.set_schema_to_public()


def tab_to(page, testid: str, limit: int = 40) -> None:
    for _ in range(limit):
        if active_testid(page) == testid:
            return
        page.keyboard.press("Tab")
    assert active_testid(page) == testid


def test_a_resident_gets_an_answer_with_a_link_asks_for_a_person_and_an_operator_takes_over(
    councils, daphne_server, browser, purbeck_like
):
    operator_in(councils.alpha, "alex", first_name="Alex", last_name="Morgan")
    page = visitor(browser, daphne_server, "alpha.localhost", "/")
    tab_to(page, "cc-launcher")
    page.keyboard.press("Enter")
    assert active_testid(page) == "cc-name"
    page.keyboard.type("Kim")
    tab_to(page, "cc-question")
    page.keyboard.type("how do i pay my parking ticket")
    tab_to(page, "cc-start")
    page.keyboard.press("Enter")

    # The assistant answers at once, says it is automated, and offers a person.
    answer = page.locator("[data-testid=cc-bot]").first
    expect(answer).to_contain_text("Penalty Charge Notice (PCN)")
    expect(answer).to_contain_text("Automated assistant")
    expect(page.locator("[data-testid=cc-status]")).to_contain_text("automated assistant")
    link = answer.locator("[data-testid=cc-bot-link]")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    assert link.get_attribute("href").endswith("/parking/pay-a-parking-fine")
    expect(page.locator("[data-testid=cc-person]")).to_be_visible()
    assert axe_violations(page) == [], "an answer from the assistant"

    # Feedback by keyboard.
    tab_to(page, "cc-helpful-yes")
    page.keyboard.press("Enter")
    expect(answer).to_contain_text("Thank you for your feedback.")

    # Nobody online yet: the offline options appear in the chat and the exchange stays.
    tab_to(page, "cc-person")
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=cc-chat-offline]")).to_be_visible()
    expect(answer).to_be_visible()
    assert axe_violations(page) == [], "offline options after asking for a person"

    # An operator comes online; asking again queues the chat.
    console = console_for(browser, daphne_server, "alpha.localhost", "alex")
    tab_to(page, "cc-person")
    page.keyboard.press("Enter")
    expect(page.locator("[data-testid=cc-status]")).not_to_contain_text("automated assistant")
    expect(page.locator("[data-testid=cc-person]")).to_be_hidden()
    assert axe_violations(page) == [], "queued for a person"

    # The operator sees the whole exchange, the assistant's answer labelled as such.
    console.locator("[data-testid=queue-item]").filter(has_text="Kim").locator(
        "[data-testid=accept]"
    ).click()
    panel = panel_of(console, "Kim")
    expect(panel).to_contain_text("how do i pay my parking ticket")
    expect(panel).to_contain_text("automated assistant")
    expect(panel).to_contain_text("Penalty Charge Notice (PCN)")
    assert axe_violations(console) == [], "console with a chat handed over by the assistant"
    panel.locator("[data-testid=reply]").fill("Hello Kim, I can help.")
    panel.locator("[data-testid=reply]").press("Enter")
    expect(page.locator("[data-testid=cc-log]")).to_contain_text("Hello Kim, I can help.")
    expect(page.locator("[data-testid=cc-status]")).to_contain_text("Alex")
    assert axe_violations(page) == [], "talking to the operator"


def test_an_answer_with_markup_is_shown_as_text_and_never_runs(
    councils, daphne_server, browser, purbeck_like
):
    with schema_context(councils.alpha.schema_name):
        knowledge_import(
            "key,language,questions,answer,link_url,link_text,department\n"
            'markup,en,show me the markup answer,"<img src=x onerror=""document.title=\'pwned\'"">'
            ' Read this",javascript:alert(1),Bad link,\n'.replace(
                ",javascript:alert(1),Bad link", ",,"
            ),
        )
    page = visitor(browser, daphne_server, "alpha.localhost", "/")
    page.click("[data-testid=cc-launcher]")
    page.fill("[data-testid=cc-name]", "Jo")
    page.fill("[data-testid=cc-question]", "show me the markup answer")
    page.click("[data-testid=cc-start]")
    answer = page.locator("[data-testid=cc-bot]").first
    expect(answer).to_contain_text("<img src=x onerror=")
    assert answer.locator("img").count() == 0
    assert page.title() != "pwned"


def test_the_assistants_admin_pages_pass_axe(councils, daphne_server, browser, purbeck_like):
    from tests.admin.factories import council_admin
    from tests.e2e.test_admin_pages import signed_in

    council_admin(councils.alpha)
    page = signed_in(browser, daphne_server.url, "alpha.localhost", "chief")
    for path, what in (
        ("/admin/assistant/knowledgeentry/", "knowledge list with the try box"),
        (
            "/admin/assistant/knowledgeentry/try/?question=pay+my+pcn&language=en",
            "a tried question",
        ),
        ("/admin/assistant/assistantsettings/1/change/", "assistant settings"),
        ("/admin/assistant/turn/", "the assistant's report"),
        ("/admin/assistant/synonym/", "synonyms"),
    ):
        page.goto(daphne_server.url("alpha.localhost", path))
        expect(page.locator("#content")).to_be_visible()
        assert axe_violations(page) == [], what
    page.goto(
        daphne_server.url(
            "alpha.localhost", "/admin/assistant/knowledgeentry/try/?question=pay+my+pcn"
        )
    )
    expect(page.locator("[data-testid=try-result]")).to_contain_text("pay-parking-fine")
