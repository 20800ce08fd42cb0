"""Retention: remove personal data whose time has come, keep the statistics.

Run nightly by Celery beat in every council's schema (privacy.tasks) and on demand with
`manage.py apply_retention`. Every provider (privacy.registry) anonymises its own records in
small batches; this module works out the dates from the council's schedule.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime

from privacy import audit
from privacy.models import DepartmentRetention, RetentionPolicy
from privacy.registry import Cutoffs, RetentionOutcome, RetentionPlan, providers

DEFAULT_BATCH_SIZE = 500


def months_before(moment: datetime, months: int) -> datetime:
    """`moment` minus whole calendar months (31 March minus 1 month is 28/29 February)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def retention_plan(*, as_of: datetime) -> RetentionPlan:
    """The council's schedule as cutoff dates on `as_of`. Call in the council's schema."""
    policy = RetentionPolicy.current()
    overrides = list(DepartmentRetention.objects.all())

    def cutoffs(attribute: str) -> Cutoffs:
        by_department = {
            o.department_id: months_before(as_of, getattr(o, attribute))
            for o in overrides
            if getattr(o, attribute) is not None
        }
        return Cutoffs(months_before(as_of, getattr(policy, attribute)), by_department)

    return RetentionPlan(
        as_of=as_of,
        cutoffs={
            "transcripts": cutoffs("transcripts_months"),
            "enquiries": cutoffs("enquiries_months"),
            "social": Cutoffs(months_before(as_of, policy.social_months)),
            "audit": Cutoffs(months_before(as_of, policy.audit_months)),
        },
    )


@dataclass
class RetentionResult:
    as_of: datetime
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    max_batch_seconds: float = 0.0

    def lines(self) -> list[str]:
        verb = "would remove" if self.dry_run else "removed"
        lines = [f"Retention as of {self.as_of:%Y-%m-%d %H:%M %Z} ({verb}):"]
        lines += [f"  {key}: {value}" for key, value in sorted(self.counts.items())]
        if not self.dry_run:
            lines.append(
                f"  in {self.batches} batches, longest {self.max_batch_seconds * 1000:.0f} ms"
            )
        return lines


def apply_retention(
    *,
    as_of: datetime,
    dry_run: bool = False,
    actor: audit.Actor | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> RetentionResult:
    """Anonymise everything the schedule says is due on `as_of` (in the current council).

    Conversations not yet ended and those under legal hold are left alone. A dry run counts
    and changes nothing (it writes no audit entry either).
    """
    plan = retention_plan(as_of=as_of)
    total = RetentionOutcome()
    for provider in providers():
        total.add(provider.expire(plan, dry_run, batch_size))
    expired_audit = audit.delete_expired_entries(
        before=plan.cutoffs["audit"].default, dry_run=dry_run
    )
    total.counts["audit entries"] = expired_audit
    result = RetentionResult(
        as_of=as_of,
        dry_run=dry_run,
        counts=total.counts,
        batches=total.batches,
        max_batch_seconds=total.max_batch_seconds,
    )
    if not dry_run:
        audit.record(
            actor=actor or audit.Actor(name="retention (nightly)", source="task"),
            action=audit.Action.RETENTION_APPLIED,
            detail={"as_of": as_of.isoformat(), "counts": total.counts},
        )
    return result
