"""Test councils are created once per run and committed; chats are wiped after each test.

Consumers and live servers use their own database connections, so test data must really be
committed: we never use pytest-django's per-test transaction or its transactional flush
(which would delete the council rows in public: django-tenants #472). Instead every test
that touches the database gets the session's councils and an emptied set of chat tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from councils.models import Council
from councils.services import council_ensure, partnership_ensure
from councils.sites import CouncilRef, clear_site_cache, council_ref
from routing.models import Department, ServicePage

CHAT_TABLES = "chat_message, chat_conversation, chat_visitor"


@dataclass(frozen=True)
class TestCouncils:
    alpha: CouncilRef  # member of the Wessex partnership
    beta: CouncilRef  # member of the Wessex partnership
    gamma: CouncilRef  # on its own
    partnership_host: str = "wessex.localhost"

    def all(self) -> tuple[CouncilRef, ...]:
        return (self.alpha, self.beta, self.gamma)


def _make_council(name: str, slug: str, partnership=None) -> CouncilRef:
    council, _ = council_ensure(
        name=name, slug=slug, hosts=[f"{slug}.localhost"], partnership=partnership
    )
    council.allowed_origins = f"www.{slug}.gov.uk\nhttps://secure.{slug}.gov.uk"
    council.save()
    with schema_context(council.schema_name):
        parking, _ = Department.objects.get_or_create(slug="parking", defaults={"name": "Parking"})
        Department.objects.get_or_create(slug="highways", defaults={"name": "Highways"})
        ServicePage.objects.get_or_create(
            path="/parking/pay", defaults={"title": "Pay a fine", "department": parking}
        )
    return council_ref(Council.objects.select_related("partnership").get(pk=council.pk))


@pytest.fixture(scope="session")
def councils(django_db_setup, django_db_blocker) -> TestCouncils:
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        wessex = partnership_ensure(name="Wessex", slug="wessex", domain="wessex.localhost")
        made = TestCouncils(
            alpha=_make_council("Alpha Council", "alpha", wessex),
            beta=_make_council("Beta Council", "beta", wessex),
            gamma=_make_council("Gamma Council", "gamma"),
        )
        clear_site_cache()
        return made


@pytest.fixture
def committed(councils, django_db_blocker):
    """Database access with real commits; chat tables of every test council emptied after."""
    with django_db_blocker.unblock():
        yield councils
        for council in councils.all():
            with schema_context(council.schema_name), connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {CHAT_TABLES} CASCADE")
        connection.set_schema_to_public()
