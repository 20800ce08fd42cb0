"""Giving chats to operators: by hand (accept) or automatically (dispatch).

Every decision is made under PostgreSQL row locks (the conversation first, then the chosen
operator's presence row), so it holds across any number of server processes. Who may be
chosen is policy (`routing.assignment`). Call in the council's schema.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from chat import frames, groups
from chat.actions.announce import (
    announce_load_on_commit,
    announce_positions_on_commit,
    announce_status_on_commit,
)
from chat.actions.messages import system_message_unsafe
from chat.coalesce import coalesced_announcements
from chat.models import Conversation
from chat.operators import OperatorRef, operator_ref
from chat.selectors import conversation_summary
from councils.sites import CouncilRef
from councils.tenancy import council_schema
from routing.assignment import anyone_has_room, candidate_user_ids
from routing.capacity import lock_load_unsafe
from routing.models import OperatorPresence, RoutingSettings

DISPATCH_LIMIT = 200
MAX_PASSES = 5


def conversation_assign_unsafe(
    council: CouncilRef, conversation: Conversation, operator: OperatorRef, *, reason: str
) -> dict[str, Any]:
    """Make `operator` the chat's operator and tell everyone. `reason`: accepted, auto or
    transfer.

    Precondition: in a transaction holding the conversation's row lock and the operator's
    presence lock, with their room checked.
    """
    was_queued = conversation.status == Conversation.Status.QUEUED
    previous_operator_id = conversation.operator_id
    now = timezone.now()
    conversation.status = Conversation.Status.ACTIVE
    conversation.operator_id = operator.id
    conversation.accepted_at = now
    conversation.first_response_at = None
    fields = ["status", "operator", "accepted_at", "first_response_at"]
    if conversation.answered_at is None:  # the first answer: what reports measure
        conversation.answered_at = now
        conversation.answered_queued_at = conversation.queued_at
        fields += ["answered_at", "answered_queued_at"]
    conversation.save(update_fields=fields)
    OperatorPresence.objects.filter(user_id=operator.id).update(last_assigned_at=now)
    code = "talking_to" if reason == "transfer" else "joined"
    system_message_unsafe(council, conversation, code, {"operator": operator.name})
    announce_status_on_commit(council, conversation, operator.name)
    summary = conversation_summary(conversation.id)
    if was_queued:
        frames.send_frame_on_commit(
            groups.queue_group(council.id),
            frames.queue_remove(
                str(conversation.id), "accepted" if reason == "accepted" else "assigned"
            ),
        )
        announce_positions_on_commit(council)
    frames.send_frame_on_commit(
        groups.operator_group(council.id, operator.id), frames.accepted(summary, reason)
    )
    announce_load_on_commit(council, operator.id, previous_operator_id)
    return summary


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
        if (
            load is not None
            and load.status == OperatorPresence.Status.ONLINE
            and load.connected
            and load.has_room
        ):
            operator = operator_ref(get_user_model().objects.get(pk=user_id))
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
    # With nobody online and free (a busy afternoon), a queue of any length costs one query.
    # Measured by bench B5: without this, every console connect and every new chat
    # re-checked each queued chat against every operator.
    if not anyone_has_room(routing):
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


def dispatch_on_commit(council: CouncilRef) -> None:
    """After commit, offer queued chats to operators with room (automatic assignment)."""

    def _dispatch() -> None:
        with council_schema(council.schema_name):
            dispatch_queue(council=council)

    transaction.on_commit(_dispatch)
