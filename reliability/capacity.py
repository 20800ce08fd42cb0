"""An explicit PostgreSQL connection budget per web process.

Under ASGI every HTTP request runs in a thread of its own (Django's ThreadSensitiveContext),
so a persistent connection (CONN_MAX_AGE > 0) opened by a request is never reused: it just
stays open until its thread's objects are collected. 400 anonymous `/widget/config` requests,
16 at a time, used up PostgreSQL's 100 connections that way (issue 12). So:

* a request's connections are closed when the request finishes (`close_request_connections`);
* at most HTTP_MAX_CONCURRENCY requests per process are inside Django at once
  (`HttpConcurrencyLimit`); the rest wait up to HTTP_QUEUE_WAIT_SECONDS, then get a 503 with
  Retry-After, never a 500;
* the consumers' two ORM threads (councils/tenancy.py) keep their persistent connections:
  measured here, a pooled connection (Django's psycopg pool, which django-tenants supports
  but must re-issue `SET search_path` on every checkout) cost 550-1,270 us per consumer ORM
  call against 350-480 us persistent, on the threads every socket's database work queues
  behind.

A web process therefore holds at most HTTP_MAX_CONCURRENCY + 2 connections
(docs/operations.md has the budget for a deployment).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from django.db import connections

logger = logging.getLogger(__name__)


def close_request_connections(**kwargs: Any) -> None:
    """request_finished receiver: this request's thread will never run another request."""
    connections.close_all()


class HttpConcurrencyLimit:
    """ASGI middleware for Django's HTTP app: at most `limit` requests at once."""

    def __init__(self, app: Any, limit: int | None = None, wait: float | None = None) -> None:
        from django.conf import settings

        self.app = app
        self.limit = settings.HTTP_MAX_CONCURRENCY if limit is None else limit
        self.wait = settings.HTTP_QUEUE_WAIT_SECONDS if wait is None else wait
        self._semaphores: dict[int, asyncio.Semaphore] = {}

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(id(loop))
        if semaphore is None:
            semaphore = self._semaphores[id(loop)] = asyncio.Semaphore(self.limit)
        return semaphore

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.limit <= 0:
            return await self.app(scope, receive, send)
        semaphore = self._semaphore()
        try:
            await asyncio.wait_for(semaphore.acquire(), timeout=self.wait)
        except TimeoutError:
            return await self.busy(send)
        try:
            return await self.app(scope, receive, send)
        finally:
            semaphore.release()

    async def busy(self, send: Any) -> None:
        logger.warning("HTTP request refused with 503: %s requests already in progress", self.limit)
        body = json.dumps(
            {"error": "busy", "detail": "The service is busy. Please try again.", "retry": True}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"retry-after", b"5"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
