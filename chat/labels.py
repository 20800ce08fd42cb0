"""What staff read instead of raw keys and JSON (issue 15): pre-chat answers with their
questions' labels, routing decisions as sentences, durations and times in UK style.

Plain functions of values (no database): callers pass the council's pre-chat questions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.utils import timezone


class PrechatQuestion(Protocol):
    key: str
    label: str
    kind: str
    choices: str


def _humanise_key(key: str) -> str:
    """A key with no question behind it any more (a deleted field): "account_ref" →
    "Account ref"."""
    words = str(key).replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else str(key)


def _choice_label(raw_choices: str, value: Any) -> str:
    """The option's English label for a stored choice (stored as the English text)."""
    for line in (raw_choices or "").splitlines():
        english = line.partition("|")[0].strip()
        if english and english == value:
            return english
    return str(value)


def answer_text(kind: str, value: Any, raw_choices: str = "") -> str:
    """One pre-chat answer as a person reads it: a ticked consent box is "Yes"."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if value is None:
        return ""
    if kind == "choice":
        return _choice_label(raw_choices, value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value)
    return str(value)


def prechat_answers(
    prechat: Mapping[str, Any] | None, questions: Iterable[PrechatQuestion]
) -> list[dict[str, str]]:
    """The answers in the form's order, each {key, label, kind, value}; answers to questions
    the council has since removed come last, under their key made readable."""
    if not prechat:
        return []
    answers = []
    seen = set()
    for question in questions:
        if question.key in prechat:
            seen.add(question.key)
            value = prechat[question.key]
            answers.append(
                {
                    "key": question.key,
                    "label": question.label,
                    "kind": question.kind,
                    "value": answer_text(question.kind, value, question.choices),
                }
            )
    for key, value in prechat.items():
        if key not in seen:
            answers.append(
                {
                    "key": str(key),
                    "label": _humanise_key(key),
                    "kind": "",
                    "value": answer_text("", value),
                }
            )
    return answers


ROUTING_KINDS = {
    "council_host": "The council's own website",
    "council": "The council's own website",
    "partnership": "The partnership's routing",
    "picked_council": "The resident chose the council",
    "postcode": "The resident's postcode",
    "page": "The page the chat started on",
    "service": "The service chosen",
    "department": "The department chosen",
    "transfer": "A transfer from another council",
    "default": "The partnership's default",
}


def routing_rows(routed_by: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """A routing decision (`{"rule", "kind", "label", …}`) as (label, value) rows."""
    if not routed_by:
        return []
    rows = []
    if routed_by.get("label"):
        rows.append(("Why here", str(routed_by["label"])))
    kind = routed_by.get("kind")
    if kind:
        rows.append(("Decided by", ROUTING_KINDS.get(str(kind), _humanise_key(str(kind)))))
    if routed_by.get("rule") not in (None, ""):
        rows.append(("Rule", str(routed_by["rule"])))
    for key, value in routed_by.items():
        if key in ("label", "kind", "rule") or value in (None, "", [], {}):
            continue
        rows.append((_humanise_key(key), answer_text("", value)))
    return rows


def duration_text(seconds: float | timedelta | None) -> str:
    """A duration to the whole second, as people say it: "0 s", "45 s", "1 min 12 s",
    "2 h 5 min". Empty for no value."""
    if seconds is None:
        return ""
    if isinstance(seconds, timedelta):
        seconds = seconds.total_seconds()
    if isinstance(seconds, float) and math.isnan(seconds):
        return ""
    total = max(0, math.floor(float(seconds) + 0.5))  # half up: 52.5 s is "53 s"
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    return f"{secs} s"


def uk_time(value: datetime | None, *, with_date: bool = True) -> str:
    """A moment in the UK's local time on the 24-hour clock: "30/11/2026 14:05"."""
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return local.strftime("%d/%m/%Y %H:%M" if with_date else "%H:%M")
