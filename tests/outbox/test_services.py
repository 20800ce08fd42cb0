"""The outbox: a send is recorded with the change that needs it, and swept until it is sent
(issue 12: with the worker down and Redis restarted, a transcript and an enquiry email were
lost for good, and the visitor had been told the transcript was sent)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from chat.models import Conversation, Enquiry
from outbox.delivery import outbox_due, outbox_sweep
from outbox.models import OutboxItem
from routing.models import Department
from tests.factories import chat_in

pytestmark = pytest.mark.usefixtures("staffed")

LATER = timedelta(minutes=5)


def post(host: str, path: str, body: dict, token: str | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client(HTTP_HOST=host).post(
        path, data=json.dumps(body), content_type="application/json", **headers
    )


def sweep(council, after: timedelta = LATER) -> dict[str, int]:
    with schema_context(council.schema_name):
        return outbox_sweep(now=timezone.now() + after)


def pending(council) -> list[OutboxItem]:
    with schema_context(council.schema_name):
        return list(OutboxItem.objects.filter(sent_at__isnull=True))


def test_given_no_worker_when_a_transcript_is_asked_for_then_it_is_recorded_and_the_sweep_sends_it(
    councils, smtp_outbox
):
    chat = chat_in(councils.alpha)
    response = post(
        "alpha.localhost",
        f"/widget/conversations/{chat.id}/transcript",
        {"email": "jo@example.com"},
        chat.token,
    )
    assert response.status_code == 204
    # No worker ran: the task is lost as far as this test knows, the row is not.
    (item,) = pending(councils.alpha)
    assert (item.kind, item.ref, item.payload) == (
        "transcript_email",
        str(chat.id),
        {"email": "jo@example.com"},
    )
    assert sweep(councils.alpha, after=timedelta(0)) == {}  # not overdue yet: no double send
    assert smtp_outbox == []

    assert sweep(councils.alpha) == {"sent": 1}
    assert [m["X-Envelope-To"] for m in smtp_outbox] == ["jo@example.com"]
    with schema_context(councils.alpha.schema_name):
        assert Conversation.objects.get(id=chat.id).transcript_sent_at is not None
        assert OutboxItem.objects.get().sent_at is not None
    assert sweep(councils.alpha, after=LATER * 2) == {}  # sent once, never again
    assert len(smtp_outbox) == 1


def test_given_no_worker_when_an_enquiry_is_left_then_the_sweep_emails_its_department(
    councils, smtp_outbox
):
    with schema_context(councils.alpha.schema_name):
        Department.objects.filter(slug="parking").update(email="parking@alpha.gov.uk")
    response = post(
        "alpha.localhost",
        "/widget/enquiries",
        {
            "name": "Jo",
            "email": "jo@example.com",
            "message": "Please call back.",
            "department": "parking",
        },
    )
    assert response.status_code == 201
    assert sweep(councils.alpha) == {"sent": 1}
    assert [m["X-Envelope-To"] for m in smtp_outbox] == ["parking@alpha.gov.uk"]
    with schema_context(councils.alpha.schema_name):
        assert Enquiry.objects.get().emailed_at is not None


def test_given_the_mail_server_is_down_then_attempts_are_counted_retried_later_and_then_sent(
    councils, settings, smtp_outbox
):
    chat = chat_in(councils.alpha)
    post(
        "alpha.localhost",
        f"/widget/conversations/{chat.id}/transcript",
        {"email": "jo@example.com"},
        chat.token,
    )
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 55498  # nothing listens there
    settings.EMAIL_TIMEOUT = 2
    assert sweep(councils.alpha) == {"failed": 1}
    (item,) = pending(councils.alpha)
    assert item.attempts == 1 and item.last_error and "jo@" not in item.last_error
    with schema_context(councils.alpha.schema_name):
        assert Conversation.objects.get(id=chat.id).transcript_sent_at is None
        # Just after a failure it waits (the pause doubles with each attempt).
        assert outbox_due(now=item.last_attempt_at + timedelta(seconds=1)) == []
    settings.EMAIL_PORT = working_port
    assert sweep(councils.alpha, after=LATER * 2) == {"sent": 1}
    assert len(smtp_outbox) == 1


def test_given_a_send_that_always_fails_then_it_is_given_up_after_the_last_attempt(
    councils, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 55498, 2
    settings.OUTBOX_MAX_ATTEMPTS = 2
    chat = chat_in(councils.alpha)
    post(
        "alpha.localhost",
        f"/widget/conversations/{chat.id}/transcript",
        {"email": "jo@example.com"},
        chat.token,
    )
    assert sweep(councils.alpha) == {"failed": 1}
    assert sweep(councils.alpha, after=timedelta(days=1)) == {"given_up": 1}
    assert sweep(councils.alpha, after=timedelta(days=2)) == {}
    with schema_context(councils.alpha.schema_name):
        assert OutboxItem.objects.get().given_up_at is not None


def test_a_sweep_in_one_council_never_sends_another_councils_items(councils, smtp_outbox):
    alpha_chat, beta_chat = chat_in(councils.alpha), chat_in(councils.beta)
    for council, chat in ((councils.alpha, alpha_chat), (councils.beta, beta_chat)):
        post(
            council.hosts[0],
            f"/widget/conversations/{chat.id}/transcript",
            {"email": f"{council.slug}@example.com"},
            chat.token,
        )
    assert sweep(councils.alpha) == {"sent": 1}
    assert [m["X-Envelope-To"] for m in smtp_outbox] == ["alpha@example.com"]
    assert len(pending(councils.beta)) == 1
    assert sweep(councils.beta) == {"sent": 1}


def test_the_visitor_is_told_the_transcript_will_be_sent_not_that_it_was(councils):
    from django.utils import translation

    from widgets.strings import widget_strings

    for language in ("en", "cy"):
        with translation.override(language):
            text = widget_strings(language)["transcript_sent"]
        assert "{email}" in text and "have emailed" not in text and "wedi anfon" not in text
