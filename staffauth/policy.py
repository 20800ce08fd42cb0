"""Reads of the sign-in rules for the schema the connection is on (a council's or public)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from staffauth.models import SignInSettings, StaffAccount
from staffauth.roles import COUNCIL_ADMINS


def on_public_schema() -> bool:
    return connection.schema_name == settings.PUBLIC_SCHEMA_NAME


def sign_in_settings() -> SignInSettings:
    """The council's row, or an unsaved one with the defaults (never written by a read)."""
    if not on_public_schema():
        row = SignInSettings.objects.filter(pk=1).first()
        if row is not None:
            return row
    return SignInSettings(pk=1, two_factor_for_admins=settings.COUNCIL_ADMINS_TWO_FACTOR_DEFAULT)


@dataclass(frozen=True)
class SessionLimits:
    idle_seconds: int
    absolute_seconds: int


def session_limits() -> SessionLimits:
    if on_public_schema():
        return SessionLimits(
            settings.STAFF_SESSION_IDLE_MINUTES * 60, settings.STAFF_SESSION_ABSOLUTE_HOURS * 3600
        )
    row = sign_in_settings()
    if row._state.adding:  # no row of the council's own: the deployment's defaults
        return SessionLimits(
            settings.STAFF_SESSION_IDLE_MINUTES * 60, settings.STAFF_SESSION_ABSOLUTE_HOURS * 3600
        )
    return SessionLimits(row.idle_minutes * 60, row.absolute_hours * 3600)


def is_council_admin(user) -> bool:
    return bool(user.is_superuser or user.groups.filter(name=COUNCIL_ADMINS).exists())


def two_factor_required(user, rules: SignInSettings | None = None) -> bool:
    """Whether a password sign-in by `user` needs a second factor here."""
    if on_public_schema():
        return settings.PARTNERSHIP_MANAGERS_TWO_FACTOR
    rules = rules or sign_in_settings()
    if is_council_admin(user):
        return rules.two_factor_for_admins
    return rules.two_factor_for_operators


def is_break_glass(user) -> bool:
    return StaffAccount.objects.filter(user=user, break_glass=True).exists()
