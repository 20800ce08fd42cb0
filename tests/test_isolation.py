"""The test harness itself: what one test leaves in a council's schema, the next never sees."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from chat.models import Conversation
from routing.models import Department
from tests.conftest import KEPT_BETWEEN_TESTS, empty_tenant_tables, tenant_tables_to_empty
from tests.factories import chat_in, operator_in


def test_every_table_in_a_council_schema_is_emptied_between_tests_or_kept_on_purpose(committed):
    """A table made without a model (raw SQL in a migration) would escape the derived list."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = %s AND table_type = 'BASE TABLE'",
            [committed.alpha.schema_name],
        )
        in_schema = {row[0] for row in cursor.fetchall()} - {"django_migrations"}
    kept = {apps.get_model(label)._meta.db_table for label in KEPT_BETWEEN_TESTS}
    kept.add("auth_group_permissions")  # both of its ends are kept
    assert in_schema - kept == set(tenant_tables_to_empty())


def test_emptying_removes_chats_users_and_sessions_in_every_council_and_keeps_departments(
    committed,
):
    for council in committed.all():
        chat_in(council)
        operator_in(council, "leftover")
        with schema_context(council.schema_name):
            Session.objects.create(
                session_key=f"leftover{council.schema_name}",
                session_data="",
                expire_date=timezone.now(),
            )
            Department.objects.get(slug="parking").members.add(
                get_user_model().objects.get(username="leftover")
            )
    connection.set_schema_to_public()

    empty_tenant_tables(committed)

    for council in committed.all():
        with schema_context(council.schema_name):
            assert not Conversation.objects.exists()
            assert not get_user_model().objects.exists()
            assert not Session.objects.exists()
            parking = Department.objects.get(slug="parking")
            assert not parking.members.exists()
            assert parking.pages.filter(path="/parking/pay").exists()
