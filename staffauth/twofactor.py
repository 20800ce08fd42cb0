"""Two-factor for password sign-ins, on django-otp's devices: an authenticator app (TOTP)
and one-use recovery codes. Devices live in the user's own schema, like the user."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import segno
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODES = 10
APP_DEVICE = "Authenticator app"
RECOVERY_DEVICE = "Recovery codes"


def has_two_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_app_device(user) -> TOTPDevice:
    """The unconfirmed authenticator device being set up (one per user, reused on reload)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE, confirmed=False)


def secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it when typed in."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG QR code (no image request, no third party)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=4, title="QR code")


@transaction.atomic
def confirm_app_device(user, token: str) -> list[str] | None:
    """A correct code from the app confirms it; returns new recovery codes (shown once)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token((token or "").strip()):
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_recovery_codes(user)


@transaction.atomic
def new_recovery_codes(user) -> list[str]:
    """Replaces the user's recovery codes; each works once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def setup_waiting_after_wrong_code(user) -> bool:
    """django-otp's throttle: after a wrong code the next is not checked for a while
    (1 s, then 2, 4, ...), so codes cannot be guessed quickly."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device is not None and not device.verify_is_allowed()[0]


@dataclass(frozen=True)
class Verification:
    device: object | None  # the device that accepted the code
    throttled: bool  # no device checked it: each waits after recent wrong codes


def verify_second_factor(user, token: str) -> Verification:
    """An app code, or a recovery code (used up), checked against the user's devices.

    django-otp's throttle (growing delays after wrong codes) applies per device; a device
    still waiting does not check the code at all.
    """
    token = (token or "").strip().replace(" ", "")
    throttled = False
    if not token:
        return Verification(None, False)
    with transaction.atomic():
        for model in (TOTPDevice, StaticDevice):
            for device in model.objects.select_for_update().filter(user=user, confirmed=True):
                if not device.verify_is_allowed()[0]:
                    throttled = True
                elif device.verify_token(token):
                    return Verification(device, False)
    return Verification(None, throttled)


def remove_two_factor(user) -> None:
    """An admin's reset for someone who lost their phone and codes: they enrol again."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
