"""Whether a new chat can join the queue now, or must take the offline path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from chat.models import Conversation
from routing.hours import Schedule, schedule_for
from routing.models import Department, OperatorPresence, RoutingSettings


@dataclass(frozen=True)
class Refusal:
    reason: str  # "closed", "no_operator_online" or "queue_full"
    detail: str
    next_open: datetime | None = None  # when reason is "closed": when chat opens again


def queue_refusal(
    department: Department | None,
    *,
    at: datetime | None = None,
    schedule: Schedule | None = None,
) -> Refusal | None:
    """None when the chat may queue; otherwise why not. Call in the council's schema.

    Checked in the order a visitor can act on: closed (come back at …), queue full (try
    again soon), nobody online.
    """
    now = at or timezone.now()
    if schedule is None:
        schedule = schedule_for(department, today=timezone.localdate(now))
    if not schedule.is_open(now):
        return Refusal(
            "closed",
            "Sorry, chat is closed at the moment.",
            next_open=schedule.next_open(now),
        )
    routing = RoutingSettings.current()
    if routing.queue_cap is not None:
        waiting = Conversation.objects.filter(status=Conversation.Status.QUEUED).count()
        if waiting >= routing.queue_cap:
            return Refusal(
                "queue_full",
                "Sorry, all our advisers are busy and the queue is full. Please try again "
                "later, or use the other ways to contact us.",
            )
    online = OperatorPresence.objects.available()
    if department is not None and department.members.exists():
        online = online.filter(user__departments=department)
    if not online.exists():
        return Refusal(
            "no_operator_online",
            "Sorry, no one is available to chat right now. Please try again later, or use "
            "the other ways to contact us.",
        )
    return None
