"""The outbox's API: record a side effect, deliver it, sweep for what was never delivered.

    outbox_add(kind="transcript_email", ref=str(conversation.id), payload={"email": ...})

Call it inside the council's schema and inside the transaction of the change that needs the
send. After commit a Celery task delivers it at once; if that task is lost (the broker down,
Redis restarted, the worker killed), `outbox_sweep` finds the row still unsent after
OUTBOX_RETRY_AFTER_SECONDS and delivers it, with a growing pause between attempts, until
OUTBOX_MAX_ATTEMPTS, after which it is given up and logged.

A handler is a plain function `handler(item: OutboxItem) -> None` named in the setting
OUTBOX_HANDLERS ({"kind": "dotted.path"}); returning means done (also when there turned out
to be nothing to send), raising means try again later. Delivery is at least once: a send
that succeeded but whose "sent" mark was lost in a crash is sent again, so handlers of
sends that must not repeat pass an idempotency key (the item's id) to the far side.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection, transaction

from outbox.delivery import handler_for
from outbox.models import OutboxItem
from outbox.tasks import deliver_outbox_item_task

logger = logging.getLogger(__name__)


def outbox_add(*, kind: str, ref: str = "", payload: dict[str, Any] | None = None) -> OutboxItem:
    """Record a send in the current transaction and queue its delivery after commit.

    Precondition: the connection is on the council's schema (the row lives there, and the
    task is sent from there so tenant-schemas-celery runs it there).
    """
    handler_for(kind)  # an unknown kind is a programming error: fail before storing it
    item = OutboxItem.objects.create(kind=kind, ref=ref, payload=payload or {})
    schema_name = connection.schema_name
    transaction.on_commit(lambda: _queue_delivery(schema_name, item.id))
    return item


def _queue_delivery(schema_name: str, item_id: int) -> None:
    """Hand the item to a worker; if the broker is away, the sweep delivers it later."""
    from django_tenants.utils import schema_context

    try:
        with schema_context(schema_name):
            deliver_outbox_item_task.delay(item_id)
    except Exception as exc:  # kombu's errors vary by transport; the row is safe either way
        logger.warning("outbox item %s not queued (%r); the sweep will deliver it", item_id, exc)


def outbox_pending(*, kind: str, ref: str) -> bool:
    """Is a send of this kind about this row still owed (recorded and not yet sent)?"""
    return OutboxItem.objects.filter(
        kind=kind, ref=ref, sent_at__isnull=True, given_up_at__isnull=True
    ).exists()


@transaction.atomic
def outbox_retry(*, item_ids: list[int]) -> int:
    """Give items the outbox gave up on a fresh start (a council admin's retry, once the
    mail server is fixed): attempts from zero, delivered now, swept again if that fails.
    Items not given up are left alone. Returns how many were retried."""
    items = list(
        OutboxItem.objects.select_for_update()
        .filter(id__in=item_ids, given_up_at__isnull=False, sent_at__isnull=True)
        .values_list("id", flat=True)
    )
    OutboxItem.objects.filter(id__in=items).update(given_up_at=None, attempts=0, last_error="")
    schema_name = connection.schema_name
    for item_id in items:
        transaction.on_commit(lambda item_id=item_id: _queue_delivery(schema_name, item_id))
    return len(items)
