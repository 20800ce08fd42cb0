"""The widget's config, availability, rating, transcript, end and enquiry endpoints, as the
widget uses them, against real PostgreSQL, Redis and a real SMTP server."""

from __future__ import annotations

import json
import time
from contextlib import contextmanager

import pytest
from celery.contrib.testing.worker import start_worker
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from chat.models import Conversation, Enquiry
from config.celery import app
from routing.models import Department, OperatorPresence
from tests.factories import chat_in
from tests.smtp_server import wait_for_mail
from tests.widgets.factories import (
    closure_in,
    offline_link_in,
    prechat_field_in,
    widget_settings_in,
)

pytestmark = pytest.mark.usefixtures("staffed", "clean_hours")

ATTACK = '<img src=x onerror="alert(1)">'


def get(host: str, path: str, **params):
    return Client(HTTP_HOST=host).get(path, params)


def post(host: str, path: str, body, token: str | None = None, origin: str | None = None):
    headers = {}
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    if origin:
        headers["HTTP_ORIGIN"] = origin
    return Client(HTTP_HOST=host).post(
        path, data=json.dumps(body), content_type="application/json", **headers
    )


def start(host: str = "alpha.localhost", **extra):
    body = {
        "name": "Jo",
        "message": "Can I pay in instalments?",
        "page_url": "https://www.alpha.gov.uk/parking/pay",
        **extra,
    }
    return post(host, "/widget/conversations", body)


@contextmanager
def worker():
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


# ---- config -------------------------------------------------------------------------------


def test_config_carries_the_councils_branding_texts_and_switches(councils):
    widget_settings_in(
        councils.alpha,
        brand_colour="#00594f",
        greeting="Hello from Alpha",
        launcher_text="Ask Alpha",
        launcher_position="left",
        quick_exit_enabled=True,
        quick_exit_url="https://www.bbc.co.uk/news",
        rating_enabled=False,
    )
    body = get("alpha.localhost", "/widget/config").json()
    council = body["council"]
    assert (council["brand_colour"], council["greeting"], council["launcher_text"]) == (
        "#00594f",
        "Hello from Alpha",
        "Ask Alpha",
    )
    assert council["launcher_position"] == "left"
    assert council["quick_exit"] == {"url": "https://www.bbc.co.uk/news"}
    assert council["rating_enabled"] is False and council["transcript_enabled"] is True
    assert body["strings"]["launcher"] == "Chat with us"
    assert body["availability"]["online"] is True
    # Another council keeps its own defaults.
    beta = get("beta.localhost", "/widget/config").json()["council"]
    assert beta["greeting"] != "Hello from Alpha" and beta["quick_exit"] is None


def test_given_welsh_offered_when_asked_in_welsh_then_strings_and_council_texts_are_welsh(
    councils,
):
    widget_settings_in(
        councils.alpha,
        offer_welsh=True,
        greeting="Hello",
        greeting_cy="Shwmae",
        launcher_text_cy="",
    )
    with schema_context(councils.alpha.schema_name):
        Department.objects.filter(slug="parking").update(name_cy="Parcio")
    body = get("alpha.localhost", "/widget/config", lang="cy").json()
    assert body["language"] == "cy" and body["languages"] == ["en", "cy"]
    assert body["strings"]["start"] == "Dechrau sgwrs"
    assert body["council"]["greeting"] == "Shwmae"
    assert body["council"]["launcher_text"] == "Chat with us"  # blank Welsh: English
    assert {"slug": "parking", "name": "Parcio"} in body["departments"]


def test_given_welsh_not_offered_when_asked_in_welsh_then_english(councils):
    body = get("alpha.localhost", "/widget/config", lang="cy").json()
    assert body["language"] == "en" and body["languages"] == ["en"]
    assert body["strings"]["start"] == "Start chat"


def test_given_welsh_is_the_default_then_the_config_is_welsh_unless_english_is_asked(councils):
    widget_settings_in(councils.alpha, offer_welsh=True, default_language="cy")
    assert get("alpha.localhost", "/widget/config").json()["language"] == "cy"
    assert get("alpha.localhost", "/widget/config", lang="en").json()["language"] == "en"


def test_config_lists_prechat_fields_and_offline_links_in_the_chosen_language(councils):
    widget_settings_in(councils.alpha, offer_welsh=True, offline_mode="links")
    prechat_field_in(
        councils.alpha,
        "topic",
        "choice",
        label="Topic",
        label_cy="Pwnc",
        choices="Fines | Dirwyon\nPermits",
        required=True,
    )
    offline_link_in(councils.alpha, "Contact us", "https://www.alpha.gov.uk/contact", title_cy="")
    council = get("alpha.localhost", "/widget/config", lang="cy").json()["council"]
    assert council["fields"] == [
        {
            "key": "topic",
            "kind": "choice",
            "label": "Pwnc",
            "help_text": "",
            "required": True,
            "choices": [
                {"value": "Fines", "label": "Dirwyon"},
                {"value": "Permits", "label": "Permits"},
            ],
        }
    ]
    assert council["offline"]["mode"] == "links"
    assert council["offline"]["links"] == [
        {"title": "Contact us", "url": "https://www.alpha.gov.uk/contact"}
    ]


def test_partnership_config_gives_each_member_council_its_own_branding(councils):
    widget_settings_in(councils.alpha, brand_colour="#00594f", greeting="Alpha says hi")
    widget_settings_in(councils.beta, brand_colour="#6f2c91")
    body = get(councils.partnership_host, "/widget/config").json()
    by_slug = {c["slug"]: c for c in body["councils"]}
    assert by_slug["alpha"]["brand_colour"] == "#00594f"
    assert by_slug["alpha"]["greeting"] == "Alpha says hi"
    assert by_slug["beta"]["brand_colour"] == "#6f2c91"


@pytest.fixture
def welsh_service(councils):
    from django.db import connection

    from councils.models import Partnership, PartnershipService

    connection.set_schema_to_public()
    partnership = Partnership.objects.get(slug="wessex")
    service = PartnershipService.objects.create(
        partnership=partnership, slug="bins", name="Bins", name_cy="Biniau"
    )
    yield service
    connection.set_schema_to_public()
    service.delete()


def test_a_welsh_config_names_the_councils_and_services_in_welsh_and_english_without_one(
    councils, welsh_service
):
    """Issue 15: the council's Welsh name (Alpha: "Cyngor Alffa") in the title and the
    partnership's council picker, also for a member that does not chat in Welsh (Beta); a
    council without one (Gamma) and an English config keep the English names."""
    widget_settings_in(councils.alpha, offer_welsh=True)
    welsh = get("alpha.localhost", "/widget/config", lang="cy").json()
    assert welsh["council"]["name"] == "Cyngor Alffa"
    assert get("alpha.localhost", "/widget/config").json()["council"]["name"] == "Alpha Council"
    widget_settings_in(councils.gamma, offer_welsh=True)
    assert get("gamma.localhost", "/widget/config", lang="cy").json()["council"]["name"] == (
        "Gamma Council"
    )

    shared = get(councils.partnership_host, "/widget/config", lang="cy").json()
    assert shared["language"] == "cy"
    assert {c["slug"]: c["name"] for c in shared["councils"]} == {
        "alpha": "Cyngor Alffa",
        "beta": "Cyngor Beta",
    }
    assert {"slug": "bins", "name": "Biniau", "asks_postcode": False} in shared["services"]
    english = get(councils.partnership_host, "/widget/config").json()
    assert {c["name"] for c in english["councils"]} == {"Alpha Council", "Beta Council"}
    assert {"slug": "bins", "name": "Bins", "asks_postcode": False} in english["services"]


# ---- availability -------------------------------------------------------------------------


def test_the_partnership_widget_is_online_while_any_member_council_is(councils):
    body = get(councils.partnership_host, "/widget/availability").json()
    assert body["availability"]["online"] is True
    assert set(body["councils"]) == {"alpha", "beta"}
    with schema_context(councils.alpha.schema_name):
        OperatorPresence.objects.update(status="offline")
    body = get(councils.partnership_host, "/widget/availability").json()
    assert body["availability"]["online"] is True
    assert body["councils"]["alpha"]["reason"] == "no_operator_online"
    with schema_context(councils.beta.schema_name):
        OperatorPresence.objects.update(status="offline")
    body = get(councils.partnership_host, "/widget/availability").json()
    assert body["availability"] == {
        "online": False,
        "reason": "no_operator_online",
        "next_open": None,
        "next_open_text": "",
        "hours": [],
    }


def test_availability_changes_live_when_the_last_operator_goes_offline(councils):
    assert get("alpha.localhost", "/widget/availability").json()["availability"]["online"]
    with schema_context(councils.alpha.schema_name):
        OperatorPresence.objects.update(status="offline")
    availability = get("alpha.localhost", "/widget/availability").json()["availability"]
    assert availability == {
        "online": False,
        "reason": "no_operator_online",
        "next_open": None,
        "next_open_text": "",
        "hours": [],
    }
    assert get("beta.localhost", "/widget/availability").json()["availability"]["online"]


def test_given_a_closure_today_then_config_says_closed_with_when_it_opens(councils):
    closure_in(councils.alpha, timezone.localdate())
    availability = get("alpha.localhost", "/widget/config").json()["availability"]
    assert availability["online"] is False and availability["reason"] == "closed"
    tomorrow = timezone.localdate() + timezone.timedelta(days=1)
    assert availability["next_open"].startswith(tomorrow.isoformat())
    assert availability["next_open_text"]


def test_given_chat_is_closed_when_a_chat_is_started_then_409_closed_and_nothing_stored(
    councils,
):
    closure_in(councils.alpha, timezone.localdate())
    response = start()
    assert response.status_code == 409
    assert response.json()["reason"] == "closed"
    assert response.json()["next_open"]
    with schema_context(councils.alpha.schema_name):
        assert Conversation.objects.count() == 0


def test_given_the_queue_is_full_then_availability_says_so(councils):
    from tests.conftest import set_routing

    set_routing(councils.alpha, queue_cap=1, assignment_strategy="manual")
    chat_in(councils.alpha)
    availability = get("alpha.localhost", "/widget/availability").json()["availability"]
    assert availability["reason"] == "queue_full"


# ---- pre-chat questions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "answer", "extra"),
    [
        ("text", "", {"required": True}),
        ("email", "not-an-email", {}),
        ("phone", "call me", {}),
        ("postcode", "nowhere", {}),
        ("choice", "Bananas", {"choices": "Fines\nPermits"}),
        ("consent", False, {"required": True}),
    ],
)
def test_given_a_bad_answer_to_a_council_question_then_400_names_it_and_nothing_stored(
    councils, kind, answer, extra
):
    prechat_field_in(councils.alpha, "q1", kind, label="Question one", **extra)
    response = start(fields={"q1": answer})
    assert response.status_code == 400
    assert response.json()["errors"]["fields.q1"][0]
    with schema_context(councils.alpha.schema_name):
        assert Conversation.objects.count() == 0


def test_good_answers_to_council_questions_are_stored_with_the_chat(councils):
    prechat_field_in(councils.alpha, "email", "email", required=True)
    prechat_field_in(councils.alpha, "consent", "consent", required=True)
    prechat_field_in(councils.alpha, "topic", "choice", choices="Fines | Dirwyon\nPermits")
    response = start(fields={"email": "jo@example.com", "consent": True, "topic": "Fines"})
    assert response.status_code == 201
    with schema_context(councils.alpha.schema_name):
        assert Conversation.objects.get().prechat == {
            "email": "jo@example.com",
            "consent": True,
            "topic": "Fines",
        }


# ---- after the chat: rating, transcript, end ----------------------------------------------


def test_a_visitor_rates_their_chat_with_its_token(councils):
    chat = chat_in(councils.alpha)
    path = f"/widget/conversations/{chat.id}/rating"
    response = post("alpha.localhost", path, {"rating": 4, "comment": ATTACK}, token=chat.token)
    assert response.status_code == 204
    with schema_context(councils.alpha.schema_name):
        conversation = Conversation.objects.get(id=chat.id)
        assert (conversation.rating, conversation.rating_comment) == (4, ATTACK)


def test_given_ratings_switched_off_then_a_rating_is_refused_with_403_and_not_stored(councils):
    widget_settings_in(councils.alpha, rating_enabled=False)
    chat = chat_in(councils.alpha)
    path = f"/widget/conversations/{chat.id}/rating"
    response = post("alpha.localhost", path, {"rating": 4}, token=chat.token)
    assert response.status_code == 403
    assert response.json()["error"] == "rating_disabled"
    with schema_context(councils.alpha.schema_name):
        assert Conversation.objects.get(id=chat.id).rating is None
    other = chat_in(councils.beta)  # beta still asks
    path = f"/widget/conversations/{other.id}/rating"
    assert post("beta.localhost", path, {"rating": 4}, token=other.token).status_code == 204


def test_given_transcripts_switched_off_then_one_is_refused_with_403_and_nothing_queued(
    councils,
):
    widget_settings_in(councils.alpha, transcript_enabled=False)
    chat = chat_in(councils.alpha)
    path = f"/widget/conversations/{chat.id}/transcript"
    response = post("alpha.localhost", path, {"email": "jo@example.com"}, chat.token)
    assert response.status_code == 403
    assert response.json()["error"] == "transcript_disabled"
    with schema_context(councils.alpha.schema_name):
        assert Conversation.objects.get(id=chat.id).transcript_email == ""


def test_a_cross_origin_preflight_allows_the_authorization_header_for_allowed_sites(councils):
    chat = chat_in(councils.alpha)
    client = Client(HTTP_HOST="alpha.localhost")
    path = f"/widget/conversations/{chat.id}/rating"
    allowed = client.options(path, HTTP_ORIGIN="https://www.alpha.gov.uk")
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == "https://www.alpha.gov.uk"
    assert "Authorization" in allowed["Access-Control-Allow-Headers"]
    refused = client.options(path, HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in refused


def test_the_token_may_also_come_in_the_body(councils):
    chat = chat_in(councils.alpha)
    path = f"/widget/conversations/{chat.id}/rating"
    assert post("alpha.localhost", path, {"rating": 5, "token": chat.token}).status_code == 204


@pytest.mark.parametrize("rating", [0, 6, "five", None])
def test_a_rating_outside_1_to_5_is_refused(councils, rating):
    chat = chat_in(councils.alpha)
    path = f"/widget/conversations/{chat.id}/rating"
    response = post("alpha.localhost", path, {"rating": rating}, token=chat.token)
    assert response.status_code == 400 and response.json()["errors"]["rating"]


def test_rating_needs_the_token_of_that_chat_on_that_councils_host(councils):
    chat = chat_in(councils.alpha)
    other = chat_in(councils.alpha)
    path = f"/widget/conversations/{chat.id}/rating"
    assert post("alpha.localhost", path, {"rating": 1}).status_code == 401
    assert post("alpha.localhost", path, {"rating": 1}, token="forged").status_code == 401
    assert post("alpha.localhost", path, {"rating": 1}, token=other.token).status_code == 403
    # Alpha's token means nothing on Gamma's host.
    assert post("gamma.localhost", path, {"rating": 1}, token=chat.token).status_code == 403
    # A page that may not embed the chat is refused.
    response = post(
        "alpha.localhost", path, {"rating": 1}, token=chat.token, origin="https://evil.example"
    )
    assert response.status_code == 403
    with schema_context(councils.alpha.schema_name):
        assert Conversation.objects.get(id=chat.id).rating is None


def test_on_the_partnership_host_the_token_decides_the_council(councils):
    chat = chat_in(councils.beta)
    path = f"/widget/conversations/{chat.id}/rating"
    response = post(councils.partnership_host, path, {"rating": 3}, token=chat.token)
    assert response.status_code == 204
    with schema_context(councils.beta.schema_name):
        assert Conversation.objects.get(id=chat.id).rating == 3


def test_quick_exit_beacon_ends_the_chat_as_the_system(councils):
    chat = chat_in(councils.alpha)
    # navigator.sendBeacon sends a text/plain body.
    response = Client(HTTP_HOST="alpha.localhost").post(
        f"/widget/conversations/{chat.id}/end",
        data=json.dumps({"token": chat.token, "quick_exit": True}),
        content_type="text/plain;charset=UTF-8",
    )
    assert response.status_code == 204
    with schema_context(councils.alpha.schema_name):
        conversation = Conversation.objects.get(id=chat.id)
        assert (conversation.status, conversation.ended_by) == ("ended", "system")


def test_a_visitor_ending_by_http_is_recorded_as_the_visitor(councils):
    chat = chat_in(councils.alpha)
    response = post("alpha.localhost", f"/widget/conversations/{chat.id}/end", {}, chat.token)
    assert response.status_code == 204
    with schema_context(councils.alpha.schema_name):
        assert Conversation.objects.get(id=chat.id).ended_by == "visitor"


def test_a_transcript_is_emailed_with_everything_typed_escaped(councils, smtp_outbox):
    chat = chat_in(councils.alpha, name=ATTACK, message=f"Hello {ATTACK}")
    path = f"/widget/conversations/{chat.id}/transcript"
    with worker():
        bad = post("alpha.localhost", path, {"email": "not an address"}, chat.token)
        assert bad.status_code == 400 and bad.json()["errors"]["email"]
        response = post("alpha.localhost", path, {"email": "jo@example.com"}, chat.token)
        assert response.status_code == 204
        wait_for_mail(smtp_outbox)
    mail = smtp_outbox[0]
    assert mail["X-Envelope-To"] == "jo@example.com"
    assert "Alpha Council" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert f"Hello {ATTACK}" in text
    assert "<img" not in html and "Hello &lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    with schema_context(councils.alpha.schema_name):
        conversation = Conversation.objects.get(id=chat.id)
        assert conversation.transcript_email == "jo@example.com"
        assert conversation.transcript_sent_at is not None


def transcript_status(chat, token: str | None = None) -> tuple[int, dict]:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token or chat.token}"} if token != "" else {}
    response = Client(HTTP_HOST="alpha.localhost").get(
        f"/widget/conversations/{chat.id}/transcript", **headers
    )
    return response.status_code, response.json()


def test_the_transcript_status_is_pending_until_the_outbox_has_sent_it_then_sent(
    councils, smtp_outbox
):
    chat = chat_in(councils.alpha)
    assert transcript_status(chat) == (200, {"status": "none"})
    path = f"/widget/conversations/{chat.id}/transcript"
    assert post("alpha.localhost", path, {"email": "jo@example.com"}, chat.token).status_code == 204
    assert transcript_status(chat) == (200, {"status": "pending"})  # no worker yet
    with worker():
        wait_for_mail(smtp_outbox)
        deadline = time.monotonic() + 20
        while transcript_status(chat)[1]["status"] != "sent":
            assert time.monotonic() < deadline, "the outbox never marked the transcript sent"
            time.sleep(0.1)


def test_a_transcript_the_outbox_gave_up_on_reads_failed_and_other_tokens_are_refused(councils):
    from outbox.models import OutboxItem

    chat, other = chat_in(councils.alpha), chat_in(councils.alpha)
    with schema_context(councils.alpha.schema_name):
        OutboxItem.objects.create(
            kind="transcript_email",
            ref=str(chat.id),
            payload={"email": "jo@example.com"},
            given_up_at=timezone.now(),
        )
    assert transcript_status(chat) == (200, {"status": "failed"})
    assert transcript_status(chat, token=other.token)[0] == 403
    assert transcript_status(chat, token="")[0] == 401


def test_a_welsh_chats_transcript_is_in_welsh(councils, smtp_outbox):
    chat = chat_in(councils.alpha)
    with schema_context(councils.alpha.schema_name):
        Conversation.objects.filter(id=chat.id).update(language="cy")
    with worker():
        post(
            "alpha.localhost",
            f"/widget/conversations/{chat.id}/transcript",
            {"email": "jo@example.com"},
            chat.token,
        )
        wait_for_mail(smtp_outbox)
    # The council's Welsh name, after a colon: "gyda Cyngor" would need the mutation
    # "gyda Chyngor", which a placeholder cannot make (issue 15).
    assert smtp_outbox[0]["Subject"] == "Eich sgwrs gyda'r cyngor: Cyngor Alffa"


# ---- enquiries left while chat is unavailable ---------------------------------------------


def enquiry(host="alpha.localhost", **extra):
    body = {
        "name": ATTACK,
        "email": "jo@example.com",
        "message": f"Please call me {ATTACK}",
        "page_url": "https://www.alpha.gov.uk/parking/pay",
        "reason": "closed",
        **extra,
    }
    return post(host, "/widget/enquiries", body)


def test_an_enquiry_is_stored_and_emailed_to_its_department_as_plain_text(councils, smtp_outbox):
    with schema_context(councils.alpha.schema_name):
        Department.objects.filter(slug="parking").update(email="parking@alpha.gov.uk")
    with worker():
        response = enquiry()
        assert response.status_code == 201
        wait_for_mail(smtp_outbox)
    mail = smtp_outbox[0]
    assert mail["X-Envelope-To"] == "parking@alpha.gov.uk"
    assert mail["Reply-To"] == "jo@example.com"
    assert mail.get_content_type() == "text/plain"
    assert f"Please call me {ATTACK}" in mail.get_content()
    with schema_context(councils.alpha.schema_name):
        stored = Enquiry.objects.get(id=response.json()["enquiry"])
        assert (stored.reason, stored.department.slug, stored.name) == ("closed", "parking", ATTACK)
        assert stored.emailed_at is not None
    with schema_context(councils.beta.schema_name):
        assert not Enquiry.objects.exists()
    with schema_context(councils.alpha.schema_name):
        Department.objects.filter(slug="parking").update(email="")


def test_an_enquiry_for_a_department_without_an_address_is_stored_and_not_emailed(councils):
    response = enquiry(reason="no_operator_online")
    assert response.status_code == 201
    with schema_context(councils.alpha.schema_name):
        stored = Enquiry.objects.get()
        assert stored.reason == "no_operator_online" and stored.emailed_at is None


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"email": "", "phone": ""}, "email"),
        ({"email": "nope"}, "email"),
        ({"email": "", "phone": "ring me"}, "phone"),
        ({"message": ""}, "message"),
        ({"name": ""}, "name"),
        ({"reason": "bored"}, "reason"),
    ],
)
def test_a_bad_enquiry_is_refused_with_the_field_named(councils, extra, field):
    response = enquiry(**extra)
    assert response.status_code == 400 and response.json()["errors"][field]
    with schema_context(councils.alpha.schema_name):
        assert not Enquiry.objects.exists()


def test_a_partnership_enquiry_goes_to_the_council_the_visitor_picked(councils):
    response = enquiry(councils.partnership_host, council="beta")
    assert response.status_code == 201
    with schema_context(councils.beta.schema_name):
        assert Enquiry.objects.count() == 1
    with schema_context(councils.alpha.schema_name):
        assert not Enquiry.objects.exists()


def test_a_partnership_chat_routed_to_a_council_with_a_required_question_names_that_council(
    councils,
):
    prechat_field_in(councils.beta, "consent", kind="consent", required=True)
    body = {"name": "Jo", "message": "Bins?", "council": "beta"}

    refused = post(councils.partnership_host, "/widget/conversations", body)

    assert refused.status_code == 400
    assert refused.json()["council"] == "beta" and "fields.consent" in refused.json()["errors"]
    with schema_context(councils.beta.schema_name):
        assert not Conversation.objects.exists()
    started = post(
        councils.partnership_host,
        "/widget/conversations",
        {**body, "fields": {"consent": True}},
    )
    assert started.status_code == 201 and started.json()["council"] == "beta"


def test_the_pre_chat_form_gets_the_councils_lawful_basis_and_notice_in_each_language(councils):
    from widgets.models import LAWFUL_BASIS, LAWFUL_BASIS_CY

    body = get("alpha.localhost", "/widget/config").json()["council"]
    assert body["lawful_basis"] == LAWFUL_BASIS  # every council shows one from the start
    widget_settings_in(
        councils.alpha,
        offer_welsh=True,
        privacy_notice_url="https://www.alpha.gov.uk/privacy",
        privacy_notice_url_cy="https://www.alpha.gov.uk/preifatrwydd",
        lawful_basis="Alpha uses what you type to answer you (public task).",
    )
    english = get("alpha.localhost", "/widget/config").json()["council"]
    welsh = get("alpha.localhost", "/widget/config", lang="cy").json()["council"]
    assert english["privacy_notice_url"] == "https://www.alpha.gov.uk/privacy"
    assert english["lawful_basis"] == "Alpha uses what you type to answer you (public task)."
    assert welsh["privacy_notice_url"] == "https://www.alpha.gov.uk/preifatrwydd"
    assert welsh["lawful_basis"] == LAWFUL_BASIS_CY
    beta = get("beta.localhost", "/widget/config", lang="cy").json()["council"]
    assert beta["privacy_notice_url"] == ""  # each council its own
