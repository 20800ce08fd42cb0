"""The JSON shapes of chat objects on the wire (docs/protocol.md), built in one place."""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist

from attachments.links import wire as attachment_wire
from chat import system_messages
from chat.models import Conversation, Enquiry, Message


def message_payload(message: Message, language: str = "en") -> dict[str, Any]:
    """A stored message on the wire. `extra` (what a kind of message carries beyond its
    text: an assistant answer's links, an attachment) is present only when not empty, so
    plain messages keep their shape. An assistant message also carries its `answer_key`,
    `links`, `suggestions` and `safety` at the top level (docs/protocol.md, Assistant), and
    a message carrying a photo or PDF its `attachment` (the operators' link; the visitor's
    socket swaps in the resident's own: attachments/links.py).

    A system message carries its `code` and `params` (chat/system_messages.py) and its
    `body` rendered in `language`, the chat's (`system_body`)."""
    payload = {
        "conversation": str(message.conversation_id),
        "seq": message.seq,
        "author": message.author,
        "name": message.author_name,
        "body": system_body(message, language),
        "client_id": message.client_id,
        "sent_at": message.created_at.isoformat().replace("+00:00", "Z"),
    }
    if message.author == Message.Author.SYSTEM:
        payload["code"] = message.code or None
        payload["params"] = message.params or {}
    extra = message.extra or {}
    if "attachment" in extra:  # issue 15: a photo or PDF (docs/attachments.md)
        payload["attachment"] = attachment_wire(extra["attachment"])
        extra = {key: value for key, value in extra.items() if key != "attachment"}
    if extra:
        payload["extra"] = extra
    if message.author == Message.Author.BOT:  # the assistant's answer (docs/assistant.md)
        extra = message.extra or {}
        payload["answer_key"] = extra.get("answer_key")
        payload["links"] = extra.get("links", [])
        payload["suggestions"] = extra.get("suggestions", [])
        payload["safety"] = bool(extra.get("safety", False))
    return payload


def system_body(message: Message, language: str) -> str:
    """What a message says in `language`: a system line rendered from its code and params
    (its stored English text when it has no code), any other message's body as written."""
    if message.author != Message.Author.SYSTEM or not message.code:
        return message.body
    return system_messages.render(message.code, message.params, language, fallback=message.body)


def english_frame(frame: dict[str, Any]) -> dict[str, Any]:
    """A message frame as staff read it: a system line in English (the operator console)."""
    if frame.get("author") != Message.Author.SYSTEM or not frame.get("code"):
        return frame
    body = system_messages.render(frame["code"], frame.get("params"), "en", fallback="")
    return {**frame, "body": body} if body else frame


def iso_utc(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def conversation_payload(conversation: Conversation, preview: str = "") -> dict[str, Any]:
    """Precondition: `visitor`, `department` and `operator` are loaded (select_related)."""
    operator = conversation.operator
    return {
        "id": str(conversation.id),
        "status": conversation.status,
        "channel": conversation.channel,
        "visitor_name": conversation.visitor.name,
        "department": conversation.department.slug if conversation.department else None,
        "department_name": conversation.department.name if conversation.department else None,
        "page_url": conversation.page_url,
        "fields": conversation.prechat,
        "preview": preview,
        "created_at": iso_utc(conversation.created_at),
        "accepted_at": iso_utc(conversation.accepted_at),
        "operator": operator_display_name(operator) if operator else None,
        "last_seq": conversation.last_seq,
        "language": conversation.language,
        "routed_by": conversation.routed_by,
        "queued_at": iso_utc(conversation.queued_at),
        "first_response_at": iso_utc(conversation.first_response_at),
        # Issue 15: whether the resident is still there, and how an ended chat ended.
        "visitor_presence": conversation.visitor_presence,
        "visitor_presence_at": iso_utc(conversation.visitor_presence_at),
        "ended_by": conversation.ended_by,
        "outcome": conversation.outcome,
        "outcome_label": conversation.get_outcome_display() if conversation.outcome else "",
    }


def operator_display_name(user, display_name: str | None = None) -> str:
    """The one place that decides what residents see of an operator (issue 15): the name
    the operator or an admin set (`OperatorPresence.display_name`), else the first name
    only, else the username before any "@" (never a full email address).

    `display_name`, when given, is the presence row's value already read (raw SQL readers);
    otherwise it is read from `user.presence` (select_related it in lists).
    """
    if display_name is None:
        try:
            presence = user.presence
        except ObjectDoesNotExist:
            presence = None
        except ValueError:  # an unsaved user (a raw SQL reader's stand-in)
            presence = None
        display_name = presence.display_name if presence is not None else ""
    chosen = (display_name or "").strip() or (user.first_name or "").strip()
    return chosen or user.username.split("@")[0]


def operator_full_name(user) -> str:
    """What staff see of a colleague (the console's team list, the supervisor's view)."""
    return user.get_full_name() or user.username


def enquiry_payload(enquiry: Enquiry) -> dict[str, Any]:
    """An out-of-hours enquiry as the console's follow-up list shows it.

    Precondition: `department` is loaded (select_related) or the enquiry was just made.
    """
    return {
        "id": str(enquiry.id),
        "name": enquiry.name,
        "email": enquiry.email,
        "phone": enquiry.phone,
        "message": enquiry.message,
        "department_name": enquiry.department.name if enquiry.department else None,
        "page_url": enquiry.page_url,
        "reason": enquiry.reason,
        "reason_label": enquiry.get_reason_display(),
        "created_at": iso_utc(enquiry.created_at),
    }
