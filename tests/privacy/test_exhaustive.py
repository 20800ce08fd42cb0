"""Erasure, retention and subject access, checked by construction rather than by a list of
tables: one resident is planted in Alpha and Beta through the real front doors
(tests/privacy/planting.py), and afterwards every text, varchar, char, bytea, json and jsonb
column of every table of the council's schema (read from information_schema), every file
under its private media folder, and every Redis key of the run are searched for the planted
strings. A table, file or key some future app adds is searched without anyone listing it."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from io import StringIO

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone
from django_tenants.utils import schema_context

from attachments.models import Attachment
from chat.models import Conversation, Message
from privacy import audit
from privacy.access import subject_access
from privacy.erasure import erase_subject
from privacy.holds import legal_hold_place, legal_hold_release
from privacy.models import AuditEntry, ErasureReceipt
from privacy.registry import Subject
from privacy.retention import apply_retention
from social.hub.models import WebhookInbox
from social.models import SocialContact, SocialMedia
from social.tasks import inbox_prune
from tests.admin.factories import admin_client, council_admin
from tests.attachments.helpers import logged_in
from tests.privacy.planting import (
    EMAIL,
    NAME,
    NEEDLES,
    PDF,
    PHONE,
    WHATSAPP_ID,
    file_traces,
    plant_resident,
    redis_traces,
    schema_traces,
    stored_files,
)

pytestmark = pytest.mark.usefixtures("social")

ACTOR = audit.Actor(name="dpo", source="test")
# Every identifier the council knows the resident by: a DPO erases by each.
SUBJECTS = [Subject(email=EMAIL), Subject(phone=PHONE), Subject(name=NAME)]
SUBJECTS.append(Subject(social_id=WHATSAPP_ID))
# Where the planting must have put the resident's data (the search must see it there first,
# or it proves nothing).
EXPECTED_BEFORE = {
    ("chat_visitor", "name"),
    ("chat_conversation", "prechat"),
    ("chat_conversation", "page_url"),
    ("chat_conversation", "rating_comment"),
    ("chat_conversation", "transcript_email"),
    ("chat_message", "body"),
    ("chat_message", "author_name"),
    ("chat_message", "params"),
    ("chat_message", "client_id"),
    ("chat_note", "body"),
    ("chat_enquiry", "message"),
    ("chat_enquiry", "phone"),
    ("chat_enquiry", "handled_note"),
    ("attachments_attachment", "name"),
    ("assistant_turn", "question"),
    ("outbox_outboxitem", "payload"),
    ("social_socialcontact", "name"),
    ("social_socialcontact", "external_user_id"),
    ("social_socialmessage", "body"),
    ("social_socialmedia", "filename"),
}


def columns(traces) -> set[tuple[str, str]]:
    return {(table, column) for table, column, _ in traces}


def statistics(schema: str) -> list[tuple]:
    with schema_context(schema):
        rows = Conversation.objects.values_list(
            "id", "channel", "language", "status", "outcome", "rating", "created_at",
            "accepted_at", "answered_at", "first_reply_at", "ended_at", "last_seq",
            "department_id", "operator_id", "tags",
        )  # fmt: skip
        return [*sorted(rows), ("messages", Message.objects.count())]


async def plant_both(councils, graph):
    return await plant_resident(councils.alpha, graph), await plant_resident(councils.beta, graph)


@pytest.fixture(autouse=True)
def _no_files(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _before(alpha, beta) -> None:
    schema = alpha.council.schema_name
    seen = schema_traces(schema)
    missing = EXPECTED_BEFORE - columns(seen)
    assert not missing, f"the planting did not reach {missing}"
    assert {needle for _, _, needle in seen} == set(NEEDLES)
    assert len(stored_files(schema)) == 2  # the web chat's PDF and the WhatsApp document
    assert file_traces(schema)  # the letter's text names the resident
    assert schema_traces(beta.council.schema_name)
    # Public holds the partnership routing log's page paths, one per council.
    assert schema_traces("public", [alpha.marker, beta.marker]) == [
        ("councils_routingdecision", "page_path", alpha.marker),
        ("councils_routingdecision", "page_path", beta.marker),
    ]


def _public_after(alpha, beta) -> None:
    """Nothing of the resident's at Alpha is left in public; Beta's path stays."""
    assert schema_traces("public", [*NEEDLES, alpha.marker]) == [
        ("councils_routingdecision", "page_path", "zyxwv")
    ]
    assert schema_traces("public", [beta.marker])


@sync_to_async
def _erase_and_check(alpha, beta) -> None:
    schema = alpha.council.schema_name
    _before(alpha, beta)
    beta_before = schema_traces(beta.council.schema_name)
    beta_files = stored_files(beta.council.schema_name)
    stats = statistics(schema)

    with schema_context(schema):
        receipts = [erase_subject(subject=s, actor=ACTOR).receipt_id for s in SUBJECTS[:3]]
    # The last one from the command line, as a DPO would run it.
    out = StringIO()
    call_command("erase_subject", "--council", "alpha", "--social-id", WHATSAPP_ID, stdout=out)
    assert "Erasure receipt" in out.getvalue()

    assert schema_traces(schema) == []
    assert file_traces(schema) == [] and stored_files(schema) == []
    assert redis_traces() == []
    _public_after(alpha, beta)
    assert statistics(schema) == stats  # every figure reports read is unchanged
    # The other council's copy of the same person is untouched.
    assert schema_traces(beta.council.schema_name) == beta_before
    assert stored_files(beta.council.schema_name) == beta_files
    # Receipts: when, by whom, what, how many; nothing personal (the search above covers
    # privacy_erasurereceipt and the audit log too).
    with schema_context(schema):
        first = ErasureReceipt.objects.get(pk=receipts[0])
        assert first.by_name == "dpo" and first.matched_by == "email"
        # The web chat, the partnership's and the assistant's (WhatsApp's is by number).
        assert first.counts["conversations"] == 3
        assert first.counts["partnership routing"] == 1
        assert first.counts["attachments"] == 1 and first.counts["enquiries"] == 1
        assert ErasureReceipt.objects.count() == len(SUBJECTS)
        assert AuditEntry.objects.filter(action="erasure").count() == len(SUBJECTS)
    connection.set_schema_to_public()


async def test_erasure_leaves_no_trace_in_any_column_file_or_redis_key_and_spares_the_other_council(
    social, graph
):
    alpha, beta = await plant_both(social, graph)
    await _erase_and_check(alpha, beta)


@sync_to_async
def _retain_and_check(alpha, beta) -> None:
    schema = alpha.council.schema_name
    _before(alpha, beta)
    beta_before = schema_traces(beta.council.schema_name)
    stats = statistics(schema)
    later = timezone.now() + timedelta(days=400 * 7)  # past every default period

    with schema_context(schema):
        dry = apply_retention(as_of=later, dry_run=True)
    assert dry.counts["transcripts"] == 4 and dry.counts["enquiries"] == 1
    assert dry.counts["partnership routing"] == 1
    assert columns(schema_traces(schema)) >= EXPECTED_BEFORE  # a dry run changes nothing

    with schema_context(schema):
        holds = [alpha.web_chat, alpha.whatsapp_chat]
        legal_hold_place(conversation_ids=holds, reason="Case 42", actor=ACTOR)
        apply_retention(as_of=later)
        held = Message.objects.filter(conversation_id=alpha.web_chat).exclude(body="")
        assert held.filter(body__icontains="zyxwv").exists()  # the hold keeps it
        # and the held WhatsApp chat's sender and document, past the "social" date too
        assert SocialContact.objects.get().external_user_id == WHATSAPP_ID
        assert SocialMedia.objects.get().file
        assert len(stored_files(schema)) == 2
        assert not Message.objects.filter(
            conversation_id=alpha.assistant_chat, body__icontains="zyxwv"
        ).exists()
        legal_hold_release(conversation_ids=holds, actor=ACTOR)
    # Released: the nightly job's command, evaluated as if on that date.
    as_of = f"{later:%Y-%m-%d}"
    call_command("apply_retention", "--council", "alpha", "--as-of", as_of, stdout=StringIO())

    assert schema_traces(schema) == []
    assert file_traces(schema) == [] and stored_files(schema) == []
    assert redis_traces() == []
    _public_after(alpha, beta)
    assert statistics(schema) == stats
    assert schema_traces(beta.council.schema_name) == beta_before
    connection.set_schema_to_public()


async def test_retention_past_the_date_leaves_no_trace_keeps_statistics_and_respects_a_hold(
    social, graph
):
    alpha, beta = await plant_both(social, graph)
    await _retain_and_check(alpha, beta)


@sync_to_async
def _access_and_check(alpha, beta, out_file) -> None:
    schema = alpha.council.schema_name
    # The first from the command line, as a DPO would run it; the others through the service.
    call_command(
        "subject_access", "--council", "alpha", "--email", EMAIL, "--out", str(out_file),
        stdout=StringIO(),
    )  # fmt: skip
    zips = [out_file.read_bytes()]
    with schema_context(schema):
        for subject in SUBJECTS[1:]:
            zips.append(
                subject_access(subject=subject, actor=ACTOR, council_name="Alpha").zip_bytes
            )
    documents, archives = [], []
    for data in zips:
        archive = zipfile.ZipFile(io.BytesIO(data))
        archives.append({name: archive.read(name) for name in archive.namelist()})
        documents.append(json.loads(archive.read("subject-access.json")))
    everything = json.dumps(documents)
    for text in alpha.texts:
        assert text in everything, f"{text!r} is missing from the export"
    assert beta.marker not in everything and "Beta" not in everything
    by_email = documents[0]["records"]
    chats = {c["id"]: c for c in by_email["conversations"]}
    assert set(chats) == {
        str(alpha.web_chat),
        str(alpha.partnership_chat),
        str(alpha.assistant_chat),
    }
    (routing,) = by_email["partnership routing"]
    assert routing["page_path"] == f"/residents/{alpha.marker}-path/bins"
    web = chats[str(alpha.web_chat)]
    assert web["tags"] == ["Complaint"] and web["rating"] == 2
    assert any(m["params"] for m in web["messages"])  # the system line naming them
    assert [e["id"] for e in by_email["enquiries"]] == [str(alpha.enquiry)]
    assert [o["kind"] for o in by_email["outbox items"]] == ["transcript_email"]
    assert by_email["outbox items"][0]["payload"]["email"] == EMAIL
    questions = {t["question"]: t for t in by_email["assistant questions"]}
    assert any("zyxwv-alpha-ask" in q for q in questions)
    assert any(t["helpful"] is False for t in questions.values())  # their feedback
    (attachment,) = by_email["attachments"]
    assert attachment["name"] == alpha.attachment_name
    assert archives[0][attachment["file"]] == PDF  # the file itself, as stored
    by_social = documents[3]["records"]
    assert [i["id"] for i in by_social["social identities"]] == [WHATSAPP_ID]
    (media,) = by_social["social media"]
    assert media["filename"] == alpha.document_name
    assert str(alpha.whatsapp_chat) in {c["id"] for c in by_social["conversations"]}
    assert any(n.startswith("social-media/") and content == PDF
               for n, content in archives[3].items())  # fmt: skip
    # Who accessed the records is part of the answer; and each request is itself audited.
    with schema_context(schema):
        assert AuditEntry.objects.filter(action="subject_access").count() == len(SUBJECTS)
    connection.set_schema_to_public()


async def test_subject_access_holds_every_planted_item_and_files_and_nothing_of_the_other_council(
    social, graph, tmp_path
):
    alpha, beta = await plant_both(social, graph)
    await _access_and_check(alpha, beta, tmp_path / "resident.zip")


def test_the_public_schema_keeps_no_webhook_body_once_processed(social, graph):
    """Meta's raw POSTs (names, numbers, texts) wait in public only until processed."""
    from asgiref.sync import async_to_sync

    async_to_sync(plant_resident)(social.alpha, graph)
    assert WebhookInbox.objects.exists()
    assert not WebhookInbox.objects.exclude(body=b"").exists()
    # A delivery given up on keeps its body for inspection, a month; processed rows a week.
    failed = WebhookInbox.objects.create(body=b'{"name": "Xanthippe"}', given_up=True)
    now = timezone.now()
    assert inbox_prune(now=now + timedelta(days=6)) == 0
    assert inbox_prune(now=now + timedelta(days=8)) == 2  # the two processed rows
    assert WebhookInbox.objects.get() == failed
    assert inbox_prune(now=now + timedelta(days=31)) == 1


@sync_to_async
def _every_action_then_tamper(alpha) -> None:
    council = alpha.council
    council_admin(council)
    chief = admin_client(council, "chief")
    with schema_context(council.schema_name):
        attachment = Attachment.objects.get()
        media = SocialMedia.objects.exclude(file="").get()
    # The real place each action happens, by a real member of staff.
    web = alpha.web_chat
    assert chief.get(f"/admin/chat/conversation/{web}/change/").status_code == 200
    assert chief.get("/admin/chat/conversation/", {"q": "oddfellow"}).status_code == 200
    assert chief.get("/admin/report/", {"csv": "summary"})["Content-Type"] == "text/csv"
    sar = chief.post("/admin/privacy/privacytools/", {"kind": "email", "value": EMAIL})
    assert sar["Content-Type"] == "application/zip"
    assert chief.get("/admin/privacy/retentionpolicy/").status_code == 302  # made on first visit
    months = {"transcripts_months": 24, "enquiries_months": 12, "social_months": 12}
    changed = chief.post("/admin/privacy/retentionpolicy/1/change/", {**months, "audit_months": 72})
    assert changed.status_code == 302
    for action in ("place_legal_hold", "release_legal_hold"):
        chief.post(
            "/admin/chat/conversation/",
            {"action": action, "_selected_action": [str(web)], "apply": "1", "reason": "Case 7"},
        )
    duty = logged_in(council, "duty")
    assert duty.get(f"/console/attachments/{attachment.pk}").status_code == 200
    assert duty.get(f"/social/media/{media.pk}/").status_code == 200
    call_command("apply_retention", "--council", council.slug, stdout=StringIO())
    erased = chief.post(
        "/admin/privacy/privacytools/erase/", {"kind": "email", "value": EMAIL, "confirm": "yes"}
    )
    assert erased.status_code == 302

    with schema_context(council.schema_name):
        entries = list(AuditEntry.objects.order_by("id"))
    assert {e.action for e in entries} == set(AuditEntry.Action.values)
    # The log names records by kind and id: none of the resident's data is in it.
    logged = [t for t in schema_traces(council.schema_name) if t[0].startswith("privacy_")]
    assert logged == []

    # No entry can be changed or deleted: not in the admin, not with SQL.
    for entry in entries:
        change = f"/admin/privacy/auditentry/{entry.pk}/change/"
        assert chief.post(change, {"actor_name": "someone else"}).status_code == 403
        assert chief.post(f"/admin/privacy/auditentry/{entry.pk}/delete/").status_code == 403
    bulk = chief.post(
        "/admin/privacy/auditentry/",
        {"action": "delete_selected", "_selected_action": [e.pk for e in entries], "post": "yes"},
    )
    assert bulk.status_code in (200, 302, 403)
    with schema_context(council.schema_name):
        for statement in (
            "UPDATE privacy_auditentry SET actor_name = 'x', detail = '{}'",
            "DELETE FROM privacy_auditentry",
        ):
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement)
        after = list(AuditEntry.objects.order_by("id"))
    assert [(e.pk, e.actor_name, e.detail) for e in after] == [
        (e.pk, e.actor_name, e.detail) for e in entries
    ]
    connection.set_schema_to_public()


async def test_every_audited_action_writes_an_entry_that_neither_admin_nor_sql_can_change(
    social, graph
):
    alpha = await plant_resident(social.alpha, graph)
    await _every_action_then_tamper(alpha)


@sync_to_async
def _erase_by_name_then_held(alpha) -> None:
    schema = alpha.council.schema_name
    with schema_context(schema):
        legal_hold_place(conversation_ids=[alpha.whatsapp_chat], reason="Case 9", actor=ACTOR)
        erase_subject(subject=Subject(name=NAME), actor=ACTOR)
        # The held WhatsApp chat is whole: its messages, its sender and their document.
        assert SocialContact.objects.get().external_user_id == WHATSAPP_ID
        assert SocialMedia.objects.get().file
        legal_hold_release(conversation_ids=[alpha.whatsapp_chat], actor=ACTOR)
        erase_subject(subject=Subject(name=NAME), actor=ACTOR)
    # Every chat carried the name they gave, so the name alone finds everything, the
    # WhatsApp identity that sent one of those chats included.
    assert schema_traces(schema) == []
    assert stored_files(schema) == []
    connection.set_schema_to_public()


async def test_erasure_by_name_takes_the_social_identity_of_their_chats_and_respects_a_hold(
    social, graph
):
    alpha = await plant_resident(social.alpha, graph)
    await _erase_by_name_then_held(alpha)
