"""The council admin and the partnership managers' admin in headless Chromium, scanned with
axe-core (WCAG 2.2 AA). Screenshots go to artifacts/screenshots/admin/; `make screenshots`
(DOCS_SCREENSHOTS=1) also refreshes docs/img/admin/."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from chat.models import Conversation, Note
from tests.admin.factories import council_admin, operator
from tests.e2e.axe import axe_violations
from tests.e2e.screenshots import save_screenshot
from tests.factories import PASSWORD, accepted_chat_in, chat_in
from widgets.models import WidgetSettings

pytestmark = [pytest.mark.usefixtures("committed"), pytest.mark.browser]

SCRIPT = "<script>alert(1)</script>"


def screenshot(page, name: str) -> None:
    save_screenshot(page, "admin", name, full_page=True)


def assert_accessible(page, what: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{what}:\n" + "\n".join(violations)


def signed_in(browser, url_of, host: str, username: str):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(url_of(host, "/admin/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_be_visible()
    return page


def test_the_widget_settings_page_with_its_preview_passes_axe(councils, daphne_server, browser):
    alpha = councils.alpha
    council_admin(alpha)
    with schema_context(alpha.schema_name):
        branding = WidgetSettings.current()
        branding.brand_colour, branding.launcher_text = "#00594f", SCRIPT[:40]
        branding.save()
    page = signed_in(browser, daphne_server.url, "alpha.localhost", "chief")

    page.goto(daphne_server.url("alpha.localhost", "/admin/widgets/widgetsettings/"))

    launcher = page.locator("[data-testid=preview-launcher]")
    expect(launcher).to_have_text(SCRIPT[:40])  # shown as text, not run
    assert launcher.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(0, 89, 79)"
    assert_accessible(page, "widget settings")
    screenshot(page, "widget-settings")

    page.fill("#id_text_colour", "#00695f")  # too little contrast on #00594f
    page.click("input[name=_continue]")
    expect(page.locator(".field-text_colour .errorlist")).to_contain_text("WCAG AA")
    assert_accessible(page, "widget settings with an error")
    screenshot(page, "widget-settings-contrast-error")


def test_the_transcript_view_passes_axe_and_shows_markup_as_text(councils, daphne_server, browser):
    alpha = councils.alpha
    council_admin(alpha)
    sam = operator(alpha, "sam")
    chat = accepted_chat_in(alpha, sam, name=SCRIPT, message="Can I pay my fine in instalments?")
    chat_in(alpha, name="Jo Bloggs", message="My bin was not collected")
    with schema_context(alpha.schema_name):
        Note.objects.create(conversation_id=chat.id, author_name="Sam", body="Sent the form.")
        Conversation.objects.filter(id=chat.id).update(outcome="resolved")
    page = signed_in(browser, daphne_server.url, "alpha.localhost", "chief")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    page.goto(daphne_server.url("alpha.localhost", "/admin/chat/conversation/"))
    assert_accessible(page, "chat history")
    screenshot(page, "chat-history")
    page.goto(daphne_server.url("alpha.localhost", f"/admin/chat/conversation/{chat.id}/change/"))

    expect(page.locator("[data-testid=transcript]")).to_contain_text("in instalments?")
    expect(page.locator("[data-testid=notes]")).to_contain_text("Sent the form.")
    expect(page.locator(".field-visitor .readonly")).to_have_text(SCRIPT)
    assert dialogs == []
    assert_accessible(page, "transcript")
    page.locator("#cc-transcript-title").scroll_into_view_if_needed()
    screenshot(page, "transcript")

    page.goto(daphne_server.url("alpha.localhost", "/admin/"))
    assert_accessible(page, "council admin home")
    screenshot(page, "council-admin-home")


def test_the_onboarding_form_passes_axe(councils, daphne_server, browser):
    connection.set_schema_to_public()
    manager, _ = get_user_model().objects.update_or_create(
        username="pm", defaults={"is_staff": True, "is_superuser": True}
    )
    manager.set_password(PASSWORD)
    manager.save()
    page = signed_in(browser, daphne_server.url, "localhost", "pm")

    page.goto(daphne_server.url("localhost", "/admin/councils/council/add/"))
    expect(page.locator("h1")).to_have_text("Onboard a council")
    assert_accessible(page, "onboarding form")
    screenshot(page, "onboard-form")
    page.click("input[type=submit]")
    expect(page.locator(".errorlist").first).to_be_visible()
    assert_accessible(page, "onboarding form with errors")


def test_the_offboarding_confirmation_passes_axe_and_deletes_nothing_by_itself(
    councils, daphne_server, browser
):
    connection.set_schema_to_public()
    manager, _ = get_user_model().objects.update_or_create(
        username="pm", defaults={"is_staff": True, "is_superuser": True}
    )
    manager.set_password(PASSWORD)
    manager.save()
    page = signed_in(browser, daphne_server.url, "localhost", "pm")
    page.goto(daphne_server.url("localhost", "/admin/councils/council/"))
    screenshot(page, "councils")

    page.check(f"input[name=_selected_action][value='{councils.gamma.id}']")
    page.select_option("select[name=action]", "offboard")
    page.click("button[name=index]")

    expect(page.locator("h1")).to_have_text("Offboard Gamma Council?")
    assert_accessible(page, "offboarding confirmation")
    screenshot(page, "offboard-confirmation")
    page.click("text=No, take me back")
    expect(page.locator("#result_list")).to_contain_text("Gamma Council")


def test_a_department_page_passes_axe(councils, daphne_server, browser):
    alpha = councils.alpha
    council_admin(alpha)
    page = signed_in(browser, daphne_server.url, "alpha.localhost", "chief")
    page.goto(daphne_server.url("alpha.localhost", "/admin/routing/department/"))
    page.click("#result_list a:text('Parking')")
    expect(page.locator("h2:text('Opening hours')")).to_be_visible()
    assert_accessible(page, "department")
    screenshot(page, "department")


def test_the_set_password_page_passes_axe_and_sets_the_password(councils, daphne_server, browser):
    from urllib.parse import urlsplit

    from councils.onboarding import set_password_link_unsafe

    alpha = councils.alpha
    ref = council_admin(alpha, "newadmin")
    with schema_context(alpha.schema_name):
        user = get_user_model().objects.get(pk=ref.id)
        user.set_unusable_password()
        user.save()
        link = set_password_link_unsafe(
            user=user, schema_name=alpha.schema_name, host="alpha.localhost"
        )
    connection.set_schema_to_public()
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

    page.goto(daphne_server.url("alpha.localhost", urlsplit(link).path))
    expect(page.locator("#id_new_password1")).to_be_visible()
    assert_accessible(page, "set password")
    screenshot(page, "set-password")
    page.fill("#id_new_password1", "a-long-new-passphrase-42")
    page.fill("#id_new_password2", "a-long-new-passphrase-42")
    page.click("input[type=submit]")

    expect(page.locator("h1")).to_have_text("Password set")
    assert_accessible(page, "password set")
    page.click("#content a:text-is('Log in')")
    page.fill("#id_username", "newadmin")
    page.fill("#id_password", "a-long-new-passphrase-42")
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_be_visible()


def test_the_outbox_page_with_its_counts_and_retry_passes_axe(councils, daphne_server, browser):
    from django.utils import timezone

    from outbox.models import OutboxItem

    alpha = councils.alpha
    council_admin(alpha)
    with schema_context(alpha.schema_name):
        OutboxItem.objects.create(kind="transcript_email", ref="c-1", given_up_at=timezone.now())
        OutboxItem.objects.create(kind="enquiry_email", ref="e-1", sent_at=timezone.now())
    page = signed_in(browser, daphne_server.url, "alpha.localhost", "chief")

    page.goto(daphne_server.url("alpha.localhost", "/admin/outbox/outboxitem/"))

    expect(page.locator("[data-testid=outbox-counts]")).to_contain_text("Failed")
    assert_accessible(page, "outbox")
    screenshot(page, "outbox")
    page.locator("input[name=_selected_action]").first.check()
    page.select_option("select[name=action]", "retry")
    page.click("button[name=index]")
    expect(page.locator(".messagelist")).to_contain_text("tried again")
    assert_accessible(page, "outbox after a retry")


def test_the_attachment_settings_page_passes_axe_and_refuses_a_limit_over_the_ceiling(
    councils, daphne_server, browser
):
    council_admin(councils.alpha)
    page = signed_in(browser, daphne_server.url, "alpha.localhost", "chief")
    page.goto(daphne_server.url("alpha.localhost", "/admin/attachments/attachmentsettings/"))
    expect(page.locator("#id_max_size_mb")).to_have_value("10")
    assert_accessible(page, "attachment settings")
    screenshot(page, "attachment-settings")

    page.fill("#id_max_size_mb", "500")
    page.click("input[name=_continue]")
    expect(page.locator(".field-max_size_mb .errorlist")).to_contain_text("At most 25 MB")
    assert_accessible(page, "attachment settings with an error")
