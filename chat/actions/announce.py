"""Announcements several actions share, each sent only after the change commits.

The channel layer is a doorbell: clients that miss an announcement catch up from PostgreSQL.
"""

from __future__ import annotations

from django.db import transaction

from chat import frames, groups
from chat.broadcast import send_many, send_now
from chat.coalesce import defer
from chat.models import Conversation
from chat.queue import queue_state
from councils.sites import CouncilRef
from councils.tenancy import council_schema
from routing.capacity import load_of, operator_loads


def announce_status_on_commit(
    council: CouncilRef, conversation: Conversation, operator: str | None
) -> None:
    """Tell both sides of the chat its new status (and who has it) after commit."""
    frames.send_frame_on_commit(
        groups.conversation_group(council.id, conversation.id),
        frames.status(str(conversation.id), conversation.status, operator),
    )


def announce_load_on_commit(council: CouncilRef, *user_ids: int | None) -> None:
    """After commit, tell operators their own load and every console the team's loads.

    The team's loads (one row per operator) are coalesced in a burst (`chat.coalesce`).
    """

    def _announce_own() -> None:
        with council_schema(council.schema_name):
            loads = {uid: load_of(uid).payload() for uid in user_ids if uid}
        send_many(
            (groups.operator_group(council.id, uid), frames.to_group(frames.presence(load)))
            for uid, load in loads.items()
        )

    def _announce_team() -> None:
        with council_schema(council.schema_name):
            team = operator_loads()
        send_now(groups.queue_group(council.id), frames.to_group(frames.operators(team)))

    transaction.on_commit(_announce_own)
    if not defer(f"team:{council.id}", _announce_team):
        transaction.on_commit(_announce_team)


def announce_positions_on_commit(council: CouncilRef) -> None:
    """After commit, send the new queue order once to all of the council's queued visitors;
    each socket works out its own position (one Redis message, not one per visitor)."""

    def _announce() -> None:
        with council_schema(council.schema_name):
            state = queue_state()
        send_now(groups.waiting_group(council.id), state.event())

    if not defer(f"queue:{council.id}", _announce):
        transaction.on_commit(_announce)
