"""Operators' internal notes on a chat: never sent to the visitor."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction

from chat import frames, groups
from chat.actions.messages import clean_body
from chat.errors import ChatError
from chat.models import Conversation, Note
from chat.operators import OperatorRef
from chat.selectors import note_payload
from councils.sites import CouncilRef


def clean_note(body: Any) -> str:
    """The text of an internal note (same limits as a message)."""
    return clean_body(body)


def may_follow_up(conversation: Conversation, operator: OperatorRef) -> bool:
    """Notes go on chats the operator has (or had), and on missed chats any operator follows up."""
    return (
        conversation.operator_id == operator.id or conversation.status == Conversation.Status.MISSED
    )


@transaction.atomic
def note_create(
    *,
    council: CouncilRef,
    conversation_id: UUID,
    operator: OperatorRef,
    body: Any,
    client_id: str,
) -> tuple[dict[str, Any], bool]:
    """Store an operator's internal note, idempotent on client_id; returns (payload, created).

    Notes are announced only to operators' groups, never to the conversation group, which
    the visitor's sockets share.
    """
    text = clean_note(body)
    conversation = Conversation.objects.select_for_update().filter(id=conversation_id).first()
    if conversation is None:
        raise ChatError("not_found", "No such conversation.")
    if not may_follow_up(conversation, operator):
        raise ChatError("not_assigned", "This chat is not assigned to you.")
    existing = Note.objects.filter(conversation=conversation, client_id=client_id).first()
    if existing is not None:
        return note_payload(existing), False
    note = Note.objects.create(
        conversation=conversation,
        author_user_id=operator.id,
        author_name=operator.staff_name,  # notes are for colleagues: the full name
        body=text,
        client_id=client_id,
    )
    payload = note_payload(note)
    audience = {operator.id}
    if conversation.operator_id:
        audience.add(conversation.operator_id)
    for user_id in audience:
        frames.send_frame_on_commit(
            groups.operator_group(council.id, user_id), frames.note(payload)
        )
    return payload, True
