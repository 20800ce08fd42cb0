"""Running code inside one council's schema, from sync and from async code.

django-tenants keeps the current schema on the thread's database connection, and channels
runs all consumer ORM work on one shared thread (asgiref #218, channels #2132), so whatever
schema the previous call left is still set. Every sync entry point therefore names its
schema explicitly through `council_schema`, and async code reaches the ORM only through
`in_council` (never `aget`/`acreate`: django-tenants #767, #1143, #1168).
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from channels.db import database_sync_to_async
from django.db import connection

from councils.sites import CouncilRef

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def council_schema(schema_name: str) -> Iterator[None]:
    """Point the connection at `schema_name` for the block.

    Switches only when the schema differs, so a run of calls for the same council costs no
    extra `SET search_path`; on exit the connection is left on that schema, because every
    entry point sets its own schema on entry and so never relies on what it finds.
    """
    if connection.schema_name != schema_name:
        connection.set_schema(schema_name)
    yield


# Who pays for ORM time spent now: a socket's frame handler sets its budget's `spend`
# (reliability/frame_rate.py), and asgiref runs the call in a copy of the caller's context.
charged_to: contextvars.ContextVar[Callable[[float], None] | None] = contextvars.ContextVar(
    "orm_time_charged_to", default=None
)


def run_in_council_unsafe(
    schema_name: str, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs
) -> R:
    """Call `fn` with the connection on `schema_name`. Sync only: must not be awaited."""
    started = time.perf_counter()
    try:
        with council_schema(schema_name):
            return fn(*args, **kwargs)
    finally:
        spend = charged_to.get()
        if spend is not None:
            spend(time.perf_counter() - started)


async def in_council(
    council: CouncilRef, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs
) -> R:
    """Await `fn(*args, **kwargs)` on the ORM thread, inside `council`'s schema."""
    return await database_sync_to_async(run_in_council_unsafe)(
        council.schema_name, fn, *args, **kwargs
    )


async def in_public(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Await `fn` on the ORM thread inside the public schema."""
    from django_tenants.utils import get_public_schema_name

    return await database_sync_to_async(run_in_council_unsafe)(
        get_public_schema_name(), fn, *args, **kwargs
    )


def send_to_every_council(task) -> int:
    """Queue `task` once per council, each sent from inside that council's schema so
    tenant-schemas-celery runs it there. Councils whose schema is not created yet (being
    onboarded) are skipped with a warning, and the others still get theirs. Returns how many
    were sent."""
    from django_tenants.utils import schema_context, schema_exists

    from councils.models import Council

    sent = 0
    for schema_name in Council.objects.values_list("schema_name", flat=True):
        if not schema_exists(schema_name):
            logger.warning(
                "%s: skipped council %s, its schema does not exist", task.name, schema_name
            )
            continue
        with schema_context(schema_name):
            task.delay()
        sent += 1
    return sent
