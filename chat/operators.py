"""Who is at the console: the council-schema user behind a session cookie.

Channels' AuthMiddleware loads users without regard to the tenant (django-tenants #911), so
the console socket loads its user here, inside the council's schema, where that council's
sessions and users live. A session from another council's host finds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Literal

from django.conf import settings
from django.contrib.auth import get_user

from chat.payloads import operator_display_name, operator_full_name


@dataclass(frozen=True)
class OperatorRef:
    """The operator an action is done by or for: what actions and frames need of a user."""

    id: int
    username: str
    name: str  # what residents see (chat.payloads.operator_display_name)
    full_name: str = ""  # what colleagues see (notes, follow-ups); `name` when not known

    @property
    def staff_name(self) -> str:
        return self.full_name or self.name


def operator_ref(user) -> OperatorRef:
    return OperatorRef(
        id=user.id,
        username=user.username,
        name=operator_display_name(user),
        full_name=operator_full_name(user),
    )


@dataclass
class _SessionOnlyRequest:
    session: object


@dataclass(frozen=True)
class OperatorLookup:
    outcome: Literal["ok", "anonymous", "not_staff"]
    operator: OperatorRef | None = None


def operator_for_session_unsafe(session_key: str | None) -> OperatorLookup:
    """Precondition: the connection is on the council's schema."""
    if not session_key:
        return OperatorLookup("anonymous")
    engine = import_module(settings.SESSION_ENGINE)
    user = get_user(_SessionOnlyRequest(session=engine.SessionStore(session_key)))
    if not user.is_authenticated or not user.is_active:
        return OperatorLookup("anonymous")
    if not user.is_staff:
        return OperatorLookup("not_staff")
    return OperatorLookup("ok", operator_ref(user))
