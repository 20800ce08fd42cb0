"""Counters inside a served process, read over HTTP at `/__bench__/stats`.

What is counted, and how (see docs/performance.md, "How statements are counted"):

* `db_connections`: new PostgreSQL connections (Django's `connection_created` signal).
* `statements`: statements run through Django's cursor (`connection.execute_wrapper`,
  installed on every new connection).
* `set_search_path`: `SET search_path` statements actually sent. django-tenants sends them
  on the raw psycopg cursor, beneath Django's execute wrappers, so we wrap its
  `_handle_search_path`: it stores a fresh list in `search_path_set_schemas` exactly when
  it has sent one, and leaves the old list when `TENANT_LIMIT_SET_CALLS` skips it.
* `orm_calls` / `orm_busy_s`: calls through `database_sync_to_async` (each one a checkout
  of the thread's connection: channels closes old connections before and after) and the
  time the ORM thread spent in them.
"""

from __future__ import annotations

import collections
import json
import os
import threading
import time
from typing import Any

COUNTS: dict[str, float] = {
    "db_connections": 0,
    "statements": 0,
    "set_search_path": 0,
    "orm_calls": 0,
    "orm_busy_s": 0.0,
}
_lock = threading.Lock()
# With BENCH_SQL_SHAPES=1, the first words of every statement are tallied too (for finding
# what runs; costs a little per statement, so off in measured runs).
SQL_SHAPES: collections.Counter[str] = collections.Counter()
TALLY_SHAPES = os.environ.get("BENCH_SQL_SHAPES") == "1"


def bump(name: str, amount: float = 1) -> None:
    with _lock:
        COUNTS[name] += amount


def install() -> None:
    """Patch once per process; call after django.setup()."""
    from channels.db import DatabaseSyncToAsync
    from django.db.backends.signals import connection_created
    from django_tenants.postgresql_backend.base import DatabaseWrapper

    def count_statement(execute, sql, params, many, context):
        bump("statements")
        if TALLY_SHAPES:
            with _lock:
                SQL_SHAPES[" ".join(sql.split())[:120]] += 1
        return execute(sql, params, many, context)

    def on_connection(sender, connection, **kwargs) -> None:
        bump("db_connections")
        if count_statement not in connection.execute_wrappers:
            connection.execute_wrappers.append(count_statement)

    connection_created.connect(on_connection, weak=False)

    original_search_path = DatabaseWrapper._handle_search_path

    def handle_search_path(self, cursor=None):
        before = self.search_path_set_schemas
        try:
            return original_search_path(self, cursor)
        finally:
            after = self.search_path_set_schemas
            if after is not None and after is not before:
                bump("set_search_path")

    DatabaseWrapper._handle_search_path = handle_search_path

    original_thread_handler = DatabaseSyncToAsync.thread_handler

    def thread_handler(self, loop, *args, **kwargs):
        started = time.perf_counter()
        try:
            return original_thread_handler(self, loop, *args, **kwargs)
        finally:
            with _lock:
                COUNTS["orm_calls"] += 1
                COUNTS["orm_busy_s"] += time.perf_counter() - started

    DatabaseSyncToAsync.thread_handler = thread_handler


def snapshot() -> dict[str, Any]:
    with _lock:
        counts = dict(COUNTS)
    counts["pid"] = os.getpid()
    if TALLY_SHAPES:
        counts["sql_shapes"] = SQL_SHAPES.most_common(15)
    return counts


def task_census(limit: int = 12) -> dict[str, Any]:
    """Where this loop's tasks are waiting: the innermost awaited frame of each, counted.

    Read during a storm to see what holds consumers that should already have ended.
    """
    import asyncio

    places: collections.Counter[str] = collections.Counter()
    states: collections.Counter[str] = collections.Counter()
    for task in asyncio.all_tasks():
        states["cancelling" if task.cancelling() else "running"] += 1
        chain, coro = [], task.get_coro()
        while coro is not None:
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
            if frame is not None:
                name = frame.f_code.co_filename.rsplit("/", 2)[-1]
                chain.append(f"{name}:{frame.f_lineno} {frame.f_code.co_name}")
            coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
        places[" > ".join(chain[-4:]) or "?"] += 1
    total = sum(states.values())
    return {"tasks": total, "states": dict(states), "places": places.most_common(limit)}


def stats_http(inner):
    """An ASGI HTTP app answering `/__bench__/stats`; everything else goes to `inner`
    (or gets a plain 200 when there is no inner app)."""

    async def app(scope, receive, send):
        if scope["path"] in ("/__bench__/stats", "/__bench__/tasks") or inner is None:
            data = task_census() if scope["path"] == "/__bench__/tasks" else snapshot()
            body = json.dumps(data).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return None
        return await inner(scope, receive, send)

    return app
