"""The demo's seed runs once per module; its councils and partnership are dropped after."""

from __future__ import annotations

import pytest
from django.db import connection

from councils.models import Council, Partnership
from councils.sites import clear_site_cache
from demo.seed import DEMO_COUNCILS, PARTNERSHIP, SeedReport, seed_demo

PASSWORD = "demo-test-password"


@pytest.fixture(scope="module")
def seeded(councils, django_db_blocker) -> SeedReport:
    """The whole demo, seeded once (about 10 s); removed (rows, hosts, schemas) afterwards."""
    with django_db_blocker.unblock():
        report = seed_demo(password=PASSWORD)
        yield report
        connection.set_schema_to_public()
        for council in Council.objects.filter(slug__in=[c.slug for c in DEMO_COUNCILS]):
            council.delete(force_drop=True)
        Partnership.objects.filter(slug=PARTNERSHIP[1]).delete()
        clear_site_cache()
