"""The social app's personal data, for privacy.registry: residents' Messenger and WhatsApp
identities (`SocialContact`), the text kept with each social message (`SocialMessage.body`)
and their media (`SocialMedia`, files kept privately).

A person is found by their social id (Page-scoped id or WhatsApp id) and, on WhatsApp, by
their phone number (the WhatsApp id is the number's digits). Their chats are then exported
and erased by chat's provider too. Anonymising blanks the name and replaces the id with a
placeholder, blanks message texts, deletes media files and their source ids; delivery states
and times stay for statistics. Retention follows the council's "social" months, and blanks the
social copy (and deletes the media) of every message whose chat retention has already
anonymised. A chat found as the subject's by another provider (a WhatsApp chat found by the
name the resident gave) brings its sender's identity with it. Nothing that belongs to a chat
under a legal hold is touched, by erasure or retention, until the hold is released.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Q, UUIDField
from django.db.models.functions import Cast

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


def _contacts_of(subject: Subject, conversation_ids: set[UUID]) -> list[SocialContact]:
    """The subject's identities: those their identifier names, and the sender of any social
    chat found as theirs by another provider (a WhatsApp chat found by the name the resident
    gave): one social chat has one resident."""
    found = {c.pk: c for c in _contacts(subject)}
    linked = SocialContact.objects.filter(
        Q(conversation_id__in=conversation_ids)
        | Q(pk__in=SocialMessage.objects.filter(
            conversation_id__in=conversation_ids, direction="in"
        ).values("contact_id"))
    )  # fmt: skip
    for contact in linked:
        found.setdefault(contact.pk, contact)
    return sorted(found.values(), key=lambda c: c.pk)


def conversations(subject: Subject) -> set[UUID]:
    contacts = _contacts(subject)
    ids = set(
        SocialMessage.objects.filter(contact__in=contacts, conversation__isnull=False)
        .values_list("conversation_id", flat=True)
        .distinct()
    )
    return ids | {c.conversation_id for c in contacts if c.conversation_id}


def _media(contacts: list[SocialContact], conversation_ids: set[UUID]):
    return SocialMedia.objects.select_related("social_message").filter(
        Q(social_message__contact__in=contacts)
        | Q(social_message__conversation_id__in=conversation_ids)
    )


def _zip_path(media: SocialMedia) -> str:
    """Where a media file goes in the export: its id and the name the resident gave it
    (no folders: a name is the resident's text)."""
    name = (media.filename or media.kind or "file").replace("/", "_").replace("\\", "_")
    return f"social-media/{media.id}-{name}"


def find(subject: Subject, conversation_ids: set[UUID]) -> Found:
    contacts = _contacts_of(subject, conversation_ids)
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


def _active_holds() -> set[UUID]:
    """Chats under a legal hold: their social copies, media and sender are kept."""
    from privacy.models import LegalHold

    return set(
        LegalHold.objects.filter(released_at__isnull=True).values_list("conversation_id", flat=True)
    )


def _anonymise(
    contacts: list[SocialContact], media: list[SocialMedia], reason: str
) -> tuple[list[SocialContact], list[SocialMedia]]:
    """Anonymise these identities and media, except what belongs to a chat under a legal
    hold (retention and erasure both leave a held chat whole). Returns what it changed."""
    held = _active_holds()
    media = [m for m in media if m.social_message.conversation_id not in held]
    if held:
        holding = set(
            SocialMessage.objects.filter(conversation_id__in=held).values_list(
                "contact_id", flat=True
            )
        )
        contacts = [c for c in contacts if c.pk not in holding and c.conversation_id not in held]
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
    return contacts, media


def erase(subject: Subject, conversation_ids: set[UUID], dry_run: bool) -> dict[str, int]:
    contacts = _contacts_of(subject, conversation_ids)
    media = list(_media(contacts, conversation_ids))
    if dry_run:
        held = _active_holds()
        media = [m for m in media if m.social_message.conversation_id not in held]
    else:
        contacts, media = _anonymise(contacts, media, reason="erasure")
        free = set(conversation_ids) - _active_holds()
        SocialMessage.objects.filter(conversation_id__in=free).update(body="", error="")
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
    outcome = RetentionOutcome(counts={"social identities": 0})
    for start in range(0, len(contacts), batch_size):
        chunk = contacts[start : start + batch_size]
        with transaction.atomic():
            media = list(
                SocialMedia.objects.select_related("social_message").filter(
                    social_message__contact__in=chunk
                )
            )
            done_contacts, _ = _anonymise(chunk, media, "retention")
        outcome.counts["social identities"] += len(done_contacts)
        outcome.batches += 1
    # Media sent in a chat whose transcript retention has anonymised go with it (its
    # department's date may come before the contact's "social" one).
    with transaction.atomic():
        anonymised = (
            Redaction.objects.filter(kind="conversation")
            .annotate(conversation=Cast("object_id", UUIDField()))
            .values("conversation")
        )
        in_anonymised_chats = list(
            SocialMedia.objects.filter(social_message__conversation_id__in=anonymised).exclude(
                source="", file=""
            )
        )
        for item in in_anonymised_chats:
            if item.file:
                item.file.delete(save=False)
        SocialMedia.objects.filter(pk__in=[m.pk for m in in_anonymised_chats]).update(
            source="", file="", filename="", error=""
        )
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
