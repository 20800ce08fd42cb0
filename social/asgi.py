"""An ASGI guard in front of Django for POST /webhooks/meta: bodies over the limit get 413
without being read to the end.

Django's ASGI handler reads a whole request body into a spooled file before any view
runs, so a view cannot refuse a huge body early. This reads at most limit + 1 bytes of
that one path, answers 413 past it (by Content-Length first), and hands Django the bytes
it read as one message.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

WEBHOOK_PATH = "/webhooks/meta"


def webhook_body_limit(app):
    async def guarded(scope: dict[str, Any], receive, send) -> None:
        if not (
            scope["type"] == "http"
            and scope.get("method") == "POST"
            and scope.get("path", "").rstrip("/") == WEBHOOK_PATH
        ):
            return await app(scope, receive, send)
        limit = settings.SOCIAL_WEBHOOK_MAX_BYTES
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and (not value.isdigit() or int(value) > limit):
                return await _refuse(send)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return await _refuse(send)
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        replayed = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return replayed
            return await receive()

        return await app(scope, replay, send)

    return guarded


async def _refuse(send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"text/plain"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": b"Too large."})
