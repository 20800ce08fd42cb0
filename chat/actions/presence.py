"""Who is really there: operators' console sockets, the presence toggle and the heartbeat, and
residents' widget sockets and page visibility (issue 15).

An operator may be given a chat only while a console socket of theirs is live (a
`routing.ConsoleSocket` row, beaten by its server): logging out, closing the last console or
going silent removes them from assignment at once. Their chats stay theirs for the grace
period (`OPERATOR_GRACE_SECONDS`), meanwhile the resident is told the adviser is away rather
than "You are talking to …"; the sweep (chat.actions.sweeps) requeues them after it.

A resident's presence is derived from their widget's sockets (`chat.VisitorSocket`): any
visible page → open, else any hidden → hidden, none → gone. Operators hear it live.

Call in the council's schema.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from chat import frames, groups
from chat.actions.announce import announce_load_on_commit
from chat.actions.assignment import dispatch_on_commit
from chat.actions.lifecycle import requeue_operator_chats_unsafe
from chat.errors import ChatError
from chat.models import Conversation, VisitorSocket
from chat.payloads import operator_display_name
from councils.sites import CouncilRef
from routing.capacity import Load, load_of, presence_for
from routing.models import ConsoleSocket, OperatorPresence, socket_live_since

# ---- operators ------------------------------------------------------------------------


def operator_has_live_console(user_id: int, now: datetime | None = None) -> bool:
    return ConsoleSocket.objects.filter(
        user_id=user_id, beat_at__gte=socket_live_since(now)
    ).exists()


def _lock_presence_unsafe(user_id: int) -> None:
    """Serialise a console leaving with any assignment to this operator (which holds the
    same lock while it checks for a live console: routing.capacity.lock_load_unsafe)."""
    OperatorPresence.objects.select_for_update().filter(user_id=user_id).first()


def announce_operator_presence_on_commit(council: CouncilRef, user_id: int, present: bool) -> None:
    """Tell the residents of the operator's active chats whether their adviser is there."""
    chats = list(
        Conversation.objects.filter(operator_id=user_id, status=Conversation.Status.ACTIVE)
        .select_related("operator")
        .only("id", "operator")
    )
    for conversation in chats:
        name = operator_display_name(conversation.operator) if present else None
        frames.send_frame_on_commit(
            groups.conversation_group(council.id, conversation.id),
            frames.operator_presence(str(conversation.id), present, name),
            to="visitor",
        )


@transaction.atomic
def operator_connected(
    *, council: CouncilRef, user_id: int, channel_name: str = "", session_key: str = ""
) -> Load:
    """A console opened: the operator is seen now, and online unless they chose away."""
    was_present = operator_has_live_console(user_id)
    if channel_name:
        ConsoleSocket.objects.update_or_create(
            channel_name=channel_name,
            defaults={
                "user_id": user_id,
                "session_key": session_key or "",
                "beat_at": timezone.now(),
            },
        )
    presence = presence_for(user_id)
    presence.last_seen = timezone.now()
    if presence.status == OperatorPresence.Status.OFFLINE:
        presence.status = OperatorPresence.Status.ONLINE
    presence.save(update_fields=["last_seen", "status"])
    if not was_present:
        announce_operator_presence_on_commit(council, user_id, True)
    announce_load_on_commit(council, user_id)
    dispatch_on_commit(council)
    return load_of(user_id)


def operator_heartbeat(*, user_id: int, channel_name: str = "", session_key: str = "") -> None:
    """The console's socket is still open (sent by the server's own timer, not trusted from
    clients; its session was checked just before); its row is written again if a sweep took
    it for dead meanwhile (the database was away longer than three beats)."""
    now = timezone.now()
    if channel_name:
        ConsoleSocket.objects.update_or_create(
            channel_name=channel_name,
            defaults={"user_id": user_id, "session_key": session_key, "beat_at": now},
        )
    OperatorPresence.objects.filter(user_id=user_id).update(last_seen=now)


def _operator_left_unsafe(council: CouncilRef, user_id: int) -> None:
    """The operator's last console went: the grace period starts now (the sweep requeues
    after it), their residents are told, and every console sees them gone."""
    OperatorPresence.objects.filter(user_id=user_id).update(last_seen=timezone.now())
    announce_operator_presence_on_commit(council, user_id, False)
    announce_load_on_commit(council, user_id)


@transaction.atomic
def operator_disconnected(*, council: CouncilRef, user_id: int, channel_name: str = "") -> None:
    """A console socket closed (or went silent): out of assignment at once if it was the
    operator's last one."""
    _lock_presence_unsafe(user_id)
    if channel_name:
        ConsoleSocket.objects.filter(channel_name=channel_name).delete()
    if not operator_has_live_console(user_id):
        _operator_left_unsafe(council, user_id)


@transaction.atomic
def console_session_closed(*, council: CouncilRef, user_id: int, session_key: str) -> None:
    """The operator logged out of one session: its consoles leave assignment now, before
    their sockets have even closed (they close on `session.ended`)."""
    _lock_presence_unsafe(user_id)
    deleted, _ = ConsoleSocket.objects.filter(user_id=user_id, session_key=session_key).delete()
    if deleted and not operator_has_live_console(user_id):
        _operator_left_unsafe(council, user_id)


def sweep_dead_consoles_unsafe(council: CouncilRef, now: datetime) -> int:
    """Console rows whose server stopped beating (a killed process): gone. Precondition: in
    a transaction."""
    dead = ConsoleSocket.objects.filter(beat_at__lt=socket_live_since(now))
    user_ids = sorted(set(dead.values_list("user_id", flat=True)))
    for user_id in user_ids:
        _lock_presence_unsafe(user_id)
    dead.delete()
    for user_id in user_ids:
        if not operator_has_live_console(user_id, now):
            _operator_left_unsafe(council, user_id)
    return len(user_ids)


@transaction.atomic
def presence_set(*, council: CouncilRef, user_id: int, status: str) -> Load:
    """The operator's own toggle. Going offline hands their chats back to the queue."""
    if status not in OperatorPresence.Status.values:
        raise ChatError("invalid_frame", "status must be online, away or offline.")
    presence = presence_for(user_id)
    presence.status = status
    presence.last_seen = timezone.now()
    presence.save(update_fields=["status", "last_seen"])
    if status == OperatorPresence.Status.OFFLINE:
        requeue_operator_chats_unsafe(council, user_id, reason="requeued")
    announce_load_on_commit(council, user_id)
    if status == OperatorPresence.Status.ONLINE:
        dispatch_on_commit(council)
    return load_of(user_id)


# ---- residents ------------------------------------------------------------------------


def _visitor_presence_of(conversation_id: UUID, now: datetime) -> str:
    states = set(
        VisitorSocket.objects.filter(
            conversation_id=conversation_id, beat_at__gte=socket_live_since(now)
        ).values_list("state", flat=True)
    )
    if VisitorSocket.State.VISIBLE in states:
        return Conversation.VisitorPresence.OPEN
    if VisitorSocket.State.HIDDEN in states:
        return Conversation.VisitorPresence.HIDDEN
    return Conversation.VisitorPresence.GONE


def visitor_presence_refresh_unsafe(
    council: CouncilRef, conversation_id: UUID, now: datetime | None = None
) -> str | None:
    """Store the chat's resident presence from its sockets, and tell its operators when it
    changed. Precondition: in a transaction. Returns the presence (None: no such chat)."""
    now = now or timezone.now()
    conversation = (
        Conversation.objects.select_for_update()
        .only("id", "status", "visitor_presence", "visitor_presence_at")
        .filter(id=conversation_id)
        .first()
    )
    if conversation is None:
        return None
    state = _visitor_presence_of(conversation_id, now)
    if conversation.status == Conversation.Status.ENDED or state == conversation.visitor_presence:
        return conversation.visitor_presence
    conversation.visitor_presence = state
    conversation.visitor_presence_at = now
    conversation.save(update_fields=["visitor_presence", "visitor_presence_at"])
    frames.send_frame_on_commit(
        groups.conversation_group(council.id, conversation_id),
        frames.visitor_presence(str(conversation_id), state, now),
        to="operator",
    )
    return state


@transaction.atomic
def visitor_connected(*, council: CouncilRef, conversation_id: UUID, channel_name: str) -> None:
    VisitorSocket.objects.update_or_create(
        channel_name=channel_name,
        defaults={
            "conversation_id": conversation_id,
            "state": VisitorSocket.State.VISIBLE,
            "beat_at": timezone.now(),
        },
    )
    visitor_presence_refresh_unsafe(council, conversation_id)


@transaction.atomic
def visitor_visibility(
    *, council: CouncilRef, conversation_id: UUID, channel_name: str, state: object
) -> None:
    """The widget's page became visible or hidden (the `presence` frame)."""
    if state not in VisitorSocket.State.values:
        raise ChatError("invalid_frame", "state must be visible or hidden.")
    VisitorSocket.objects.update_or_create(
        channel_name=channel_name,
        defaults={"conversation_id": conversation_id, "state": state, "beat_at": timezone.now()},
    )
    visitor_presence_refresh_unsafe(council, conversation_id)


def visitor_heartbeat_many(*, channel_names: list[str]) -> int:
    """Beat these widget sockets' rows (chat/visitor_beats.py: one statement per council)."""
    return VisitorSocket.objects.filter(channel_name__in=channel_names).update(
        beat_at=timezone.now()
    )


@transaction.atomic
def visitor_disconnected(*, council: CouncilRef, conversation_id: UUID, channel_name: str) -> None:
    VisitorSocket.objects.filter(channel_name=channel_name).delete()
    visitor_presence_refresh_unsafe(council, conversation_id)


def sweep_dead_visitor_sockets_unsafe(council: CouncilRef, now: datetime) -> int:
    """Widget rows whose server stopped beating: gone. Precondition: in a transaction."""
    dead = VisitorSocket.objects.filter(beat_at__lt=socket_live_since(now))
    ids = set(dead.values_list("conversation_id", flat=True))
    dead.delete()
    for conversation_id in ids:
        visitor_presence_refresh_unsafe(council, conversation_id, now)
    return len(ids)
