"""Running code inside one council's schema, from sync and from async code.

django-tenants keeps the current schema on the thread's database connection, and channels
runs consumer ORM work on a shared thread (asgiref #218, channels #2132), so whatever
schema the previous call left is still set. Every sync entry point therefore names its
schema explicitly through `council_schema`, and async code reaches the ORM only through
`in_council` (never `aget`/`acreate`: django-tenants #767, #1143, #1168).

A web process has two ORM threads, each one call at a time on one persistent connection:

* the chat thread (asgiref's shared thread-sensitive one): what a conversation's turn
  waits for, a message stored and acked, typing, read marks, an accept, live delivery's
  gap fills. These calls are short.
* the back-office thread (`back_office()`): catching up and looking around, the console's
  sync and resume, notes, tags, transfers, follow-ups, and the supervisor's whole socket.
  Some of these take tens of milliseconds (a replay, an overview, a reassignment with its
  dispatch). On one shared thread a resident's message waited behind them: a hostile
  socket's schema-valid `note`/`reassign` frames moved a healthy chat's ack p99 from 43 to
  270 ms (issue 12, docs/reliability.md). A pool of threads was measured and rejected
  (docs/performance.md, B4); two single threads cost one more connection per process.

Each thread's queue puts the calls of sockets that have held it lately behind lighter
sockets' calls (councils/lanes.py): in arrival order, a hostile socket kept calls queued
ahead of every resident's message.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from channels.db import database_sync_to_async
from django.db import connection

from councils.lanes import FairLane, lane_share
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


# Allows a call PostgreSQL's round trips on top of its CPU time (not measured separately; its
# effect is the soak's, docs/reliability.md): beyond it, the call waited for a busy machine.
CPU_FACTOR = 3.0


def run_in_council_unsafe(
    schema_name: str, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs
) -> R:
    """Call `fn` with the connection on `schema_name`. Sync only: must not be awaited.

    The database time charged to the frame being handled (`charged_to`) is the call's wall time,
    but at most `CPU_FACTOR` times the CPU time this thread spent in it. The wall time is what
    other sockets waited; on a loaded machine (another process flooded, PostgreSQL busy) every
    call waits longer, and charging that whole wait put a resident sending a message a second in
    debt, refused for seconds at a time (issue 12: acks at 24 s p99 during a config flood on the
    other process). CPU time alone was too little: a fuzzing socket then paid almost nothing and
    the healthy chat's p99 went from 2.3x to 8.9x its quiet value. The wall time also orders the
    lane's queue (councils/lanes.py), which refuses nobody."""
    started, began = time.thread_time(), time.perf_counter()
    try:
        with council_schema(schema_name):
            return fn(*args, **kwargs)
    finally:
        held = time.perf_counter() - began
        spend = charged_to.get()
        if spend is not None:
            spend(min(held, CPU_FACTOR * (time.thread_time() - started)))
        share = lane_share.get()
        if share is not None:  # how long the thread was held: the lanes' queue order
            share.held(held)


# Set for a frame's handler (or a whole socket) whose ORM work belongs on the back-office
# thread; tasks started meanwhile inherit it, as they inherit `charged_to`.
_back_office: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "orm_back_office", default=False
)
# One worker: calls on it run one at a time, lightest socket first (councils/lanes.py), on
# one connection.
_BACK_OFFICE_THREAD = FairLane("orm-back-office")


@contextmanager
def back_office() -> Iterator[None]:
    """ORM calls made in the block (and by tasks it starts) run on the back-office thread."""
    token = _back_office.set(True)
    try:
        yield
    finally:
        _back_office.reset(token)


def orm_thread_connections_close() -> None:
    """Close both ORM threads' connections (from outside an event loop; waits until done):
    for tests that end every connection as a PostgreSQL restart would. The chat thread is
    asgiref's shared thread-sensitive executor, which consumers use outside an HTTP
    request's own context."""
    from asgiref.sync import SyncToAsync
    from django.db import connections

    for thread in (SyncToAsync.single_thread_executor, _BACK_OFFICE_THREAD):
        thread.submit(connections.close_all).result(timeout=10)


def on_orm_thread(fn: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`fn` as an awaitable on the current lane's ORM thread (stale connections closed
    before and after, as channels' `database_sync_to_async` does)."""
    if _back_office.get():
        return database_sync_to_async(fn, thread_sensitive=False, executor=_BACK_OFFICE_THREAD)
    return database_sync_to_async(fn)


async def in_council(
    council: CouncilRef, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs
) -> R:
    """Await `fn(*args, **kwargs)` on the ORM thread, inside `council`'s schema."""
    return await on_orm_thread(run_in_council_unsafe)(council.schema_name, fn, *args, **kwargs)


async def in_public(fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """Await `fn` on the ORM thread inside the public schema."""
    from django_tenants.utils import get_public_schema_name

    return await on_orm_thread(run_in_council_unsafe)(get_public_schema_name(), fn, *args, **kwargs)


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
