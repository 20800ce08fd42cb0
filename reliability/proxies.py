"""The client's address behind load balancers we trust, and only those.

daphne's `--proxy-headers` takes the *first* X-Forwarded-For entry from anyone, so a client
that sends its own header chooses its address and resets every per-address limit (issue 12:
30 of 30 chat starts went through a limit of 10). We run daphne without it and work the
address out here instead: only when the connecting peer is one of TRUSTED_PROXIES do we read
X-Forwarded-For, and then we take the right-most hop that is not a trusted proxy, the last
address a proxy of ours actually saw.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """ "10.0.0.0/8", "192.168.1.5" or "::1" -> networks; a bad entry is a configuration error."""
    networks = []
    for value in values:
        value = value.strip()
        if value:
            try:
                networks.append(ipaddress.ip_network(value, strict=False))
            except ValueError as exc:
                raise ValueError(
                    f"TRUSTED_PROXIES: {value!r} is not an address or network"
                ) from exc
    return tuple(networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "1.2.3.4:5678"
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    parsed = _address(address)
    return parsed is not None and any(parsed in network for network in networks)


def client_address_from(peer: str, forwarded_for: list[str], networks: tuple[Network, ...]) -> str:
    """The right-most address in `forwarded_for` + [peer] that is not a trusted proxy.

    When every hop is trusted, the left-most; when the first untrusted hop is not an address
    (a client wrote rubbish), the trusted hop right of it, which is the best we really know.
    """
    if not is_trusted(peer, networks):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    nearest = peer
    for hop in reversed(hops):
        if not is_trusted(hop, networks):
            parsed = _address(hop)
            return str(parsed) if parsed is not None else nearest
        nearest = hop
    return str(_address(nearest) or nearest)


class TrustedProxyMiddleware:
    """ASGI middleware: `scope["client"]` (Django's REMOTE_ADDR) and `scope["scheme"]` from
    X-Forwarded-For / X-Forwarded-Proto, when the peer is a trusted proxy."""

    def __init__(self, app: Any, trusted: Iterable[str] | None = None) -> None:
        self.app = app
        if trusted is None:
            from django.conf import settings

            trusted = settings.TRUSTED_PROXIES
        self.networks = parse_networks(trusted)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if self.networks and scope["type"] in ("http", "websocket") and scope.get("client"):
            scope = self.rewrite(scope)
        return await self.app(scope, receive, send)

    def rewrite(self, scope: dict[str, Any]) -> dict[str, Any]:
        peer = scope["client"][0]
        if not is_trusted(peer, self.networks):
            return scope
        forwarded, proto = [], None
        for name, value in scope.get("headers", ()):
            if name == b"x-forwarded-for":
                forwarded.append(value.decode("latin-1"))
            elif name == b"x-forwarded-proto":
                proto = value.decode("latin-1").split(",")[-1].strip().lower()
        scope = dict(scope, client=(client_address_from(peer, forwarded, self.networks), 0))
        if proto in ("http", "https"):
            secure = proto == "https"
            if scope["type"] == "websocket":
                scope["scheme"] = "wss" if secure else "ws"
            else:
                scope["scheme"] = proto
        return scope
