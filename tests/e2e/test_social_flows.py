"""A resident on WhatsApp (the simulator page) and an operator in the console, in real
Chromium against a real daphne, a real Celery worker and the Graph API stand-in (issue 13)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.test.utils import override_settings
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from chat.models import Message
from social.graph_standin import serve
from social.models import SocialContact
from tests.e2e.axe import axe_violations
from tests.e2e.conftest import live_daphne
from tests.e2e.test_console_flows import console_for
from tests.social.conftest import connect, worker
from tests.social.helpers import ALPHA_PAGE, ALPHA_PHONE

pytestmark = [pytest.mark.usefixtures("staffed"), pytest.mark.browser]

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots" / "social"


@pytest.fixture(scope="module")
def graph_url():
    server = serve(0)
    url = f"http://127.0.0.1:{server.server_port}/v26.0"
    with override_settings(META_GRAPH_URL=url):
        yield url
    server.shutdown()


@pytest.fixture(scope="module")
def social_server(councils, graph_url, tmp_path_factory):
    """daphne pointed at this module's Graph stand-in (the shared one is not)."""
    log = tmp_path_factory.mktemp("daphne-social") / "daphne.log"
    with live_daphne(log, META_GRAPH_URL=graph_url) as server:
        yield server


@pytest.fixture
def connected(staffed, graph_url):
    from django.db import connection

    from social.hub.models import SocialAccount, WebhookInbox

    connect(staffed.alpha, page=ALPHA_PAGE, phone=ALPHA_PHONE)
    yield staffed
    for council in staffed.all():
        with schema_context(council.schema_name), connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE social_socialmedia, social_pendingstatus, social_socialmessage, "
                "social_socialcontact, social_socialconnection, social_whatsapptemplate CASCADE"
            )
    connection.set_schema_to_public()
    SocialAccount.objects.all().delete()
    WebhookInbox.objects.all().delete()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_whatsapp_resident_and_an_operator_talk_and_the_reply_shows_its_delivered_tick(
    browser, social_server, connected
):
    host = connected.alpha.hosts[0]
    with worker():
        console = console_for(browser, social_server, host, "duty")
        resident = browser.new_context().new_page()
        resident.goto(social_server.url(host, "/demo/social/"))
        assert axe_violations(resident) == []
        resident.fill("[data-testid=sim-text]", "The pothole on Brian's road is back")
        resident.click("[data-testid=sim-send]")
        expect(resident.locator("[data-testid=sim-sent]")).to_have_count(1)

        item = console.locator("[data-testid=queue-item]")
        expect(item).to_have_count(1, timeout=15000)
        expect(item.locator("[data-testid=channel]")).to_have_text("WhatsApp")
        assert axe_violations(console) == []
        shot(console, "queue-whatsapp")
        item.locator("[data-testid=accept]").click()

        panel = console.locator("[data-testid=chat-panel]")
        expect(panel.locator("[data-testid=channel]")).to_have_text("WhatsApp")
        expect(panel.locator("[data-testid=chat-log]")).to_contain_text("pothole on Brian's road")
        expect(panel.locator("[data-testid=reply-window]")).to_contain_text(
            "Replies are possible until"
        )
        panel.locator("[data-testid=reply]").fill("Thanks Brian, a crew is on its way.")
        panel.locator("[data-testid=send]").click()

        reply = resident.locator("[data-testid=sim-reply]")
        expect(reply).to_have_text("Thanks Brian, a crew is on its way.✓✓ Delivered", timeout=15000)
        expect(reply.locator("[data-testid=sim-delivered]")).to_be_visible()
        tick = panel.locator(".msg.operator [data-testid=delivery]")
        expect(tick).to_have_attribute("data-state", "delivered", timeout=15000)
        expect(tick).to_have_text("✓✓ Delivered")
        assert axe_violations(console) == []
        shot(console, "chat-whatsapp-delivered")
        shot(resident, "simulator")

        # A day later: the console says so before the operator types, and offers templates.
        day_ago = timezone.now() - timedelta(hours=25)
        with schema_context(connected.alpha.schema_name):
            SocialContact.objects.update(last_inbound_at=day_ago)
            for message in Message.objects.filter(author="visitor"):
                message.extra["provider_time"] = day_ago.isoformat()
                message.save(update_fields=["extra"])
        console.reload()
        expect(console.locator("#connection")).to_have_attribute(
            "data-state", "live", timeout=10000
        )
        panel = console.locator("[data-testid=chat-panel]")
        expect(panel.locator("[data-testid=reply-window]")).to_contain_text("approved template")
        expect(panel.locator("[data-testid=reply]")).to_be_disabled()
        expect(panel.locator("[data-testid=template]")).to_be_visible()
        assert axe_violations(console) == []
        shot(console, "chat-whatsapp-window-closed")
        panel.locator("[data-testid=template-send]").click()
        expect(resident.locator("[data-testid=sim-reply]")).to_have_count(2, timeout=15000)
