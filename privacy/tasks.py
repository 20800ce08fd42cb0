"""Nightly retention, one task per council, each run in that council's schema
(tenant-schemas-celery; fanned out like routing's sweeps)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from councils.tenancy import send_to_every_council


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def apply_retention_task() -> dict:
    """Apply this council's retention schedule as of now (runs in the sender's schema)."""
    from privacy.retention import apply_retention

    result = apply_retention(as_of=timezone.now())
    return {"counts": result.counts, "batches": result.batches}


@shared_task
def apply_retention_in_all_councils() -> int:
    """Beat entry point: one retention task per council."""
    return send_to_every_council(apply_retention_task)
