"""Social fixtures: the Graph stand-in, and Alpha and Beta connected to Messenger and
WhatsApp (Gamma is not)."""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django_tenants.utils import schema_context

from config.celery import app
from social.connections import connection_save
from social.graph_standin import serve
from social.hub.models import SocialAccount, WebhookInbox
from social.models import SocialConnection, WhatsAppTemplate
from tests.social.helpers import ALPHA_PAGE, ALPHA_PHONE, BETA_PAGE, BETA_PHONE, StandIn


@pytest.fixture(scope="session")
def graph_server():
    server = serve(0)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def graph(graph_server, settings) -> StandIn:
    settings.META_GRAPH_URL = graph_server + "/v26.0"
    standin = StandIn(graph_server)
    standin.reset()
    return standin


def connect(council, *, page: str, phone: str) -> None:
    with schema_context(council.schema_name):
        connection_save(
            council_id=council.id,
            connection=SocialConnection(kind="messenger", external_id=page, name="Page"),
            token=f"standin-{page}",
        )
        connection_save(
            council_id=council.id,
            connection=SocialConnection(
                kind="whatsapp",
                external_id=phone,
                waba_id="300000000000001",
                display_number="+44 7700 900000",
            ),
            token=f"standin-{phone}",
        )
        WhatsAppTemplate.objects.get_or_create(
            name="follow_up",
            language="en_GB",
            defaults={"body_preview": "Hello, the council here. Reply to carry on."},
        )


@pytest.fixture
def social(staffed, graph):
    """Alpha and Beta connected; chats wait in the queue (manual assignment, one operator)."""
    connect(staffed.alpha, page=ALPHA_PAGE, phone=ALPHA_PHONE)
    connect(staffed.beta, page=BETA_PAGE, phone=BETA_PHONE)
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


@contextmanager
def worker():
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


def wait_for(check, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
