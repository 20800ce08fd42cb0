"""Subject access: everything the council holds about one person, as a zip file.

JSON of every record (conversations with messages, notes, ratings; enquiries; what other
apps such as social/ hold) and the audit entries of who accessed those records, plus a
readable HTML page per conversation. Runs in one council's schema, so nothing from another
council can be in it, even when the same person used several.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone

from privacy import audit
from privacy.registry import Found, Subject, providers


@dataclass(frozen=True)
class SubjectAccessResult:
    zip_bytes: bytes
    counts: dict[str, int]
    conversation_ids: list[str]


def subject_conversations(subject: Subject) -> set[UUID]:
    """Every conversation any provider links to the subject."""
    ids: set[UUID] = set()
    for provider in providers():
        ids |= provider.conversations(subject)
    return ids


def subject_find(subject: Subject) -> Found:
    """What every provider holds about `subject` in the current council, merged."""
    if not subject.kind:
        raise ValueError("A subject needs an email, phone, name or social id.")
    conversation_ids = subject_conversations(subject)
    merged = Found(conversation_ids=set(conversation_ids))
    for provider in providers():
        found = provider.find(subject, conversation_ids)
        for category, records in found.records.items():
            merged.records.setdefault(category, []).extend(records)
        merged.object_ids |= found.object_ids
        merged.conversation_ids |= found.conversation_ids
        merged.files.update(found.files)
    return merged


def subject_access(
    *, subject: Subject, actor: audit.Actor, council_name: str, now: datetime | None = None
) -> SubjectAccessResult:
    """Build the export and record that it was made. Call in the council's schema."""
    now = now or timezone.now()
    found = subject_find(subject)
    accessed = audit.entries_about(found.object_ids)
    counts = {category: len(records) for category, records in found.records.items()}
    document: dict[str, Any] = {
        "council": council_name,
        "generated_at": now.isoformat(),
        "matched_by": subject.kind,
        "records": found.records,
        "access_log": accessed,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("subject-access.json", json.dumps(document, indent=2, default=str))
        for conversation in found.records.get("conversations", []):
            page = render_to_string(
                "privacy/export_conversation.html",
                {
                    "council_name": council_name,
                    "conversation": conversation,
                    "access_log": [e for e in accessed if e["object_id"] == conversation["id"]],
                },
            )
            archive.writestr(f"conversations/{conversation['id']}.html", page)
        for path, stored in sorted(found.files.items()):  # e.g. photos sent in a chat
            try:
                with default_storage.open(stored, "rb") as handle:
                    archive.writestr(path, handle.read())
            except FileNotFoundError:
                continue
        archive.writestr(
            "README.txt",
            f"Subject access export from {council_name}, made {now:%d %B %Y %H:%M %Z}.\n"
            "subject-access.json holds every record; conversations/ holds one page per chat;"
            " attachments/ holds the files sent in them; social-media/ the files sent on"
            " Messenger or WhatsApp.\n",
        )
    audit.record(
        actor=actor,
        action=audit.Action.SUBJECT_ACCESS,
        object_type="subject",
        detail={"matched_by": subject.kind, "counts": counts},
        at=now,
    )
    return SubjectAccessResult(
        zip_bytes=buffer.getvalue(),
        counts=counts,
        conversation_ids=sorted(str(i) for i in found.conversation_ids),
    )
