"""Handing a chat on: to another operator, another department, or another council.

Call in the source council's schema. A cross-council transfer moves the conversation and its
whole transcript into the other council's schema in one PostgreSQL transaction (schemas share
a database), leaving only a transfer record behind, so the first council's operators lose
every way to reach it.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from chat import frames, groups
from chat.actions.announce import announce_load_on_commit, announce_positions_on_commit
from chat.actions.assignment import conversation_assign_unsafe, dispatch_on_commit
from chat.actions.attachments import attachments_place_unsafe, attachments_take_unsafe
from chat.actions.lifecycle import conversation_requeue_unsafe
from chat.actions.messages import system_message_unsafe
from chat.broadcast import send_on_commit
from chat.errors import ChatError
from chat.models import Conversation, ConversationTransfer, Message, Visitor
from chat.operators import OperatorRef, operator_ref
from chat.payloads import operator_display_name
from chat.selectors import conversation_summary
from councils.sites import CouncilRef
from routing.capacity import lock_load_unsafe
from routing.models import Department, OperatorPresence

_NOT_COPIED_FIELDS = {"id", "conversation", "author_user"}


def _lock_my_chat_unsafe(conversation_id: UUID, operator: OperatorRef) -> Conversation:
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("visitor")
        .filter(id=conversation_id)
        .first()
    )
    if conversation is None:
        raise ChatError("not_found", "No such conversation.")
    if conversation.operator_id != operator.id or conversation.status != "active":
        raise ChatError("not_assigned", "Only your active chats can be transferred.")
    return conversation


@transaction.atomic
def transfer_to_operator(
    *, council: CouncilRef, conversation_id: UUID, operator: OperatorRef, to_user_id: int
) -> dict:
    conversation = _lock_my_chat_unsafe(conversation_id, operator)
    if to_user_id == operator.id:
        raise ChatError("not_available", "That is you.")
    target = get_user_model().objects.filter(pk=to_user_id, is_active=True, is_staff=True).first()
    if target is None:
        raise ChatError("not_found", "No such operator.")
    load = lock_load_unsafe(target.id)
    if load.status != OperatorPresence.Status.ONLINE or not load.connected or not load.has_room:
        raise ChatError("not_available", f"{operator_display_name(target)} cannot take it now.")
    to = operator_ref(target)
    frames.send_frame_on_commit(
        groups.operator_group(council.id, operator.id),
        frames.chat_removed(str(conversation.id), "transferred"),
    )
    summary = conversation_assign_unsafe(council, conversation, to, reason="transfer")
    announce_load_on_commit(council, operator.id)
    dispatch_on_commit(council)
    return summary


@transaction.atomic
def transfer_to_department(
    *, council: CouncilRef, conversation_id: UUID, operator: OperatorRef, department_slug: str
) -> None:
    conversation = _lock_my_chat_unsafe(conversation_id, operator)
    department = Department.objects.filter(slug=department_slug).first()
    if department is None:
        raise ChatError("not_found", "No such department.")
    conversation_requeue_unsafe(
        council,
        conversation,
        line="passed_to_department",
        line_params={
            "operator": operator.name,
            "department": department.name,
            "department_cy": department.name_cy,
        },
        removed_reason="transferred",
        department=department,
    )


@transaction.atomic
def transfer_to_council(
    *,
    council: CouncilRef,
    conversation_id: UUID,
    operator: OperatorRef,
    to_council: CouncilRef,
) -> None:
    """Move the chat, its visitor and every message into `to_council`'s schema."""
    if (
        to_council.id == council.id
        or not council.partnership_id
        or (to_council.partnership_id != council.partnership_id)
    ):
        raise ChatError(
            "not_found", "You can only transfer to another council of your partnership."
        )
    conversation = _lock_my_chat_unsafe(conversation_id, operator)
    visitor = conversation.visitor
    department_slug = conversation.department.slug if conversation.department_id else None
    messages = list(Message.objects.filter(conversation=conversation).order_by("seq"))
    attachments = attachments_take_unsafe(conversation.id)  # photos and PDFs move too
    moved_fields = {
        "page_url": conversation.page_url,
        "prechat": conversation.prechat,
        "language": conversation.language,
        "created_at": conversation.created_at,
    }

    connection.set_schema(to_council.schema_name)
    department = (
        Department.objects.filter(slug=department_slug).first() if department_slug else None
    )
    Visitor.objects.create(id=visitor.id, name=visitor.name, email=visitor.email)
    moved = Conversation.objects.create(
        id=conversation.id,
        visitor_id=visitor.id,
        status=Conversation.Status.QUEUED,
        department=department,
        priority=1,
        queued_at=timezone.now(),
        last_seq=conversation.last_seq,
        routed_by={
            "rule": None,
            "kind": "transfer",
            "label": f"Transferred from {council.name} by {operator.name}",
        },
        **moved_fields,
    )
    # Every column is copied (extra included), except the author's user: users are per
    # council, so the old council's user id means nothing (or someone else) here.
    copied = [f.attname for f in Message._meta.concrete_fields if f.name not in _NOT_COPIED_FIELDS]
    Message.objects.bulk_create(
        Message(conversation=moved, **{name: getattr(m, name) for name in copied}) for m in messages
    )
    attachments_place_unsafe(moved.id, attachments)
    # The Welsh chat reads the council's Welsh name where it has one (system_messages: x_cy).
    passed = {
        "operator": operator.name,
        "council": to_council.name,
        "council_cy": to_council.name_cy,
    }
    system_message_unsafe(to_council, moved, "passed_to_council", passed)
    ConversationTransfer.objects.create(
        conversation_id=moved.id,
        direction="in",
        other_council_id=council.id,
        other_council_name=council.name,
        by_operator_name=operator.name,
    )
    summary = conversation_summary(moved.id)

    connection.set_schema(council.schema_name)
    Message.objects.filter(conversation=conversation).delete()
    conversation.delete()
    if not Conversation.objects.filter(visitor_id=visitor.id).exists():
        Visitor.objects.filter(id=visitor.id).delete()
    ConversationTransfer.objects.create(
        conversation_id=conversation_id,
        direction="out",
        other_council_id=to_council.id,
        other_council_name=to_council.name,
        by_operator_name=operator.name,
    )

    # Announcements: the old council's sockets learn where the chat went (the visitor's
    # socket follows it); the new council's operators see it at the front of their queue.
    send_on_commit(
        groups.conversation_group(council.id, conversation_id),
        {
            "type": "chat.transferred",
            "conversation": str(conversation_id),
            "council_id": to_council.id,
        },
    )
    frames.send_frame_on_commit(
        groups.operator_group(council.id, operator.id),
        frames.chat_removed(str(conversation_id), "transferred"),
    )
    announce_load_on_commit(council, operator.id)
    dispatch_on_commit(council)
    frames.send_frame_on_commit(groups.queue_group(to_council.id), frames.queue_add(summary))
    announce_positions_on_commit(to_council)
    dispatch_on_commit(to_council)


# ---- A supervisor's reassignment (issue 15) ----------------------------------------------


@transaction.atomic
def reassign_by_supervisor(
    *, council: CouncilRef, conversation_id: UUID, supervisor: OperatorRef, to_user_id: int
) -> dict:
    """A supervisor (chat.supervision.may_supervise, checked by the caller) gives an active
    chat to another operator with room: the same path and notices as a transfer by the
    chat's own operator (their console drops it, the new operator's gains it, the resident
    reads "You are now talking to …"). A queued chat is assigned to that operator as
    automatic assignment would."""
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("visitor")
        .filter(id=conversation_id)
        .first()
    )
    if conversation is None:
        raise ChatError("not_found", "No such conversation.")
    if conversation.status not in (Conversation.Status.ACTIVE, Conversation.Status.QUEUED):
        raise ChatError("not_active", "Only waiting and active chats can be reassigned.")
    previous = conversation.operator_id
    if to_user_id == previous:
        raise ChatError("not_available", "The chat is already with that operator.")
    target = get_user_model().objects.filter(pk=to_user_id, is_active=True, is_staff=True).first()
    if target is None:
        raise ChatError("not_found", "No such operator.")
    load = lock_load_unsafe(target.id)
    if load.status != OperatorPresence.Status.ONLINE or not load.has_room:
        raise ChatError("not_available", f"{operator_display_name(target)} cannot take it now.")
    if previous is not None:
        frames.send_frame_on_commit(
            groups.operator_group(council.id, previous),
            frames.chat_removed(str(conversation.id), "transferred"),
        )
    reason = "transfer" if previous is not None else "auto"
    summary = conversation_assign_unsafe(council, conversation, operator_ref(target), reason=reason)
    if previous is not None:
        announce_load_on_commit(council, previous)
    dispatch_on_commit(council)
    return summary
