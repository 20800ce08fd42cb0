"""Beat-driven routing care, one task per council, each run in that council's schema."""

from celery import shared_task
from django.db import connection
from django_tenants.utils import schema_context

from councils.sites import council_ref
from routing.sweeps import sweep_council


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def sweep_council_task() -> dict:
    from councils.models import Council

    council = Council.objects.select_related("partnership").get(schema_name=connection.schema_name)
    return sweep_council(council=council_ref(council)).__dict__


@shared_task
def sweep_all_councils() -> int:
    """Fan out: each task is sent from inside its council's schema (tenant-schemas-celery)."""
    from django_tenants.utils import schema_exists

    from councils.models import Council

    count = 0
    for schema_name in Council.objects.values_list("schema_name", flat=True):
        if not schema_exists(schema_name):  # being created: not ready for work yet
            continue
        with schema_context(schema_name):
            sweep_council_task.delay()
        count += 1
    return count
