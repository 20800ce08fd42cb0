"""Meta's webhook signature: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(raw body)>`."""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


def signature_for(body: bytes, secret: str) -> str:
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, header: str | None, secret: str) -> bool:
    """True only for the exact signature of these bytes with this (non-empty) secret.

    Compared in constant time over the whole header value, so neither a wrong prefix
    (`sha1=`), nor case, nor length tells an attacker anything by timing.
    """
    if not secret or not header:
        return False
    expected = signature_for(body, secret).encode()
    try:
        given = header.encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected, given)
