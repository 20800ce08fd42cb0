"""Abuse limits on the widget's public POSTs: a clear 429, nothing stored, others unaffected."""

from __future__ import annotations

import json
import random

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from chat.models import Conversation, Enquiry
from chat.tasks import send_transcript_task
from tests.factories import chat_in
from tests.smtp_server import wait_for_mail
from tests.widgets.test_api import worker
from widgets.throttle import Rate

pytestmark = pytest.mark.usefixtures("staffed")


@pytest.fixture
def limits(settings):
    """Real limits for this test (the test settings lift them for everyone else)."""

    def set_limits(**rates: str) -> None:
        settings.WIDGET_RATE_LIMITS = {**settings.WIDGET_RATE_LIMITS, **rates}

    return set_limits


def an_address() -> str:
    """A visitor address of this test's own, so counts never carry over between tests."""
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


def post(host: str, path: str, body: dict, address: str, token: str | None = None):
    headers = {"REMOTE_ADDR": address}
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return Client(HTTP_HOST=host).post(
        path, data=json.dumps(body), content_type="application/json", **headers
    )


def start_chat(host: str, address: str, name: str):
    body = {"name": name, "message": "Can I pay in instalments?"}
    return post(host, "/widget/conversations", body, address)


def test_given_the_chat_limit_is_reached_then_the_next_start_gets_429_and_stores_nothing(
    councils, limits
):
    limits(chat="3/600")
    address = an_address()
    answers = [start_chat("alpha.localhost", address, f"Jo {i}").status_code for i in range(4)]
    assert answers == [201, 201, 201, 429]
    refused = start_chat("alpha.localhost", address, "Jo 4")
    body = refused.json()
    assert body["error"] == "rate_limited" and "try again" in body["detail"]
    assert 0 < int(refused["Retry-After"]) <= 600 and body["retry_after"] == int(
        refused["Retry-After"]
    )
    with schema_context(councils.alpha.schema_name):
        names = set(Conversation.objects.values_list("visitor__name", flat=True))
    assert names == {"Jo 0", "Jo 1", "Jo 2"}


def test_given_one_address_is_limited_then_other_addresses_and_other_councils_are_not(
    councils, limits
):
    limits(chat="1/600")
    address = an_address()
    assert start_chat("alpha.localhost", address, "Jo").status_code == 201
    assert start_chat("alpha.localhost", address, "Jo again").status_code == 429
    assert start_chat("alpha.localhost", an_address(), "Kim").status_code == 201
    assert start_chat("gamma.localhost", address, "Jo at Gamma").status_code == 201


def test_given_a_form_with_errors_then_it_does_not_count_against_the_visitor(councils, limits):
    limits(chat="1/600")
    address = an_address()
    bad = post("alpha.localhost", "/widget/conversations", {"name": ""}, address)
    assert bad.status_code == 400
    assert start_chat("alpha.localhost", address, "Jo").status_code == 201


def test_given_an_enquiry_flood_then_the_extra_ones_are_refused_and_not_stored(councils, limits):
    limits(enquiry="2/600")
    address = an_address()
    body = {"name": "Jo", "email": "jo@example.com", "message": "Please call me back."}
    answers = [
        post("alpha.localhost", "/widget/enquiries", body, address).status_code for _ in range(3)
    ]
    assert answers == [201, 201, 429]
    with schema_context(councils.alpha.schema_name):
        assert Enquiry.objects.count() == 2


def test_given_one_chat_then_its_transcript_can_be_mailed_only_a_few_times(
    councils, limits, smtp_outbox
):
    limits(**{"transcript-each": "2/86400"})
    chat = chat_in(councils.alpha)
    path = f"/widget/conversations/{chat.id}/transcript"
    with worker():
        answers = [
            post("alpha.localhost", path, {"email": f"{who}@example.com"}, an_address(), chat.token)
            for who in ("jo", "kim", "stranger")
        ]
        assert [a.status_code for a in answers] == [204, 204, 429]
        # A marker mail queued after the refused request: the worker runs one task at a time
        # in queue order, so a third transcript, had one been queued, would arrive before it.
        with schema_context(councils.alpha.schema_name):
            send_transcript_task.delay(str(chat.id), "marker@example.com")
        wait_for_mail(smtp_outbox, count=3)
    assert [m["X-Envelope-To"] for m in smtp_outbox][2:] == ["marker@example.com"]
    assert sorted(m["X-Envelope-To"] for m in smtp_outbox[:2]) == [
        "jo@example.com",
        "kim@example.com",
    ]
    with schema_context(councils.alpha.schema_name):
        assert Conversation.objects.get(id=chat.id).transcript_email == "kim@example.com"


@pytest.mark.parametrize("text", ["ten", "10", "10/0", "0/60", "10/60/1"])
def test_a_malformed_rate_setting_is_named_in_the_error(text):
    with pytest.raises(ValueError, match="count"):
        Rate.parse(text)


def test_given_redis_is_away_then_the_limiter_fails_open_with_a_log_line_and_chats_start(
    councils, limits, settings, caplog
):
    """Issue 12: with Redis down, new chats, enquiries and transcripts answered 500."""
    from widgets import throttle

    limits(chat="1/600")
    dead = "redis://127.0.0.1:55499/0"  # nothing listens there (this suite's own port range)
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": dead},
    }
    throttle._last_fail_open_log = 0.0
    address = an_address()
    with caplog.at_level("WARNING", logger="widgets.throttle"):
        answers = [start_chat("alpha.localhost", address, f"Jo {i}").status_code for i in (1, 2)]
    assert answers == [201, 201]
    assert any("failing open" in r.getMessage() for r in caplog.records)
    assert not any(address in r.getMessage() for r in caplog.records)  # no personal data
    with schema_context(councils.alpha.schema_name):
        assert Conversation.objects.count() == 2
