"""Writes that partnership managers make for a council, from the public schema."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django_tenants.utils import schema_context

from staffauth.models import StaffAccount
from staffauth.roles import COUNCIL_ADMINS


def break_glass_account_reset(*, schema_name: str, username: str = "break-glass") -> str:
    """Create (or give a new password to) the council's break-glass admin; returns the
    password, which is shown once to the partnership manager and stored only hashed."""
    password = secrets.token_urlsafe(18)
    with schema_context(schema_name), transaction.atomic():
        user, _ = get_user_model().objects.get_or_create(
            username=username, defaults={"is_staff": True}
        )
        user.is_staff = True
        user.is_active = True
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name=COUNCIL_ADMINS))
        StaffAccount.objects.update_or_create(user=user, defaults={"break_glass": True})
    return password
