"""Councils made by a test are offboarded after it, so other tests see only the usual three."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection

from councils.models import Council
from councils.sites import clear_site_cache


@pytest.fixture(autouse=True)
def no_settling(settings):
    """Offboarding waits out other processes' host caches; these tests have none."""
    settings.COUNCIL_OFFBOARD_SETTLE_SECONDS = 0


@pytest.fixture
def new_councils(committed):
    """Slugs a test onboards; each council (row, hosts and schema) is removed afterwards."""
    mail.outbox = []
    slugs: list[str] = []
    yield slugs
    connection.set_schema_to_public()
    for council in Council.objects.filter(slug__in=slugs):
        council.delete(force_drop=True)
    clear_site_cache()
