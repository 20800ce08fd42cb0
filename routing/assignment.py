"""Assignment policy: which online operators with room may take a queued chat, best first.

Reads only; the assigning itself (under row locks) is `chat.actions.assignment`.
Call in the council's schema.
"""

from __future__ import annotations

from django.db.models import F

from chat.models import Conversation
from routing.models import OperatorPresence, RoutingSettings


def candidate_user_ids(conversation: Conversation, routing: RoutingSettings) -> list[int]:
    """Online operators with room who may take this chat, best first for the strategy."""
    presences = OperatorPresence.objects.available()
    department = conversation.department
    if department is not None and department.members.exists():
        presences = presences.filter(user__departments=department)
    welsh = conversation.language == Conversation.Language.WELSH
    if welsh and routing.welsh_policy == RoutingSettings.WelshPolicy.WAIT:
        presences = presences.filter(speaks_welsh=True)
    presences = presences.with_room(routing.max_chats_per_operator)
    if routing.assignment_strategy == RoutingSettings.Strategy.ROUND_ROBIN:
        order = [F("last_assigned_at").asc(nulls_first=True), "user_id"]
    else:  # least busy; ties go to whoever waited longest since their last chat
        order = ["active", F("last_assigned_at").asc(nulls_first=True), "user_id"]
    if welsh:
        order = [F("speaks_welsh").desc(), *order]
    return list(presences.order_by(*order).values_list("user_id", flat=True))


def anyone_has_room(routing: RoutingSettings) -> bool:
    """Whether any available operator is below their limit: one query, so a long queue
    costs nothing more while everybody is busy (bench B5)."""
    return OperatorPresence.objects.available().with_room(routing.max_chats_per_operator).exists()
