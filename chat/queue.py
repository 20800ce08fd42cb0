"""The council's queue as visitors see it: their position and an honest estimate."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from statistics import median
from uuid import UUID

from django.db.models import F
from django.utils import timezone

from chat.models import Conversation
from routing.models import OperatorPresence

DEFAULT_TYPICAL_WAIT_S = 120  # until there is enough history to say better
MIN_SAMPLES = 5
MIN_TYPICAL_WAIT_S = 30  # a chat is never picked up in no time, however quiet the day
HISTORY = 50


def queued_ids_in_order() -> list[UUID]:
    """Requeued chats (higher priority) first, then oldest first: the order operators get them."""
    return list(
        Conversation.objects.filter(status=Conversation.Status.QUEUED)
        .order_by("-priority", "queued_at")
        .values_list("id", flat=True)
    )


def typical_wait_s() -> float:
    """Median wait of the last accepted chats today; a default with too little history."""
    since = timezone.now() - timedelta(hours=24)
    waits = [
        max(0.0, d.total_seconds())
        for d in Conversation.objects.filter(accepted_at__gte=since)
        .order_by("-accepted_at")
        .annotate(wait=F("accepted_at") - F("queued_at"))
        .values_list("wait", flat=True)[:HISTORY]
        if d is not None
    ]
    if len(waits) < MIN_SAMPLES:
        return DEFAULT_TYPICAL_WAIT_S
    return max(MIN_TYPICAL_WAIT_S, median(waits))


def estimate_wait_s(position: int, free_operators: int, typical: float) -> int:
    """Chats ahead are served `free_operators` at a time, each round taking a typical wait."""
    return int(math.ceil(position / max(1, free_operators)) * typical)


@dataclass(frozen=True)
class QueueState:
    """The queue's order and what estimates are made from: one snapshot for every visitor."""

    order: list[str]  # conversation ids (hex), front first
    free_operators: int
    typical_wait_s: float

    def position_of(self, conversation_id: UUID | str) -> tuple[int, int] | None:
        key = UUID(str(conversation_id)).hex
        try:
            position = self.order.index(key) + 1
        except ValueError:
            return None
        return position, estimate_wait_s(position, self.free_operators, self.typical_wait_s)

    def event(self) -> dict:
        return {
            "type": "chat.queue",
            "order": self.order,
            "free_operators": self.free_operators,
            "typical_wait_s": self.typical_wait_s,
        }

    @classmethod
    def from_event(cls, event: dict) -> QueueState:
        return cls(event["order"], event["free_operators"], event["typical_wait_s"])


def queue_state() -> QueueState:
    order = [cid.hex for cid in queued_ids_in_order()]
    if not order:
        return QueueState(order=[], free_operators=0, typical_wait_s=DEFAULT_TYPICAL_WAIT_S)
    online = OperatorPresence.objects.available().count()
    return QueueState(order=order, free_operators=online, typical_wait_s=typical_wait_s())


def queue_position_of(conversation_id: UUID) -> tuple[int, int] | None:
    """(position, estimated wait) of one queued chat, or None when it is not queued."""
    return queue_state().position_of(conversation_id)
