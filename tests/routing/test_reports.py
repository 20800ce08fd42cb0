"""Reports show how each language's chats were served."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from chat.actions.lifecycle import conversation_start
from chat.models import Conversation
from routing.reports import wait_times_by_language

pytestmark = pytest.mark.usefixtures("manual_assignment")


def test_the_report_gives_counts_and_waits_per_language(councils):
    alpha = councils.alpha
    now = timezone.now()
    with schema_context(alpha.schema_name):
        for language, wait_s, status in [
            ("en", 30, "active"),
            ("en", 90, "ended"),
            ("en", None, "missed"),
            ("cy", 60, "ended"),
            ("cy", 120, "active"),
        ]:
            conversation, _ = conversation_start(
                council=alpha, name="R", message="Hi", department=None, language=language
            )
            Conversation.objects.filter(id=conversation.id).update(
                queued_at=now - timedelta(minutes=10),
                accepted_at=(now - timedelta(minutes=10) + timedelta(seconds=wait_s))
                if wait_s is not None
                else None,
                status=status,
            )
        report = wait_times_by_language(since=now - timedelta(days=1))
    assert report["en"] == {
        "chats": 3,
        "answered": 2,
        "missed": 1,
        "median_wait_s": 60.0,
        "p90_wait_s": 84.0,
    }
    assert report["cy"]["chats"] == 2
    assert report["cy"]["median_wait_s"] == 90.0
