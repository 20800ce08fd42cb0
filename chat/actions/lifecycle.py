"""A chat's life: started, accepted, requeued, missed, ended.

Each change is stored first and announced after commit. Callers run these inside the
council's schema and pass the council's `CouncilRef`, whose id scopes every group name.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from chat import frames, groups
from chat.actions.announce import (
    announce_load_on_commit,
    announce_positions_on_commit,
    announce_status_on_commit,
)
from chat.actions.assignment import conversation_assign_unsafe, dispatch_on_commit
from chat.actions.messages import clean_body, message_store_unsafe, system_message_unsafe
from chat.errors import ChatError
from chat.models import OPERATOR_OUTCOMES, Conversation, Message, Visitor
from chat.operators import OperatorRef
from chat.payloads import operator_display_name
from chat.selectors import conversation_summary, has_contact_details, prechat_email
from councils.sites import CouncilRef
from routing.capacity import lock_load_unsafe
from routing.models import Department


def conversation_open_unsafe(
    council: CouncilRef,
    *,
    status: str,
    name: str,
    message: str,
    department: Department | None,
    page_url: str,
    prechat: dict[str, Any] | None,
    language: str,
    routed_by: dict[str, Any] | None,
    channel: str,
    extra: dict[str, Any] | None,
) -> Conversation:
    """A new visitor and chat in `status` (queued, or bot for the assistant), the visitor's
    question stored as seq 1. Announces nothing: nobody has joined the chat's group before
    its token is handed out. Precondition: inside a transaction, in the council's schema."""
    body = clean_body(message)
    # The email lets the console list the visitor's earlier chats with this council.
    visitor = Visitor.objects.create(name=name, email=prechat_email(prechat))
    conversation = Conversation.objects.create(
        visitor=visitor,
        status=status,
        department=department,
        page_url=page_url,
        prechat=prechat or {},
        language=language,
        routed_by=routed_by or {},
        channel=channel,
    )
    stored = message_store_unsafe(
        council,
        conversation.id,
        author=Message.Author.VISITOR,
        body=body,
        author_name=name,
        extra=extra,
        announce=False,
    )
    conversation.last_seq = stored.seq
    return conversation


@transaction.atomic
def conversation_start(
    *,
    council: CouncilRef,
    name: str,
    message: str,
    department: Department | None,
    page_url: str = "",
    prechat: dict[str, Any] | None = None,
    language: str = Conversation.Language.ENGLISH,
    routed_by: dict[str, Any] | None = None,
    channel: str = Conversation.Channel.WEB,
    extra: dict[str, Any] | None = None,
) -> tuple[Conversation, dict[str, Any]]:
    """Open a chat in the council's queue with the visitor's question stored as seq 1.

    `channel` is where the resident wrote from (a social channel: social/), `extra` what
    their first message carries beyond its text (chat.models.Message.extra).

    Operators are not chosen here: callers run `chat.actions.assignment.dispatch_queue`
    after the commit, in its own transactions.
    """
    conversation = conversation_open_unsafe(
        council,
        status=Conversation.Status.QUEUED,
        name=name,
        message=message,
        department=department,
        page_url=page_url,
        prechat=prechat,
        language=language,
        routed_by=routed_by,
        channel=channel,
        extra=extra,
    )
    summary = conversation_summary(conversation.id)
    frames.send_frame_on_commit(groups.queue_group(council.id), frames.queue_add(summary))
    announce_positions_on_commit(council)
    return conversation, summary


@transaction.atomic
def conversation_accept(
    *, council: CouncilRef, conversation_id: UUID, operator: OperatorRef
) -> dict[str, Any]:
    """Give a queued chat to `operator`, who picked it from the queue.

    Exactly one of several racing operators wins (the conversation row lock), and an
    operator at their limit is refused (their presence row lock, taken second).
    """
    conversation = Conversation.objects.select_for_update().filter(id=conversation_id).first()
    if conversation is None:
        raise ChatError("not_found", "No such conversation.")
    if conversation.status != Conversation.Status.QUEUED:
        raise ChatError("already_taken", "Another operator has already taken this chat.")
    load = lock_load_unsafe(operator.id)
    if not load.has_room:
        raise ChatError("at_capacity", f"You already have {load.active} of {load.max_chats} chats.")
    return conversation_assign_unsafe(council, conversation, operator, reason="accepted")


def conversation_requeue_unsafe(
    council: CouncilRef,
    conversation: Conversation,
    *,
    line: str,
    removed_reason: str,
    line_params: dict[str, Any] | None = None,
    department: Department | None = None,
) -> None:
    """Put an active chat back at the front of the queue, telling visitor and operator:
    `line` and `line_params` are what the chat says (chat/system_messages.py).

    Precondition: in a transaction holding the conversation's row lock.
    """
    previous_operator_id = conversation.operator_id
    conversation.status = Conversation.Status.QUEUED
    conversation.operator_id = None
    conversation.priority = 1
    conversation.queued_at = timezone.now()
    fields = ["status", "operator", "priority", "queued_at"]
    if department is not None:
        conversation.department = department
        fields.append("department")
    conversation.save(update_fields=fields)
    system_message_unsafe(council, conversation, line, line_params)
    announce_status_on_commit(council, conversation, None)
    if previous_operator_id:
        frames.send_frame_on_commit(
            groups.operator_group(council.id, previous_operator_id),
            frames.chat_removed(str(conversation.id), removed_reason),
        )
    frames.send_frame_on_commit(
        groups.queue_group(council.id), frames.queue_add(conversation_summary(conversation.id))
    )
    announce_positions_on_commit(council)
    announce_load_on_commit(council, previous_operator_id)
    dispatch_on_commit(council)


def requeue_operator_chats_unsafe(council: CouncilRef, user_id: int, *, reason: str) -> int:
    """Precondition: in a transaction. Every active chat of the operator goes to the front."""
    ids = list(
        Conversation.objects.filter(
            operator_id=user_id, status=Conversation.Status.ACTIVE
        ).values_list("id", flat=True)
    )
    for conversation_id in ids:
        conversation = Conversation.objects.select_for_update().get(id=conversation_id)
        if conversation.status != Conversation.Status.ACTIVE:
            continue
        conversation_requeue_unsafe(
            council, conversation, line="back_in_queue", removed_reason=reason
        )
    return len(ids)


def conversation_mark_missed_unsafe(council: CouncilRef, conversation: Conversation) -> None:
    """Nobody answered in time: keep the chat for follow-up and tell the visitor and consoles.

    Precondition: in a transaction holding the conversation's row lock; it is queued.
    """
    conversation.status = Conversation.Status.MISSED
    conversation.save(update_fields=["status"])
    # What happens next, truthfully (issue 15): a follow-up only when the council has a way to
    # reach the resident; otherwise the widget offers the contact form.
    follow_up = has_contact_details(conversation)
    system_message_unsafe(council, conversation, "missed" if follow_up else "missed_no_contact")
    announce_status_on_commit(council, conversation, None)
    frames.send_frame_on_commit(
        groups.conversation_group(council.id, conversation.id),
        frames.missed(str(conversation.id), follow_up),
        to="visitor",
    )
    frames.send_frame_on_commit(
        groups.queue_group(council.id), frames.queue_remove(str(conversation.id), "missed")
    )


@transaction.atomic
def conversation_end(
    *,
    council: CouncilRef,
    conversation_id: UUID,
    operator: OperatorRef | None = None,
    idle: bool = False,
    quick_exit: bool = False,
    abandoned: bool = False,
    outcome: str = "",
) -> None:
    """End a chat: by its operator, by the system when idle or abandoned, otherwise by its
    visitor.

    `quick_exit`: the visitor left by the quick exit, recorded as ended by the system.
    `abandoned`: the resident's page has been gone too long (chat.actions.sweeps).
    `outcome` is the operator's wrap-up (one of OPERATOR_OUTCOMES; an empty one is allowed);
    the other endings record their own (`timed_out`, `quick_exit`, `abandoned`,
    `ended_by_visitor`).
    """
    if operator is not None and outcome and outcome not in OPERATOR_OUTCOMES:
        raise ChatError("invalid_outcome", "Choose one of the listed outcomes.")
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("operator", "visitor")
        .filter(id=conversation_id)
        .first()
    )
    if conversation is None:
        raise ChatError("not_found", "No such conversation.")
    if operator is not None and conversation.operator_id != operator.id:
        raise ChatError("not_assigned", "This chat is not assigned to you.")
    if conversation.status == Conversation.Status.ENDED:
        return
    was_queued = conversation.status == Conversation.Status.QUEUED
    conversation.status = Conversation.Status.ENDED
    conversation.ended_at = timezone.now()
    if operator is not None:
        conversation.ended_by = Conversation.EndedBy.OPERATOR
    elif idle or quick_exit or abandoned:
        conversation.ended_by = Conversation.EndedBy.SYSTEM
    else:
        conversation.ended_by = Conversation.EndedBy.VISITOR
    if operator is None:
        outcome = (
            Conversation.Outcome.TIMED_OUT
            if idle
            else Conversation.Outcome.QUICK_EXIT
            if quick_exit
            else Conversation.Outcome.ABANDONED
            if abandoned
            else Conversation.Outcome.ENDED_BY_VISITOR
        )
    conversation.outcome = outcome
    conversation.save(update_fields=["status", "ended_at", "ended_by", "outcome"])
    if idle:
        system_message_unsafe(council, conversation, "idle_ended")
    elif abandoned:
        system_message_unsafe(council, conversation, "abandoned_ended")
    elif quick_exit:
        visitor = conversation.visitor.name
        system_message_unsafe(council, conversation, "quick_exit_ended", {"visitor": visitor})
    elif operator is not None:
        by = {"operator": operator.name}
        system_message_unsafe(council, conversation, "ended_by_operator", by)
    else:
        visitor = conversation.visitor.name
        system_message_unsafe(council, conversation, "ended_by_visitor", {"visitor": visitor})
    current = operator_display_name(conversation.operator) if conversation.operator else None
    announce_status_on_commit(council, conversation, current)
    frames.send_frame_on_commit(
        groups.conversation_group(council.id, conversation.id),
        frames.ended(
            str(conversation.id),
            conversation.ended_by,
            conversation.outcome,
            conversation.get_outcome_display() if conversation.outcome else "",
        ),
        to="operator",
    )
    if was_queued:
        frames.send_frame_on_commit(
            groups.queue_group(council.id), frames.queue_remove(str(conversation.id), "ended")
        )
        announce_positions_on_commit(council)
    elif conversation.operator_id:
        announce_load_on_commit(council, conversation.operator_id)
        dispatch_on_commit(council)


def end_idle_conversations(*, council: CouncilRef, idle_seconds: int) -> int:
    """End chats with no message for `idle_seconds`, telling both sides. Returns how many."""
    cutoff = timezone.now() - timedelta(seconds=idle_seconds)
    idle_ids = list(
        Conversation.objects.exclude(status=Conversation.Status.ENDED)
        .filter(last_message_at__lt=cutoff)
        .values_list("id", flat=True)
    )
    for conversation_id in idle_ids:
        conversation_end(council=council, conversation_id=conversation_id, idle=True)
    return len(idle_ids)
