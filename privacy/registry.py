"""What personal data each app holds, and how to find, export and anonymise it.

An app that stores personal data adds a `privacy.py` module that calls `register(...)` with a
`Provider`; `autodiscover()` imports every installed app's `privacy.py` when Django starts
(like admin.py). The privacy services (retention, subject access, erasure) then run every
provider, in the council's schema, without knowing the app's tables. chat/privacy.py is the
worked example; docs/data-protection.md describes the contract for new apps (e.g. social/).

A provider's functions are called inside the council's schema, and must:
- never log personal data;
- work in batches (small transactions) when they change many rows (`run_batches`);
- leave the statistics (times, counts, outcomes, ratings) where reports read them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import connection, transaction


@dataclass(frozen=True)
class Subject:
    """The person a subject access or erasure request is about: exactly one identifier."""

    email: str = ""
    phone: str = ""
    name: str = ""
    social_id: str = ""

    @property
    def kind(self) -> str:
        """Which identifier the request named (recorded; the value itself never is)."""
        for kind in ("email", "phone", "name", "social_id"):
            if getattr(self, kind):
                return kind
        return ""

    @property
    def phone_digits(self) -> tuple[str, ...]:
        """The phone number's national and international digit forms (07700…, 447700…)."""
        digits = "".join(ch for ch in self.phone if ch.isdigit())
        if not digits:
            return ()
        if digits.startswith("44"):
            return (digits, "0" + digits[2:])
        if digits.startswith("0"):
            return (digits, "44" + digits[1:])
        return (digits,)


@dataclass(frozen=True)
class Cutoffs:
    """For one category: records older than `default` are due, except in the departments
    listed in `by_department`, which have their own date."""

    default: datetime
    by_department: dict[int, datetime] = field(default_factory=dict)

    def groups(self) -> list[tuple[datetime, list[int] | None, list[int]]]:
        """(cutoff, only these departments or None for the rest, excluding these)."""
        overridden = sorted(self.by_department)
        result: list[tuple[datetime, list[int] | None, list[int]]] = [
            (self.default, None, overridden)
        ]
        for department_id in overridden:
            result.append((self.by_department[department_id], [department_id], []))
        return result


@dataclass(frozen=True)
class RetentionPlan:
    """What is due: per category ("transcripts", "enquiries", "social", "audit")."""

    as_of: datetime
    cutoffs: dict[str, Cutoffs]


@dataclass
class RetentionOutcome:
    """What one provider removed (or, in a dry run, would remove)."""

    counts: dict[str, int] = field(default_factory=dict)  # e.g. {"conversations": 3}
    batches: int = 0
    max_batch_seconds: float = 0.0

    def add(self, other: RetentionOutcome) -> None:
        for key, value in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + value
        self.batches += other.batches
        self.max_batch_seconds = max(self.max_batch_seconds, other.max_batch_seconds)


@dataclass
class Found:
    """What a provider holds about a subject: records per category, JSON-ready, and the
    conversations they belong to (each rendered as a page in the export)."""

    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    conversation_ids: set[UUID] = field(default_factory=set)
    object_ids: set[str] = field(default_factory=set)  # for the audit entries about them
    # Stored files to put in the export: path in the zip -> name in the default storage.
    files: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Provider:
    """One app's personal data.

    - `conversations(subject)`: ids of the conversations this app links to the subject (a
      social identity's chats); every provider's `find` and `erase` receive the union.
    - `find(subject, conversation_ids)`: everything held about them (`Found`).
    - `erase(subject, conversation_ids, dry_run)`: anonymise it; returns {category: count}.
    - `expire(plan, dry_run, batch_size)`: anonymise what the plan says is due.
    """

    key: str
    categories: dict[str, str]  # category -> what it is, for docs and receipts
    find: Callable[[Subject, set[UUID]], Found]
    erase: Callable[[Subject, set[UUID], bool], dict[str, int]]
    expire: Callable[[RetentionPlan, bool, int], RetentionOutcome]
    conversations: Callable[[Subject], set[UUID]] = lambda subject: set()


_providers: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    """Add (or replace, on re-import) an app's provider."""
    _providers[provider.key] = provider
    return provider


def providers() -> list[Provider]:
    """Every registered provider, in registration order."""
    return list(_providers.values())


def autodiscover() -> None:
    """Import each installed app's `privacy` module (our own app has none of its own)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("privacy", register_to=None)


def run_batches(
    ids: list[Any],
    apply: Callable[[list[Any]], int],
    *,
    batch_size: int,
    lock_timeout_ms: int = 2000,
) -> tuple[int, int, float]:
    """Call `apply(chunk)` on `batch_size` ids at a time, each chunk in its own transaction.

    `apply` should lock the rows it changes with `FOR UPDATE SKIP LOCKED` (re-checking that
    they are still due), so a row a live chat holds is skipped tonight and taken tomorrow, and
    no batch waits long behind anyone (`lock_timeout`). It returns how many it changed.
    Returns (rows changed, batches, longest batch in seconds): the longest batch is the
    longest any row lock is held.
    """
    total = batches = 0
    longest = 0.0
    for start in range(0, len(ids), batch_size):
        began = time.perf_counter()
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}")
            total += apply(ids[start : start + batch_size])
        batches += 1
        longest = max(longest, time.perf_counter() - began)
    return total, batches, longest


def department_filter(
    column: str, only: Iterable[int] | None, excluding: Iterable[int]
) -> tuple[str, list[Any]]:
    """SQL for a `Cutoffs.groups()` entry: (condition, params)."""
    if only is not None:
        return f"{column} = ANY(%s)", [list(only)]
    excluding = list(excluding)
    if not excluding:
        return "TRUE", []
    return f"({column} IS NULL OR NOT ({column} = ANY(%s)))", [excluding]
