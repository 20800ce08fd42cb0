"""Single sign-on with a council's own OpenID Connect provider (a real one on 127.0.0.1)."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import schema_context
from joserfc.jwk import RSAKey

from staffauth.models import SignInSettings, StaffAccount
from tests.factories import PASSWORD, operator_in
from tests.staffauth.conftest import (
    REALM,
    client_id_of,
    configure_sso,
    password_login,
    sign_in_rules,
)

pytestmark = pytest.mark.usefixtures("signin")

ALEX = {"sub": "idp-alex", "email": "alex@alpha.gov.uk", "email_verified": True}


def person(provider, **claims):
    provider.person = {**ALEX, **claims}


def start(client: Client, next_url: str = "/console/") -> str:
    """Start at the council's login button; returns the provider's redirect back to us."""
    response = client.get(f"/auth/sso/start/?next={next_url}")
    assert response.status_code == 302, response.content[:500]
    authorize = response["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["nonce"][0] and query["state"][0]
    back = requests.get(authorize, allow_redirects=False, timeout=5)
    assert back.status_code == 302, back.text
    return back.headers["Location"]


def callback(client: Client, url: str):
    parts = urlsplit(url)
    return client.get(parts.path + "?" + parts.query)


def staff(council, username="alex", email="alex@alpha.gov.uk", **extra):
    operator_in(council, username, email=email, **extra)


def test_the_login_page_offers_the_councils_provider_only_at_that_council(councils, provider):
    configure_sso(councils.alpha, provider)
    alpha = Client(HTTP_HOST="alpha.localhost").get("/admin/login/?next=/console/")
    assert b"Sign in with Test ID" in alpha.content
    assert b"Alpha Council" in alpha.content
    beta = Client(HTTP_HOST="beta.localhost").get("/admin/login/")
    assert b"Sign in with" not in beta.content
    assert Client(HTTP_HOST="beta.localhost").get("/auth/sso/start/").status_code == 404


def test_sign_in_at_council_a_matches_the_verified_email_and_opens_the_console(councils, provider):
    configure_sso(councils.alpha, provider)
    staff(councils.alpha)
    person(provider)
    client = Client(HTTP_HOST="alpha.localhost")
    response = callback(client, start(client))
    assert response.status_code == 302 and response["Location"] == "/console/"
    console = client.get("/console/")
    assert console.status_code == 200 and b"Alpha Council" in console.content
    with schema_context(councils.alpha.schema_name):
        account = StaffAccount.objects.get(user__username="alex")
        assert (account.sso_issuer, account.sso_subject) == (provider.issuer(REALM), "idp-alex")


def test_a_later_sign_in_follows_the_subject_even_if_the_email_changed(councils, provider):
    configure_sso(councils.alpha, provider)
    staff(councils.alpha)
    person(provider)
    client = Client(HTTP_HOST="alpha.localhost")
    callback(client, start(client))
    person(provider, email="a.lex@alpha.gov.uk", email_verified=False)
    again = Client(HTTP_HOST="alpha.localhost")
    assert callback(again, start(again)).status_code == 302
    assert again.get("/console/").status_code == 200


def test_an_unverified_email_is_not_matched(councils, provider):
    configure_sso(councils.alpha, provider)
    staff(councils.alpha)
    person(provider, email_verified=False)
    client = Client(HTTP_HOST="alpha.localhost")
    response = callback(client, start(client))
    assert response.status_code == 403
    assert b"verified email" in response.content
    assert client.get("/console/").status_code == 302


def test_an_unknown_person_is_refused_unless_the_council_creates_accounts(councils, provider):
    configure_sso(councils.alpha, provider)
    person(provider, sub="idp-new", email="new.starter@alpha.gov.uk")
    client = Client(HTTP_HOST="alpha.localhost")
    assert callback(client, start(client)).status_code == 403

    configure_sso(councils.alpha, provider, create_users=True)
    client = Client(HTTP_HOST="alpha.localhost")
    assert callback(client, start(client)).status_code == 302
    assert client.get("/console/").status_code == 200
    with schema_context(councils.alpha.schema_name):
        user = get_user_model().objects.get(email="new.starter@alpha.gov.uk")
        assert [g.name for g in user.groups.all()] == ["Operators"] and user.is_staff


def test_roles_follow_the_group_claim_when_a_mapping_is_set(councils, provider):
    configure_sso(
        councils.alpha,
        provider,
        create_users=True,
        roles_claim="groups",
        role_mapping="0b1c-admins = Council admins\nops = Operators",
    )
    person(provider, sub="idp-boss", email="boss@alpha.gov.uk", groups=["x", "0b1c-admins"])
    client = Client(HTTP_HOST="alpha.localhost")
    assert callback(client, start(client)).status_code == 302
    with schema_context(councils.alpha.schema_name):
        user = get_user_model().objects.get(email="boss@alpha.gov.uk")
        assert [g.name for g in user.groups.all()] == ["Council admins"]
    assert client.get("/admin/staffauth/signinsettings/").status_code == 302  # admin may open


def test_council_as_code_state_and_session_are_worthless_at_council_b(councils, provider):
    configure_sso(councils.alpha, provider)
    configure_sso(councils.beta, provider)
    staff(councils.alpha)
    staff(councils.beta, email="alex@alpha.gov.uk")
    person(provider)
    at_alpha = Client(HTTP_HOST="alpha.localhost")
    back_to_alpha = start(at_alpha)
    code = parse_qs(urlsplit(back_to_alpha).query)["code"][0]

    # A's whole redirect replayed at B: B's session holds no such state.
    at_beta = Client(HTTP_HOST="beta.localhost")
    assert (
        callback(at_beta, back_to_alpha.replace("alpha.localhost", "beta.localhost")).status_code
        == 400
    )
    # A's code with B's own state: B redeems it with B's client, and the provider refuses.
    back_to_beta = start(at_beta)
    beta_state = parse_qs(urlsplit(back_to_beta).query)["state"][0]
    refused = at_beta.get(f"/auth/sso/callback/?code={code}&state={beta_state}")
    assert refused.status_code == 400
    assert at_beta.get("/console/").status_code == 302

    # A's signed-in session cookie means nothing at B (the code above was spent at B).
    assert callback(at_alpha, start(at_alpha)).status_code == 302
    assert at_alpha.get("/console/").status_code == 200
    stolen = Client(HTTP_HOST="beta.localhost")
    stolen.cookies["sessionid"] = at_alpha.cookies["sessionid"].value
    assert stolen.get("/console/").status_code == 302


def test_an_id_token_minted_for_council_as_client_is_refused_at_council_b(councils, provider):
    configure_sso(councils.alpha, provider)
    configure_sso(councils.beta, provider)
    staff(councils.beta)
    person(provider)
    client = Client(HTTP_HOST="beta.localhost")
    back = start(client)
    provider.tamper = {"aud": client_id_of(councils.alpha)}
    response = callback(client, back)
    assert response.status_code == 400
    assert b"did not work" in response.content
    assert client.get("/console/").status_code == 302


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param({"nonce": "not-the-nonce-we-sent"}, id="nonce"),
        pytest.param({"iss": "http://127.0.0.1:1/impostor"}, id="issuer"),
        pytest.param({"aud": "someone-else"}, id="audience"),
        pytest.param({"exp": int(time.time()) - 3600}, id="expired"),
        pytest.param({"key": "other"}, id="signature"),
    ],
)
def test_a_tampered_id_token_is_refused(councils, provider, tamper):
    configure_sso(councils.alpha, provider)
    staff(councils.alpha)
    person(provider)
    client = Client(HTTP_HOST="alpha.localhost")
    back = start(client)
    if tamper.get("key") == "other":
        tamper = {"key": RSAKey.generate_key(2048, parameters={"kid": "k1"})}
    provider.tamper = tamper
    response = callback(client, back)
    assert response.status_code == 400, response.content[:300]
    assert client.get("/console/").status_code == 302


def test_a_wrong_state_is_refused_and_the_code_is_not_redeemed(councils, provider):
    configure_sso(councils.alpha, provider)
    staff(councils.alpha)
    person(provider)
    client = Client(HTTP_HOST="alpha.localhost")
    back = start(client)
    code = parse_qs(urlsplit(back).query)["code"][0]
    before = provider.token_requests
    response = client.get(f"/auth/sso/callback/?code={code}&state=forged")
    assert response.status_code == 400
    assert provider.token_requests == before
    assert client.get("/console/").status_code == 302


def test_a_provider_error_or_garbage_never_gives_a_500(councils, provider):
    configure_sso(councils.alpha, provider)
    client = Client(HTTP_HOST="alpha.localhost")
    for query in ("error=access_denied&error_description=nope", "", "code=&state=", "state=%00"):
        assert client.get(f"/auth/sso/callback/?{query}").status_code == 400


def test_an_sso_only_council_refuses_passwords_but_not_the_break_glass_account(councils, provider):
    configure_sso(councils.alpha, provider, mode=SignInSettings.Mode.SSO_REQUIRED)
    staff(councils.alpha)
    operator_in(councils.alpha, "glass", is_superuser=True)
    with schema_context(councils.alpha.schema_name):
        StaffAccount.objects.create(
            user=get_user_model().objects.get(username="glass"), break_glass=True
        )
    client = Client(HTTP_HOST="alpha.localhost")
    refused = password_login(client, "alex", PASSWORD)
    assert refused.status_code == 403
    assert b"passwords are turned off" in refused.content
    assert client.get("/console/").status_code == 302
    # The break-glass admin gets past the password, to two-factor like any council admin.
    glass = password_login(client, "glass", PASSWORD)
    assert glass.status_code == 302 and glass["Location"] == "/admin/login/two-factor/setup/"
    sign_in_rules(councils.alpha, two_factor_for_admins=False)
    assert password_login(client, "glass", PASSWORD).status_code == 302
    assert client.get("/console/").status_code == 200
