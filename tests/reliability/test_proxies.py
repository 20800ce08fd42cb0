"""The client address behind trusted proxies only (reliability/proxies.py)."""

from __future__ import annotations

import json

import pytest
from asgiref.testing import ApplicationCommunicator
from django_tenants.utils import schema_context

from chat.models import Conversation
from reliability.proxies import TrustedProxyMiddleware, client_address_from, parse_networks

LB = parse_networks(["10.0.0.0/8", "192.168.1.5"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.9", ["1.2.3.4"], "203.0.113.9"),  # not a proxy of ours: header ignored
        ("10.0.0.2", ["1.2.3.4"], "1.2.3.4"),
        ("10.0.0.2", ["6.6.6.6, 1.2.3.4"], "1.2.3.4"),  # the client wrote 6.6.6.6 itself
        ("10.0.0.2", ["6.6.6.6, 1.2.3.4, 192.168.1.5"], "1.2.3.4"),  # two proxies of ours
        ("10.0.0.2", ["6.6.6.6", "1.2.3.4"], "1.2.3.4"),  # repeated headers: in order
        ("10.0.0.2", [], "10.0.0.2"),
        ("10.0.0.2", ["rubbish, 10.0.0.7"], "10.0.0.7"),
        ("10.0.0.2", ["[2001:db8::1]:443"], "2001:db8::1"),
    ],
)
def test_the_client_is_the_right_most_hop_that_is_not_a_trusted_proxy(peer, forwarded, client):
    assert client_address_from(peer, forwarded, LB) == client


def test_a_bad_trusted_proxies_entry_is_a_configuration_error():
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        parse_networks(["10.0.0.0/8", "the load balancer"])


async def seen_scope(peer: str, headers: list[tuple[bytes, bytes]], kind: str = "http") -> dict:
    seen = {}

    async def app(scope, receive, send):
        seen.update(scope)

    middleware = TrustedProxyMiddleware(app, trusted=["10.0.0.0/8"])
    scope = {"type": kind, "client": (peer, 5000), "headers": headers, "scheme": "http"}
    await ApplicationCommunicator(middleware, scope).wait(timeout=2)
    return seen


async def test_behind_a_trusted_proxy_the_scope_carries_the_client_and_the_scheme():
    scope = await seen_scope(
        "10.1.2.3", [(b"x-forwarded-for", b"6.6.6.6, 1.2.3.4"), (b"x-forwarded-proto", b"https")]
    )
    assert scope["client"] == ("1.2.3.4", 0) and scope["scheme"] == "https"
    socket = await seen_scope("10.1.2.3", [(b"x-forwarded-proto", b"https")], kind="websocket")
    assert socket["scheme"] == "wss"


async def test_from_an_untrusted_peer_the_headers_change_nothing():
    scope = await seen_scope(
        "203.0.113.9", [(b"x-forwarded-for", b"1.2.3.4"), (b"x-forwarded-proto", b"https")]
    )
    assert scope["client"] == ("203.0.113.9", 5000) and scope["scheme"] == "http"


async def asgi_post(path: str, body: dict, headers: list[tuple[bytes, bytes]], peer: str) -> int:
    from config.asgi import application

    raw = json.dumps(body).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), *headers],
        "client": (peer, 5000),
        "server": ("127.0.0.1", 8000),
    }
    comm = ApplicationCommunicator(application, scope)
    await comm.send_input({"type": "http.request", "body": raw, "more_body": False})
    start = await comm.receive_output(timeout=20)
    await comm.receive_output(timeout=20)
    return start["status"]


@pytest.mark.usefixtures("staffed")
async def test_a_client_set_forwarded_for_does_not_reset_the_per_address_limit(councils, settings):
    """Issue 12: 30 of 30 chat starts went through a limit of 10 by changing the header."""
    settings.WIDGET_RATE_LIMITS = {**settings.WIDGET_RATE_LIMITS, "chat": "3/600"}
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    statuses = []
    for attempt in range(5):
        forged = f"198.51.100.{attempt}".encode()
        statuses.append(
            await asgi_post(
                "/widget/conversations",
                {"name": f"Jo {attempt}", "message": "Hello"},
                [(b"host", b"alpha.localhost"), (b"x-forwarded-for", forged)],
                peer="203.0.113.77",
            )
        )
    assert statuses == [201, 201, 201, 429, 429]

    def stored() -> int:
        with schema_context(councils.alpha.schema_name):
            return Conversation.objects.count()

    from asgiref.sync import sync_to_async

    assert await sync_to_async(stored)() == 3
