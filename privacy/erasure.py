"""Erasure: anonymise everything held about one person, keep the statistics, and write a
receipt (when, by whom, what categories, how many records) that holds no personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from privacy import audit
from privacy.access import subject_conversations
from privacy.models import ErasureReceipt
from privacy.registry import Subject, providers


@dataclass(frozen=True)
class ErasureResult:
    counts: dict[str, int]
    held: int
    dry_run: bool
    receipt_id: int | None


@transaction.atomic
def erase_subject(
    *, subject: Subject, actor: audit.Actor, dry_run: bool = False, now: datetime | None = None
) -> ErasureResult:
    """Erase (or with `dry_run`, count) the subject's data in the current council.

    Conversations under legal hold are kept and counted in `held`. One transaction: a
    person's data goes all at once or not at all.
    """
    if not subject.kind:
        raise ValueError("A subject needs an email, phone, name or social id.")
    now = now or timezone.now()
    conversation_ids = subject_conversations(subject)
    counts: dict[str, int] = {}
    held = 0
    for provider in providers():
        for category, count in provider.erase(subject, conversation_ids, dry_run).items():
            if category == "held":
                held = max(held, count)
                continue
            counts[category] = counts.get(category, 0) + count
    if dry_run:
        return ErasureResult(counts=counts, held=held, dry_run=True, receipt_id=None)
    receipt = ErasureReceipt.objects.create(
        at=now,
        by_user_id=actor.user_id,
        by_name=actor.name[:150],
        matched_by=subject.kind,
        counts=counts,
        held=held,
    )
    audit.record(
        actor=actor,
        action=audit.Action.ERASURE,
        object_type="erasure_receipt",
        object_id=receipt.pk,
        detail={"matched_by": subject.kind, "counts": counts, "held": held},
        at=now,
    )
    return ErasureResult(counts=counts, held=held, dry_run=False, receipt_id=receipt.pk)
