"""Sign-in for `make demo`: what a demo needs that a council would not choose.

- Demo councils let their admins (alex) sign in with the demo password alone, so the demo and
  scripts/smoke_demo.py work without an authenticator app. A real council keeps the default:
  two-factor for council admins (and single sign-on when it connects its provider).
- The partnership manager always uses two-factor, in the demo too: the seed enrols an
  authenticator key (kept across runs) and prints it with fresh one-use recovery codes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django_otp.plugins.otp_totp.models import TOTPDevice

from staffauth.models import SignInSettings
from staffauth.twofactor import APP_DEVICE, new_recovery_codes, secret_base32


@dataclass(frozen=True)
class DemoTwoFactor:
    secret: str
    recovery_codes: list[str]


def demo_council_sign_in() -> None:
    """Run in a demo council's schema; what an admin has changed since is kept."""
    SignInSettings.objects.get_or_create(
        pk=1, defaults={"two_factor_for_admins": False, "two_factor_for_operators": False}
    )


def demo_manager_two_factor(user) -> DemoTwoFactor:
    """Run in public: the manager's authenticator key (kept) and new recovery codes."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE, confirmed=True)
    return DemoTwoFactor(secret=secret_base32(device), recovery_codes=new_recovery_codes(user))
