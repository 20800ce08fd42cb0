"""Beat's fan-out: one task per council, each run in that council's schema by a real worker."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from chat.models import Conversation
from chat.tasks import end_idle_conversations_in_all_councils
from config.celery import app
from councils.models import Council
from tests.factories import chat_in
from tests.polling import poll_until

pytestmark = pytest.mark.usefixtures("committed")


class Collected(logging.Handler):
    """Records of one logger, kept here: a test worker resets the root logger's handlers
    (worker_hijack_root_logger), which would take pytest's caplog handler with them, and sets
    the root level to ERROR (start_worker's loglevel)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def tenancy_log():
    handler = Collected()
    logger = logging.getLogger("councils.tenancy")
    before = (logger.level, logger.disabled)
    logger.setLevel(logging.INFO)  # not the root's level, whatever a worker set it to
    logger.disabled = False
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)
    logger.level, logger.disabled = before


@pytest.fixture
def council_without_schema(committed):
    """A council row whose schema is not there (onboarding has not created it yet). Its name
    sorts first, so the fan-out meets it before the test councils."""
    connection.set_schema_to_public()
    council = Council(name="Aaa Council (onboarding)", slug="aaa", schema_name="council_aaa")
    council.auto_create_schema = False
    council.save()
    assert not schema_exists(council.schema_name)
    yield council
    connection.set_schema_to_public()
    Council.objects.filter(pk=council.pk).delete()  # a queryset delete drops no schema


def status_of(council, conversation_id) -> str:
    with schema_context(council.schema_name):
        return Conversation.objects.get(id=conversation_id).status


def test_the_beat_fan_out_reaches_every_council_in_its_own_schema_and_skips_one_without_a_schema(
    councils, council_without_schema, tenancy_log
):
    idle = {}
    for council in councils.all():
        idle[council.slug] = chat_in(council).id
        with schema_context(council.schema_name):
            Conversation.objects.filter(id=idle[council.slug]).update(
                last_message_at=timezone.now() - timedelta(hours=3)
            )
    fresh = chat_in(councils.alpha).id

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        connection.set_schema_to_public()  # as beat sends it
        end_idle_conversations_in_all_councils.delay()
        for council in councils.all():
            poll_until(
                lambda council=council: status_of(council, idle[council.slug]) == "ended",
                f"the fan-out to end {council.slug}'s idle chat",
            )

    assert status_of(councils.alpha, fresh) == "queued"
    skipped = [r.getMessage() for r in tenancy_log if r.levelno == logging.WARNING]
    assert skipped == [
        "chat.tasks.end_idle_conversations_task: skipped council council_aaa, "
        "its schema does not exist"
    ]
