"""Widget fixtures shared by tests/widgets and tests/e2e/test_widget_*.py."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context


@pytest.fixture
def clean_hours(committed):
    """Opening hours and department details are not among the tables wiped after each test:
    put them back."""
    yield committed
    from routing.models import Department, OpeningHours

    for council in committed.all():
        with schema_context(council.schema_name):
            OpeningHours.objects.all().delete()
            Department.objects.update(name_cy="", email="")
