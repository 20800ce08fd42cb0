"""Reads about the outbox (the council admin's page). Call in the council's schema."""

from __future__ import annotations

from django.db.models import Count, Q

from outbox.models import OutboxItem

PENDING = Q(sent_at__isnull=True, given_up_at__isnull=True)
FAILED = Q(sent_at__isnull=True, given_up_at__isnull=False)
SENT = Q(sent_at__isnull=False)


def outbox_counts() -> dict[str, int]:
    """How many sends are pending (including those being retried), failed (given up) and
    sent (sent items are pruned after OUTBOX_KEEP_SENT_DAYS)."""
    return OutboxItem.objects.aggregate(
        pending=Count("id", filter=PENDING),
        failed=Count("id", filter=FAILED),
        sent=Count("id", filter=SENT),
    )
