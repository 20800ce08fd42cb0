"""Resolve the council (or partnership, or public site) from the Host header.

One resolver serves both HTTP (Django middleware) and websockets (ASGI middleware), so the
two can never disagree about which council a host belongs to.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from councils.sites import (
    Site,
    site_for_host,
    site_for_host_fresh,
    site_for_host_if_cached,
    site_for_host_refresh_due,
)

logger = logging.getLogger(__name__)

URLCONF_BY_KIND = {
    "council": "COUNCIL_URLCONF",
    "partnership": "PARTNERSHIP_URLCONF",
    "public": "ROOT_URLCONF",
}


class CouncilHostMiddleware:
    """Sets `request.site_ref`, the connection's schema and the urlconf for the host."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        connection.set_schema_to_public()
        site = site_for_host(request.get_host())
        if site is None:
            return JsonResponse(
                {"error": "unknown_host", "detail": "No council or partnership uses this host."},
                status=404,
            )
        request.site_ref = site
        if site.council is not None:
            connection.set_schema(site.council.schema_name)
        request.tenant = connection.tenant
        request.urlconf = getattr(settings, URLCONF_BY_KIND[site.kind])
        return self.get_response(request)


async def reject_websocket(receive, send, code: int, error: str, detail: str) -> None:
    """Accept, say why in one error frame, then close with `code` (see docs/protocol.md).

    Accepting first lets a browser read the code and reason; a refusal before accept would
    reach it only as an anonymous 1006.
    """
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    frame = {"type": "error", "code": error, "detail": detail}
    await send({"type": "websocket.send", "text": json.dumps(frame)})
    await send({"type": "websocket.close", "code": code})


def header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


class WebsocketSiteMiddleware:
    """Puts the resolved `Site` into `scope["site"]`; closes with 4404 on an unknown host."""

    def __init__(self, inner) -> None:
        self.inner = inner
        # host -> the lookup in flight for it: when the cached answer expires, every
        # handshake arriving meanwhile waits for that one lookup instead of queueing its own.
        self.loading: dict[str, asyncio.Future[Site | None]] = {}

    async def site_for(self, host: str) -> Site | None:
        # A cached answer costs no hop through the one ORM thread, which every socket's
        # database work shares: a reconnect storm's handshakes queued behind it (B2). An
        # answer near its expiry is reloaded in the background while it is still served.
        cached, site = site_for_host_if_cached(host)
        if cached:
            if site_for_host_refresh_due(host):
                self.load(host)
            return site
        # shield: a handshake that gives up must not cancel the lookup others wait for
        return await asyncio.shield(self.load(host))

    def load(self, host: str) -> asyncio.Future[Site | None]:
        """The lookup in flight for `host`, started if there is none."""
        loading = self.loading.get(host)
        if loading is None or loading.get_loop() is not asyncio.get_running_loop():
            loading = asyncio.ensure_future(database_sync_to_async(site_for_host_fresh)(host))
            self.loading[host] = loading
            loading.add_done_callback(lambda done: self.loaded(host, done))
        return loading

    def loaded(self, host: str, done: asyncio.Future[Site | None]) -> None:
        self.loading.pop(host, None)
        if not done.cancelled() and done.exception() is not None:
            # a background refresh that failed: the next handshake tries again
            logger.warning("host lookup for %s failed: %r", host, done.exception())

    async def __call__(self, scope, receive, send):
        host = header(scope, b"host") or ""
        site = await self.site_for(host) if host else None
        if site is None:
            return await reject_websocket(
                receive, send, 4404, "unknown_host", "No council or partnership uses this host."
            )
        return await self.inner(dict(scope, site=site), receive, send)
