"""The council's queue as visitors see it: their position and an honest estimate."""

from __future__ import annotations

import math
from datetime import timedelta
from statistics import median
from uuid import UUID

from django.db.models import F
from django.utils import timezone

from chat import groups
from chat.models import Conversation
from councils.sites import CouncilRef
from councils.tenancy import council_schema

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


def queue_positions() -> list[tuple[UUID, int, int]]:
    """(conversation, position, estimated wait in seconds) for every queued chat."""
    from routing.models import OperatorPresence

    ids = queued_ids_in_order()
    if not ids:
        return []
    from routing.capacity import fresh_since

    online = OperatorPresence.objects.filter(
        status=OperatorPresence.Status.ONLINE, last_seen__gte=fresh_since()
    ).count()
    typical = typical_wait_s()
    return [(cid, n, estimate_wait_s(n, online, typical)) for n, cid in enumerate(ids, start=1)]


def announce_positions_on_commit(council: CouncilRef) -> None:
    """After commit, tell every queued visitor of this council their position and wait."""
    from django.db import transaction

    from chat.broadcast import send_now

    def _announce() -> None:
        with council_schema(council.schema_name):
            rows = queue_positions()
        for conversation_id, position, wait in rows:
            send_now(
                groups.conversation_group(council.id, conversation_id),
                {"type": "chat.queue", "position": position, "estimated_wait_s": wait},
            )

    transaction.on_commit(_announce)


def queue_position_of(conversation_id: UUID) -> tuple[int, int] | None:
    """(position, estimated wait) of one queued chat, or None when it is not queued."""
    for cid, position, wait in queue_positions():
        if cid == conversation_id:
            return position, wait
    return None
