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

from collections.abc import Iterable
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


def _presence_from(states: set[str]) -> str:
    if VisitorSocket.State.VISIBLE in states:
        return Conversation.VisitorPresence.OPEN
    if VisitorSocket.State.HIDDEN in states:
        return Conversation.VisitorPresence.HIDDEN
    return Conversation.VisitorPresence.GONE


def visitor_presence_refresh_many_unsafe(
    council: CouncilRef, conversation_ids: Iterable[UUID], now: datetime | None = None
) -> dict[UUID, str]:
    """Store these chats' resident presence from their sockets, and tell their operators of
    each change: three statements however many chats (plus one UPDATE per change). The
    chats are locked in id order, so two batches never deadlock. Precondition: in a
    transaction. Returns each existing chat's presence (a chat that is gone is left out)."""
    now = now or timezone.now()
    ids = sorted(set(conversation_ids))
    if not ids:
        return {}
    conversations = list(
        Conversation.objects.select_for_update()
        .only("id", "status", "visitor_presence", "visitor_presence_at")
        .filter(id__in=ids)
        .order_by("id")
    )
    states: dict[UUID, set[str]] = {}
    for conversation_id, state in VisitorSocket.objects.filter(
        conversation_id__in=ids, beat_at__gte=socket_live_since(now)
    ).values_list("conversation_id", "state"):
        states.setdefault(conversation_id, set()).add(state)
    out = {}
    for conversation in conversations:
        state = _presence_from(states.get(conversation.id, set()))
        if conversation.status == Conversation.Status.ENDED or (
            state == conversation.visitor_presence
        ):
            out[conversation.id] = conversation.visitor_presence
            continue
        conversation.visitor_presence = state
        conversation.visitor_presence_at = now
        conversation.save(update_fields=["visitor_presence", "visitor_presence_at"])
        frames.send_frame_on_commit(
            groups.conversation_group(council.id, conversation.id),
            frames.visitor_presence(str(conversation.id), state, now),
            to="operator",
        )
        out[conversation.id] = state
    return out


def visitor_presence_refresh_unsafe(
    council: CouncilRef, conversation_id: UUID, now: datetime | None = None
) -> str | None:
    """One chat's (visitor_presence_refresh_many_unsafe). Returns None: no such chat."""
    return visitor_presence_refresh_many_unsafe(council, [conversation_id], now).get(
        conversation_id
    )


@transaction.atomic
def visitor_sockets_changed(
    *,
    council: CouncilRef,
    opened: list[tuple[UUID, str]] = (),
    closed: list[tuple[UUID, str]] = (),
) -> None:
    """Widget sockets opened and closed, as (conversation id, channel name): their rows
    written and their chats' presence refreshed, in one transaction for all of them.

    chat/visitor_beats.py gathers a process's opens and closes while the previous batch is
    being written (a group commit): in a reconnect storm one commit per socket, each an
    fsync with synchronous_commit on, had cut the handshakes a process completes from
    ~380 to ~40 a second (bench B1/B2, docs/performance.md). A socket whose chat is gone
    (erased meanwhile) writes nothing and fails nobody else's."""
    now = timezone.now()
    ids = {conversation_id for conversation_id, _ in [*opened, *closed]}
    # The chats first, locked in id order: a chat being erased cannot vanish under the
    # insert below, and two batches never deadlock.
    existing = set(
        Conversation.objects.select_for_update()
        .filter(id__in=ids)
        .order_by("id")
        .values_list("id", flat=True)
    )
    if closed:
        VisitorSocket.objects.filter(channel_name__in=[name for _, name in closed]).delete()
    rows = {
        name: VisitorSocket(
            conversation_id=conversation_id,
            channel_name=name,
            state=VisitorSocket.State.VISIBLE,
            beat_at=now,
        )
        for conversation_id, name in opened
        if conversation_id in existing
    }
    if rows:
        VisitorSocket.objects.bulk_create(
            list(rows.values()),
            update_conflicts=True,
            unique_fields=["channel_name"],
            update_fields=["conversation_id", "state", "beat_at"],
        )
    visitor_presence_refresh_many_unsafe(council, existing, now)


def visitor_connected(*, council: CouncilRef, conversation_id: UUID, channel_name: str) -> None:
    visitor_sockets_changed(council=council, opened=[(conversation_id, channel_name)])


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


def visitor_disconnected(*, council: CouncilRef, conversation_id: UUID, channel_name: str) -> None:
    visitor_sockets_changed(council=council, closed=[(conversation_id, channel_name)])


def sweep_dead_visitor_sockets_unsafe(council: CouncilRef, now: datetime) -> int:
    """Widget rows whose server stopped beating: gone. Precondition: in a transaction."""
    dead = VisitorSocket.objects.filter(beat_at__lt=socket_live_since(now))
    ids = set(dead.values_list("conversation_id", flat=True))
    dead.delete()
    visitor_presence_refresh_many_unsafe(council, ids, now)
    return len(ids)
