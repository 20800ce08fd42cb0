"""The social app's personal data, for privacy.registry: residents' Messenger and WhatsApp
identities (`SocialContact`), the text kept with each social message (`SocialMessage.body`)
and their media (`SocialMedia`, files kept privately).

A person is found by their social id (Page-scoped id or WhatsApp id) and, on WhatsApp, by
their phone number (the WhatsApp id is the number's digits). Their chats are then exported
and erased by chat's provider too. Anonymising blanks the name and replaces the id with a
placeholder, blanks message texts, deletes media files and their source ids; delivery states
and times stay for statistics. Retention follows the council's "social" months, and blanks the
social copy of every message whose chat retention has already anonymised.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Q

from privacy.models import Redaction
from privacy.registry import Found, Provider, RetentionOutcome, RetentionPlan, Subject, register
from social.models import SocialContact, SocialMedia, SocialMessage


def _contacts(subject: Subject) -> list[SocialContact]:
    if subject.social_id:
        return list(SocialContact.objects.filter(external_user_id=subject.social_id.strip()))
    if subject.phone and subject.phone_digits:
        return list(
            SocialContact.objects.filter(
                channel="whatsapp", external_user_id__in=list(subject.phone_digits)
            )
        )
    return []


def conversations(subject: Subject) -> set[UUID]:
    contacts = _contacts(subject)
    ids = set(
        SocialMessage.objects.filter(contact__in=contacts, conversation__isnull=False)
        .values_list("conversation_id", flat=True)
        .distinct()
    )
    return ids | {c.conversation_id for c in contacts if c.conversation_id}


def _media(contacts: list[SocialContact], conversation_ids: set[UUID]):
    return SocialMedia.objects.filter(
        Q(social_message__contact__in=contacts)
        | Q(social_message__conversation_id__in=conversation_ids)
    )


def _zip_path(media: SocialMedia) -> str:
    """Where a media file goes in the export: its id and the name the resident gave it
    (no folders: a name is the resident's text)."""
    name = (media.filename or media.kind or "file").replace("/", "_").replace("\\", "_")
    return f"social-media/{media.id}-{name}"


def find(subject: Subject, conversation_ids: set[UUID]) -> Found:
    contacts = _contacts(subject)
    media = list(_media(contacts, conversation_ids))
    records: dict[str, list[dict[str, Any]]] = {
        "social identities": [
            {
                "channel": c.channel,
                "id": c.external_user_id,
                "name": c.name,
                "first_seen": c.created_at.isoformat(),
                "last_message": c.last_inbound_at.isoformat() if c.last_inbound_at else None,
            }
            for c in contacts
        ],
        "social media": [
            {
                "id": str(m.id),
                "kind": m.kind,
                "filename": m.filename,
                "content_type": m.content_type,
                "size": m.size,
                "fetched_at": m.fetched_at.isoformat() if m.fetched_at else None,
            }
            for m in media
        ],
    }
    # The files themselves, as the resident sent them (web chat attachments do the same).
    files = {_zip_path(m): m.file.name for m in media if m.file}
    for record, item in zip(records["social media"], media, strict=True):
        record["file"] = _zip_path(item) if item.file else None
    return Found(records=records, object_ids={str(m.id) for m in media}, files=files)


def _anonymise(contacts: list[SocialContact], media: list[SocialMedia], reason: str) -> None:
    for item in media:
        if item.file:
            item.file.delete(save=False)  # the stored file itself
    SocialMedia.objects.filter(pk__in=[m.pk for m in media]).update(
        source="", file="", filename="", error=""
    )
    SocialMessage.objects.filter(contact__in=contacts).update(body="", error="")
    for contact in contacts:
        SocialContact.objects.filter(pk=contact.pk).update(
            name="", external_user_id=f"erased-{contact.pk}"
        )
    Redaction.objects.bulk_create(
        [Redaction(kind="social_contact", object_id=str(c.pk), reason=reason) for c in contacts],
        ignore_conflicts=True,
    )


def erase(subject: Subject, conversation_ids: set[UUID], dry_run: bool) -> dict[str, int]:
    contacts = _contacts(subject)
    media = list(_media(contacts, conversation_ids))
    if not dry_run:
        _anonymise(contacts, media, reason="erasure")
        SocialMessage.objects.filter(conversation_id__in=conversation_ids).update(body="", error="")
    return {"social identities": len(contacts), "social media": len(media)}


def expire(plan: RetentionPlan, dry_run: bool, batch_size: int) -> RetentionOutcome:
    """Contacts silent since before the "social" cutoff, and the social copy of every message
    whose chat was anonymised (chat's provider runs first)."""
    cutoff = plan.cutoffs["social"].default
    done = Redaction.objects.filter(kind="social_contact").values_list("object_id", flat=True)
    due = (
        SocialContact.objects.filter(
            Q(last_inbound_at__lt=cutoff) | Q(last_inbound_at__isnull=True, created_at__lt=cutoff)
        )
        .exclude(pk__in={int(x) for x in done})
        .order_by("pk")
    )
    if dry_run:
        return RetentionOutcome(counts={"social identities": due.count()})
    contacts = list(due)
    outcome = RetentionOutcome(counts={"social identities": len(contacts)})
    for start in range(0, len(contacts), batch_size):
        chunk = contacts[start : start + batch_size]
        with transaction.atomic():
            media = list(SocialMedia.objects.filter(social_message__contact__in=chunk))
            _anonymise(chunk, media, "retention")
        outcome.batches += 1
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE social_socialmessage SET body = '', error = '' WHERE body <> ''"
            " AND conversation_id::text IN"
            " (SELECT object_id FROM privacy_redaction WHERE kind = 'conversation')"
        )
    return outcome


register(
    Provider(
        key="social",
        categories={
            "social identities": "Messenger and WhatsApp ids and profile names",
            "social media": "Attachments residents sent on Messenger and WhatsApp",
        },
        find=find,
        erase=erase,
        expire=expire,
        conversations=conversations,
    )
)
