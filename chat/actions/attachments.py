"""Attachments: a photo or PDF sent by a resident or an operator, stored as a message.

The file is written to the council's private storage prefix first, then the Attachment row
and the message that carries it are stored in one transaction (the message gets its seq
like any other, through message_store_unsafe, and is announced after commit). When the
transaction fails the file is deleted again: nothing is left half-stored.

Precondition for every function here: the file has passed attachments.inspect (its type,
size and content are checked; a photo is already re-encoded).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction

from attachments.inspect import Cleaned
from attachments.links import wire
from attachments.models import Attachment
from chat.actions.messages import message_store_unsafe
from chat.errors import ChatError
from chat.models import Conversation, Message
from chat.operators import OperatorRef
from councils.sites import CouncilRef

# A resident may send files while their chat waits or is with a person; an operator only in
# a web chat that is theirs (Messenger and WhatsApp replies are text only).
OPEN_STATUSES = (Conversation.Status.QUEUED, Conversation.Status.ACTIVE)


@dataclass(frozen=True)
class SentAttachment:
    attachment: dict[str, Any]  # the wire object as operators get it (links.wire)
    seq: int


def storage_name(schema_name: str, attachment_id: UUID) -> str:
    """Where the file is kept: under the council's own private prefix, never served as is."""
    return f"private/{schema_name}/attachments/{attachment_id}"


def attachment_send(
    *,
    council: CouncilRef,
    conversation_id: UUID,
    cleaned: Cleaned,
    name: str,
    operator: OperatorRef | None = None,
) -> SentAttachment:
    """Store `cleaned` as `name` in the chat, from the resident (operator None) or an operator.

    Refused with ChatError (nothing stored): no such chat (not_found); the chat has ended or
    was missed (conversation_closed, as for messages); the assistant has it
    (attachments_unavailable); an operator's chat that is not theirs (not_assigned) or not a
    web chat (channel_unsupported).
    Precondition: in the council's schema, outside a transaction.
    """
    attachment_id = uuid.uuid4()
    path = default_storage.save(
        storage_name(connection.schema_name, attachment_id), ContentFile(cleaned.content)
    )
    try:
        with transaction.atomic():
            return _store_unsafe(
                council, conversation_id, attachment_id, path, cleaned, name, operator
            )
    except BaseException:
        default_storage.delete(path)
        raise


def _store_unsafe(
    council: CouncilRef,
    conversation_id: UUID,
    attachment_id: UUID,
    path: str,
    cleaned: Cleaned,
    name: str,
    operator: OperatorRef | None,
) -> SentAttachment:
    conversation = (
        Conversation.objects.select_for_update()
        .filter(id=conversation_id)
        .values("status", "channel", "operator_id")
        .first()
    )
    if conversation is None:
        raise ChatError("not_found", "No such conversation.")
    if conversation["status"] == Conversation.Status.BOT:
        raise ChatError(
            "attachments_unavailable", "Files can be sent once you are talking to a person."
        )
    if conversation["status"] not in OPEN_STATUSES:
        raise ChatError("conversation_closed", "This chat has ended.")
    if operator is not None:
        if conversation["operator_id"] != operator.id:
            raise ChatError("not_assigned", "This chat is not assigned to you.")
        if conversation["channel"] != Conversation.Channel.WEB:
            raise ChatError("channel_unsupported", "Files can be sent in web chats only.")
    stored = {
        "id": str(attachment_id),
        "name": name,
        "size": len(cleaned.content),
        "content_type": cleaned.content_type,
    }
    Attachment.objects.create(
        id=attachment_id,
        conversation_id=conversation_id,
        author=Attachment.Author.VISITOR if operator is None else Attachment.Author.OPERATOR,
        author_user_id=None if operator is None else operator.id,
        file=path,
        name=name,
        content_type=cleaned.content_type,
        size=len(cleaned.content),
        width=cleaned.width,
        height=cleaned.height,
    )
    message = message_store_unsafe(
        council,
        conversation_id,
        author=Message.Author.VISITOR if operator is None else Message.Author.OPERATOR,
        body=name,
        author_name=None if operator is None else operator.name,
        author_user_id=None if operator is None else operator.id,
        extra={"attachment": stored},
    )
    message_id = Message.objects.values_list("id", flat=True).get(
        conversation_id=conversation_id, seq=message.seq
    )
    Attachment.objects.filter(id=attachment_id).update(message_id=message_id)
    return SentAttachment(attachment=wire(stored), seq=message.seq)


@dataclass(frozen=True)
class TakenAttachment:
    """An attachment leaving its council with its chat (a partnership transfer)."""

    row: dict[str, Any]
    seq: int | None
    content: bytes
    old_name: str


_MOVED_FIELDS = ("id", "author", "name", "content_type", "size", "width", "height", "created_at")


def attachments_take_unsafe(conversation_id: UUID) -> list[TakenAttachment]:
    """Read a chat's attachments (rows and files) before it moves to another council.

    Precondition: in the old council's schema, inside the transfer's transaction."""
    taken = []
    for row in Attachment.objects.filter(conversation_id=conversation_id).select_related("message"):
        try:
            with row.file.open("rb") as handle:
                content = handle.read()
        except (FileNotFoundError, ValueError):
            continue  # already gone: nothing to move
        taken.append(
            TakenAttachment(
                row={name: getattr(row, name) for name in _MOVED_FIELDS},
                seq=row.message.seq if row.message else None,
                content=content,
                old_name=row.file.name,
            )
        )
    return taken


def attachments_place_unsafe(conversation_id: UUID, taken: list[TakenAttachment]) -> None:
    """Store the moved chat's attachments in the new council (files under its own prefix),
    linked to the copied messages by seq; the old files go once the move commits.

    Precondition: in the new council's schema, after the messages were copied."""
    for item in taken:
        path = default_storage.save(
            storage_name(connection.schema_name, item.row["id"]), ContentFile(item.content)
        )
        message_id = (
            Message.objects.filter(conversation_id=conversation_id, seq=item.seq)
            .values_list("id", flat=True)
            .first()
        )
        Attachment.objects.create(
            conversation_id=conversation_id, message_id=message_id, file=path, **item.row
        )
    old_names = [item.old_name for item in taken]

    def delete_old_files() -> None:
        for name in old_names:
            default_storage.delete(name)

    transaction.on_commit(delete_old_files)
