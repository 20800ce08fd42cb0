"""Failed sign-ins lock one account, never the colleagues who share its office address."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django_tenants.utils import schema_context

from staffauth import lockout
from staffauth.models import AccountLock
from tests.admin.factories import council_admin, operator
from tests.factories import PASSWORD
from tests.staffauth.conftest import password_login

pytestmark = pytest.mark.usefixtures("signin")

OFFICE = "203.0.113.7"  # the contact centre's one public address


def attempt(host: str, username: str, password: str, address: str = OFFICE):
    return password_login(Client(HTTP_HOST=host), username, password, REMOTE_ADDR=address)


def test_five_failures_lock_the_account_and_even_the_right_password_is_refused(councils):
    operator(councils.alpha, "sam")
    for _ in range(4):
        assert attempt("alpha.localhost", "sam", "typo").status_code == 200
    fifth = attempt("alpha.localhost", "sam", "typo")
    assert fifth.status_code == 429
    assert b"This account is locked" in fifth.content
    locked = attempt("alpha.localhost", "sam", PASSWORD)
    assert locked.status_code == 429 and b"ask a council admin to unlock it" in locked.content


def test_a_colleague_at_the_same_address_signs_in_while_one_account_is_locked(councils):
    operator(councils.alpha, "sam")
    operator(councils.alpha, "kim")
    for _ in range(5):
        attempt("alpha.localhost", "sam", "typo")
    assert attempt("alpha.localhost", "kim", PASSWORD).status_code == 302


def test_a_lock_at_one_council_leaves_the_same_username_at_another_alone(councils):
    operator(councils.alpha, "sam")
    operator(councils.beta, "sam")
    for _ in range(5):
        attempt("alpha.localhost", "sam", "typo")
    assert attempt("beta.localhost", "sam", PASSWORD).status_code == 302


def test_an_admin_unlocks_the_account_from_the_user_list(councils):
    sam = operator(councils.alpha, "sam")
    council_admin(councils.alpha, "chief")
    for _ in range(5):
        attempt("alpha.localhost", "sam", "typo")
    admin = Client(HTTP_HOST="alpha.localhost")
    assert password_login(admin, "chief", PASSWORD, REMOTE_ADDR="198.51.100.1").status_code == 302
    listing = admin.get("/admin/auth/user/")
    assert b"field-locked" in listing.content
    response = admin.post(
        "/admin/auth/user/", {"action": "unlock_selected_users", "_selected_action": [sam.id]}
    )
    assert response.status_code == 302
    with schema_context(councils.alpha.schema_name):
        assert not AccountLock.objects.exists()
    assert attempt("alpha.localhost", "sam", PASSWORD).status_code == 302


def test_locked_accounts_are_listed_for_admins_and_unlocked_there_too(councils):
    operator(councils.alpha, "sam")
    council_admin(councils.alpha, "chief")
    for _ in range(5):
        attempt("alpha.localhost", "sam", "typo")
    admin = Client(HTTP_HOST="alpha.localhost")
    password_login(admin, "chief", PASSWORD, REMOTE_ADDR="198.51.100.1")
    page = admin.get("/admin/staffauth/accountlock/")
    assert page.status_code == 200 and b"sam" in page.content
    with schema_context(councils.alpha.schema_name):
        lock_id = AccountLock.objects.get().pk
    admin.post(
        "/admin/staffauth/accountlock/",
        {"action": "unlock_selected", "_selected_action": [lock_id]},
    )
    assert attempt("alpha.localhost", "sam", PASSWORD).status_code == 302


@override_settings(LOGIN_FAILURES_PER_ADDRESS=12)
def test_an_address_is_throttled_only_after_many_failures_across_accounts(councils):
    operator(councils.alpha, "kim")
    for n in range(12):
        assert attempt("alpha.localhost", f"nobody{n}", "guess").status_code == 200
    throttled = attempt("alpha.localhost", "kim", PASSWORD)
    assert throttled.status_code == 429
    assert b"from your network" in throttled.content
    # Another address is not affected, nor is kim's account locked.
    assert attempt("alpha.localhost", "kim", PASSWORD, address="198.51.100.9").status_code == 302


def test_a_success_clears_the_accounts_count(councils):
    operator(councils.alpha, "sam")
    for _ in range(4):
        attempt("alpha.localhost", "sam", "typo")
    assert attempt("alpha.localhost", "sam", PASSWORD).status_code == 302
    for _ in range(4):
        assert attempt("alpha.localhost", "sam", "typo").status_code == 200
    with schema_context(councils.alpha.schema_name):
        assert lockout.sign_in_refusal("sam", "192.0.2.1") is None


@override_settings(PARTNERSHIP_MANAGERS_TWO_FACTOR=False)
def test_partnership_managers_are_locked_out_on_the_public_host_too(councils):
    from django.contrib.auth import get_user_model
    from django.db import connection

    connection.set_schema_to_public()
    manager, _ = get_user_model().objects.update_or_create(
        username="pm-lock", defaults={"is_staff": True, "is_superuser": True}
    )
    manager.set_password(PASSWORD)
    manager.save()
    for _ in range(5):
        attempt("localhost", "pm-lock", "typo")
    assert attempt("localhost", "pm-lock", PASSWORD).status_code == 429
    with schema_context(councils.alpha.schema_name):
        assert not AccountLock.objects.exists()


@override_settings(LOGIN_FAILURES_PER_ADDRESS=3)
def test_wrong_set_password_links_are_throttled_per_address(councils):
    for n in range(3):
        wrong = Client(HTTP_HOST="alpha.localhost").get(
            f"/admin/set-password/MQ/bad-token-{n}/", REMOTE_ADDR=OFFICE
        )
        assert wrong.status_code == 200 and b"new_password1" not in wrong.content
    refused = Client(HTTP_HOST="alpha.localhost").get(
        "/admin/set-password/MQ/bad-token/", REMOTE_ADDR=OFFICE
    )
    assert refused.status_code == 429 and b"from your network" in refused.content
    elsewhere = Client(HTTP_HOST="alpha.localhost").get(
        "/admin/set-password/MQ/bad-token/", REMOTE_ADDR="198.51.100.3"
    )
    assert elsewhere.status_code == 200
