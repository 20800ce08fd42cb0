"""Operators' presence and load: who can take a chat right now. Call in the council's schema."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Q

from chat.models import Conversation
from chat.payloads import operator_display_name
from routing.models import ConsoleSocket, OperatorPresence, RoutingSettings, socket_live_since


@dataclass(frozen=True)
class Load:
    user_id: int
    status: str
    active: int
    max_chats: int
    # A live console socket (issue 15): read under the presence row lock by lock_load_unsafe.
    connected: bool = True

    @property
    def has_room(self) -> bool:
        return self.active < self.max_chats

    def payload(self) -> dict:
        return {"status": self.status, "active": self.active, "max_chats": self.max_chats}


def presence_for(user_id: int) -> OperatorPresence:
    return OperatorPresence.objects.get_or_create(user_id=user_id)[0]


def active_count(user_id: int) -> int:
    return Conversation.objects.filter(operator_id=user_id, status="active").count()


def lock_load_unsafe(
    user_id: int, routing: RoutingSettings | None = None, *, skip_locked: bool = False
) -> Load | None:
    """Lock the operator's presence row, then count their chats: the count cannot change
    under us until commit, so two chats racing for one last slot get one winner.

    With `skip_locked`, None when another transaction holds the row: automatic assignment
    tries the next operator instead of waiting, because two assigners that each hold one
    operator and wait for the other's would deadlock.

    Precondition: inside a transaction that has already locked any conversation it changes,
    and holding no other operator's presence row unless `skip_locked`.
    """
    presence_for(user_id)
    presence = (
        OperatorPresence.objects.select_for_update(skip_locked=skip_locked)
        .filter(user_id=user_id)
        .first()
    )
    if presence is None:
        return None
    routing = routing or RoutingSettings.current()
    return Load(
        user_id=user_id,
        status=presence.status,
        active=active_count(user_id),
        max_chats=presence.max_chats or routing.max_chats_per_operator,
        connected=console_live(user_id),
    )


def console_live(user_id: int) -> bool:
    """Whether the operator has a live console socket now. Consoles leaving take the presence
    row lock first (chat.actions.presence), so under that lock this cannot change."""
    return ConsoleSocket.objects.filter(user_id=user_id, beat_at__gte=socket_live_since()).exists()


def operator_loads() -> list[dict]:
    """Every staff operator of the council with presence and load, for consoles' lists."""
    routing = RoutingSettings.current()
    users = (
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .select_related("presence")
        .annotate(active=Count("conversations", filter=Q(conversations__status="active")))
        .order_by("first_name", "username")
    )
    # Shown as they are only with a live console (issue 15); otherwise offline.
    connected = set(
        ConsoleSocket.objects.filter(beat_at__gte=socket_live_since()).values_list(
            "user_id", flat=True
        )
    )
    rows = []
    for user in users:
        presence = getattr(user, "presence", None)
        live = presence is not None and user.id in connected
        status = presence.status if presence is not None and live else "offline"
        rows.append(
            {
                "id": user.id,
                "name": operator_display_name(user),
                "status": status,
                "active": user.active,
                "max_chats": (presence.max_chats if presence else None)
                or routing.max_chats_per_operator,
                "speaks_welsh": bool(presence and presence.speaks_welsh),
            }
        )
    return rows


def load_of(user_id: int) -> Load:
    presence = presence_for(user_id)
    return Load(
        user_id=user_id,
        status=presence.status,
        active=active_count(user_id),
        max_chats=presence.max_chats or RoutingSettings.current().max_chats_per_operator,
    )
