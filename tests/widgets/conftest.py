from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.smtp_server import smtp_outbox  # noqa: F401 (a fixture)


@pytest.fixture
def clean_hours(committed):
    """Opening hours are not among the tables wiped after each test: remove ours."""
    yield committed
    from routing.models import OpeningHours

    for council in committed.all():
        with schema_context(council.schema_name):
            OpeningHours.objects.all().delete()
