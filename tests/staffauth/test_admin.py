"""Partnership managers set up a council's staff sign-in and hold its break-glass account."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, override_settings
from django_tenants.utils import schema_context

from staffauth.models import SignInSettings, StaffAccount
from staffauth.secrets import decrypt_secret
from tests.factories import PASSWORD
from tests.staffauth.conftest import password_login, sign_in_rules

pytestmark = pytest.mark.usefixtures("signin")


@pytest.fixture
def manager_client(signin) -> Client:
    connection.set_schema_to_public()
    manager, _ = get_user_model().objects.update_or_create(
        username="pm-sso", defaults={"is_staff": True, "is_superuser": True}
    )
    manager.set_password(PASSWORD)
    manager.save()
    client = Client(HTTP_HOST="localhost")
    with override_settings(PARTNERSHIP_MANAGERS_TWO_FACTOR=False):
        assert password_login(client, "pm-sso", PASSWORD).status_code == 302
    return client


def test_a_manager_enters_a_councils_provider_and_only_that_council_gets_it(
    councils, manager_client
):
    url = f"/admin/staffauth/councilsignin/{councils.beta.id}/change/"
    page = manager_client.get(url)
    assert page.status_code == 200 and b"beta.localhost/auth/sso/callback/" in page.content
    response = manager_client.post(
        url,
        {
            "mode": "password",
            "two_factor_for_admins": "on",
            "idle_minutes": 30,
            "absolute_hours": 12,
            "sso_enabled": "on",
            "provider_name": "Microsoft",
            "issuer": "https://login.microsoftonline.com/0000/v2.0",
            "client_id": "beta-app",
            "client_secret": "s3cret-value",
            "roles_claim": "groups",
            "role_mapping": "",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    with schema_context(councils.beta.schema_name):
        rules = SignInSettings.objects.get()
        assert rules.client_id == "beta-app"
        assert "s3cret-value" not in rules.client_secret_encrypted
        assert decrypt_secret(rules.client_secret_encrypted) == "s3cret-value"
    with schema_context(councils.alpha.schema_name):
        assert not SignInSettings.objects.exists()
    assert (
        b"Sign in with Microsoft" in Client(HTTP_HOST="beta.localhost").get("/admin/login/").content
    )


def test_a_manager_creates_a_break_glass_account_and_sees_its_password_once(
    councils, manager_client
):
    response = manager_client.post(
        "/admin/staffauth/councilsignin/",
        {"action": "create_break_glass", "_selected_action": [councils.gamma.id]},
    )
    assert response.status_code == 200
    password = (
        re.search(rb'data-testid="break-glass-password">([^<]+)<', response.content)
        .group(1)
        .decode()
    )
    with schema_context(councils.gamma.schema_name):
        assert StaffAccount.objects.get(user__username="break-glass").break_glass
    sign_in_rules(councils.gamma, two_factor_for_admins=False)
    client = Client(HTTP_HOST="gamma.localhost")
    assert password_login(client, "break-glass", password).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_council_admin_cannot_see_the_managers_page(councils):
    assert Client(HTTP_HOST="alpha.localhost").get(
        "/admin/staffauth/councilsignin/"
    ).status_code in (302, 404)
