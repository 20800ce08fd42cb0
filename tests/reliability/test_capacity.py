"""An explicit connection budget (reliability/capacity.py): a request's connection is closed
when it ends, and past HTTP_MAX_CONCURRENCY requests wait, then get 503, never 500."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.db import connection

from reliability.capacity import HttpConcurrencyLimit

pytestmark = pytest.mark.usefixtures("committed")


def http_scope(
    path: str,
    host: bytes = b"alpha.localhost",
    query: bytes = b"",
    method: str = "GET",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> dict:
    """An HTTP scope as daphne gives it, with the Host header before any others."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", host), *(headers or [])],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }


async def get(app, path: str, **kwargs) -> int:
    comm = ApplicationCommunicator(app, http_scope(path, **kwargs))
    await comm.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await comm.receive_output(timeout=30)
    await comm.receive_output(timeout=30)
    await comm.wait(timeout=5)
    return start["status"]


def backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
            [settings.DATABASES["default"]["NAME"]],
        )
        return cursor.fetchone()[0]


async def test_requests_do_not_leave_their_connections_open(councils):
    """Issue 12: CONN_MAX_AGE under ASGI kept a connection per request thread, and 400 config
    requests used up PostgreSQL's 100 connections."""
    from config.asgi import application

    before = await sync_to_async(backends)()
    for page in range(25):
        status = await get(application, "/widget/config", query=f"page_url=/p{page}".encode())
        assert status == 200
    after = await sync_to_async(backends)()
    assert after - before <= 2, (before, after)


async def test_past_the_limit_a_request_waits_then_gets_503_with_retry_after():
    release = asyncio.Event()

    async def slow(scope, receive, send):
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    limited = HttpConcurrencyLimit(slow, limit=2, wait=0.3)
    first = [asyncio.ensure_future(get(limited, "/a")) for _ in range(2)]
    await asyncio.sleep(0.05)
    comm = ApplicationCommunicator(limited, http_scope("/b"))
    await comm.send_input({"type": "http.request", "body": b""})
    start = await comm.receive_output(timeout=5)
    assert start["status"] == 503 and (b"retry-after", b"5") in start["headers"]
    release.set()
    assert await asyncio.gather(*first) == [200, 200]
    assert await get(limited, "/c") == 200  # the slots came back
