"""Service levels per language (so a council can show Welsh chats are not served worse),
ratings and wrap-up outcomes: the council admin's service report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from statistics import median, quantiles

from django.db.models import Count, F

from chat.models import Conversation, Enquiry


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


@dataclass(frozen=True)
class ServiceReport:
    """What a council admin reviews: service levels, what residents thought, how chats ended."""

    since: datetime
    chats: int
    by_language: dict[str, dict]
    rated: int
    average_rating: float | None
    ratings: dict[int, int]  # 1..5 -> how many
    outcomes: list[tuple[str, int]]  # (label, how many), most first
    enquiries: int
    enquiries_open: int
    # Where residents wrote from (web chat, Messenger, WhatsApp): (label, how many), most first.
    by_channel: tuple[tuple[str, int], ...] = ()


def service_report(*, since: datetime) -> ServiceReport:
    """The council's service report for chats started since `since`. Call in its schema."""
    conversations = Conversation.objects.filter(created_at__gte=since)
    ratings = dict(
        conversations.filter(rating__isnull=False)
        .values_list("rating")
        .annotate(n=Count("id"))
        .values_list("rating", "n")
    )
    labels = dict(Conversation.Outcome.choices)
    outcomes = (
        conversations.exclude(outcome="")
        .values_list("outcome")
        .annotate(n=Count("id"))
        .order_by("-n", "outcome")
        .values_list("outcome", "n")
    )
    enquiries = Enquiry.objects.filter(created_at__gte=since)
    rated = sum(ratings.values())
    return ServiceReport(
        since=since,
        chats=conversations.count(),
        by_language=wait_times_by_language(since=since),
        rated=rated,
        average_rating=(
            round(sum(r * n for r, n in ratings.items()) / rated, 2) if rated else None
        ),
        ratings={score: ratings.get(score, 0) for score in range(1, 6)},
        outcomes=[(labels.get(code, code), n) for code, n in outcomes],
        enquiries=enquiries.count(),
        enquiries_open=enquiries.filter(handled_at__isnull=True).count(),
        by_channel=tuple(
            (dict(Conversation.Channel.choices).get(code, code), n)
            for code, n in conversations.values_list("channel")
            .annotate(n=Count("id"))
            .order_by("-n", "channel")
            .values_list("channel", "n")
        ),
    )
