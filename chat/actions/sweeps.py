"""Periodic care of a council's chats (Celery beat, every ROUTING_SWEEP_SECONDS):

- an operator whose console has been gone longer than the grace period has their chats
  put back at the front of the queue;
- a chat accepted but not answered in time goes back to the queue;
- a chat waiting longer than the council allows becomes "missed", kept for follow-up;
- console and widget sockets whose server stopped beating are taken as gone;
- a queued or active chat whose resident has been gone longer than the council allows ends
  as abandoned (outcome `abandoned`).

Call in the council's schema. `now` is a parameter so tests can move time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chat.actions.announce import announce_positions_on_commit
from chat.actions.assignment import dispatch_on_commit
from chat.actions.lifecycle import (
    conversation_end,
    conversation_mark_missed_unsafe,
    conversation_requeue_unsafe,
    requeue_operator_chats_unsafe,
)
from chat.actions.presence import sweep_dead_consoles_unsafe, sweep_dead_visitor_sockets_unsafe
from chat.models import Conversation
from councils.sites import CouncilRef
from routing.models import ConsoleSocket, OperatorPresence, RoutingSettings, socket_live_since


@dataclass(frozen=True)
class SweepReport:
    operators_dropped: int = 0
    requeued_dropped: int = 0
    requeued_unanswered: int = 0
    missed: int = 0
    abandoned: int = 0


def sweep_council(*, council: CouncilRef, now: datetime | None = None) -> SweepReport:
    now = now or timezone.now()
    # Dead sockets first, in a transaction of their own: it takes operators' presence locks,
    # which must not be held while the chats' row locks are taken below (assignment takes
    # them the other way round).
    with transaction.atomic():
        sweep_dead_consoles_unsafe(council, now)
    with transaction.atomic():
        sweep_dead_visitor_sockets_unsafe(council, now)
    return _sweep_chats(council, now)


@transaction.atomic
def _sweep_chats(council: CouncilRef, now: datetime) -> SweepReport:
    routing = RoutingSettings.current()
    grace = now - timedelta(seconds=settings.OPERATOR_GRACE_SECONDS)

    # Gone longer than the grace period: no live console, and none since (last_seen is
    # when their last console went).
    live = ConsoleSocket.objects.filter(beat_at__gte=socket_live_since(now))
    dropped_ids = list(
        OperatorPresence.objects.filter(
            ~Q(status=OperatorPresence.Status.OFFLINE),
            Q(last_seen__lt=grace) | Q(last_seen__isnull=True),
        )
        .exclude(user_id__in=live.values("user_id"))
        .values_list("user_id", flat=True)
    )
    OperatorPresence.objects.filter(user_id__in=dropped_ids).update(
        status=OperatorPresence.Status.OFFLINE
    )
    # Offline operators (dropped now, or who chose offline) must hold no chats.
    holders = set(
        Conversation.objects.filter(status=Conversation.Status.ACTIVE)
        .exclude(operator__presence__status__in=["online", "away"])
        .values_list("operator_id", flat=True)
    )
    requeued_dropped = sum(
        requeue_operator_chats_unsafe(council, uid, reason="requeued") for uid in holders if uid
    )

    unanswered_before = now - timedelta(seconds=routing.unanswered_after_seconds)
    unanswered = list(
        Conversation.objects.select_for_update(skip_locked=True).filter(
            status=Conversation.Status.ACTIVE,
            first_response_at__isnull=True,
            accepted_at__lt=unanswered_before,
        )
    )
    for conversation in unanswered:
        conversation_requeue_unsafe(
            council, conversation, line="back_in_queue", removed_reason="unanswered"
        )

    missed_before = now - timedelta(seconds=routing.missed_after_seconds)
    missed = list(
        Conversation.objects.select_for_update(skip_locked=True).filter(
            status=Conversation.Status.QUEUED, queued_at__lt=missed_before
        )
    )
    for conversation in missed:
        conversation_mark_missed_unsafe(council, conversation)
    if missed:
        announce_positions_on_commit(council)

    gone_before = now - timedelta(seconds=routing.abandoned_after_seconds)
    abandoned = list(
        Conversation.objects.filter(
            status__in=[Conversation.Status.QUEUED, Conversation.Status.ACTIVE],
            visitor_presence=Conversation.VisitorPresence.GONE,
            visitor_presence_at__lt=gone_before,
        ).values_list("id", flat=True)
    )
    for conversation_id in abandoned:
        conversation_end(council=council, conversation_id=conversation_id, abandoned=True)
    if dropped_ids or unanswered:
        dispatch_on_commit(council)
    return SweepReport(
        operators_dropped=len(dropped_ids),
        requeued_dropped=requeued_dropped,
        requeued_unanswered=len(unanswered),
        missed=len(missed),
        abandoned=len(abandoned),
    )
