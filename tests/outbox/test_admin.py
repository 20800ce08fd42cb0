"""The outbox's page in the council admin: counts, no payload shown, retrying failed sends,
council admins only."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from outbox.models import OutboxItem
from tests.admin.factories import admin_client, council_admin, operator

pytestmark = pytest.mark.usefixtures("committed")
URL = "/admin/outbox/outboxitem/"


def items(council) -> dict[str, OutboxItem]:
    now = timezone.now()
    with schema_context(council.schema_name):
        return {
            "pending": OutboxItem.objects.create(
                kind="transcript_email", ref="c-1", payload={"email": "pending@example.org"}
            ),
            "failed": OutboxItem.objects.create(
                kind="transcript_email",
                ref="c-2",
                payload={"email": "failed@example.org"},
                attempts=8,
                given_up_at=now,
                last_error="SMTPServerDisconnected",
            ),
            "sent": OutboxItem.objects.create(
                kind="enquiry_email", ref="e-1", sent_at=now, attempts=1
            ),
        }


def test_a_council_admin_sees_the_counts_and_no_payload(councils):
    made = items(councils.alpha)
    council_admin(councils.alpha)
    page = admin_client(councils.alpha, "chief").get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    counts = page.context["outbox_counts"]
    assert counts == {"pending": 1, "failed": 1, "sent": 1}
    assert "Sends the council owes" in html and "SMTPServerDisconnected" in html
    assert "example.org" not in html  # the payload (a resident's address) is never shown
    detail = admin_client(councils.alpha, "chief").get(f"{URL}{made['failed'].pk}/change/")
    assert detail.status_code == 200 and "example.org" not in detail.content.decode()
    failed = admin_client(councils.alpha, "chief").get(URL, {"state": "failed"})
    assert [i.pk for i in failed.context["cl"].result_list] == [made["failed"].pk]


def test_retrying_a_failed_send_starts_it_again_and_leaves_the_others(councils):
    made = items(councils.alpha)
    council_admin(councils.alpha)
    client = admin_client(councils.alpha, "chief")
    response = client.post(
        URL,
        {
            "action": "retry",
            "_selected_action": [made["failed"].pk, made["sent"].pk, made["pending"].pk],
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "1 failed send(s) will be tried again now." in response.content.decode()
    with schema_context(councils.alpha.schema_name):
        failed = OutboxItem.objects.get(pk=made["failed"].pk)
        assert (failed.given_up_at, failed.attempts, failed.last_error) == (None, 0, "")
        assert OutboxItem.objects.get(pk=made["sent"].pk).sent_at is not None


def test_the_outbox_page_is_read_only_and_not_for_operators(councils):
    made = items(councils.alpha)
    council_admin(councils.alpha)
    operator(councils.alpha)
    chief = admin_client(councils.alpha, "chief")
    assert chief.get(f"{URL}add/").status_code == 403
    assert chief.post(f"{URL}{made['pending'].pk}/delete/").status_code == 403
    assert admin_client(councils.alpha, "sam").get(URL).status_code == 403
    with schema_context(councils.beta.schema_name):
        assert not OutboxItem.objects.exists()  # another council's outbox is its own
