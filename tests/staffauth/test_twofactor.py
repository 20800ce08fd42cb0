"""Two-factor for password sign-ins: enrolment, codes, recovery codes; managers always."""

from __future__ import annotations

import base64
import re
from datetime import datetime

import pyotp
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client, override_settings

from tests.admin.factories import council_admin, operator
from tests.factories import PASSWORD
from tests.staffauth.conftest import password_login, sign_in_rules

pytestmark = pytest.mark.usefixtures("signin")


def enrol(client: Client) -> tuple[pyotp.TOTP, list[str]]:
    """Set up the authenticator from the setup page, as a person with an app would."""
    page = client.get("/admin/login/two-factor/setup/")
    assert page.status_code == 200
    assert b"<svg" in page.content  # the QR code, inline
    secret = re.search(rb'data-testid="totp-secret">([A-Z2-7]+)<', page.content).group(1).decode()
    totp = pyotp.TOTP(secret)
    done = client.post("/admin/login/two-factor/setup/", {"code": totp.now()})
    assert done.status_code == 200, done.content[:500]
    codes = re.findall(rb"<li>([a-z0-9]+)</li>", done.content)
    assert len(codes) == 10
    return totp, [c.decode() for c in codes]


# django-otp's own throttle makes a code straight after a wrong one wait a second or more;
# off here so the test needs no sleep (our account lockout still counts wrong codes).
@override_settings(OTP_TOTP_THROTTLE_FACTOR=0, OTP_STATIC_THROTTLE_FACTOR=0)
def test_a_council_admin_must_set_up_two_factor_then_uses_it_every_time(councils):
    sign_in_rules(councils.alpha, two_factor_for_admins=True)
    council_admin(councils.alpha, "chief")
    client = Client(HTTP_HOST="alpha.localhost")
    first = password_login(client, "chief", PASSWORD)
    assert first["Location"] == "/admin/login/two-factor/setup/"
    assert client.get("/admin/").status_code == 302  # not signed in before the second factor
    totp, _ = enrol(client)
    assert client.get("/admin/").status_code == 200

    again = Client(HTTP_HOST="alpha.localhost")
    assert password_login(again, "chief", PASSWORD)["Location"] == "/admin/login/two-factor/"
    wrong = again.post("/admin/login/two-factor/", {"code": "000000"})
    assert b"That code is not right" in wrong.content
    assert again.get("/admin/").status_code == 302
    # a code of the next step: the one just used in enrolment would be refused as replayed
    code = totp.at(datetime.now(), counter_offset=1)
    assert again.post("/admin/login/two-factor/", {"code": code}).status_code == 302
    assert again.get("/admin/").status_code == 200


def test_a_recovery_code_works_once(councils):
    sign_in_rules(councils.alpha, two_factor_for_admins=True)
    council_admin(councils.alpha, "chief")
    client = Client(HTTP_HOST="alpha.localhost")
    password_login(client, "chief", PASSWORD)
    _, codes = enrol(client)
    first = Client(HTTP_HOST="alpha.localhost")
    password_login(first, "chief", PASSWORD)
    assert first.post("/admin/login/two-factor/", {"code": codes[0]}).status_code == 302
    second = Client(HTTP_HOST="alpha.localhost")
    password_login(second, "chief", PASSWORD)
    assert second.post("/admin/login/two-factor/", {"code": codes[0]}).status_code == 200


def test_operators_need_two_factor_only_where_the_council_says_so(councils):
    operator(councils.alpha, "sam")
    sign_in_rules(councils.alpha, two_factor_for_admins=True, two_factor_for_operators=False)
    assert password_login(Client(HTTP_HOST="alpha.localhost"), "sam", PASSWORD)[
        "Location"
    ].startswith("/admin/")
    assert (
        password_login(Client(HTTP_HOST="alpha.localhost"), "sam", PASSWORD)["Location"]
        != "/admin/login/two-factor/setup/"
    )
    sign_in_rules(councils.alpha, two_factor_for_operators=True)
    response = password_login(Client(HTTP_HOST="alpha.localhost"), "sam", PASSWORD)
    assert response["Location"] == "/admin/login/two-factor/setup/"


# Each wrong code checked counts; with django-otp's throttle on, codes sent while a device
# waits are not checked (test below), so the throttle is off here to check five in a row.
@override_settings(OTP_TOTP_THROTTLE_FACTOR=0, OTP_STATIC_THROTTLE_FACTOR=0)
def test_wrong_codes_count_towards_the_account_lock(councils):
    sign_in_rules(councils.alpha, two_factor_for_admins=True)
    council_admin(councils.alpha, "chief")
    client = Client(HTTP_HOST="alpha.localhost")
    password_login(client, "chief", PASSWORD)
    enrol(client)
    guesser = Client(HTTP_HOST="alpha.localhost")
    password_login(guesser, "chief", PASSWORD)
    for _ in range(4):
        assert guesser.post("/admin/login/two-factor/", {"code": "123456"}).status_code == 200
    locked = guesser.post("/admin/login/two-factor/", {"code": "123456"})
    assert locked.status_code == 429 and b"This account is locked" in locked.content


def test_the_two_factor_step_cannot_be_reached_without_the_password(councils):
    response = Client(HTTP_HOST="alpha.localhost").get("/admin/login/two-factor/")
    assert response.status_code == 302 and response["Location"] == "/admin/login/"


@override_settings(PARTNERSHIP_MANAGERS_TWO_FACTOR=True)
def test_partnership_managers_always_use_two_factor(councils):
    connection.set_schema_to_public()
    manager, _ = get_user_model().objects.update_or_create(
        username="pm-2fa", defaults={"is_staff": True, "is_superuser": True}
    )
    manager.set_password(PASSWORD)
    manager.save()
    client = Client(HTTP_HOST="localhost")
    assert password_login(client, "pm-2fa", PASSWORD)["Location"] == (
        "/admin/login/two-factor/setup/"
    )
    totp, _ = enrol(client)
    assert client.get("/admin/councils/council/").status_code == 200
    assert base64.b32decode(totp.secret + "=" * (-len(totp.secret) % 8))


def test_a_code_straight_after_a_wrong_one_waits_and_is_not_counted(councils):
    sign_in_rules(councils.alpha, two_factor_for_admins=True)
    council_admin(councils.alpha, "chief")
    client = Client(HTTP_HOST="alpha.localhost")
    password_login(client, "chief", PASSWORD)
    totp, _ = enrol(client)
    again = Client(HTTP_HOST="alpha.localhost")
    password_login(again, "chief", PASSWORD)
    assert b"not right" in again.post("/admin/login/two-factor/", {"code": "000000"}).content
    right_too_soon = again.post(
        "/admin/login/two-factor/", {"code": totp.at(datetime.now(), counter_offset=1)}
    )
    assert right_too_soon.status_code == 200
    assert b"wait a few seconds" in right_too_soon.content
