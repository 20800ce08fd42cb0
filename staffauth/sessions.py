"""Staff sessions: idle and absolute limits, sign-out everywhere, and closing the console.

Every signed-in session has a StaffSession row in the schema of its host. The HTTP
middleware and the operator's console socket both check it (the console's frames count as
activity, so an operator busy in chats is not idle). Ending a session deletes Django's
session and the row, and rings the operator's channel-layer group (`t<council>.op.<user>`)
so their open consoles close at once (4401, "Signed out").
"""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.utils import timezone

from chat import groups
from chat.broadcast import send_on_commit
from staffauth.models import StaffSession
from staffauth.policy import on_public_schema, session_limits

TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often


def _council_id() -> int | None:
    """The council whose schema the connection is on (None on public)."""
    if on_public_schema():
        return None
    from councils.models import Council

    return (
        Council.objects.filter(schema_name=connection.schema_name)
        .values_list("id", flat=True)
        .first()
    )


def session_started(*, session_key: str, user_id: int, via: str) -> None:
    now = timezone.now()
    StaffSession.objects.update_or_create(
        session_key=session_key,
        defaults={"user_id": user_id, "via": via, "created_at": now, "last_seen_at": now},
    )


def session_expired_reason(row: StaffSession, now=None) -> str | None:
    """ "idle" or "expired" when the council's limits have ended the session, else None."""
    now = now or timezone.now()
    limits = session_limits()
    if now - row.created_at > timedelta(seconds=limits.absolute_seconds):
        return "expired"
    if now - row.last_seen_at > timedelta(seconds=limits.idle_seconds):
        return "idle"
    return None


def session_check(*, session_key: str, user_id: int, active: bool) -> str | None:
    """Called on each request (and by the console on its heartbeat): None while the session
    may go on (touching it when `active`), else why it ended, having ended it.

    A session from before this existed (no row) is adopted as starting now.
    """
    now = timezone.now()
    row = StaffSession.objects.filter(session_key=session_key).first()
    if row is None:
        if not Session.objects.filter(session_key=session_key, expire_date__gt=now).exists():
            return "signed_out"
        session_started(session_key=session_key, user_id=user_id, via=StaffSession.Via.OTHER)
        return None
    if row.user_id != user_id:
        return "signed_out"
    reason = session_expired_reason(row, now)
    if reason is not None:
        end_session(session_key=session_key, user_id=user_id, reason=reason)
        return reason
    if active and now - row.last_seen_at > TOUCH_EVERY:
        StaffSession.objects.filter(pk=row.pk).update(last_seen_at=now)
    return None


def console_session_alive_unsafe(session_key: str, user_id: int, active: bool) -> bool:
    """For the console's heartbeat. Precondition: the connection is on the council's schema."""
    if not Session.objects.filter(session_key=session_key, expire_date__gt=timezone.now()).exists():
        return False
    return session_check(session_key=session_key, user_id=user_id, active=active) is None


def close_consoles_on_commit(*, user_id: int, session_key: str | None, reason: str) -> None:
    """Ring the operator's group: sockets of that session (or of every session) close."""
    council_id = _council_id()
    if council_id is None:
        return
    send_on_commit(
        groups.operator_group(council_id, user_id),
        {"type": "session.ended", "session_key": session_key, "reason": reason},
    )


def consoles_leave_assignment(*, user_id: int, session_key: str) -> None:
    """The session's consoles stop counting as there at once, before their sockets close
    (chat.actions.presence, issue 15). Nothing on public."""
    council_id = _council_id()
    if council_id is None:
        return
    from chat.actions.presence import console_session_closed
    from councils.sites import council_ref_by_id

    council = council_ref_by_id(council_id)
    if council is not None:
        console_session_closed(council=council, user_id=user_id, session_key=session_key)


@transaction.atomic
def end_session(*, session_key: str, user_id: int, reason: str) -> None:
    """One session ends (sign-out, idle, expired): its console sockets close and leave
    assignment at once; chats stay with the operator for the grace period, as after any
    dropped connection."""
    StaffSession.objects.filter(session_key=session_key).delete()
    import_module(settings.SESSION_ENGINE).SessionStore(session_key).delete()
    consoles_leave_assignment(user_id=user_id, session_key=session_key)
    close_consoles_on_commit(user_id=user_id, session_key=session_key, reason=reason)


def _session_keys_of(user_id: int) -> set[str]:
    """Every live session of the user, with or without a StaffSession row.

    Django's session table has no user column, so sessions are decoded; a council's table
    holds only its own staff's sessions, and expired ones are skipped in SQL.
    """
    keys = set(StaffSession.objects.filter(user_id=user_id).values_list("session_key", flat=True))
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = store().decode(session.session_data)
        if str(data.get("_auth_user_id")) == str(user_id):
            keys.add(session.session_key)
    return keys


@transaction.atomic
def sign_out_everywhere(*, user_id: int, reason: str = "signed_out_everywhere") -> int:
    """Every session of the user ends (their own "sign out everywhere", or an admin's after
    a lost laptop); their consoles close and their chats go back to the queue now."""
    keys = _session_keys_of(user_id)
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in keys:
        store(key).delete()
    StaffSession.objects.filter(user_id=user_id).delete()
    close_consoles_on_commit(user_id=user_id, session_key=None, reason=reason)
    requeue_operator_chats(user_id=user_id)
    return len(keys)


def requeue_operator_chats(*, user_id: int) -> None:
    """The operator goes offline and their chats return to the queue (chat.actions'
    presence_set, as when they set themselves offline). Nothing on public."""
    council_id = _council_id()
    if council_id is None:
        return
    from chat.actions.presence import presence_set
    from councils.sites import council_ref_by_id
    from routing.models import OperatorPresence

    if not OperatorPresence.objects.filter(user_id=user_id).exists():
        return
    council = council_ref_by_id(council_id)
    if council is not None:
        presence_set(council=council, user_id=user_id, status=OperatorPresence.Status.OFFLINE)


def account_disabled(*, user_id: int) -> None:
    """A disabled account's sessions end at once (Django would refuse them on their next
    request anyway; this closes the console now and hands the chats back)."""
    sign_out_everywhere(user_id=user_id, reason="account_disabled")
