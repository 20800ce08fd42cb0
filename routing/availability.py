"""Whether a new chat can join the queue now, or must take the offline path."""

from __future__ import annotations

from dataclasses import dataclass

from chat.models import Conversation
from routing.capacity import fresh_since
from routing.models import Department, OperatorPresence, RoutingSettings


@dataclass(frozen=True)
class Refusal:
    reason: str
    detail: str


def queue_refusal(department: Department | None) -> Refusal | None:
    """None when the chat may queue; otherwise why not. Call in the council's schema."""
    routing = RoutingSettings.current()
    if routing.queue_cap is not None:
        waiting = Conversation.objects.filter(status=Conversation.Status.QUEUED).count()
        if waiting >= routing.queue_cap:
            return Refusal(
                "queue_full",
                "Sorry, all our advisers are busy and the queue is full. Please try again "
                "later, or use the other ways to contact us.",
            )
    online = OperatorPresence.objects.filter(
        status=OperatorPresence.Status.ONLINE,
        last_seen__gte=fresh_since(),
        user__is_active=True,
        user__is_staff=True,
    )
    if department is not None and department.members.exists():
        online = online.filter(user__departments=department)
    if not online.exists():
        return Refusal(
            "no_operator_online",
            "Sorry, no one is available to chat right now. Please try again later, or use "
            "the other ways to contact us.",
        )
    return None
