"""Malformed widget POSTs refused on the event loop, before Django (issue 12).

The widget's public POSTs (start a chat, leave an enquiry, rate, ask for the transcript,
end) take JSON from anyone. Through Django under daphne a refused body still costs about
6.5 ms of the process's CPU (a request thread, the middleware, the view) against about
1.5 ms for daphne's own handling: a client sending malformed bodies as fast as they are
answered held one process at a full core, and a healthy chat on it waited 50-70 ms per
message instead of 12 (the soak's healthy-chat p99 went to 3.5x its quiet value).

So a POST to one of those paths, on a council or partnership host this process already
knows, from an origin the council allows, with a body of at most `EDGE_MAX_BODY` bytes,
is parsed and checked here with the endpoint's schema, by the same `parse_checked` the
view calls. A body that fails is answered here with the view's own 400 (same body, same
CORS and security headers: tests/widgets/test_edge.py compares the two). Anything else,
valid bodies included, goes on to Django unchanged, which checks again and does the rest:
this is a cheaper door for refusals, never a second set of rules.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.http.request import split_domain_port, validate_host

from councils.sites import site_for_host_if_cached
from reliability.validation import InvalidInput, parse_checked
from widgets import schemas
from widgets.cors import cors_headers, origin_allowed

# Bigger bodies go to Django: parsing them here would hold the event loop.
EDGE_MAX_BODY = 64 * 1024

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# The JSON POSTs of widgets/urls.py and the schema each view checks its body against.
JSON_POSTS: list[tuple[re.Pattern[str], dict[str, Any]]] = [
    (re.compile(r"/widget/conversations"), schemas.CHAT_START),
    (re.compile(r"/widget/enquiries"), schemas.ENQUIRY),
    (re.compile(rf"/widget/conversations/{_UUID}/rating"), schemas.RATING),
    (re.compile(rf"/widget/conversations/{_UUID}/transcript"), schemas.TRANSCRIPT),
    (re.compile(rf"/widget/conversations/{_UUID}/end"), schemas.END),
]


def invalid_body(refused: InvalidInput) -> dict[str, Any]:
    """The 400 body for a refused widget POST (the view's and the edge's)."""
    return {"error": "invalid_input", "detail": refused.detail, "errors": refused.as_errors()}


def schema_for(path: str) -> dict[str, Any] | None:
    for pattern, schema in JSON_POSTS:
        if pattern.fullmatch(path):
            return schema
    return None


def _headers(scope: dict[str, Any]) -> dict[bytes, bytes]:
    """The request's headers (the first of each name, as Django's META keeps the last; a
    request with a header twice is passed on to Django, below)."""
    found: dict[bytes, bytes] = {}
    for name, value in scope.get("headers", ()):
        found.setdefault(name.lower(), value)
    return found


def _is_secure(scope: dict[str, Any], headers: dict[bytes, bytes]) -> bool:
    if scope.get("scheme") == "https":
        return True
    proxy = settings.SECURE_PROXY_SSL_HEADER
    if not proxy:
        return False
    name = proxy[0].removeprefix("HTTP_").lower().replace("_", "-").encode()
    return headers.get(name, b"").decode("latin-1").split(",")[0].strip() == proxy[1]


def security_headers(secure: bool) -> dict[str, str]:
    """What SecurityMiddleware, django-csp and XFrameOptionsMiddleware add to a JSON 400."""
    from csp.utils import build_policy

    found = {"X-Frame-Options": settings.X_FRAME_OPTIONS}
    policy = build_policy()
    if policy:
        found["Content-Security-Policy"] = policy
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        found["X-Content-Type-Options"] = "nosniff"
    if settings.SECURE_REFERRER_POLICY:
        found["Referrer-Policy"] = settings.SECURE_REFERRER_POLICY
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        found["Cross-Origin-Opener-Policy"] = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
    if secure and settings.SECURE_HSTS_SECONDS:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
            hsts += "; includeSubDomains"
        if settings.SECURE_HSTS_PRELOAD:
            hsts += "; preload"
        found["Strict-Transport-Security"] = hsts
    return found


def refuse_malformed_widget_posts(app):
    """ASGI middleware in front of Django's HTTP app (config/asgi.py)."""

    async def edge(scope: dict[str, Any], receive, send) -> None:
        schema = (
            schema_for(scope.get("path", ""))
            if scope["type"] == "http" and scope.get("method") == "POST"
            else None
        )
        if schema is None:
            return await app(scope, receive, send)
        headers = _headers(scope)
        site = _known_site(headers)
        secure = _is_secure(scope, headers)
        origin = headers.get(b"origin")
        origin_text = origin.decode("latin-1") if origin is not None else None
        length = headers.get(b"content-length", b"")
        if (
            site is None
            or (settings.SECURE_SSL_REDIRECT and not secure)
            or not origin_allowed(site, origin_text)
            or not length.isdigit()
            or int(length) > EDGE_MAX_BODY
            or _repeated(scope, (b"origin", b"host", b"content-length"))
        ):
            return await app(scope, receive, send)
        body, more = await _read_body(receive, EDGE_MAX_BODY)
        if body is None:  # the client went away
            return
        if not more:
            try:
                parse_checked(body or b"null", schema)
            except InvalidInput as refused:
                return await _answer(send, refused, site, origin_text, secure)
        return await app(scope, _replay(body, more, receive), send)

    return edge


def _known_site(headers: dict[bytes, bytes]):
    """The council or partnership site this process has cached for the Host, if the host is
    allowed; None sends the request on to Django (which loads, or refuses, it)."""
    host = headers.get(b"host", b"").decode("latin-1")
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    cached, site = site_for_host_if_cached(host)
    if not cached or site is None or (site.council is None and site.partnership is None):
        return None
    return site


def _repeated(scope: dict[str, Any], names: tuple[bytes, ...]) -> bool:
    seen: list[bytes] = [name.lower() for name, _ in scope.get("headers", ())]
    return any(seen.count(name) > 1 for name in names)


async def _read_body(receive, limit: int) -> tuple[bytes | None, bool]:
    """(the body read so far, whether more is coming): at most `limit` bytes are read here."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None, False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        more = bool(message.get("more_body"))
        if not more or size > limit:
            return b"".join(chunks), more


def _replay(body: bytes, more: bool, receive):
    """A `receive` that gives Django the bytes read here first, then the rest."""
    sent = False

    async def replayed() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replayed


async def _answer(send, refused: InvalidInput, site, origin: str | None, secure: bool) -> None:
    content = json.dumps(invalid_body(refused)).encode()
    headers = {
        "Content-Type": "application/json",
        **cors_headers(site, origin),
        "Content-Length": str(len(content)),
        **security_headers(secure),
    }
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        }
    )
    await send({"type": "http.response.body", "body": content})
