"""Attachments are personal data: in the subject access export (the files themselves),
deleted by erasure, and deleted by retention with the chat's other personal data."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from attachments.inspect import Limits, inspect
from chat.actions.attachments import attachment_send
from chat.models import Conversation, Message
from privacy import audit
from privacy.access import subject_access
from privacy.erasure import erase_subject
from privacy.registry import Subject
from privacy.retention import apply_retention
from tests.attachments import files
from tests.attachments.helpers import attachments_in, stored_files
from tests.privacy.helpers import planted_chat

pytestmark = pytest.mark.usefixtures("committed")

ACTOR = audit.Actor(name="test", source="test")
EMAIL = "pat.photo@example.org"
LIMITS = Limits(max_bytes=10 * 1024 * 1024, max_pixels=50_000_000)


def chat_with_photo(council, *, ended_at: datetime | None = None) -> tuple:
    chat_id = planted_chat(council, ended_at=None, status="active", email=EMAIL, name="Pat")
    with schema_context(council.schema_name):
        sent = attachment_send(
            council=council,
            conversation_id=chat_id,
            cleaned=inspect(files.photo_with_location(), LIMITS),
            name="pothole.jpg",
        )
        if ended_at is not None:
            Conversation.objects.filter(id=chat_id).update(
                status="ended", ended_at=ended_at, created_at=ended_at, last_message_at=ended_at
            )
    return chat_id, sent.attachment


def test_the_subject_access_export_holds_each_file_and_its_record(councils):
    chat_id, item = chat_with_photo(councils.alpha)
    stored = stored_files(councils.alpha)[0].read_bytes()

    with schema_context(councils.alpha.schema_name):
        result = subject_access(subject=Subject(email=EMAIL), actor=ACTOR, council_name="Alpha")

    archive = zipfile.ZipFile(io.BytesIO(result.zip_bytes))
    document = json.loads(archive.read("subject-access.json"))
    (record,) = document["records"]["attachments"]
    assert (record["name"], record["conversation"], record["sent_by"]) == (
        "pothole.jpg",
        str(chat_id),
        "visitor",
    )
    assert archive.read(record["file"]) == stored
    assert record["file"] == f"attachments/{item['id']}-pothole.jpg"
    assert result.counts["attachments"] == 1


def test_erasure_deletes_the_rows_and_the_files_of_the_subjects_chats(councils):
    chat_id, _item = chat_with_photo(councils.alpha, ended_at=datetime(2026, 1, 5, tzinfo=UTC))
    _other, _ = chat_with_photo(councils.beta)  # another council's is untouched
    assert len(stored_files(councils.alpha)) == 1

    with schema_context(councils.alpha.schema_name):
        result = erase_subject(subject=Subject(email=EMAIL), actor=ACTOR)
        message = Message.objects.get(conversation_id=chat_id, seq=3)

    assert result.counts["attachments"] == 1
    assert attachments_in(councils.alpha) == [] and stored_files(councils.alpha) == []
    assert (message.body, message.extra) == ("", {})
    assert len(attachments_in(councils.beta)) == 1 and len(stored_files(councils.beta)) == 1


def test_retention_deletes_them_with_the_transcripts_personal_data(councils):
    as_of = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
    _old, _ = chat_with_photo(councils.alpha, ended_at=datetime(2025, 5, 1, tzinfo=UTC))
    fresh_id, fresh = chat_with_photo(councils.alpha, ended_at=datetime(2026, 5, 1, tzinfo=UTC))

    with schema_context(councils.alpha.schema_name):
        dry = apply_retention(as_of=as_of, dry_run=True, actor=ACTOR)
        done = apply_retention(as_of=as_of, dry_run=False, actor=ACTOR)

    assert dry.counts["attachments"] == done.counts["attachments"] == 1
    (kept,) = attachments_in(councils.alpha)
    assert str(kept.id) == fresh["id"] and kept.conversation_id == fresh_id
    assert [path.name for path in stored_files(councils.alpha)] == [fresh["id"]]
    assert Path(settings.MEDIA_ROOT, kept.file.name).exists()
