"""Access tokens at rest: Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`.

The key is SOCIAL_TOKEN_KEY, or in development one derived from SECRET_KEY. A database
dump or an export therefore holds only ciphertext; the key lives in the environment.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(key: str, secret_key: str) -> Fernet:
    if key:
        return Fernet(key.encode())
    derived = hashlib.sha256(b"councilchat-social-token:" + secret_key.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def fernet() -> Fernet:
    return _fernet(settings.SOCIAL_TOKEN_KEY, settings.SECRET_KEY)


def token_encrypt(token: str) -> bytes:
    return fernet().encrypt(token.encode()) if token else b""


def token_decrypt(ciphertext: bytes) -> str:
    """The token, or "" when none is stored or the key changed (the admin says so)."""
    if not ciphertext:
        return ""
    try:
        return fernet().decrypt(ciphertext).decode()
    except InvalidToken:
        return ""
