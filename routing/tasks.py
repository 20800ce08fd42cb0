"""Beat-driven routing care, one task per council, each run in that council's schema."""

from celery import shared_task
from django.db import connection

from councils.sites import council_ref
from councils.tenancy import send_to_every_council
from routing.sweeps import sweep_council


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def sweep_council_task() -> dict:
    from councils.models import Council

    council = Council.objects.select_related("partnership").get(schema_name=connection.schema_name)
    return sweep_council(council=council_ref(council)).__dict__


@shared_task
def sweep_all_councils() -> int:
    """Beat entry point: one sweep per council, each run in its own schema."""
    return send_to_every_council(sweep_council_task)
