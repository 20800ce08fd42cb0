"""Subject access and erasure for a person planted in two councils: one council's request
returns and erases only that council's records, leaves no trace of them in any text or JSON
column of its schema, and writes a receipt without personal data."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context

from assistant.models import Turn
from chat.models import Conversation, Enquiry, Message
from outbox.models import OutboxItem
from privacy import audit
from privacy.access import subject_access
from privacy.erasure import erase_subject
from privacy.holds import legal_hold_place
from privacy.models import AuditEntry, ErasureReceipt
from privacy.registry import Subject
from tests.admin.factories import admin_client, council_admin
from tests.factories import operator_in
from tests.privacy.helpers import planted_chat, planted_enquiry

pytestmark = pytest.mark.usefixtures("committed")

ENDED = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
NAME = "Zebedee Quartermain"
EMAIL = "Zebedee.Q@example.org"
PHONE = "07700 900123"
ACTOR = audit.Actor(name="dpo", source="test")
# What must not survive an erasure anywhere in the council's schema.
PLANTED = ["zebedee", "quartermain", "example.org", "900123", "mortimer", "ferret-case"]


def plant(council, tag: str) -> dict:
    """The same person at `council`: two chats, an enquiry, and the admin's history of it."""
    chats = [
        planted_chat(
            council,
            ended_at=ENDED,
            name=NAME,
            email=EMAIL,
            phone=PHONE,
            text=f"My ferret Mortimer bit the bin man <script>alert(1)</script> {tag}",
            reply=f"Sorry to hear that, {NAME}.",
            note="Resident sounded upset; ferret-case.",
        ),
        planted_chat(council, ended_at=ENDED, name="zebedee quartermain", email=EMAIL.lower()),
    ]
    enquiry = planted_enquiry(
        council, created_at=ENDED, name=NAME, email=EMAIL, phone="+44 7700 900123"
    )
    bystander = planted_chat(council, ended_at=ENDED, name="Other Person", email="o@p.test")
    chief = operator_in(council, "chief")
    with schema_context(council.schema_name):
        # The admin log is not among the tables emptied after each test: start clean.
        LogEntry.objects.filter(object_repr__icontains="zebedee").delete()
        LogEntry.objects.create(
            user_id=chief.id,
            content_type=ContentType.objects.get_for_model(Enquiry),
            object_id=str(enquiry),
            object_repr=f"{NAME} (1 Nov 2026)",
            action_flag=CHANGE,
            change_message="[]",
        )
        audit.record(
            actor=ACTOR, action="transcript_opened", object_type="conversation", object_id=chats[0]
        )
        # What they asked the assistant, and the sends the outbox holds for them: a transcript
        # email about their chat, and two sends about nothing in chat (an address and text; a
        # phone number), as any future handler may queue.
        Turn.objects.create(
            conversation_id=chats[0], kind="not_sure", question=f"Is Mortimer allowed? {tag}"
        )
        OutboxItem.objects.create(
            kind="transcript_email", ref=str(chats[0]), payload={"email": EMAIL}
        )
        OutboxItem.objects.create(
            kind="notice_email",
            payload={"to": EMAIL, "text": f"Dear {NAME}, about ferret-case {tag}"},
            sent_at=ENDED,
        )
        OutboxItem.objects.create(kind="notice_sms", payload={"to": "+44 (0)7700-900 123"})
        OutboxItem.objects.create(kind="notice_sms", payload={"to": "+44 7700 900123"})
    return {"chats": chats, "enquiry": enquiry, "bystander": bystander}


def read_zip(data: bytes) -> tuple[dict, dict[str, str]]:
    archive = zipfile.ZipFile(io.BytesIO(data))
    document = json.loads(archive.read("subject-access.json"))
    pages = {
        n: archive.read(n).decode() for n in archive.namelist() if n.startswith("conversations/")
    }
    return document, pages


def traces(schema: str, needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every text, varchar, json or jsonb column of every table
    in `schema` holding one of `needles` (case-insensitive)."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = %s AND data_type IN"
            " ('text', 'character varying', 'json', 'jsonb', 'character')"
            " AND table_name IN (SELECT table_name FROM information_schema.tables"
            "                     WHERE table_schema = %s AND table_type = 'BASE TABLE')",
            [schema, schema],
        )
        columns = cursor.fetchall()
        for table, column in columns:
            for needle in needles:
                cursor.execute(
                    f'SELECT 1 FROM "{schema}"."{table}" WHERE "{column}"::text ILIKE %s LIMIT 1',  # noqa: S608
                    [f"%{needle}%"],
                )
                if cursor.fetchone():
                    found.append((table, column, needle))
    return found


def test_subject_access_returns_everything_from_one_council_and_nothing_from_the_other(
    councils,
):
    alpha_data = plant(councils.alpha, "ALPHA-ONLY")
    plant(councils.beta, "BETA-ONLY")

    with schema_context(councils.alpha.schema_name):
        result = subject_access(
            subject=Subject(email="zebedee.q@EXAMPLE.org"), actor=ACTOR, council_name="Alpha"
        )
    document, pages = read_zip(result.zip_bytes)
    text = json.dumps(document) + "".join(pages.values())

    assert result.counts == {
        "conversations": 2, "enquiries": 1, "social identities": 0, "social media": 0,
        "outbox items": 2, "assistant questions": 1, "attachments": 0,
        "partnership routing": 0,
    }  # fmt: skip
    assert sorted(c["id"] for c in document["records"]["conversations"]) == sorted(
        str(i) for i in alpha_data["chats"]
    )
    assert document["records"]["enquiries"][0]["id"] == str(alpha_data["enquiry"])
    first = next(
        c
        for c in document["records"]["conversations"]
        if c["messages"][0]["body"].startswith("My ferret")
    )
    assert [m["seq"] for m in first["messages"]] == [1, 2]
    assert first["notes"][0]["body"] == "Resident sounded upset; ferret-case."
    assert first["rating"] == 4
    assert "ALPHA-ONLY" in text and "BETA-ONLY" not in text
    assert "Other Person" not in text
    assert (
        document["records"]["assistant questions"][0]["question"]
        == "Is Mortimer allowed? ALPHA-ONLY"
    )
    assert sorted(o["kind"] for o in document["records"]["outbox items"]) == [
        "notice_email", "transcript_email"
    ]  # fmt: skip
    assert [e["action"] for e in document["access_log"]] == ["Opened a transcript"]
    # The readable pages escape what the resident typed.
    page = pages[f"conversations/{first['id']}.html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    with schema_context(councils.alpha.schema_name):
        entry = AuditEntry.objects.get(action="subject_access")
        assert entry.detail == {"matched_by": "email", "counts": result.counts}


@pytest.mark.parametrize(
    ("option", "value"),
    [("--phone", "+447700900123"), ("--name", "  zebedee QUARTERMAIN ")],
)
def test_the_command_finds_the_person_by_phone_or_name(councils, tmp_path, option, value):
    plant(councils.alpha, "ALPHA-ONLY")
    plant(councils.beta, "BETA-ONLY")
    out_file = tmp_path / "sar.zip"
    out = StringIO()
    call_command(
        "subject_access", "--council", "alpha", option, value, "--out", str(out_file), stdout=out
    )
    document, _ = read_zip(out_file.read_bytes())
    text = json.dumps(document)
    assert "ALPHA-ONLY" in text and "BETA-ONLY" not in text
    assert len(document["records"]["enquiries"]) == 1
    connection.set_schema_to_public()


def test_erasure_leaves_no_trace_in_any_column_keeps_statistics_and_writes_a_receipt(councils):
    alpha_data = plant(councils.alpha, "ALPHA-ONLY")
    plant(councils.beta, "BETA-ONLY")
    alpha, beta = councils.alpha, councils.beta
    assert traces(alpha.schema_name, PLANTED)  # the check can see them before

    with schema_context(alpha.schema_name):
        stats_before = sorted(
            Conversation.objects.values_list("id", "rating", "outcome", "ended_at", "last_seq")
        )
        messages_before = Message.objects.count()
        dry = erase_subject(subject=Subject(email=EMAIL), actor=ACTOR, dry_run=True)
        assert ErasureReceipt.objects.count() == 0
        for subject in (Subject(email=EMAIL), Subject(name=NAME), Subject(phone=PHONE)):
            erase_subject(subject=subject, actor=ACTOR)

        assert dry.counts == {
            "conversations": 2, "messages": 4, "notes": 2, "enquiries": 1,
            "social identities": 0, "social media": 0, "outbox items": 2,
            "assistant questions": 1, "attachments": 0, "partnership routing": 0,
        }  # fmt: skip
        # The send still owed for them is given up: nobody may be sent erased data.
        assert all(p == {} for p in OutboxItem.objects.values_list("payload", flat=True))
        assert OutboxItem.objects.get(kind="transcript_email").last_error == "Erased"
        assert (
            sorted(
                Conversation.objects.values_list("id", "rating", "outcome", "ended_at", "last_seq")
            )
            == stats_before
        )
        assert Message.objects.count() == messages_before
        assert Conversation.objects.get(id=alpha_data["bystander"]).visitor.name == "Other Person"
        receipt = ErasureReceipt.objects.order_by("at").first()
        assert receipt.by_name == "dpo" and receipt.matched_by == "email"
        assert receipt.counts == dry.counts and receipt.held == 0
        assert AuditEntry.objects.filter(action="erasure").count() == 3

    assert traces(alpha.schema_name, PLANTED) == []
    assert traces(beta.schema_name, ["zebedee", "mortimer"])  # beta's copy untouched


def test_erasure_keeps_chats_under_legal_hold_and_says_so(councils):
    data = plant(councils.alpha, "ALPHA-ONLY")
    with schema_context(councils.alpha.schema_name):
        legal_hold_place(conversation_ids=[data["chats"][0]], reason="Case 9", actor=ACTOR)
        result = erase_subject(subject=Subject(email=EMAIL), actor=ACTOR)
        assert result.held == 1 and result.counts["conversations"] == 1
        assert Message.objects.filter(conversation_id=data["chats"][0], body="").count() == 0


def test_the_erase_command_dry_run_changes_nothing_and_the_real_run_erases(councils):
    plant(councils.alpha, "ALPHA-ONLY")
    out = StringIO()
    call_command("erase_subject", "--council", "alpha", "--email", EMAIL, "--dry-run", stdout=out)
    assert "would erase" in out.getvalue() and "conversations: 2" in out.getvalue()
    assert traces(councils.alpha.schema_name, ["mortimer"])
    call_command("erase_subject", "--council", "alpha", "--email", EMAIL, stdout=out)
    assert "Erasure receipt" in out.getvalue()
    assert traces(councils.alpha.schema_name, ["mortimer"]) == []
    connection.set_schema_to_public()


def test_the_admin_subject_access_page_downloads_the_zip_for_council_admins_only(councils):
    from tests.admin.factories import operator

    plant(councils.alpha, "ALPHA-ONLY")
    council_admin(councils.alpha)
    operator(councils.alpha)
    client = admin_client(councils.alpha, "chief")
    url = "/admin/privacy/privacytools/"

    assert client.get(url).status_code == 200
    assert "Subject access" in client.get("/admin/").content.decode()
    bad = client.post(url, {"kind": "email", "value": "not-an-email"})
    assert bad.status_code == 200 and "Enter an email address." in bad.content.decode()
    response = client.post(url, {"kind": "email", "value": EMAIL})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    document, _ = read_zip(response.content)
    assert len(document["records"]["conversations"]) == 2
    assert admin_client(councils.alpha, "sam").get(url).status_code == 403


def test_the_admin_erasure_asks_for_confirmation_then_erases_and_shows_the_receipt(councils):
    plant(councils.alpha, "ALPHA-ONLY")
    council_admin(councils.alpha)
    client = admin_client(councils.alpha, "chief")

    preview = client.post("/admin/privacy/privacytools/erase/", {"kind": "email", "value": EMAIL})
    assert preview.status_code == 200
    assert "Are you sure?" in preview.content.decode()
    assert traces(councils.alpha.schema_name, ["mortimer"])  # nothing erased yet

    done = client.post(
        "/admin/privacy/privacytools/erase/", {"kind": "email", "value": EMAIL, "confirm": "yes"}
    )
    assert done.status_code == 302 and "/admin/privacy/erasurereceipt/" in done["Location"]
    assert traces(councils.alpha.schema_name, ["mortimer", "zebedee"]) == []
    assert client.get(done["Location"]).status_code == 200


def test_the_chat_history_action_opens_the_erasure_confirmation_for_that_resident(councils):
    data = plant(councils.alpha, "ALPHA-ONLY")
    council_admin(councils.alpha)
    client = admin_client(councils.alpha, "chief")

    page = client.post(
        "/admin/chat/conversation/",
        {"action": "erase_resident", "_selected_action": [str(data["chats"][0])]},
    )

    assert page.status_code == 200
    html = page.content.decode()
    assert "Are you sure?" in html and 'name="value" value="Zebedee.Q@example.org"' in html
    assert traces(councils.alpha.schema_name, ["mortimer"])  # nothing erased before the yes
