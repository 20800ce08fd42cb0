"""The council's audit log: one call, `record(...)`, from every place that reads or changes
personal data (admin views, the console, commands, the social app's media views).

Entries are append-only (a trigger in the council's schema refuses UPDATE and DELETE: see
migration 0002). Never put a resident's personal data in an entry: name objects by kind and
id, and put counts and kinds in `detail`, so an erasure never has to touch the audit log.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from privacy.models import AuditEntry

Action = AuditEntry.Action

# The retention service turns this on (SET LOCAL, one transaction) to delete expired entries;
# the trigger refuses every other DELETE and every UPDATE.
RETENTION_SETTING = "councilchat.audit_retention"


@dataclass(frozen=True)
class Actor:
    """Who did it: a council user (id and username) or a named process."""

    name: str
    user_id: int | None = None
    source: str = ""

    @classmethod
    def of_user(cls, user: Any, source: str) -> Actor:
        return cls(name=user.get_username(), user_id=user.pk, source=source)


def record(
    *,
    actor: Actor,
    action: str,
    object_type: str = "",
    object_id: Any = "",
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry to the current council's audit log. Call in the council's schema.

    `detail` must hold no personal data of residents (counts, kinds, ids, field names).
    """
    return AuditEntry.objects.create(
        at=at or timezone.now(),
        actor_user_id=actor.user_id,
        actor_name=actor.name[:150],
        action=action,
        source=actor.source,
        object_type=object_type,
        object_id=str(object_id)[:64],
        detail=detail or {},
    )


def record_many(
    *, actor: Actor, action: str, object_type: str, object_ids: Iterable[Any], detail=None
) -> int:
    """One entry per object, in one statement (e.g. a search that showed several chats)."""
    now = timezone.now()
    entries = [
        AuditEntry(
            at=now,
            actor_user_id=actor.user_id,
            actor_name=actor.name[:150],
            action=action,
            source=actor.source,
            object_type=object_type,
            object_id=str(object_id)[:64],
            detail=detail or {},
        )
        for object_id in object_ids
    ]
    AuditEntry.objects.bulk_create(entries)
    return len(entries)


def entries_about(object_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Audit entries about these objects, oldest first (for a subject access export)."""
    ids = [str(i) for i in object_ids]
    if not ids:
        return []
    return [
        {
            "at": entry.at.isoformat(),
            "who": entry.actor_name,
            "action": entry.get_action_display(),
            "source": entry.source,
            "object_type": entry.object_type,
            "object_id": entry.object_id,
        }
        for entry in AuditEntry.objects.filter(object_id__in=ids).order_by("at", "id")
    ]


CSV_COLUMNS = [
    "at",
    "actor_name",
    "actor_user_id",
    "action",
    "source",
    "object_type",
    "object_id",
    "detail",
]


def entries_csv(entries: Iterable[AuditEntry]) -> str:
    """Entries as CSV text (UTC ISO times; detail as JSON)."""
    import json

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow(
            [
                entry.at.isoformat(),
                entry.actor_name,
                entry.actor_user_id if entry.actor_user_id is not None else "",
                entry.action,
                entry.source,
                entry.object_type,
                entry.object_id,
                json.dumps(entry.detail, sort_keys=True),
            ]
        )
    return out.getvalue()


def delete_expired_entries(*, before: datetime, dry_run: bool, batch_size: int = 5000) -> int:
    """Delete entries older than `before`: the one path the trigger allows, in batches."""
    if dry_run:
        return AuditEntry.objects.filter(at__lt=before).count()
    deleted = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL {RETENTION_SETTING} = 'on'")
            cursor.execute(
                "DELETE FROM privacy_auditentry WHERE id IN (SELECT id FROM privacy_auditentry"
                " WHERE at < %s ORDER BY id LIMIT %s)",
                [before, batch_size],
            )
            count = cursor.rowcount
        deleted += count
        if count < batch_size:
            return deleted


# The console asks for a chat's context every time it (re)connects and shows the chat, and the
# supervisor view opens a chat again after every socket reconnect: one entry per person per
# chat per source in this window says who opened it without repeating itself.
CONSOLE_OPEN_WINDOW = timedelta(minutes=30)


def opened_once_per_window(
    person: Any, conversation_id: Any, *, source: str, at: datetime | None = None
) -> bool:
    """Audit `person` opening a chat (`source` "console" or "supervisor"), at most once per
    person, chat and source per `CONSOLE_OPEN_WINDOW`. True when recorded.

    `person` is chat.operators.OperatorRef (id, username). Call in the council's schema.
    Two sockets of one person opening the same chat at once are serialised on an advisory
    lock, so a reconnect storm still writes one entry.
    """
    now = at or timezone.now()
    object_id = str(conversation_id)[:64]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                [f"{connection.schema_name}:audit-open:{source}:{person.id}:{object_id}"],
            )
        recent = AuditEntry.objects.filter(
            object_id=object_id,
            action=Action.TRANSCRIPT_OPENED,
            actor_user_id=person.id,
            source=source,
            at__gt=now - CONSOLE_OPEN_WINDOW,
        ).exists()
        if recent:
            return False
        record(
            actor=Actor(name=person.username, user_id=person.id, source=source),
            action=Action.TRANSCRIPT_OPENED,
            object_type="conversation",
            object_id=object_id,
            at=now,
        )
    return True


def console_opened(operator: Any, conversation_id: Any, *, at: datetime | None = None) -> bool:
    """The console opened a chat's context (its earlier chats and notes): audited as an open,
    once per operator per conversation per `CONSOLE_OPEN_WINDOW`. True when recorded."""
    return opened_once_per_window(operator, conversation_id, source="console", at=at)


def supervisor_opened(supervisor: Any, conversation_id: Any, *, at: datetime | None = None) -> bool:
    """A supervisor opened a live chat read-only (/console/supervisor/, issue 15): audited as
    an open, by the console's rule (once per supervisor per chat per `CONSOLE_OPEN_WINDOW`),
    so a socket that reconnects and opens the chat again does not add an entry each time.
    `supervisor` is chat.operators.OperatorRef. True when recorded."""
    return opened_once_per_window(supervisor, conversation_id, source="supervisor", at=at)
