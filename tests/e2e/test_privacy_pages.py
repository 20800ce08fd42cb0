"""The reports, subject access, erasure and audit pages in headless Chromium, scanned with
axe-core. `DOCS_SCREENSHOTS=1` also refreshes docs/img/reports-*.png and
docs/img/privacy-*.png."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from playwright.sync_api import expect

from tests.admin.factories import council_admin
from tests.e2e.test_admin_pages import assert_accessible, signed_in
from tests.factories import PASSWORD
from tests.privacy.helpers import planted_chat
from tests.reports import dataset

pytestmark = [pytest.mark.usefixtures("committed"), pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screenshots"
DOCS_IMAGES = ROOT / "docs" / "img"
WEEK = f"from={dataset.FIRST}&to={dataset.LAST}"


def screenshot(page, name: str, locator=None) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
    if os.environ.get("DOCS_SCREENSHOTS"):
        target = locator if locator is not None else page
        target.screenshot(path=DOCS_IMAGES / f"{name}.png")


def test_the_council_report_passes_axe_with_its_charts_and_tables(councils, daphne_server, browser):
    alpha = councils.alpha
    dataset.build(alpha)
    council_admin(alpha)
    page = signed_in(browser, daphne_server.url, "alpha.localhost", "chief")

    page.click("text=Reports")  # listed with the chats on the admin's home page
    page.goto(daphne_server.url("alpha.localhost", f"/admin/report/?{WEEK}"))

    expect(page.locator("[data-testid=summary-offered]")).to_have_text("9")
    expect(page.locator("[data-testid=summary-wait-p90]")).to_have_text(
        "1 min 45 s"
    )  # readable (issue 15)
    expect(page.locator("[data-testid=report-by_language] svg[role=img]")).to_be_visible()
    assert_accessible(page, "council report")
    screenshot(page, "reports-council")
    screenshot(page, "reports-by-language", page.locator("[data-testid=report-by_language]"))
    screenshot(page, "reports-by-hour", page.locator("[data-testid=report-by_hour]"))
    screenshot(page, "reports-by-operator", page.locator("[data-testid=report-by_operator]"))

    # Dates no chat can have: the last 30 days, and a message saying which dates to choose.
    page.goto(daphne_server.url("alpha.localhost", "/admin/report/?from=9999-12-31&to=9999-12-31"))
    expect(page.get_by_role("alert")).to_contain_text("Choose dates between 2000-01-01")
    assert_accessible(page, "council report with a date out of range")


def test_the_partnership_report_passes_axe(councils, daphne_server, browser):
    dataset.build(councils.alpha)
    connection.set_schema_to_public()
    manager, _ = get_user_model().objects.update_or_create(
        username="pm", defaults={"is_staff": True, "is_superuser": True}
    )
    manager.set_password(PASSWORD)
    manager.save()
    page = signed_in(browser, daphne_server.url, "localhost", "pm")

    page.goto(
        daphne_server.url("localhost", f"/admin/partnership-report/?{WEEK}&partnership=wessex")
    )

    expect(page.locator("[data-testid=partnership-table]")).to_contain_text("Alpha Council")
    assert_accessible(page, "partnership report")
    screenshot(page, "reports-partnership")


def test_subject_access_erasure_and_audit_pages_pass_axe(councils, daphne_server, browser):
    alpha = councils.alpha
    planted_chat(
        alpha,
        ended_at=datetime(2026, 11, 1, 10, 0, tzinfo=UTC),
        name="Jo Bloggs",
        email="jo@example.org",
    )
    council_admin(alpha)
    page = signed_in(browser, daphne_server.url, "alpha.localhost", "chief")

    page.click("text=Subject access and erasure")
    expect(page.locator("[data-testid=subject-access]")).to_be_visible()
    # Nothing typed: the error is shown and nothing is downloaded.
    page.click("#content-main button[type=submit]")
    expect(page.locator("#content-main .errornote")).to_be_visible()
    assert_accessible(page, "subject access with an error")
    page.fill("#id_value", "jo@example.org")
    assert_accessible(page, "subject access")
    screenshot(page, "privacy-subject-access")
    with page.expect_download() as download:
        page.click("#content-main button[type=submit]")
    assert download.value.suggested_filename.endswith(".zip")

    page.goto(daphne_server.url("alpha.localhost", "/admin/privacy/privacytools/erase/"))
    page.fill("#id_value", "jo@example.org")
    page.click("#content-main button[type=submit]")
    expect(page.locator("[data-testid=erasure-preview]")).to_contain_text("conversations")
    assert_accessible(page, "erasure confirmation")
    screenshot(page, "privacy-erasure-confirm")
    page.click("[data-testid=confirm-erasure]")
    expect(page.locator(".messagelist")).to_contain_text("Erased.")
    assert_accessible(page, "erasure receipt")

    page.goto(daphne_server.url("alpha.localhost", "/admin/privacy/auditentry/"))
    expect(page.locator("#result_list")).to_contain_text("Erasure request")
    assert_accessible(page, "audit log")
    screenshot(page, "privacy-audit-log")


def test_the_pre_chat_form_shows_the_lawful_basis_and_notice_in_english_and_welsh(
    councils, daphne_server, browser
):
    from tests.e2e.test_widget_flows import PARKING_PAGE, clean_axe, visitor
    from tests.widgets.factories import widget_settings_in
    from widgets.models import LAWFUL_BASIS_CY

    widget_settings_in(
        councils.alpha,
        offer_welsh=True,
        privacy_notice_url="https://www.alpha.gov.uk/privacy",
        privacy_notice_url_cy="https://www.alpha.gov.uk/preifatrwydd",
        lawful_basis="Alpha uses what you type to answer you (public task).",
    )
    page = visitor(browser, daphne_server, "alpha.localhost", PARKING_PAGE)
    page.click("[data-testid=cc-launcher]")
    note = page.locator("[data-testid=cc-privacy]")
    expect(note).to_contain_text("Alpha uses what you type to answer you (public task).")
    expect(note.locator("a")).to_have_attribute("href", "https://www.alpha.gov.uk/privacy")
    clean_axe(page, "pre-chat form with the lawful basis")

    page.click("[data-testid=cc-language]")
    expect(note).to_contain_text(LAWFUL_BASIS_CY)
    expect(note.locator("a")).to_have_attribute("href", "https://www.alpha.gov.uk/preifatrwydd")
    clean_axe(page, "Welsh pre-chat form with the lawful basis")
