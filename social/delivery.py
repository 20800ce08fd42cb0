"""Delivery state of social messages: applied monotonically and told to the console live."""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from chat import frames, groups
from councils.sites import CouncilRef
from social.models import PendingStatus, SocialMessage

State = SocialMessage.State
# A later state never goes back: a "delivered" that arrives after "read" changes nothing.
RANK = {State.QUEUED: 0, State.SENT: 1, State.DELIVERED: 2, State.READ: 3}


def advances(current: str, new: str) -> bool:
    if current == State.FAILED:
        return False
    if new == State.FAILED:
        return RANK.get(current, 0) < RANK[State.DELIVERED]
    return RANK.get(new, -1) > RANK.get(current, 0)


def set_message_extra_unsafe(message_id: int, **values) -> None:
    """Merge keys into chat.Message.extra in one statement (jsonb ||)."""
    import json

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE chat_message SET extra = COALESCE(extra, '{}'::jsonb) || %s::jsonb "
            "WHERE id = %s",
            [json.dumps(values), message_id],
        )


def state_set_unsafe(
    council: CouncilRef, social: SocialMessage, state: str, *, error: str = ""
) -> bool:
    """Move a locked SocialMessage to `state` if that is forward; announce after commit.

    Precondition: in a transaction holding the row (select_for_update) in the council's schema.
    """
    if not advances(social.state, state):
        return False
    social.state = state
    fields = ["state"]
    if error:
        social.error = error[:300]
        fields.append("error")
    social.save(update_fields=fields)
    if social.message_id is None:
        return True
    seq = social.message.seq
    extra = {"delivery": state}
    if state == State.FAILED:
        extra["delivery_error"] = social.error or "Could not be delivered."
    set_message_extra_unsafe(social.message_id, **extra)
    frame = frames.delivery(
        str(social.conversation_id), seq, state, extra.get("delivery_error", "")
    )
    frames.send_frame_on_commit(
        groups.conversation_group(council.id, social.conversation_id), frame, to="operator"
    )
    return True


def status_apply_unsafe(
    council: CouncilRef, *, provider_id: str, state: str, when: datetime | None, error: str = ""
) -> None:
    """A provider status for one message id; kept for later if the id is not known yet."""
    social = (
        SocialMessage.objects.select_for_update(of=("self",))
        .select_related("message")
        .filter(provider_message_id=provider_id)
        .first()
    )
    if social is None:
        PendingStatus.objects.create(
            provider_message_id=provider_id, state=state, error=error, provider_timestamp=when
        )
        return
    state_set_unsafe(council, social, state, error=error)


def pending_apply_unsafe(council: CouncilRef, social: SocialMessage) -> None:
    """Apply statuses that arrived before `social` had its provider id (out of order)."""
    pending = list(
        PendingStatus.objects.filter(provider_message_id=social.provider_message_id).order_by(
            "provider_timestamp", "id"
        )
    )
    for status in sorted(pending, key=lambda s: RANK.get(s.state, 9)):
        state_set_unsafe(council, social, status.state, error=status.error)
    if pending:
        PendingStatus.objects.filter(id__in=[p.id for p in pending]).delete()
