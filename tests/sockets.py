"""Helpers for driving the real ASGI application's websockets in tests."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django_tenants.utils import schema_context

from config.asgi import application
from councils.sites import CouncilRef


def visitor_socket(
    conversation,
    token: str | None,
    *,
    host: str,
    origin: str | None = "auto",
    after_seq: int | str | None = None,
) -> WebsocketCommunicator:
    path = f"/ws/visitor/{conversation}/" + (f"?token={token}" if token is not None else "")
    if after_seq is not None:
        path += f"&after_seq={after_seq}"
    headers = [(b"host", host.encode())]
    if origin == "auto":
        origin = f"http://{host}"
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return WebsocketCommunicator(application, path, headers=headers)


def operator_socket(
    council: CouncilRef,
    session_key: str | None,
    *,
    host: str | None = None,
    origin: str | None = None,
) -> WebsocketCommunicator:
    host = host or council.hosts[0]
    headers = [(b"host", host.encode()), (b"origin", (origin or f"http://{host}").encode())]
    if session_key:
        headers.append((b"cookie", f"sessionid={session_key}".encode()))
    return WebsocketCommunicator(application, "/ws/operator/", headers=headers)


def login_session_unsafe(council: CouncilRef, username: str) -> str:
    """A real session for `username` in `council`'s schema; returns the cookie value."""
    from django.contrib.auth import get_user_model

    with schema_context(council.schema_name):
        client = Client(HTTP_HOST=council.hosts[0])
        client.force_login(get_user_model().objects.get(username=username))
        return client.cookies["sessionid"].value


login_session = sync_to_async(login_session_unsafe)


async def open_socket(comm: WebsocketCommunicator) -> dict[str, Any]:
    """Connect and return the first frame (hello, or the refusal's error frame)."""
    connected, _ = await comm.connect(timeout=5)
    assert connected
    return await comm.receive_json_from(timeout=5)


async def joined_visitor(chat, host: str | None = None) -> WebsocketCommunicator:
    """A visitor socket for a started chat, connected and past its hello."""
    comm = visitor_socket(chat.id, chat.token, host=host or chat.council.hosts[0])
    hello = await open_socket(comm)
    assert hello["type"] == "hello", hello
    if hello["status"] == "queued":  # a queued chat hears its position straight after hello
        assert (await comm.receive_json_from(timeout=5))["type"] == "queue"
    return comm


async def expect_refused(comm: WebsocketCommunicator, close_code: int, error: str) -> None:
    first = await open_socket(comm)
    assert first["type"] == "error"
    assert first["code"] == error
    closing = await comm.receive_output(timeout=5)
    assert closing == {"type": "websocket.close", "code": close_code}
    await comm.disconnect()  # lets the consumer finish inside this test's event loop


async def next_of_type(comm: WebsocketCommunicator, frame_type: str, timeout: float = 5) -> dict:
    """Skip frames until one of `frame_type` arrives (e.g. past system messages)."""
    while True:
        frame = await comm.receive_json_from(timeout=timeout)
        if frame["type"] == frame_type:
            return frame


async def frames_until(comm: WebsocketCommunicator, predicate, timeout: float = 5) -> list[dict]:
    seen = []
    while True:
        frame = await comm.receive_json_from(timeout=timeout)
        seen.append(frame)
        if predicate(frame):
            return seen


async def drain(comm: WebsocketCommunicator, quiet_for: float = 0.5) -> list[dict]:
    """Every frame that arrives until the socket has been quiet for `quiet_for` seconds."""
    frames = []
    while not await comm.receive_nothing(timeout=quiet_for):
        frames.append(await comm.receive_json_from())
    return frames
