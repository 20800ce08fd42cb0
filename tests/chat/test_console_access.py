"""Who may open a council's console and admin over HTTP: its own staff, nobody else."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import PASSWORD, chat_in, operator_in

pytestmark = pytest.mark.usefixtures("committed")


def logged_in(host: str, username: str) -> Client:
    client = Client(HTTP_HOST=host)
    response = client.post(
        "/admin/login/", {"username": username, "password": PASSWORD, "next": "/console/"}
    )
    assert response.status_code == 302, response.content[:500]
    return client


def test_given_a_staff_operator_when_logged_in_on_their_host_then_the_console_opens(councils):
    operator_in(councils.alpha, "alex")
    response = logged_in("alpha.localhost", "alex").get("/console/")
    assert response.status_code == 200
    assert b"Alpha Council" in response.content


def test_given_no_login_the_console_redirects_to_the_councils_login(councils):
    response = Client(HTTP_HOST="alpha.localhost").get("/console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_given_a_login_on_one_council_then_it_is_worthless_on_another(councils):
    operator_in(councils.alpha, "alex", is_superuser=True)
    client = logged_in("alpha.localhost", "alex")
    session = client.cookies["sessionid"].value
    other = Client(HTTP_HOST="beta.localhost")
    other.cookies["sessionid"] = session
    assert other.get("/console/").status_code == 302
    assert other.get("/admin/").status_code == 302


def test_given_the_same_username_in_two_councils_then_each_password_works_only_at_home(councils):
    operator_in(councils.alpha, "sam")
    response = Client(HTTP_HOST="gamma.localhost").post(
        "/admin/login/", {"username": "sam", "password": PASSWORD}
    )
    assert response.status_code == 200  # the login form again: no such user at gamma


def test_another_councils_admin_cannot_list_or_open_a_chat(councils):
    chat = chat_in(councils.alpha, name="Alpha Only")
    operator_in(councils.alpha, "alex", is_superuser=True)
    operator_in(councils.beta, "alex", is_superuser=True)
    alpha = logged_in("alpha.localhost", "alex")
    beta = logged_in("beta.localhost", "alex")
    assert b"Alpha Only" in alpha.get("/admin/chat/conversation/").content
    assert b"Alpha Only" not in beta.get("/admin/chat/conversation/").content
    assert alpha.get(f"/admin/chat/conversation/{chat.id}/change/").status_code == 200
    assert beta.get(f"/admin/chat/conversation/{chat.id}/change/").status_code == 404


def test_council_admin_cannot_reach_the_list_of_councils(councils):
    operator_in(councils.alpha, "alex", is_superuser=True)
    alpha = logged_in("alpha.localhost", "alex")
    assert alpha.get("/admin/councils/council/").status_code == 404
