"""Automatic assignment: which online operator with room gets a queued chat.

Every decision is made under PostgreSQL row locks (the conversation first, then the chosen
operator's presence row), so it holds across any number of server processes.
Call in the council's schema.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce

from chat.coalesce import coalesced_announcements
from chat.models import Conversation
from chat.payloads import operator_display_name
from chat.services import OperatorRef, conversation_assign_unsafe
from councils.sites import CouncilRef
from routing.capacity import fresh_since, lock_load_unsafe
from routing.models import OperatorPresence, RoutingSettings

DISPATCH_LIMIT = 200
MAX_PASSES = 5


def candidate_user_ids(conversation: Conversation, routing: RoutingSettings) -> list[int]:
    """Online operators with room who may take this chat, best first for the strategy."""
    presences = OperatorPresence.objects.filter(
        status=OperatorPresence.Status.ONLINE,
        last_seen__gte=fresh_since(),
        user__is_active=True,
        user__is_staff=True,
    )
    department = conversation.department
    if department is not None and department.members.exists():
        presences = presences.filter(user__departments=department)
    welsh = conversation.language == Conversation.Language.WELSH
    if welsh and routing.welsh_policy == RoutingSettings.WelshPolicy.WAIT:
        presences = presences.filter(speaks_welsh=True)
    presences = presences.annotate(
        active=Count("user__conversations", filter=Q(user__conversations__status="active"))
    ).filter(active__lt=Coalesce("max_chats", routing.max_chats_per_operator))
    if routing.assignment_strategy == RoutingSettings.Strategy.ROUND_ROBIN:
        order = [F("last_assigned_at").asc(nulls_first=True), "user_id"]
    else:  # least busy; ties go to whoever waited longest since their last chat
        order = ["active", F("last_assigned_at").asc(nulls_first=True), "user_id"]
    if welsh:
        order = [F("speaks_welsh").desc(), *order]
    return list(presences.order_by(*order).values_list("user_id", flat=True))


@transaction.atomic
def assign_conversation(*, council: CouncilRef, conversation_id: UUID) -> int | None:
    """Give one queued chat to the best operator with room; the operator's id, or None."""
    routing = RoutingSettings.current()
    if routing.assignment_strategy == RoutingSettings.Strategy.MANUAL:
        return None
    conversation = (
        Conversation.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("department")
        .filter(id=conversation_id, status=Conversation.Status.QUEUED)
        .first()
    )
    if conversation is None:  # taken meanwhile, or being handled by another process
        return None
    # Candidates looked free a moment ago; each is re-checked under its own lock.
    for user_id in candidate_user_ids(conversation, routing):
        load = lock_load_unsafe(user_id, routing, skip_locked=True)
        if load is not None and load.status == OperatorPresence.Status.ONLINE and load.has_room:
            user = get_user_model().objects.get(pk=user_id)
            operator = OperatorRef(
                id=user.id, username=user.username, name=operator_display_name(user)
            )
            conversation_assign_unsafe(council, conversation, operator, reason="auto")
            return user_id
    return None


def dispatch_queue(*, council: CouncilRef) -> int:
    """Offer queued chats, front first, to operators with room. Returns how many were given.

    Each chat is its own short transaction, so a long queue never holds locks for long.
    """
    routing = RoutingSettings.current()
    if routing.assignment_strategy == RoutingSettings.Strategy.MANUAL:
        return 0
    # One query first: with nobody online and free (a busy afternoon), a queue of any length
    # costs nothing more. Measured by bench B5: without this, every console connect and every
    # new chat re-checked each queued chat against every operator.
    has_room = (
        OperatorPresence.objects.filter(
            status=OperatorPresence.Status.ONLINE,
            last_seen__gte=fresh_since(),
            user__is_active=True,
            user__is_staff=True,
        )
        .annotate(
            active=Count("user__conversations", filter=Q(user__conversations__status="active"))
        )
        .filter(active__lt=Coalesce("max_chats", routing.max_chats_per_operator))
    )
    if not has_room.exists():
        return 0
    # Passes repeat while they make progress: a chat skipped because another process held
    # the chat or the operator's row gets another chance once that process has committed.
    with coalesced_announcements():
        return _dispatch_passes(council)


def _dispatch_passes(council: CouncilRef) -> int:
    assigned = 0
    for _ in range(MAX_PASSES):
        queued = list(
            Conversation.objects.filter(status=Conversation.Status.QUEUED)
            .order_by("-priority", "queued_at")
            .values_list("id", flat=True)[:DISPATCH_LIMIT]
        )
        this_pass = sum(
            1 for cid in queued if assign_conversation(council=council, conversation_id=cid)
        )
        assigned += this_pass
        if this_pass == 0:
            break
    return assigned
