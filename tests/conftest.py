"""Test councils are created once per run and committed; their tables are emptied after each test.

Consumers and live servers use their own database connections, so test data must really be
committed: we never use pytest-django's per-test transaction or its transactional flush
(which would delete the council rows in public: django-tenants #472). Instead every test
that touches the database gets the session's councils, and afterwards every table of every
tenant app is emptied in each test council, except the few rows made once per run
(KEPT_BETWEEN_TESTS). The list is derived from the models, so a new model's rows never leak
into the next test.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import pytest
from channels.layers import channel_layers
from django.db import OperationalError, connection
from django_tenants.utils import schema_context
from psycopg.errors import DeadlockDetected, LockNotAvailable

from chat.broadcast import wait_until_sent
from councils.models import Council
from councils.onboarding import CouncilSpec, council_onboard
from councils.services import partnership_ensure
from councils.sites import CouncilRef, clear_site_cache, council_ref
from routing.models import Department, ServicePage
from tests.protocol import protocol_contract  # noqa: F401  (every websocket frame checked)

# Rows made once per run that tests rely on, kept between tests: what migrations and
# onboarding put in every council's schema (content types, permissions, the staff groups) and
# the test councils' departments and service page (_make_council). Every other table of a
# tenant app is emptied after each test, users and sessions included; an auto-created
# many-to-many table is kept only when both of its ends are.
KEPT_BETWEEN_TESTS = frozenset(
    {
        "contenttypes.contenttype",
        "auth.permission",
        "auth.group",
        "routing.department",
        "routing.servicepage",
    }
)


@functools.cache
def tenant_tables_to_empty() -> list[str]:
    """The tables emptied after each test: every concrete model of settings.TENANT_APPS
    (m2m tables included) whose rows are not KEPT_BETWEEN_TESTS."""
    from django.apps import apps
    from django.conf import settings

    configs = {
        entry: config
        for config in apps.get_app_configs()
        for entry in (config.name, f"{type(config).__module__}.{type(config).__qualname__}")
    }
    tables: set[str] = set()
    for entry in settings.TENANT_APPS:
        for model in configs[entry].get_models(include_auto_created=True):
            meta = model._meta
            if meta.proxy or not meta.managed:
                continue  # no table of its own, or one Django does not manage
            if meta.auto_created:
                ends = {f.related_model._meta.label_lower for f in meta.fields if f.is_relation}
                if ends <= KEPT_BETWEEN_TESTS:
                    continue
            elif meta.label_lower in KEPT_BETWEEN_TESTS:
                continue
            tables.add(meta.db_table)
    return sorted(tables)


def empty_tenant_tables(councils: TestCouncils) -> None:
    """Empty the tables of every test council that hold rows, in one statement.

    TRUNCATE, not DELETE: it is what an append-only table (an audit log whose trigger refuses
    DELETE) still allows, and DELETE triggers do not fire for it. No CASCADE: should a kept
    table come to reference an emptied one, PostgreSQL refuses loudly instead of silently
    emptying the kept table too.

    Only the tables with rows are truncated (one probe of every table first), with every
    table that references them (PostgreSQL refuses to truncate a referenced table alone):
    TRUNCATE gives each table new files, which cost seconds per test for the ~200 tables of
    the test councils, while most tests write to a handful.

    A live server (daphne, a Celery worker) may still be finishing a test's last writes, a
    socket's disconnect say, when this runs; TRUNCATE's exclusive locks can then deadlock
    with that transaction, and PostgreSQL may pick the TRUNCATE as the victim. It is tried
    again (the other transaction has gone through by then), a few times, before failing.
    """
    for attempt in range(1, TRUNCATE_ATTEMPTS + 1):
        try:
            _truncate_used(councils)
            return
        except OperationalError as error:
            lock_trouble = isinstance(error.__cause__, (DeadlockDetected, LockNotAvailable))
            if not lock_trouble or attempt == TRUNCATE_ATTEMPTS:
                raise
            time.sleep(0.2 * attempt)


TRUNCATE_ATTEMPTS = 5


def _truncate_used(councils: TestCouncils) -> None:
    """One try of empty_tenant_tables: probe, then TRUNCATE the used tables and their
    referrers."""
    relations = [
        f'"{council.schema_name}"."{table}"'
        for council in councils.all()
        for table in tenant_tables_to_empty()
    ]
    probe = " UNION ALL ".join(
        f"SELECT {index} WHERE EXISTS (SELECT 1 FROM {relation})"  # noqa: S608 (our tables)
        for index, relation in enumerate(relations)
    )
    with connection.cursor() as cursor:
        cursor.execute(probe)
        used = {relations[row[0]] for row in cursor.fetchall()}
        if not used:
            return
        referencing = _referencing_relations(tuple(relations))
        pending = list(used)
        while pending:  # every table that references one being emptied, transitively
            for other in referencing.get(pending.pop(), ()):
                if other not in used:
                    used.add(other)
                    pending.append(other)
        cursor.execute(f"TRUNCATE {', '.join(sorted(used))}")


@functools.cache
def _referencing_relations(relations: tuple[str, ...]) -> dict[str, set[str]]:
    """For each of `relations`, those of them with a foreign key to it (from the catalogue)."""
    wanted = set(relations)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT '"' || fn.nspname || '"."' || f.relname || '"',
                   '"' || tn.nspname || '"."' || t.relname || '"'
              FROM pg_constraint c
              JOIN pg_class f ON f.oid = c.conrelid
              JOIN pg_namespace fn ON fn.oid = f.relnamespace
              JOIN pg_class t ON t.oid = c.confrelid
              JOIN pg_namespace tn ON tn.oid = t.relnamespace
             WHERE c.contype = 'f'
            """
        )
        rows = cursor.fetchall()
    referencing: dict[str, set[str]] = {}
    for source, target in rows:
        if source in wanted and target in wanted:
            referencing.setdefault(target, set()).add(source)
    return referencing


@dataclass(frozen=True)
class TestCouncils:
    alpha: CouncilRef  # member of the Wessex partnership
    beta: CouncilRef  # member of the Wessex partnership
    gamma: CouncilRef  # on its own
    partnership_host: str = "wessex.localhost"

    def all(self) -> tuple[CouncilRef, ...]:
        return (self.alpha, self.beta, self.gamma)


def _make_council(name: str, slug: str, partnership=None, name_cy: str = "") -> CouncilRef:
    """Through the production onboarding path (schema cloned from the base, roles, branding),
    without the first admin's invitation."""
    spec = CouncilSpec(
        name_cy=name_cy,
        name=name,
        slug=slug,
        hosts=(f"{slug}.localhost",),
        admin_email=f"admin@{slug}.example.invalid",
        partnership_slug=partnership.slug if partnership else "",
        departments=("Parking",),
    )
    council = council_onboard(spec, invite=False).council
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
def django_db_setup(django_test_environment, django_db_blocker):
    """Always create the test database.

    pytest-django creates it only when some test carries a `django_db` mark; ours do not
    (they commit for real, see above), so without this they would run against DATABASE_URL.
    """
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        config = setup_databases(
            verbosity=0, interactive=False, aliases={"default"}, serialized_aliases=set()
        )
    yield
    with django_db_blocker.unblock():
        # Consumers' ORM threads may still hold connections; end them so DROP DATABASE can run.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        connection.close()
        teardown_databases(config, verbosity=0)


@pytest.fixture(scope="session")
def councils(django_db_setup, django_db_blocker) -> TestCouncils:
    from django.conf import settings

    name = settings.DATABASES["default"]["NAME"]
    assert name.startswith("test_"), f"refusing to create test councils in {name!r}"
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        wessex = partnership_ensure(name="Wessex", slug="wessex", domain="wessex.localhost")
        made = TestCouncils(
            # Welsh names (issue 15) for Welsh chats; Gamma has none (the English fallback).
            alpha=_make_council("Alpha Council", "alpha", wessex, name_cy="Cyngor Alffa"),
            beta=_make_council("Beta Council", "beta", wessex, name_cy="Cyngor Beta"),
            gamma=_make_council("Gamma Council", "gamma"),
        )
        clear_site_cache()
        return made


def set_routing(council: CouncilRef, **values) -> None:
    """Change a test council's routing settings (reset after each test)."""
    from routing.models import RoutingSettings

    with schema_context(council.schema_name):
        RoutingSettings.objects.update_or_create(pk=1, defaults=values)


@pytest.fixture
def manual_assignment(committed):
    """Chats wait for an operator to accept them, as in the foundation's flows."""
    for council in committed.all():
        set_routing(council, assignment_strategy="manual")
    return committed


def put_online(council: CouncilRef, username: str = "duty", **presence) -> int:
    """An operator whose console is open right now (fresh presence); returns the user id."""
    from datetime import timedelta

    from django.utils import timezone

    from routing.models import ConsoleSocket, OperatorPresence
    from tests.factories import operator_in

    operator = operator_in(council, username)
    with schema_context(council.schema_name):
        OperatorPresence.objects.update_or_create(
            user_id=operator.id,
            defaults={"status": "online", "last_seen": timezone.now(), **presence},
        )
        # A console socket as the consumer writes it (issue 15: no live socket, no chats),
        # beaten as of `last_seen` when a test gives one, otherwise open through the test.
        beat_at = presence.get("last_seen")
        ConsoleSocket.objects.update_or_create(
            channel_name=f"test-console-{operator.id}",
            defaults={
                "user_id": operator.id,
                "beat_at": beat_at or timezone.now() + timedelta(hours=1),
            },
        )
    return operator.id


@pytest.fixture
def staffed(manual_assignment):
    """Every test council has one operator online, and chats wait to be accepted."""
    for council in manual_assignment.all():
        put_online(council)
    return manual_assignment


@pytest.fixture
def committed(councils, django_db_blocker):
    """Database access with real commits; every test council's tables emptied after
    (empty_tenant_tables)."""
    with django_db_blocker.unblock():
        yield councils
        connection.set_schema_to_public()
        empty_tenant_tables(councils)


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """Give every test its own channel-layer object.

    RedisChannelLayer keeps receive state (a lock and a count of waiting receivers) on the
    layer object and binds it to the event loop that first receives. A consumer still
    closing when a test's loop ends (WebsocketCommunicator.disconnect gives it one second)
    leaves that state behind, and the next test's consumers then fail with "Lock ... is
    bound to a different event loop". A server runs one loop, so only tests meet this.
    (Found in tests/chat; autouse here so routing and widget socket tests get it too.)
    """
    channel_layers.backends.pop("default", None)
    yield
    # Broadcasts are sent in the background (chat/broadcast.py): let this test's go out
    # before the next test's sockets join the same group names.
    wait_until_sent()
    channel_layers.backends.pop("default", None)
