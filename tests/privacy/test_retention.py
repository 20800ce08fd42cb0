"""Retention removes exactly what is due, keeps statistics and legal holds; a dry run
changes nothing. The clock is passed in (`as_of`), never frozen globally."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context

from assistant.models import Turn
from chat.models import Conversation, Enquiry, Message, Note, Visitor
from outbox.models import OutboxItem
from privacy import audit
from privacy.holds import legal_hold_place, legal_hold_release
from privacy.models import AuditEntry, DepartmentRetention, RetentionPolicy
from privacy.retention import apply_retention, months_before
from routing.models import Department
from tests.privacy.helpers import planted_chat, planted_enquiry

pytestmark = pytest.mark.usefixtures("committed")

AS_OF = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
ACTOR = audit.Actor(name="test", source="test")


def months_ago(months: int, days: int = 0) -> datetime:
    return months_before(AS_OF, months) - timedelta(days=days)


def snapshot(council) -> dict:
    """Every personal and statistical column retention may touch, to compare runs."""
    with schema_context(council.schema_name):
        return {
            "messages": sorted(
                Message.objects.values_list("conversation_id", "seq", "body", "author_name")
            ),
            "notes": sorted(Note.objects.values_list("conversation_id", "body")),
            "visitors": sorted(Visitor.objects.values_list("id", "name", "email")),
            "conversations": sorted(
                Conversation.objects.values_list(
                    "id",
                    "page_url",
                    "prechat",
                    "rating",
                    "rating_comment",
                    "outcome",
                    "status",
                    "ended_at",
                ),
                key=str,
            ),
            "enquiries": sorted(
                Enquiry.objects.values_list("id", "name", "email", "phone", "message"), key=str
            ),
            "turns": sorted(Turn.objects.values_list("conversation_id", "question"), key=str),
            "outbox": sorted(OutboxItem.objects.values_list("ref", "payload"), key=str),
        }


def statistics(council) -> list:
    with schema_context(council.schema_name):
        rows = Conversation.objects.values_list(
            "id",
            "department_id",
            "channel",
            "language",
            "created_at",
            "accepted_at",
            "ended_at",
            "first_response_at",
            "outcome",
            "rating",
            "status",
            "last_seq",
        )
        counts = {
            c: Message.objects.filter(conversation_id=c).count()
            for c in Conversation.objects.values_list("id", flat=True)
        }
        return sorted((*row, counts[row[0]]) for row in rows)


@pytest.fixture
def schedule(councils):
    """alpha: the defaults (12 months); highways keeps transcripts 24 months, enquiries 6."""
    alpha = councils.alpha
    chats = {
        "due": planted_chat(alpha, ended_at=months_ago(12, days=1), name="Old Person"),
        "fresh": planted_chat(alpha, ended_at=months_ago(12, days=-1), name="Fresh Person"),
        "held": planted_chat(alpha, ended_at=months_ago(13), name="Held Person"),
        "live": planted_chat(alpha, ended_at=None, status="active", name="Live Person"),
        "highways_kept": planted_chat(
            alpha, ended_at=months_ago(13), department="highways", name="Road Person"
        ),
        "highways_due": planted_chat(
            alpha, ended_at=months_ago(25), department="highways", name="Older Road Person"
        ),
        "missed_due": planted_chat(
            alpha, ended_at=months_ago(14), status="missed", name="Missed Person", rating=None
        ),
    }
    with schema_context(alpha.schema_name):
        # The live chat started long ago and is still going: never touched.
        Conversation.objects.filter(id=chats["live"]).update(created_at=months_ago(20))
        highways = Department.objects.get(slug="highways")
        DepartmentRetention.objects.create(
            department=highways, transcripts_months=24, enquiries_months=6
        )
        legal_hold_place(conversation_ids=[chats["held"]], reason="Case 123", actor=ACTOR)
        # Each chat's question to the assistant and its transcript email follow the chat; a
        # send about no chat goes by its own age.
        for key, chat in chats.items():
            Turn.objects.create(conversation_id=chat, kind="answer", question=f"{key} question")
            OutboxItem.objects.create(
                kind="transcript_email",
                ref=str(chat),
                payload={"email": f"{key}@example.org"},
                sent_at=months_ago(25),
            )
        OutboxItem.objects.create(
            kind="notice_email", payload={"to": "old@example.org"}, sent_at=months_ago(13)
        )
        OutboxItem.objects.create(
            kind="notice_email", payload={"to": "new@example.org"}, sent_at=months_ago(11)
        )
        old_audit = audit.record(actor=ACTOR, action="exported", at=months_ago(73))
        kept_audit = audit.record(actor=ACTOR, action="exported", at=months_ago(71))
    enquiries = {
        "due": planted_enquiry(alpha, created_at=months_ago(13), name="Enq Old"),
        "fresh": planted_enquiry(alpha, created_at=months_ago(11), name="Enq Fresh"),
        "highways_due": planted_enquiry(
            alpha, created_at=months_ago(7), name="Enq Road", department="highways"
        ),
    }
    # Another council with the same ages: must not be touched by alpha's run.
    other = planted_chat(councils.gamma, ended_at=months_ago(13), name="Gamma Person")
    return {
        "chats": chats,
        "enquiries": enquiries,
        "audit": (old_audit.pk, kept_audit.pk),
        "other": other,
    }


def test_retention_removes_exactly_what_is_due_and_keeps_statistics(councils, schedule):
    alpha = councils.alpha
    stats_before = statistics(alpha)
    gamma_before = snapshot(councils.gamma)

    with schema_context(alpha.schema_name):
        result = apply_retention(as_of=AS_OF, actor=ACTOR, batch_size=2)

    assert result.counts["transcripts"] == 3  # due, highways_due, missed_due
    assert result.counts["enquiries"] == 2
    assert result.counts["assistant questions"] == 3
    assert result.counts["outbox items"] == 4  # the three chats' and the old notice
    assert result.counts["audit entries"] == 1
    chats, enquiries = schedule["chats"], schedule["enquiries"]
    with schema_context(alpha.schema_name):
        for key in ("due", "highways_due", "missed_due"):
            conversation = Conversation.objects.select_related("visitor").get(id=chats[key])
            assert conversation.visitor.name == "" and conversation.visitor.email == ""
            assert conversation.page_url == "" and conversation.prechat == {}
            assert conversation.rating_comment == "" and conversation.transcript_email == ""
            assert set(conversation.messages.values_list("body", flat=True)) == {""}
            assert not conversation.notes.exists()
            assert Turn.objects.get(conversation_id=chats[key]).question == ""
            assert OutboxItem.objects.get(ref=str(chats[key])).payload == {}
        for key in ("fresh", "held", "live", "highways_kept"):
            conversation = Conversation.objects.select_related("visitor").get(id=chats[key])
            assert conversation.visitor.name.endswith("Person"), key
            assert "" not in set(conversation.messages.values_list("body", flat=True)), key
            assert conversation.notes.count() == 1, key
            assert Turn.objects.get(conversation_id=chats[key]).question == f"{key} question"
            assert OutboxItem.objects.get(ref=str(chats[key])).payload != {}, key
        notices = dict(
            OutboxItem.objects.filter(kind="notice_email").values_list("sent_at", "payload")
        )
        assert notices == {months_ago(13): {}, months_ago(11): {"to": "new@example.org"}}
        assert Enquiry.objects.get(id=enquiries["due"]).name == ""
        assert Enquiry.objects.get(id=enquiries["highways_due"]).message == ""
        assert Enquiry.objects.get(id=enquiries["fresh"]).name == "Enq Fresh"
        old_audit, kept_audit = schedule["audit"]
        assert not AuditEntry.objects.filter(pk=old_audit).exists()
        assert AuditEntry.objects.filter(pk=kept_audit).exists()
        assert AuditEntry.objects.filter(action="retention_applied").count() == 1
    assert statistics(alpha) == stats_before  # times, outcome, rating, message counts
    assert snapshot(councils.gamma) == gamma_before

    # A second run finds nothing more to do.
    with schema_context(alpha.schema_name):
        again = apply_retention(as_of=AS_OF, actor=ACTOR)
    assert again.counts["transcripts"] == 0 and again.counts["enquiries"] == 0


def test_a_dry_run_counts_the_same_and_changes_nothing(councils, schedule):
    alpha = councils.alpha
    before = snapshot(alpha)
    with schema_context(alpha.schema_name):
        audit_before = AuditEntry.objects.count()
        dry = apply_retention(as_of=AS_OF, dry_run=True, actor=ACTOR)
        assert AuditEntry.objects.count() == audit_before
    assert snapshot(alpha) == before
    assert dry.counts == {
        "transcripts": 3, "enquiries": 2, "audit entries": 1, "social identities": 0,
        "outbox items": 4, "assistant questions": 3, "attachments": 0,
        "partnership routing": 0,
    }  # fmt: skip


def test_a_released_hold_lets_the_next_run_remove_the_chat(councils, schedule):
    alpha = councils.alpha
    held = schedule["chats"]["held"]
    with schema_context(alpha.schema_name):
        apply_retention(as_of=AS_OF, actor=ACTOR)
        assert Message.objects.filter(conversation_id=held).exclude(body="").count() == 2
        legal_hold_release(conversation_ids=[held], actor=ACTOR)
        result = apply_retention(as_of=AS_OF, actor=ACTOR)
        assert result.counts["transcripts"] == 1
        assert Message.objects.filter(conversation_id=held).exclude(body="").count() == 0
        actions = list(AuditEntry.objects.values_list("action", flat=True))
        assert "legal_hold_placed" in actions and "legal_hold_released" in actions


def test_a_longer_council_schedule_keeps_more(councils, schedule):
    with schema_context(councils.alpha.schema_name):
        RetentionPolicy.objects.update_or_create(pk=1, defaults={"transcripts_months": 36})
        result = apply_retention(as_of=AS_OF, dry_run=True)
    assert result.counts["transcripts"] == 1  # only highways' 25-month-old chat (24 months)


def test_the_command_takes_as_of_and_dry_run(councils, schedule):
    out = StringIO()
    call_command(
        "apply_retention", "--council", "alpha", "--as-of", "2026-06-15", "--dry-run", stdout=out
    )
    assert "would remove" in out.getvalue() and "transcripts: 3" in out.getvalue()
    with schema_context(councils.alpha.schema_name):
        assert Message.objects.filter(body="").count() == 0

    out = StringIO()
    call_command("apply_retention", "--council", "alpha", "--as-of", "2026-06-15", stdout=out)
    assert "transcripts: 3" in out.getvalue() and "removed" in out.getvalue()
    connection.set_schema_to_public()


def test_the_nightly_task_runs_in_the_council_it_was_sent_from(councils, schedule):
    from privacy.tasks import apply_retention_task

    with schema_context(councils.alpha.schema_name):
        # Run as Celery would in the worker (the schema comes from the sender).
        outcome = apply_retention_task.apply().get()
        # Today is years after AS_OF, so everything ended is due except held chats.
        assert outcome["counts"]["transcripts"] >= 3
        assert Conversation.objects.get(id=schedule["chats"]["held"]).visitor.name
    assert snapshot(councils.gamma)["visitors"][0][1] == "Gamma Person"
