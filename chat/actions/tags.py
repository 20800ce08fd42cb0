"""Tags on a conversation (issue 15, point 8): the council's own labels, put on a chat by the
operator who has (or had) it, typically beside the outcome when ending it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction

from chat import frames, groups
from chat.errors import ChatError
from chat.models import Conversation, Tag
from chat.operators import OperatorRef
from chat.protocol import TAGS_MAX
from chat.selectors import conversation_tags
from councils.sites import CouncilRef


def clean_tag_slugs(value: Any) -> list[str]:
    """A list of at most TAGS_MAX tag slugs (strings), each once, order kept."""
    if not isinstance(value, list) or len(value) > TAGS_MAX:
        raise ChatError("invalid_tag", f"tags must be a list of at most {TAGS_MAX} tags.")
    if not all(isinstance(slug, str) for slug in value):
        raise ChatError("invalid_tag", "Each tag is given by its slug, as text.")
    return list(dict.fromkeys(value))


@transaction.atomic
def conversation_tags_set(
    *, council: CouncilRef, conversation_id: UUID, operator: OperatorRef, tags: Any
) -> list[dict[str, str]]:
    """Make `tags` (slugs of the council's tags) exactly the conversation's tags; returns
    them. Only the chat's operator may tag it (while it is theirs or after it ended); an
    unknown slug refuses the whole change (`invalid_tag`), so nothing is half-stored. Tags
    are internal: announced to the operator's group only, never to the conversation group,
    which the visitor's sockets share."""
    slugs = clean_tag_slugs(tags)
    conversation = Conversation.objects.select_for_update().filter(id=conversation_id).first()
    if conversation is None:
        raise ChatError("not_found", "No such conversation.")
    if conversation.operator_id != operator.id:
        raise ChatError("not_assigned", "This chat is not assigned to you.")
    chosen = list(Tag.objects.filter(slug__in=slugs))
    if len(chosen) != len(slugs):
        raise ChatError("invalid_tag", "Choose tags from your council's list.")
    conversation.tags.set(chosen)
    rows = conversation_tags(conversation.id)
    frames.send_frame_on_commit(
        groups.operator_group(council.id, operator.id), frames.tags(str(conversation.id), rows)
    )
    return rows
