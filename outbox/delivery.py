"""Delivering outbox items: one now, or every overdue one of a council (the sweep).

Runs inside the council's schema. The API for recording a send is outbox/services.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from outbox.models import OutboxItem

logger = logging.getLogger(__name__)

Handler = Callable[[OutboxItem], None]


def handler_for(kind: str) -> Handler:
    path = settings.OUTBOX_HANDLERS.get(kind)
    if path is None:
        raise LookupError(f"no outbox handler for {kind!r} (settings.OUTBOX_HANDLERS)")
    return import_string(path)


def retry_pause(attempts: int) -> timedelta:
    """How long after an attempt the sweep tries again: doubling, capped."""
    base = settings.OUTBOX_RETRY_AFTER_SECONDS
    return timedelta(
        seconds=min(base * 2 ** max(attempts - 1, 0), settings.OUTBOX_RETRY_MAX_SECONDS)
    )


def outbox_deliver(item_id: int) -> str:
    """Try one item: "sent", "failed", "given_up", or "skipped" (already sent, given up, or
    being delivered right now by someone else, whose row lock we do not wait for).

    Runs inside the council's schema. The handler runs inside a savepoint of the transaction
    that holds the row lock, so its own writes (a transcript's sent time) commit with the mark.
    """
    now = timezone.now()
    with transaction.atomic():
        item = (
            OutboxItem.objects.select_for_update(skip_locked=True)
            .filter(id=item_id, sent_at__isnull=True, given_up_at__isnull=True)
            .first()
        )
        if item is None:
            return "skipped"
        item.attempts += 1
        item.last_attempt_at = now
        try:
            with transaction.atomic():
                handler_for(item.kind)(item)
        except Exception as exc:
            item.last_error = type(exc).__name__[:200]
            outcome = "failed"
            if item.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                item.given_up_at = now
                outcome = "given_up"
                logger.error(
                    "outbox item %s (%s) given up after %s attempts: %s",
                    item.id,
                    item.kind,
                    item.attempts,
                    item.last_error,
                )
            else:
                logger.warning(
                    "outbox item %s (%s) attempt %s failed: %s",
                    item.id,
                    item.kind,
                    item.attempts,
                    item.last_error,
                )
        else:
            item.sent_at = timezone.now()
            item.last_error = ""
            outcome = "sent"
        item.save(
            update_fields=["attempts", "last_attempt_at", "last_error", "sent_at", "given_up_at"]
        )
    return outcome


def outbox_due(*, now: datetime | None = None, limit: int = 100) -> list[int]:
    """Ids of items owed a delivery now: never attempted and older than the retry pause, or
    attempted and past their pause. Oldest first."""
    now = now or timezone.now()
    first_pause = timedelta(seconds=settings.OUTBOX_RETRY_AFTER_SECONDS)
    candidates = OutboxItem.objects.filter(
        sent_at__isnull=True, given_up_at__isnull=True, created_at__lte=now - first_pause
    ).filter(Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lte=now - first_pause))
    due = []
    for item_id, attempts, last in candidates.values_list("id", "attempts", "last_attempt_at")[
        : limit * 4
    ]:
        if last is None or last <= now - retry_pause(attempts):
            due.append(item_id)
        if len(due) >= limit:
            break
    return due


def outbox_sweep(*, now: datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Deliver what is overdue in this council, and forget items sent long ago.

    Precondition: the connection is on the council's schema. Returns counts per outcome.
    """
    counts: dict[str, int] = {}
    for item_id in outbox_due(now=now, limit=limit):
        outcome = outbox_deliver(item_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    keep = timedelta(days=settings.OUTBOX_KEEP_SENT_DAYS)
    pruned, _ = OutboxItem.objects.filter(sent_at__lt=(now or timezone.now()) - keep).delete()
    if pruned:
        counts["pruned"] = pruned
    return counts
