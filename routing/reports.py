"""Service levels per language, so a council can show Welsh chats are not served worse."""

from __future__ import annotations

from datetime import datetime
from statistics import median, quantiles

from django.db.models import F

from chat.models import Conversation


def wait_times_by_language(*, since: datetime) -> dict[str, dict]:
    """Per language: chats started, answered (accepted), missed, median and 90th-centile wait.

    Wait is from joining the queue to being accepted. Call in the council's schema.
    """
    rows = (
        Conversation.objects.filter(created_at__gte=since)
        .annotate(wait=F("accepted_at") - F("queued_at"))
        .values_list("language", "status", "wait")
    )
    report: dict[str, dict] = {}
    waits: dict[str, list[float]] = {}
    for language, status, wait in rows:
        entry = report.setdefault(language, {"chats": 0, "answered": 0, "missed": 0})
        entry["chats"] += 1
        if status == Conversation.Status.MISSED:
            entry["missed"] += 1
        if wait is not None:
            entry["answered"] += 1
            waits.setdefault(language, []).append(max(0.0, wait.total_seconds()))
    for language, entry in report.items():
        values = sorted(waits.get(language, []))
        entry["median_wait_s"] = round(median(values), 1) if values else None
        entry["p90_wait_s"] = (
            round(quantiles(values, n=10, method="inclusive")[-1], 1)
            if len(values) >= 2
            else (values[0] if values else None)
        )
    return report
