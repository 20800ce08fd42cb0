"""A chat on a partnership's site reaches the right council, and records why."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from chat.models import Conversation
from councils.models import RoutingDecision
from tests.conftest import put_online
from tests.routing.conftest import add_rule

pytestmark = pytest.mark.usefixtures("manual_assignment")
HOST = "wessex.localhost"


@pytest.fixture(autouse=True)
def everyone_online(councils, manual_assignment):
    for council in councils.all():
        put_online(council)


def start(**body) -> tuple[int, dict]:
    body = {"name": "Robin", "message": "Help please", **body}
    response = Client(HTTP_HOST=HOST).post(
        "/widget/conversations", data=json.dumps(body), content_type="application/json"
    )
    return response.status_code, response.json()


def test_given_no_rules_the_visitors_pick_decides_and_no_pick_asks_for_a_council(wessex):
    status, data = start()
    assert status == 400 and "council" in data["errors"]
    status, data = start(council="beta")
    assert status == 201
    assert data["council"] == "beta"
    assert data["routed_by"]["kind"] == "picked_council"


def test_a_service_rule_sends_that_service_anywhere_to_one_council_and_department(wessex):
    rule = add_rule(
        wessex,
        10,
        "service",
        service=wessex["highways"],
        council=wessex["alpha"],
        department_slug="highways",
        label="Highways are alpha's",
    )
    status, data = start(department="highways", council="beta")
    assert status == 201
    assert (data["council"], data["department"]) == ("alpha", "highways")
    assert data["routed_by"] == {
        "rule": rule.id,
        "kind": "service",
        "label": "Highways are alpha's",
    }


def test_a_service_and_postcode_rule_sends_each_postcode_to_its_district(wessex):
    add_rule(wessex, 10, "service_postcode", service=wessex["waste"])
    assert start(department="waste", postcode="aa1 1aa")[1]["council"] == "alpha"
    assert start(department="waste", postcode="BB1 9ZZ")[1]["council"] == "beta"
    assert start(department="waste", postcode="bb1")[1]["council"] == "beta"
    # An unknown district or no postcode: the rule cannot decide, so the visitor is asked.
    assert "council" in start(department="waste", postcode="YO9 9ZZ")[1]["errors"]
    assert "council" in start(department="waste")[1]["errors"]


def test_a_malformed_postcode_is_a_400_naming_the_field(wessex):
    add_rule(wessex, 10, "service_postcode", service=wessex["waste"])
    status, data = start(department="waste", postcode="not a postcode")
    assert status == 400
    assert data["errors"]["postcode"] == ["Enter a real UK postcode, like DT1 1XJ."]


@pytest.mark.parametrize(
    ("match", "pattern", "page", "decides"),
    [
        ("prefix", "/beta-bins/", "https://wessex.example/beta-bins/collections", True),
        ("prefix", "/beta-bins/", "https://wessex.example/other", False),
        ("regex", r"^/parish/(east|west)-", "https://wessex.example/parish/west-stour", True),
        ("regex", r"^/parish/(east|west)-", "https://wessex.example/parish/north-x", False),
    ],
)
def test_a_page_rule_matches_the_path_the_chat_started_on(wessex, match, pattern, page, decides):
    add_rule(wessex, 10, "page", page_pattern=pattern, page_match=match, council=wessex["beta"])
    status, data = start(page_url=page)
    if decides:
        assert (status, data["council"], data["routed_by"]["kind"]) == (201, "beta", "page")
    else:
        assert status == 400 and "council" in data["errors"]


def test_rules_run_in_order_and_the_fallback_catches_the_rest(wessex):
    add_rule(wessex, 30, "fallback", council=wessex["beta"], label="Everything else")
    add_rule(wessex, 10, "service", service=wessex["highways"], council=wessex["alpha"])
    assert start(department="highways")[1]["council"] == "alpha"
    data = start(department="waste")[1]
    assert (data["council"], data["routed_by"]["label"]) == ("beta", "Everything else")


def test_a_picked_council_rule_placed_first_beats_later_rules(wessex):
    add_rule(wessex, 10, "picked_council")
    add_rule(wessex, 20, "service", service=wessex["highways"], council=wessex["alpha"])
    assert start(department="highways", council="beta")[1]["council"] == "beta"
    assert start(department="highways")[1]["council"] == "alpha"


def test_every_routed_chat_records_which_rule_decided_without_personal_data(wessex):
    rule = add_rule(wessex, 10, "service_postcode", service=wessex["waste"])
    status, data = start(department="waste", postcode="AA2 3BD", name="Secret Name")
    assert status == 201
    connection.set_schema_to_public()
    decision = RoutingDecision.objects.get(conversation_id=data["conversation"])
    assert (decision.rule_id, decision.kind, decision.council.slug) == (
        rule.id,
        "service_postcode",
        "alpha",
    )
    assert decision.postcode_district == "AA2"
    assert "Secret" not in decision.label and "3BD" not in decision.label
    with schema_context("council_alpha"):
        conversation = Conversation.objects.get(id=data["conversation"])
        assert conversation.routed_by["rule"] == rule.id
        assert conversation.prechat["postcode"] == "AA2 3BD"


def test_the_config_lists_services_and_which_ask_for_a_postcode(wessex):
    add_rule(wessex, 10, "service_postcode", service=wessex["waste"])
    data = Client(HTTP_HOST=HOST).get("/widget/config").json()
    assert data["services"] == [
        {"slug": "highways", "name": "Highways", "asks_postcode": False},
        {"slug": "waste", "name": "Waste", "asks_postcode": True},
    ]


def test_a_rule_pointing_outside_the_partnership_or_missing_its_parts_is_refused(wessex):
    from councils.models import Council

    with pytest.raises(ValidationError) as err:
        add_rule(
            wessex,
            10,
            "service",
            service=wessex["highways"],
            council=Council.objects.get(slug="gamma"),
        )
    assert "council" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        add_rule(
            wessex,
            10,
            "page",
            council=wessex["alpha"],
            page_match="regex",
            page_pattern="(unclosed",
        )
    assert "page_pattern" in err.value.message_dict
    with pytest.raises(ValidationError):
        add_rule(wessex, 10, "service_postcode")
