"""The widget's HTTP API and health, as a browser or curl would use them."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from chat.models import Conversation, Message
from chat.tokens import visitor_token_read

pytestmark = pytest.mark.usefixtures("staffed")


def post_chat(host: str, body, origin: str | None = None):
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    return Client(HTTP_HOST=host).post(
        "/widget/conversations",
        data=body if isinstance(body, str | bytes) else json.dumps(body),
        content_type="application/json",
        **headers,
    )


def valid_chat(**overrides) -> dict:
    body = {
        "name": "Jo Bloggs",
        "message": "Can I pay my PCN in instalments?",
        "page_url": "https://www.alpha.gov.uk/parking/pay",
    }
    body.update(overrides)
    return body


def test_given_a_valid_form_when_posted_then_chat_is_queued_with_the_question_as_seq_1(councils):
    response = post_chat("alpha.localhost", valid_chat(fields={"email": "jo@example.com"}))
    assert response.status_code == 201
    data = response.json()
    assert data["council"] == "alpha"
    assert data["department"] == "parking"  # from the page the chat started on
    assert data["status"] == "queued"
    assert data["websocket"] == (
        f"ws://alpha.localhost/ws/visitor/{data['conversation']}/?token={data['token']}"
    )
    grant = visitor_token_read(data["token"])
    assert (grant.council_id, str(grant.conversation_id)) == (
        councils.alpha.id,
        data["conversation"],
    )
    with schema_context(councils.alpha.schema_name):
        conversation = Conversation.objects.get(id=data["conversation"])
        assert conversation.prechat == {"email": "jo@example.com"}
        assert conversation.visitor.name == "Jo Bloggs"
        first = Message.objects.get(conversation=conversation)
        assert (first.seq, first.author, first.body) == (
            1,
            "visitor",
            "Can I pay my PCN in instalments?",
        )
    with schema_context(councils.beta.schema_name):
        assert not Conversation.objects.filter(id=data["conversation"]).exists()


def test_an_explicit_department_wins_over_the_page(councils):
    response = post_chat("alpha.localhost", valid_chat(department="highways"))
    assert response.json()["department"] == "highways"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (valid_chat(name=""), "name"),
        (valid_chat(name="x" * 101), "name"),
        (valid_chat(message=""), "message"),
        (valid_chat(message="x" * 4001), "message"),
        (valid_chat(department="no-such-team"), "department"),
        (valid_chat(department="Not a slug!"), "department"),
        (valid_chat(page_url="javascript:alert(1)"), "page_url"),
        (valid_chat(fields=["not", "an", "object"]), "fields"),
        (valid_chat(fields={"note": "x" * 501}), "fields"),
        (valid_chat(fields={"nested": {"a": 1}}), "fields"),
    ],
)
def test_given_bad_input_when_posted_then_400_names_the_field_and_nothing_is_stored(
    councils, body, field
):
    response = post_chat("alpha.localhost", body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert field in errors and errors[field][0]
    with schema_context(councils.alpha.schema_name):
        assert Conversation.objects.count() == 0


@pytest.mark.parametrize("raw", ["not json", b"\xff\xfe", "[1,2]", "null", ""])
def test_given_a_body_that_is_not_a_json_object_then_400(councils, raw):
    response = post_chat("alpha.localhost", raw)
    assert response.status_code == 400
    assert response.json()["errors"]["__all__"]


def test_given_the_partnership_host_without_a_council_then_400_asks_for_one(councils):
    response = post_chat(councils.partnership_host, valid_chat())
    assert response.status_code == 400
    assert "council" in response.json()["errors"]


def test_given_the_partnership_host_and_a_member_council_then_the_chat_lands_in_that_council(
    councils,
):
    response = post_chat(councils.partnership_host, valid_chat(council="beta"))
    assert response.status_code == 201
    data = response.json()
    assert data["council"] == "beta"
    assert data["websocket"].startswith(f"ws://{councils.partnership_host}/ws/visitor/")
    with schema_context(councils.beta.schema_name):
        assert Conversation.objects.filter(id=data["conversation"]).exists()
    with schema_context(councils.alpha.schema_name):
        assert not Conversation.objects.filter(id=data["conversation"]).exists()


def test_given_the_partnership_host_and_a_non_member_council_then_400(councils):
    response = post_chat(councils.partnership_host, valid_chat(council="gamma"))
    assert response.status_code == 400
    assert "council" in response.json()["errors"]


def test_given_an_allowed_origin_then_cors_headers_name_it(councils):
    response = post_chat("alpha.localhost", valid_chat(), origin="https://www.alpha.gov.uk")
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == "https://www.alpha.gov.uk"
    preflight = Client(HTTP_HOST="alpha.localhost").options(
        "/widget/conversations", HTTP_ORIGIN="https://www.alpha.gov.uk"
    )
    assert preflight.status_code == 204
    assert "POST" in preflight["Access-Control-Allow-Methods"]


def test_given_an_origin_off_the_allow_list_then_403_and_nothing_stored(councils):
    response = post_chat("alpha.localhost", valid_chat(), origin="https://evil.example")
    assert response.status_code == 403
    assert response.json()["error"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in response
    with schema_context(councils.alpha.schema_name):
        assert Conversation.objects.count() == 0


def test_given_an_unknown_host_then_404_json(councils):
    response = post_chat("nobody.localhost", valid_chat())
    assert response.status_code == 404
    assert response.json()["error"] == "unknown_host"


def test_config_on_a_council_host_lists_its_departments(councils):
    data = Client(HTTP_HOST="alpha.localhost").get("/widget/config").json()
    assert data["kind"] == "council"
    assert data["council"]["slug"] == "alpha"
    assert {d["slug"] for d in data["departments"]} == {"parking", "highways"}


def test_config_on_the_partnership_host_lists_member_councils_only(councils):
    data = Client(HTTP_HOST=councils.partnership_host).get("/widget/config").json()
    assert data["kind"] == "partnership"
    assert [c["slug"] for c in data["councils"]] == ["alpha", "beta"]


def test_embed_script_is_served_as_javascript_on_council_and_partnership_hosts(councils):
    for host in ("alpha.localhost", councils.partnership_host):
        response = Client(HTTP_HOST=host).get("/widget/embed.js")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/javascript")
        assert b"/widget/conversations" in response.content


def test_healthz_reports_database_and_channel_layer_on_every_kind_of_host(councils):
    for host in ("localhost", "alpha.localhost", councils.partnership_host):
        response = Client(HTTP_HOST=host).get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": True, "channel_layer": True}


def test_healthz_says_503_when_the_channel_layer_does_not_answer(councils, settings):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:9/0"]},  # nothing listens on port 9
        }
    }
    response = Client(HTTP_HOST="alpha.localhost").get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": True, "channel_layer": False}


@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "/widget/conversations/not-a-uuid/rating"),
        ("get", "/widget/nothing-here"),
        ("post", "/widget/conversations/123/end"),
    ],
)
def test_an_unknown_widget_address_answers_a_json_404_not_a_page(councils, method, path):
    response = getattr(Client(HTTP_HOST="alpha.localhost"), method)(path)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
