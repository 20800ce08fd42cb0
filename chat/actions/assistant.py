"""The council's assistant's writes to a chat (issue 14): a chat opened with the assistant,
and a chat the assistant hands to the queue. What the assistant says and why lives in
`assistant.services`, which calls these; its messages go through `messages`.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from chat import frames, groups
from chat.actions.announce import announce_positions_on_commit, announce_status_on_commit
from chat.actions.assignment import dispatch_on_commit
from chat.actions.lifecycle import conversation_open_unsafe
from chat.models import Conversation
from chat.selectors import conversation_summary
from councils.sites import CouncilRef
from routing.models import Department

SAFETY_PRIORITY = 2  # ahead of chats put back in the queue (priority 1)


def bot_conversation_start_unsafe(
    council: CouncilRef,
    *,
    name: str,
    message: str,
    department: Department | None,
    page_url: str = "",
    prechat: dict[str, Any] | None = None,
    language: str = Conversation.Language.ENGLISH,
    routed_by: dict[str, Any] | None = None,
    channel: str = Conversation.Channel.WEB,
    extra: dict[str, Any] | None = None,
) -> Conversation:
    """Open a chat the assistant has (status `bot`), the visitor's question stored as seq 1.
    It joins no queue. `channel` and `extra` (the question's): a Messenger or WhatsApp chat
    (social.inbound). Precondition: inside a transaction (the caller answers the question
    in the same one)."""
    return conversation_open_unsafe(
        council,
        status=Conversation.Status.BOT,
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


def conversation_handoff_unsafe(
    council: CouncilRef,
    conversation: Conversation,
    *,
    department: Department | None,
    safety: bool = False,
) -> None:
    """The assistant hands its chat to a person: it joins the queue (at the very front after
    a safety message), both sides hear the new status, and automatic assignment runs.

    Precondition: in a transaction holding the conversation's row lock; status `bot`; the
    caller has checked someone can take it (`routing.availability.queue_refusal`).
    """
    conversation.status = Conversation.Status.QUEUED
    conversation.queued_at = timezone.now()
    conversation.priority = SAFETY_PRIORITY if safety else 0
    fields = ["status", "queued_at", "priority"]
    if department is not None and conversation.department_id != department.id:
        conversation.department = department
        fields.append("department")
    conversation.save(update_fields=fields)
    announce_status_on_commit(council, conversation, None)
    frames.send_frame_on_commit(
        groups.queue_group(council.id), frames.queue_add(conversation_summary(conversation.id))
    )
    announce_positions_on_commit(council)
    dispatch_on_commit(council)
