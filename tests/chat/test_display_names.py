"""What residents see of an operator (issue 15): the display name they or an admin set, else
the first name only; chat.payloads.operator_display_name decides it everywhere."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import schema_context

from chat.actions.profile import display_name_set
from chat.errors import ChatError
from chat.payloads import operator_display_name
from chat.selectors import visitor_view
from tests.factories import PASSWORD, accepted_chat_in, operator_in

pytestmark = pytest.mark.usefixtures("manual_assignment")


def user_named(council, username: str, **names):
    operator_in(council, username, **names)
    with schema_context(council.schema_name):
        return get_user_model().objects.get(username=username)


def test_residents_see_the_first_name_never_the_surname_nor_an_email_address(councils):
    sam = user_named(councils.alpha, "sam", first_name="Sam", last_name="Patel")
    admin = user_named(councils.alpha, "admin@poole.example", first_name="", last_name="")
    with schema_context(councils.alpha.schema_name):
        assert operator_display_name(sam) == "Sam"
        assert operator_display_name(admin) == "admin"


def test_a_display_name_set_by_the_operator_is_what_the_resident_sees_on_reconnecting(councils):
    alpha = councils.alpha
    operator = operator_in(alpha, "sam", first_name="Sam", last_name="Patel")
    chat = accepted_chat_in(alpha, operator)
    with schema_context(alpha.schema_name):
        user = get_user_model().objects.get(username="sam")
        assert display_name_set(user=user, display_name="  Sam   from Parking ") == (
            "Sam from Parking"
        )
        assert visitor_view(chat.id).operator == "Sam from Parking"  # the one-statement read
        assert display_name_set(user=user, display_name="") == "Sam"
        with pytest.raises(ChatError):
            display_name_set(user=user, display_name="x" * 61)
    with schema_context(councils.beta.schema_name):  # another council's "sam" is untouched
        beta_sam = user_named(councils.beta, "sam", first_name="Sam", last_name="Jones")
        assert operator_display_name(beta_sam) == "Sam"


def test_the_profile_page_saves_the_name_and_refuses_one_too_long(councils):
    operator_in(councils.alpha, "sam", first_name="Sam")
    client = Client(HTTP_HOST="alpha.localhost")
    client.post("/admin/login/", {"username": "sam", "password": PASSWORD})
    assert b"Residents see <strong" in client.get("/console/profile/").content
    saved = client.post("/console/profile/", {"display_name": "Sam P"})
    assert b"Residents will see you as Sam P." in saved.content
    refused = client.post("/console/profile/", {"display_name": "x" * 80})
    assert refused.status_code == 400
    assert b"at most 60 characters" in refused.content


def test_the_supervisor_page_is_403_for_an_operator_and_a_login_redirect_for_a_stranger(councils):
    operator_in(councils.alpha, "sam")
    assert Client(HTTP_HOST="alpha.localhost").get("/console/supervisor/").status_code == 302
    client = Client(HTTP_HOST="alpha.localhost")
    client.post("/admin/login/", {"username": "sam", "password": PASSWORD})
    page = client.get("/console/supervisor/")
    assert page.status_code == 403
    assert b"You cannot open the supervisor view" in page.content
    assert b"supervisor-link" not in client.get("/console/").content
