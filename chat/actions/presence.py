"""Operators coming and going: console sockets, the presence toggle, and the heartbeat.

Call in the council's schema.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from chat.actions.announce import announce_load_on_commit
from chat.actions.assignment import dispatch_on_commit
from chat.actions.sweeps import requeue_operator_chats_unsafe
from chat.errors import ChatError
from councils.sites import CouncilRef
from routing.capacity import Load, load_of, presence_for
from routing.models import OperatorPresence


@transaction.atomic
def operator_connected(*, council: CouncilRef, user_id: int) -> Load:
    """A console opened: the operator is seen now, and online unless they chose away."""
    presence = presence_for(user_id)
    presence.last_seen = timezone.now()
    if presence.status == OperatorPresence.Status.OFFLINE:
        presence.status = OperatorPresence.Status.ONLINE
    presence.save(update_fields=["last_seen", "status"])
    announce_load_on_commit(council, user_id)
    dispatch_on_commit(council)
    return load_of(user_id)


def operator_heartbeat(*, user_id: int) -> None:
    """The console is still open (sent by the server's own timer, not trusted from clients)."""
    OperatorPresence.objects.filter(user_id=user_id).update(last_seen=timezone.now())


def operator_disconnected(*, user_id: int) -> None:
    """A console closed: the grace period starts now; the sweep requeues after it."""
    OperatorPresence.objects.filter(user_id=user_id).update(last_seen=timezone.now())


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
