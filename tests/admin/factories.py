"""Council admins and operators in their roles, and logged-in admin clients."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django_tenants.utils import schema_context

from councils.onboarding import COUNCIL_ADMINS, OPERATORS
from councils.sites import CouncilRef
from tests.factories import PASSWORD, operator_in


def member_of(council: CouncilRef, username: str, role: str, **extra):
    """The council's user `username`, in exactly the group `role`, not a superuser."""
    ref = operator_in(council, username, **extra)
    with schema_context(council.schema_name):
        user = get_user_model().objects.get(pk=ref.id)
        user.groups.set([Group.objects.get(name=role)])
    return ref


def council_admin(council: CouncilRef, username: str = "chief"):
    return member_of(council, username, COUNCIL_ADMINS)


def operator(council: CouncilRef, username: str = "sam"):
    return member_of(council, username, OPERATORS)


def admin_client(council: CouncilRef, username: str) -> Client:
    client = Client(HTTP_HOST=council.hosts[0])
    response = client.post("/admin/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:1000]
    return client
