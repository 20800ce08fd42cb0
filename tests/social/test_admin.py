"""Council admins add, test and disable connections; an id belongs to one council only;
tokens are encrypted and never shown."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import schema_context

from social.connections import connection_save
from social.hub.models import SocialAccount
from social.models import SocialConnection
from tests.admin.factories import admin_client, council_admin
from tests.social.helpers import ALPHA_PAGE, BETA_PHONE

pytestmark = pytest.mark.usefixtures("social")

ADD = "/admin/social/socialconnection/add/"


def form(**values) -> dict:
    return {
        "kind": "messenger",
        "external_id": "100000000000077",
        "name": "Gamma on Facebook",
        "waba_id": "",
        "display_number": "",
        "department": "",
        "enabled": "on",
        "token": "standin-100000000000077",
        **values,
    }


def test_a_council_admin_adds_a_page_and_its_token_is_stored_encrypted_and_never_shown(social):
    council_admin(social.gamma)
    client = admin_client(social.gamma, "chief")
    response = client.post(ADD, form())
    assert response.status_code == 302, response.content[:2000]
    with schema_context(social.gamma.schema_name):
        saved = SocialConnection.objects.get(external_id="100000000000077")
        ciphertext = bytes(saved.token_encrypted)
        assert saved.token == "standin-100000000000077"
    assert b"standin-100000000000077" not in ciphertext
    connection.set_schema_to_public()
    assert SocialAccount.objects.get(external_id="100000000000077").council_id == social.gamma.id
    listing = client.get("/admin/social/socialconnection/")
    change = client.get(f"/admin/social/socialconnection/{saved.pk}/change/")
    for page in (listing, change):
        assert page.status_code == 200
        assert b"standin-100000000000077" not in page.content
        assert ciphertext[:20] not in page.content


def test_an_id_another_council_has_is_refused_with_a_clear_error(social):
    council_admin(social.gamma)
    client = admin_client(social.gamma, "chief")
    response = client.post(ADD, form(external_id=ALPHA_PAGE))
    assert response.status_code == 200
    assert b"already connected to another council" in response.content
    response = client.post(
        ADD, form(kind="whatsapp", external_id=BETA_PHONE, waba_id="300000000000009")
    )
    assert b"already connected to another council" in response.content
    with schema_context(social.gamma.schema_name):
        assert not SocialConnection.objects.exists()
        with pytest.raises(ValidationError):
            connection_save(
                council_id=social.gamma.id,
                connection=SocialConnection(kind="messenger", external_id=ALPHA_PAGE),
                token="x",
            )
    connection.set_schema_to_public()
    assert SocialAccount.objects.get(external_id=ALPHA_PAGE).council_id == social.alpha.id


def test_test_connection_asks_the_graph_api_and_says_whether_the_token_works(social, graph):
    council_admin(social.alpha)
    client = admin_client(social.alpha, "chief")
    with schema_context(social.alpha.schema_name):
        good = SocialConnection.objects.get(kind="messenger")
        bad = SocialConnection.objects.get(kind="whatsapp")
        bad.set_token("revoked-token")
        bad.save()
    response = client.post(
        "/admin/social/socialconnection/",
        {"action": "test_connections", "_selected_action": [good.pk, bad.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert "works" in text and "does not work" in text
    assert "revoked-token" not in text
    with schema_context(social.alpha.schema_name):
        good.refresh_from_db()
        bad.refresh_from_db()
    assert good.last_test_ok is True and bad.last_test_ok is False


def test_a_disabled_connection_can_be_switched_off_from_the_list(social):
    council_admin(social.alpha)
    client = admin_client(social.alpha, "chief")
    with schema_context(social.alpha.schema_name):
        ids = list(SocialConnection.objects.values_list("pk", flat=True))
    client.post(
        "/admin/social/socialconnection/",
        {"action": "disable_connections", "_selected_action": ids},
    )
    with schema_context(social.alpha.schema_name):
        assert not SocialConnection.objects.filter(enabled=True).exists()


def test_the_service_report_and_the_history_show_each_chats_channel(social):
    from chat.models import Conversation
    from tests.social.helpers import whatsapp_message
    from tests.social.test_inbound import deliver

    deliver(whatsapp_message())
    council_admin(social.alpha)
    client = admin_client(social.alpha, "chief")
    report = client.get("/admin/report/")
    assert report.status_code == 200
    assert b"report-channels" in report.content and b"WhatsApp" in report.content
    history = client.get("/admin/chat/conversation/?channel__exact=whatsapp")
    assert history.status_code == 200
    with schema_context(social.alpha.schema_name):
        chat = Conversation.objects.get(channel="whatsapp")
    assert str(chat.id).encode() in history.content or b"Brian" in history.content


def test_a_councils_export_keeps_its_connections_but_never_their_tokens(social):
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    from councils.models import Council
    from councils.offboarding import council_export_unsafe

    export = council_export_unsafe(Council.objects.get(pk=social.alpha.id))
    rows = export["schema"]["social.socialconnection"]
    assert {row["fields"]["external_id"] for row in rows} == {ALPHA_PAGE, "200000000000001"}
    assert all("token_encrypted" not in row["fields"] for row in rows)
    assert "standin-" not in json.dumps(export, cls=DjangoJSONEncoder)
