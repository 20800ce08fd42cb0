"""Every audited action writes an entry; entries cannot be changed or deleted through the
admin, and PostgreSQL itself refuses UPDATE and DELETE (except retention's own path)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from asgiref.sync import sync_to_async
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django_tenants.utils import schema_context

from privacy import audit
from privacy.models import AuditEntry, LegalHold
from tests.admin.factories import admin_client, council_admin, operator
from tests.factories import accepted_chat_in, operator_in
from tests.privacy.helpers import planted_chat, planted_enquiry

ENDED = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
ACTOR = audit.Actor(name="test", source="test")


def entries(council, **filters) -> list[AuditEntry]:
    with schema_context(council.schema_name):
        return list(AuditEntry.objects.filter(**filters).order_by("id"))


@pytest.fixture
def chief(committed):
    council_admin(committed.alpha)
    return admin_client(committed.alpha, "chief")


def test_opening_and_searching_chat_history_in_the_admin_is_audited_without_the_terms(
    councils, chief
):
    chat = planted_chat(councils.alpha, ended_at=ENDED, name="Searchable Person")
    enquiry = planted_enquiry(councils.alpha, created_at=ENDED, name="Enquirer")

    assert chief.get(f"/admin/chat/conversation/{chat}/change/").status_code == 200
    assert chief.get("/admin/chat/conversation/", {"q": "searchable"}).status_code == 200
    assert chief.get(f"/admin/chat/enquiry/{enquiry}/change/").status_code == 200
    assert chief.get("/admin/chat/enquiry/", {"q": "enquirer@x.test"}).status_code == 200
    chief.get("/admin/chat/conversation/")  # a plain list is not a search

    opened = entries(councils.alpha, action="transcript_opened")
    assert [(e.object_type, e.object_id, e.actor_name, e.source) for e in opened] == [
        ("conversation", str(chat), "chief", "admin"),
        ("enquiry", str(enquiry), "chief", "admin"),
    ]
    searched = entries(councils.alpha, action="history_searched")
    assert [(e.object_type, e.detail) for e in searched] == [
        ("conversation", {"terms_length": 10, "looks_like_email": False}),
        ("enquiry", {"terms_length": 15, "looks_like_email": True}),
    ]
    assert entries(councils.beta) == []


def test_changing_retention_and_legal_holds_in_the_admin_is_audited(councils, chief):
    chat = planted_chat(councils.alpha, ended_at=ENDED)
    schedule = chief.get("/admin/privacy/retentionpolicy/")  # one per council: straight to it
    assert schedule.status_code == 302 and schedule["Location"].endswith("/1/change/")
    response = chief.post(
        "/admin/privacy/retentionpolicy/1/change/",
        {"transcripts_months": 24, "enquiries_months": 12, "social_months": 12, "audit_months": 72},
    )
    assert response.status_code == 302, response.content[:2000]
    (changed,) = entries(councils.alpha, action="retention_changed")
    assert changed.detail == {"changes": {"transcripts_months": [12, 24]}}

    form = chief.post(
        "/admin/chat/conversation/",
        {"action": "place_legal_hold", "_selected_action": [str(chat)]},
    )
    assert form.status_code == 200 and "Place the hold" in form.content.decode()
    chief.post(
        "/admin/chat/conversation/",
        {
            "action": "place_legal_hold",
            "_selected_action": [str(chat)],
            "apply": "1",
            "reason": "Case 42",
        },
    )
    chief.post(
        "/admin/chat/conversation/",
        {"action": "release_legal_hold", "_selected_action": [str(chat)]},
    )
    with schema_context(councils.alpha.schema_name):
        hold = LegalHold.objects.get(conversation_id=chat)
        assert hold.reason == "Case 42" and hold.released_at is not None
    assert [e.action for e in entries(councils.alpha, object_id=str(chat))] == [
        "legal_hold_placed",
        "legal_hold_released",
    ]


def test_the_audit_log_is_read_only_in_the_admin_and_exports_its_filtered_entries_as_csv(
    councils, chief
):
    with schema_context(councils.alpha.schema_name):
        kept = audit.record(actor=ACTOR, action="subject_access", object_type="subject")
        audit.record(actor=ACTOR, action="erasure", object_type="erasure_receipt", object_id=7)

    page = chief.get("/admin/privacy/auditentry/")
    assert page.status_code == 200 and "Export these entries as CSV" in page.content.decode()
    assert "delete_selected" not in page.content.decode()
    assert chief.get("/admin/privacy/auditentry/add/").status_code == 403
    assert chief.get(f"/admin/privacy/auditentry/{kept.pk}/delete/").status_code == 403
    assert (
        chief.post(
            f"/admin/privacy/auditentry/{kept.pk}/change/", {"actor_name": "someone else"}
        ).status_code
        == 403
    )
    assert entries(councils.alpha, pk=kept.pk)[0].actor_name == "test"

    export = chief.get("/admin/privacy/auditentry/export.csv", {"action__exact": "erasure"})
    assert export.status_code == 200 and export["Content-Type"] == "text/csv"
    lines = export.content.decode().strip().splitlines()
    assert lines[0].startswith("at,actor_name") and len(lines) == 2 and ",erasure," in lines[1]
    (exported,) = entries(councils.alpha, action="exported")
    assert exported.detail == {"rows": 1} and exported.actor_name == "chief"
    # Operators do not see the log at all.
    operator(councils.alpha)
    assert admin_client(councils.alpha, "sam").get("/admin/privacy/auditentry/").status_code == 403


def test_postgresql_refuses_to_update_or_delete_an_audit_entry(councils, committed):
    with schema_context(councils.alpha.schema_name):
        entry = audit.record(actor=ACTOR, action="exported")
        for statement in (
            "UPDATE privacy_auditentry SET actor_name = 'x' WHERE id = %s",
            "DELETE FROM privacy_auditentry WHERE id = %s",
        ):
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement, [entry.pk])
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditEntry.objects.filter(pk=entry.pk).delete()
        assert AuditEntry.objects.filter(pk=entry.pk, actor_name="test").exists()
        # Only retention's path (the session setting, one transaction) may delete.
        assert (
            audit.delete_expired_entries(before=datetime(2100, 1, 1, tzinfo=UTC), dry_run=False)
            == 1
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('councilchat.audit_retention', true)")
            assert cursor.fetchone()[0] in (None, "", "off")


def test_every_council_schema_has_its_own_guard(councils, committed):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tn.nspname, pn.nspname FROM pg_trigger t"
            " JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace tn ON tn.oid = c.relnamespace"
            " JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace"
            " WHERE t.tgname = 'privacy_auditentry_append_only'"
        )
        guards = dict(cursor.fetchall())
    for council in councils.all():
        assert guards[council.schema_name] == council.schema_name


@pytest.mark.usefixtures("manual_assignment")
async def test_opening_a_chat_in_the_console_is_audited(councils):
    from tests.sockets import login_session, next_of_type, open_socket, operator_socket

    alex = await sync_to_async(operator_in)(councils.alpha, "alex")
    chat = await sync_to_async(accepted_chat_in)(councils.alpha, alex)
    comm = operator_socket(councils.alpha, await login_session(councils.alpha, "alex"))
    await open_socket(comm)
    await comm.send_json_to({"type": "context", "conversation": str(chat.id)})
    await next_of_type(comm, "context")
    await comm.disconnect()
    opened = await sync_to_async(entries)(councils.alpha, action="transcript_opened")
    assert [(e.object_id, e.actor_name, e.source) for e in opened] == [
        (str(chat.id), "alex", "console")
    ]


@pytest.mark.usefixtures("manual_assignment")
async def test_a_console_reconnecting_to_an_open_chat_is_audited_once_per_half_hour(councils):
    from tests.sockets import login_session, next_of_type, open_socket, operator_socket

    alex = await sync_to_async(operator_in)(councils.alpha, "alex")
    chat = await sync_to_async(accepted_chat_in)(councils.alpha, alex)
    session = await login_session(councils.alpha, "alex")
    for _reconnect in range(3):  # the console re-asks for the context on every reconnect
        comm = operator_socket(councils.alpha, session)
        await open_socket(comm)
        await comm.send_json_to({"type": "context", "conversation": str(chat.id)})
        await next_of_type(comm, "context")
        await comm.disconnect()
    opened = await sync_to_async(entries)(councils.alpha, action="transcript_opened")
    assert [(e.object_id, e.actor_name) for e in opened] == [(str(chat.id), "alex")]


def test_the_same_operator_opening_the_chat_after_half_an_hour_is_audited_again(
    councils, committed
):
    from datetime import timedelta

    from chat.operators import OperatorRef

    alex = operator_in(councils.alpha, "alex")
    sam = operator_in(councils.alpha, "sam")
    chat = planted_chat(councils.alpha, ended_at=ENDED)
    with schema_context(councils.alpha.schema_name):
        as_alex = OperatorRef(id=alex.id, username="alex", name="Alex")
        as_sam = OperatorRef(id=sam.id, username="sam", name="Sam")
        assert audit.console_opened(as_alex, chat, at=ENDED) is True
        assert audit.console_opened(as_alex, chat, at=ENDED + timedelta(minutes=29)) is False
        assert audit.console_opened(as_sam, chat, at=ENDED + timedelta(minutes=29)) is True
        assert audit.console_opened(as_alex, chat, at=ENDED + timedelta(minutes=31)) is True
    opened = entries(councils.alpha, action="transcript_opened")
    assert [e.actor_name for e in opened] == ["alex", "sam", "alex"]
