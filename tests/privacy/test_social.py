"""The social app's personal data joins subject access, erasure and retention through its
own privacy.py: found by social id or WhatsApp number, erased without a trace."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django_tenants.utils import schema_context

from privacy import audit
from privacy.access import subject_access
from privacy.erasure import erase_subject
from privacy.registry import Subject
from social.models import SocialConnection, SocialContact, SocialMedia, SocialMessage
from tests.privacy.helpers import planted_chat
from tests.privacy.test_access_and_erasure import read_zip, traces

pytestmark = pytest.mark.usefixtures("committed")
ACTOR = audit.Actor(name="dpo", source="test")
WA_ID = "447700900456"


def plant_whatsapp(council) -> str:
    chat = planted_chat(
        council,
        ended_at=datetime(2026, 11, 1, 10, 0, tzinfo=UTC),
        name="Wanda Wombatson",
        text="A wombat dug up my garden",
    )
    with schema_context(council.schema_name):
        connection, _ = SocialConnection.objects.get_or_create(
            kind="whatsapp", external_id="pn-1", defaults={"name": "Council WhatsApp"}
        )
        contact = SocialContact.objects.create(
            channel="whatsapp", connection=connection, external_user_id=WA_ID,
            name="Wanda Wombatson",
        )  # fmt: skip
        message = SocialMessage.objects.create(
            contact=contact, conversation_id=chat, direction="in", state="received",
            body="A wombat dug up my garden",
        )  # fmt: skip
        SocialMedia.objects.create(
            social_message=message, kind="image", source="wamid.MEDIA-wombat",
            filename="wombat-garden.jpg", content_type="image/jpeg",
        )  # fmt: skip
    return str(chat)


@pytest.mark.parametrize("subject", [Subject(social_id=WA_ID), Subject(phone="07700 900456")])
def test_subject_access_by_social_id_or_whatsapp_number_includes_the_chat_and_media(
    councils, subject
):
    chat = plant_whatsapp(councils.alpha)
    plant_whatsapp(councils.beta)
    with schema_context(councils.alpha.schema_name):
        result = subject_access(subject=subject, actor=ACTOR, council_name="Alpha")
    document, _ = read_zip(result.zip_bytes)
    records = document["records"]
    assert [c["id"] for c in records["conversations"]] == [chat]
    assert records["social identities"][0]["id"] == WA_ID
    assert records["social media"][0]["filename"] == "wombat-garden.jpg"
    assert "wombat" in json.dumps(records["conversations"]).lower()


def test_erasure_by_social_id_leaves_no_trace_of_the_resident(councils):
    plant_whatsapp(councils.alpha)
    plant_whatsapp(councils.beta)
    with schema_context(councils.alpha.schema_name):
        result = erase_subject(subject=Subject(social_id=WA_ID), actor=ACTOR)
    assert result.counts["social identities"] == 1 and result.counts["social media"] == 1
    assert result.counts["conversations"] == 1
    assert traces(councils.alpha.schema_name, ["wombat", "wanda", WA_ID, "7700900456"]) == []
    assert traces(councils.beta.schema_name, ["wombat"])


def test_downloading_a_residents_attachment_is_audited(councils):
    from django.core.files.base import ContentFile
    from django.test import Client
    from django.utils import timezone

    from privacy.models import AuditEntry
    from tests.admin.factories import council_admin

    plant_whatsapp(councils.alpha)
    with schema_context(councils.alpha.schema_name):
        media = SocialMedia.objects.get()
        media.file.save(f"private/{councils.alpha.schema_name}/t.png", ContentFile(b"png"))
        media.content_type, media.fetched_at = "image/png", timezone.now()
        media.save()
    chief = council_admin(councils.alpha)
    client = Client(HTTP_HOST="alpha.localhost")
    with schema_context(councils.alpha.schema_name):
        from django.contrib.auth import get_user_model

        client.force_login(get_user_model().objects.get(pk=chief.id))

    assert client.get(f"/social/media/{media.pk}/").status_code == 200

    with schema_context(councils.alpha.schema_name):
        entry = AuditEntry.objects.get(action="media_viewed")
        assert (entry.object_type, entry.object_id, entry.actor_name) == (
            "social_media", str(media.pk), "chief",
        )  # fmt: skip
