"""Outbox delivery tasks. They run in the schema they were sent from (tenant-schemas-celery)."""

from celery import shared_task

from councils.tenancy import send_to_every_council
from outbox.delivery import outbox_deliver, outbox_sweep


@shared_task
def deliver_outbox_item_task(item_id: int) -> str:
    """Deliver one item now (queued after the commit that recorded it)."""
    return outbox_deliver(item_id)


@shared_task
def sweep_outbox_task() -> dict[str, int]:
    """Deliver this council's overdue items (those whose task was lost or failed)."""
    return outbox_sweep()


@shared_task
def sweep_outbox_in_all_councils() -> int:
    """Beat entry point: one sweep per council, each run in its own schema."""
    return send_to_every_council(sweep_outbox_task)
