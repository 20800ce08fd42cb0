"""Single sign-on with the council's own OpenID Connect provider, through Authlib.

Authlib's Django client does the protocol: the authorization-code flow with PKCE (S256),
state, nonce and code verifier kept in the session (host-only, in the council's schema),
the token request, the provider's JWKS and the ID token's signature and claims (issuer,
audience = the council's client id, expiry, nonce, at_hash). We build one client per council
from its SignInSettings row instead of Authlib's global registry, and pin the issuer to the
one the council entered.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import DjangoOAuth2App
from authlib.integrations.django_client.integration import DjangoIntegration
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from joserfc.errors import JoseError

from staffauth.models import SignInSettings, StaffAccount
from staffauth.roles import OPERATORS, roles_from_claims
from staffauth.secrets import decrypt_secret

logger = logging.getLogger(__name__)

CLIENT_NAME = "council-sso"  # the session keys' prefix: _state_council-sso_<state>
METADATA_TTL = 3600.0  # discovery and JWKS kept this long per process (keys rotate slowly)
LEEWAY_SECONDS = 60
HTTP_TIMEOUT = 10

# Errors of a failed sign-in: never a 500, always "try again" on the login page.
SignInErrors = (OAuthError, JoseError, requests.RequestException, ValueError, KeyError, TypeError)


class SsoRefused(Exception):
    """The provider's answer is valid but nobody here may sign in with it (told to the user)."""


_clients: dict[tuple, tuple[float, DjangoOAuth2App]] = {}
_clients_lock = threading.Lock()


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def client_for(rules: SignInSettings) -> DjangoOAuth2App:
    """The council's OAuth client (cached per process per schema and settings version)."""
    key = (connection.schema_name, rules.issuer, rules.client_id, rules.updated_at)
    now = time.monotonic()
    with _clients_lock:
        cached = _clients.get(key)
        if cached and now - cached[0] < METADATA_TTL:
            return cached[1]
    client = DjangoOAuth2App(
        DjangoIntegration(CLIENT_NAME),
        CLIENT_NAME,
        client_id=rules.client_id,
        client_secret=decrypt_secret(rules.client_secret_encrypted),
        server_metadata_url=discovery_url(rules.issuer),
        client_kwargs={
            "scope": "openid email profile",
            "code_challenge_method": "S256",
            "default_timeout": HTTP_TIMEOUT,  # every request to the provider
        },
    )
    with _clients_lock:
        for old in [k for k in _clients if k[0] == key[0]]:
            del _clients[old]
        _clients[key] = (now, client)
    return client


def _checked_issuer(client: DjangoOAuth2App, rules: SignInSettings) -> str:
    """The discovery document must name the issuer the council entered (OIDC Discovery 4.3)."""
    issuer = client.load_server_metadata().get("issuer", "")
    if not isinstance(issuer, str) or issuer.rstrip("/") != rules.issuer.rstrip("/"):
        raise ValueError("the provider's discovery document names another issuer")
    return issuer


def authorization_redirect(request, rules: SignInSettings, redirect_uri: str):
    client = client_for(rules)
    _checked_issuer(client, rules)
    return client.authorize_redirect(request, redirect_uri)


def claims_from_callback(request, rules: SignInSettings) -> dict:
    """The validated ID token's claims; raises one of SignInErrors otherwise."""
    client = client_for(rules)
    issuer = _checked_issuer(client, rules)
    token = client.authorize_access_token(
        request,
        claims_options={
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": rules.client_id},
            "exp": {"essential": True},
        },
        leeway=LEEWAY_SECONDS,
    )
    claims = token.get("userinfo")
    if not claims:  # no ID token, or no nonce kept for this state: refuse
        raise ValueError("no ID token in the provider's answer")
    return dict(claims)


@dataclass(frozen=True)
class SsoUser:
    user: object
    created: bool


def _verified_email(claims: dict) -> str | None:
    """The email, only when the provider vouches for it: `email_verified` (OIDC), or Entra
    ID's optional `xms_edov` (the email's domain is verified by its owner)."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        return None
    if claims.get("email_verified") is True or claims.get("xms_edov") in (True, "1", 1):
        return email.strip().lower()
    return None


@transaction.atomic
def user_for_claims(rules: SignInSettings, claims: dict) -> SsoUser:
    """Who these claims sign in: the account linked to (issuer, subject); else the one
    account with this verified email, then linked; else a new operator if allowed."""
    users = get_user_model()
    issuer, subject = str(claims["iss"]), str(claims["sub"])
    link = StaffAccount.objects.select_related("user").filter(
        sso_issuer=issuer, sso_subject=subject
    )
    account = link.first()
    created = False
    if account is not None:
        user = account.user
    else:
        email = _verified_email(claims)
        if email is None:
            raise SsoRefused("Your provider did not send a verified email address.")
        matches = list(users.objects.filter(email__iexact=email)[:2])
        if len(matches) > 1:
            raise SsoRefused("More than one account here has your email address: ask an admin.")
        if matches:
            user = matches[0]
            existing = StaffAccount.objects.filter(user=user).first()
            if existing and existing.sso_subject and existing.sso_subject != subject:
                raise SsoRefused("This account is linked to another single sign-on identity.")
        elif rules.create_users:
            user = users.objects.create_user(
                username=_free_username(email),
                email=email,
                first_name=str(claims.get("given_name") or "")[:150],
                last_name=str(claims.get("family_name") or "")[:150],
                is_staff=True,
            )
            user.set_unusable_password()
            user.save(update_fields=["password"])
            created = True
        else:
            raise SsoRefused("There is no account here for your email address: ask an admin.")
        StaffAccount.objects.update_or_create(
            user=user, defaults={"sso_issuer": issuer, "sso_subject": subject}
        )
    if not user.is_active:
        raise SsoRefused("Your account here is disabled.")
    _apply_roles(user, rules, claims, created)
    return SsoUser(user=user, created=created)


def _free_username(email: str) -> str:
    users = get_user_model()
    base = email[:150]
    name, n = base, 1
    while users.objects.filter(username=name).exists():
        n += 1
        name = f"{base[:140]}-{n}"
    return name


def _apply_roles(user, rules: SignInSettings, claims: dict, created: bool) -> None:
    mapping = rules.parsed_role_mapping()
    if mapping:
        roles = roles_from_claims(claims, rules.roles_claim, mapping) or {OPERATORS}
    elif created:
        roles = {OPERATORS}
    else:
        roles = None  # no mapping: an existing account keeps the roles its admin gave it
    if roles is not None:
        user.groups.set(Group.objects.filter(name__in=roles))
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
