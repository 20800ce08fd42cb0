"""Reads for the supervisor's live view (/console/supervisor/, issue 15): who is online, away
or offline with their chats and capacity, the queue with waiting times, chats per department
and today's answered and missed counts.

Call inside the council's schema; results are plain data. Presence and load come from the
routing app's own reads (`routing.capacity.operator_loads`): the supervisor sees exactly what
assignment sees.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.utils import timezone

from chat.models import Conversation
from chat.payloads import iso_utc, operator_full_name
from chat.selectors import conversation_summary, message_list_after, queue_list
from routing.capacity import operator_loads
from routing.models import Department

SUPERVISE_PERMISSION = "routing.supervise"
# Chats a supervisor can open read-only: those someone is (or will be) answering.
WATCHABLE = (Conversation.Status.QUEUED, Conversation.Status.ACTIVE, Conversation.Status.BOT)


def may_supervise(user) -> bool:
    """Council admins (who hold every routing permission) and staff given the permission."""
    return bool(
        user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(SUPERVISE_PERMISSION)
    )


def may_supervise_user_id(user_id: int) -> bool:
    user = get_user_model().objects.filter(pk=user_id).first()
    return user is not None and may_supervise(user)


def start_of_today(now: datetime | None = None) -> datetime:
    """Midnight in the council's time zone (Europe/London) today."""
    local = timezone.localtime(now or timezone.now())
    return timezone.make_aware(datetime.combine(local.date(), time.min), local.tzinfo)


def _active_chats_by_operator() -> dict[int, list[dict[str, Any]]]:
    chats: dict[int, list[dict[str, Any]]] = {}
    rows = (
        Conversation.objects.filter(status=Conversation.Status.ACTIVE, operator__isnull=False)
        .select_related("visitor", "department")
        .order_by("accepted_at")
    )
    for c in rows:
        chats.setdefault(c.operator_id, []).append(
            {
                "id": str(c.id),
                "visitor_name": c.visitor.name,
                "department_name": c.department.name if c.department else None,
                "accepted_at": iso_utc(c.accepted_at),
            }
        )
    return chats


def _departments() -> list[dict[str, Any]]:
    counted = Department.objects.annotate(
        queued=Count("conversation", filter=Q(conversation__status=Conversation.Status.QUEUED)),
        active=Count("conversation", filter=Q(conversation__status=Conversation.Status.ACTIVE)),
    ).order_by("position", "name")
    rows = [
        {"slug": d.slug, "name": d.name, "queued": d.queued, "active": d.active} for d in counted
    ]
    loose = Conversation.objects.filter(department__isnull=True).aggregate(
        queued=Count("id", filter=Q(status=Conversation.Status.QUEUED)),
        active=Count("id", filter=Q(status=Conversation.Status.ACTIVE)),
    )
    if loose["queued"] or loose["active"]:
        rows.append({"slug": None, "name": "No department", **loose})
    return rows


def today_counts(now: datetime | None = None) -> dict[str, int]:
    """Chats an operator answered today (accepted since midnight) and chats missed today."""
    since = start_of_today(now)
    counts = Conversation.objects.aggregate(
        answered=Count("id", filter=Q(accepted_at__gte=since)),
        missed=Count("id", filter=Q(status=Conversation.Status.MISSED, ended_at__gte=since)),
    )
    return {"answered": counts["answered"], "missed": counts["missed"]}


def supervisor_overview(now: datetime | None = None) -> dict[str, Any]:
    """Everything the supervisor's view shows, read in one go."""
    now = now or timezone.now()
    chats = _active_chats_by_operator()
    users = {
        u.pk: u
        for u in get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .only("id", "username", "first_name", "last_name")
    }
    operators = []
    for row in operator_loads():
        user = users.get(row["id"])
        operators.append(
            {
                "id": row["id"],
                "name": row["name"],
                "full_name": operator_full_name(user) if user else row["name"],
                "status": row["status"],
                "active": row["active"],
                "max_chats": row["max_chats"],
                "chats": chats.get(row["id"], []),
            }
        )
    queue = [
        {
            "id": row["id"],
            "visitor_name": row["visitor_name"],
            "department_name": row["department_name"],
            "queued_at": row["queued_at"],
            "position": row["queue_position"],
            "waiting_s": _seconds_since(row["queued_at"], now),
        }
        for row in queue_list()
    ]
    return {
        "operators": operators,
        "queue": queue,
        "departments": _departments(),
        "today": today_counts(now),
        "at": iso_utc(now),
    }


def _seconds_since(stamp: str | None, now: datetime) -> int:
    if not stamp:
        return 0
    then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return max(0, int((now - then).total_seconds()))


def watch_view(conversation_id: UUID) -> dict[str, Any] | None:
    """A chat a supervisor may open read-only (queued, active or with the assistant): its
    summary and every message so far; None for any other chat (ended, missed, elsewhere)."""
    summary = conversation_summary(conversation_id)
    if summary is None or summary["status"] not in WATCHABLE:
        return None
    messages = [
        {k: v for k, v in m.items() if k != "conversation"}
        for m in message_list_after(conversation_id, 0)
    ]
    return {"conversation": summary, "messages": messages}
