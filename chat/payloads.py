"""The JSON shapes of chat objects on the wire (docs/protocol.md), built in one place."""

from typing import Any

from chat.models import Conversation, Message


def message_payload(message: Message) -> dict[str, Any]:
    return {
        "conversation": str(message.conversation_id),
        "seq": message.seq,
        "author": message.author,
        "name": message.author_name,
        "body": message.body,
        "client_id": message.client_id,
        "sent_at": message.created_at.isoformat().replace("+00:00", "Z"),
    }


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def conversation_payload(conversation: Conversation, preview: str = "") -> dict[str, Any]:
    """Precondition: `visitor`, `department` and `operator` are loaded (select_related)."""
    operator = conversation.operator
    return {
        "id": str(conversation.id),
        "status": conversation.status,
        "visitor_name": conversation.visitor.name,
        "department": conversation.department.slug if conversation.department else None,
        "department_name": conversation.department.name if conversation.department else None,
        "page_url": conversation.page_url,
        "fields": conversation.prechat,
        "preview": preview,
        "created_at": _iso(conversation.created_at),
        "accepted_at": _iso(conversation.accepted_at),
        "operator": operator_display_name(operator) if operator else None,
        "last_seq": conversation.last_seq,
        "language": conversation.language,
        "routed_by": conversation.routed_by,
        "queued_at": _iso(conversation.queued_at),
        "first_response_at": _iso(conversation.first_response_at),
    }


def operator_display_name(user) -> str:
    return user.get_full_name() or user.username
