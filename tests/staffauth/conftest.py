"""Staff sign-in fixtures: a local OpenID Connect provider, councils' sign-in settings, and
the sign-in tables emptied after each test (they are not among the chat tables)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from councils.sites import CouncilRef
from staffauth.models import SignInSettings
from staffauth.secrets import encrypt_secret
from tests.oidc_provider import Provider

SIGN_IN_TABLES = (
    "staffauth_signinsettings, staffauth_loginfailure, staffauth_accountlock, "
    "staffauth_staffsession, staffauth_staffaccount, otp_totp_totpdevice, "
    "otp_static_statictoken, otp_static_staticdevice"
)
REALM = "council-idp"  # one provider tenant for both councils, as in a shared Entra tenant


@pytest.fixture(scope="session")
def provider():
    running = Provider().start()
    yield running
    running.stop()


@pytest.fixture
def signin(committed, provider):
    """The test councils with the sign-in tables emptied after the test."""
    provider.tamper = {}
    provider.interactive = False
    yield committed
    for schema in ["public", *(c.schema_name for c in committed.all())]:
        with schema_context(schema), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {SIGN_IN_TABLES} CASCADE")
    connection.set_schema_to_public()


def client_id_of(council: CouncilRef) -> str:
    return f"councilchat-{council.slug}"


def sign_in_rules(council: CouncilRef, **values) -> None:
    with schema_context(council.schema_name):
        SignInSettings.objects.update_or_create(pk=1, defaults=values)


def configure_sso(
    council: CouncilRef, provider: Provider, *, port: int | None = None, **values
) -> None:
    """Register the council's client with the provider and enter it in its settings."""
    host = council.hosts[0] + (f":{port}" if port else "")
    secret = f"secret-of-{council.slug}"
    provider.register(REALM, client_id_of(council), secret, f"http://{host}/auth/sso/callback/")
    sign_in_rules(
        council,
        sso_enabled=True,
        provider_name="Test ID",
        issuer=provider.issuer(REALM),
        client_id=client_id_of(council),
        client_secret_encrypted=encrypt_secret(secret),
        **values,
    )


def password_login(client: Client, username: str, password: str, **extra):
    return client.post("/admin/login/", {"username": username, "password": password}, **extra)
