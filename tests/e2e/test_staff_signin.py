"""Staff sign-in in headless Chromium: single sign-on into the console through the local
OpenID Connect provider, two-factor set-up and sign-in, the lockout message, and an
account disabled while its console is open; every page scanned with axe-core."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pyotp
import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from tests.admin.factories import council_admin, operator
from tests.e2e.axe import axe_violations
from tests.factories import PASSWORD, operator_in
from tests.staffauth.conftest import (  # noqa: F401  (fixtures)
    configure_sso,
    provider,
    sign_in_rules,
    signin,
)

pytestmark = [pytest.mark.usefixtures("signin"), pytest.mark.browser]

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"signin-{name}.png", full_page=True)


def assert_accessible(page, what: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{what}:\n" + "\n".join(violations)


def new_page(browser):
    return browser.new_context(viewport={"width": 1280, "height": 900}).new_page()


def test_sso_into_the_console_through_the_councils_provider(
    councils,
    daphne_server,
    browser,
    provider,  # noqa: F811 (the fixture imported above)
):
    configure_sso(councils.alpha, provider, port=daphne_server.port)
    operator_in(councils.alpha, "alex", email="alex@alpha.gov.uk")
    provider.interactive = True
    provider.person = {"sub": "idp-alex", "email": "alex@alpha.gov.uk", "email_verified": True}
    page = new_page(browser)

    page.goto(daphne_server.url("alpha.localhost", "/console/"))
    expect(page.locator("h1")).to_have_text("Sign in to Alpha Council")
    assert_accessible(page, "login with single sign-on")
    screenshot(page, "login-sso")
    page.click("text=Sign in with Test ID")
    expect(page.locator("h1")).to_have_text("Test identity provider")
    page.click("#approve")

    expect(page.locator("#connection")).to_have_attribute("data-state", "live", timeout=10000)
    assert page.url == daphne_server.url("alpha.localhost", "/console/")


def test_two_factor_set_up_and_sign_in_pages_pass_axe(councils, daphne_server, browser):
    sign_in_rules(councils.alpha, two_factor_for_admins=True)
    council_admin(councils.alpha, "chief")
    page = new_page(browser)
    page.goto(daphne_server.url("alpha.localhost", "/admin/login/"))
    page.fill("#id_username", "chief")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")

    expect(page.locator("h1")).to_have_text("Set up two-factor authentication")
    assert_accessible(page, "two-factor set-up")
    screenshot(page, "two-factor-setup")
    totp = pyotp.TOTP(page.locator("[data-testid=totp-secret]").inner_text())
    page.fill("#id_code", "000000")
    page.click("input[type=submit]")
    expect(page.locator(".errornote")).to_contain_text("That code is not right")
    assert_accessible(page, "two-factor set-up with an error")
    # django-otp checks no code for a second after a wrong one: try until it is accepted.
    deadline = time.monotonic() + 10
    while not page.locator("[data-testid=recovery-codes]").count():
        assert time.monotonic() < deadline, page.content()[:2000]
        page.fill("#id_code", totp.now())
        page.click("input[type=submit]")
        page.wait_for_load_state()
    expect(page.locator("[data-testid=recovery-codes] li")).to_have_count(10)
    assert_accessible(page, "recovery codes")
    screenshot(page, "recovery-codes")
    page.click("text=Continue")
    expect(page.locator("#user-tools")).to_be_visible()

    again = new_page(browser)
    again.goto(daphne_server.url("alpha.localhost", "/admin/login/"))
    again.fill("#id_username", "chief")
    again.fill("#id_password", PASSWORD)
    again.click("input[type=submit]")
    expect(again.locator("h1")).to_have_text("Two-factor authentication")
    assert_accessible(again, "two-factor sign-in")
    screenshot(again, "two-factor")


def test_the_lockout_message_passes_axe(councils, daphne_server, browser):
    operator(councils.alpha, "typist")
    page = new_page(browser)
    page.goto(daphne_server.url("alpha.localhost", "/admin/login/"))
    for _ in range(5):
        page.fill("#id_username", "typist")
        page.fill("#id_password", "wrong-password")
        page.click("input[type=submit]")
    expect(page.locator("[data-testid=locked]")).to_contain_text("This account is locked")
    assert_accessible(page, "lockout")
    screenshot(page, "locked")


def test_a_console_shows_signed_out_when_the_account_is_disabled(councils, daphne_server, browser):
    operator(councils.alpha, "leaver2")
    page = new_page(browser)
    page.goto(daphne_server.url("alpha.localhost", "/console/"))
    page.fill("#id_username", "leaver2")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live", timeout=10000)
    with schema_context(councils.alpha.schema_name):
        user = get_user_model().objects.get(username="leaver2")
        user.is_active = False
        user.save()
    expect(page.locator("#connection")).to_have_attribute("data-state", "stopped", timeout=10000)
    expect(page.locator("#connection")).to_contain_text(re.compile("Signed out"))
    with schema_context(councils.alpha.schema_name):
        get_user_model().objects.filter(username="leaver2").update(is_active=True)
