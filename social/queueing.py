"""Queue a social task by name, so services never import social.tasks (which imports them).

tenant-schemas-celery's send_task stamps the current schema, so a task queued here runs in
the schema the caller is in.
"""

from __future__ import annotations

from django.db import transaction

from config.celery import app


def enqueue_on_commit(task: str, *args: object) -> None:
    """After the current transaction commits, queue social.tasks.<task>(*args)."""
    transaction.on_commit(lambda: app.send_task(f"social.tasks.{task}", args=list(args)))
