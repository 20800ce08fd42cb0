"""Client secrets of councils' identity providers, encrypted at rest with Fernet.

Keys come from SSO_FERNET_KEYS (the first encrypts; all decrypt, so a key can be rotated by
putting the new one first). Development without keys derives one from SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _fernet() -> MultiFernet:
    keys = list(settings.SSO_FERNET_KEYS)
    if not keys:
        if not settings.DEBUG:
            raise ImproperlyConfigured(
                "Set SSO_FERNET_KEYS to store identity-provider secrets (docs/security.md)."
            )
        digest = hashlib.sha256(("sso-secrets:" + settings.SECRET_KEY).encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


def encrypt_secret(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt_secret(token: str) -> str:
    """Raises ValueError when no configured key opens it (a lost or wrong key)."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError(
            "The stored client secret cannot be decrypted with SSO_FERNET_KEYS."
        ) from exc
