"""Failed sign-ins: lock one account after a few, throttle one address only after many.

django-axes was the first choice, but it has one failure limit for every lockout parameter
(jazzband/django-axes#661: different limits for username and address need a handler of
one's own), and a contact centre behind one address needs the address limit far above the
account limit. So this is a small implementation on two tables in the schema of the host
(a council's, or public for managers): no cache key or table is shared between councils.

A lock is refused before the password is checked, so a locked account is no oracle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from staffauth.models import AccountLock, LoginFailure

KEEP_FAILURES = timedelta(days=1)


@dataclass(frozen=True)
class Refusal:
    reason: str  # "account_locked" | "address_throttled"
    until: datetime | None = None


def _normal(username: str) -> str:
    return (username or "").strip().lower()[:150]


def sign_in_refusal(username: str, address: str | None) -> Refusal | None:
    """Why a sign-in for `username` from `address` is refused before checking it, if it is."""
    now = timezone.now()
    lock = AccountLock.objects.filter(username=_normal(username), locked_until__gt=now).first()
    if lock is not None:
        return Refusal("account_locked", lock.locked_until)
    return address_refusal(address)


@transaction.atomic
def record_failure(username: str, address: str | None) -> Refusal | None:
    """Count a failed sign-in; returns the lock when this one locked the account."""
    now = timezone.now()
    name = _normal(username)
    LoginFailure.objects.filter(at__lt=now - KEEP_FAILURES).delete()
    LoginFailure.objects.create(username=name, address=address or None, at=now)
    window = now - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    if LoginFailure.objects.filter(username=name, at__gt=window).count() < (
        settings.LOGIN_FAILURES_PER_ACCOUNT
    ):
        return None
    until = now + timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    AccountLock.objects.update_or_create(
        username=name, defaults={"locked_at": now, "locked_until": until}
    )
    # The failures that caused the lock are spent: after it ends, the count starts afresh.
    LoginFailure.objects.filter(username=name).update(username="")
    return Refusal("account_locked", until)


def record_address_failure(address: str | None) -> None:
    """A failure tied to no account (a wrong set-password link): counts for the address."""
    now = timezone.now()
    LoginFailure.objects.filter(at__lt=now - KEEP_FAILURES).delete()
    LoginFailure.objects.create(username="", address=address or None, at=now)


def address_refusal(address: str | None) -> Refusal | None:
    if not address:
        return None
    window = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    if LoginFailure.objects.filter(address=address, at__gt=window).count() >= (
        settings.LOGIN_FAILURES_PER_ADDRESS
    ):
        return Refusal("address_throttled")
    return None


def record_success(username: str) -> None:
    LoginFailure.objects.filter(username=_normal(username)).update(username="")


@transaction.atomic
def unlock(username: str) -> bool:
    """An admin's unlock: the lock and the account's counted failures go."""
    name = _normal(username)
    LoginFailure.objects.filter(username=name).update(username="")
    deleted, _ = AccountLock.objects.filter(username=name).delete()
    return bool(deleted)


def locked_usernames() -> list[str]:
    return list(
        AccountLock.objects.filter(locked_until__gt=timezone.now()).values_list(
            "username", flat=True
        )
    )
