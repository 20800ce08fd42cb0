"""Reads about the assistant: whether it takes a chat, what the widget shows, reports.

Every function runs in the council's schema and returns plain data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Q

from assistant.models import AssistantSettings, Turn


def assistant_takes_chat(department, refusal) -> bool:
    """Whether a new chat goes to the assistant: always in mode `first`; in `out_of_hours`
    whenever it would otherwise get the offline window (closed, nobody online, queue full)."""
    settings = AssistantSettings.current()
    if settings.mode == AssistantSettings.Mode.FIRST:
        return True
    if settings.mode == AssistantSettings.Mode.OUT_OF_HOURS:
        return refusal is not None
    return False


def assistant_widget(language: str) -> dict[str, Any] | None:
    """The config's `assistant`: its name, greeting and disclosure line in `language`, or
    null when the council has it off."""
    settings = AssistantSettings.current()
    if settings.mode == AssistantSettings.Mode.OFF:
        return None
    return {
        "mode": settings.mode,
        "name": settings.text("name", language),
        "greeting": settings.text("greeting", language),
        "disclosure": settings.text("disclosure", language),
    }


def assistant_report(start: datetime, end: datetime, *, top: int = 10) -> dict[str, Any]:
    """What the assistant did between `start` and `end`: chats it resolved without a person,
    chats handed off, answers found helpful or not, and the questions it could not answer
    most often (so the council can add knowledge)."""
    from chat.models import Conversation

    turns = Turn.objects.filter(created_at__gte=start, created_at__lt=end)
    with_bot = turns.values("conversation_id").distinct()
    handed = set(turns.filter(kind=Turn.Kind.HANDOFF).values_list("conversation_id", flat=True))
    chats = Conversation.objects.filter(id__in=with_bot)
    total = chats.count()
    resolved = (
        chats.filter(status=Conversation.Status.ENDED, operator__isnull=True)
        .exclude(id__in=handed)
        .count()
    )
    feedback = turns.aggregate(
        yes=Count("id", filter=Q(helpful=True)),
        no=Count("id", filter=Q(helpful=False)),
    )
    kinds = dict(turns.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    unanswered = list(
        turns.filter(kind=Turn.Kind.NOT_SURE)
        .exclude(question="")
        .values("question", "language")
        .annotate(times=Count("id"))
        .order_by("-times", "question")[:top]
    )
    return {
        "chats": total,
        "resolved_without_person": resolved,
        "handed_off": len(handed),
        "answers": kinds.get(Turn.Kind.ANSWER, 0),
        "not_sure": kinds.get(Turn.Kind.NOT_SURE, 0),
        "safety": kinds.get(Turn.Kind.SAFETY, 0),
        "offline": kinds.get(Turn.Kind.OFFLINE, 0),
        "helpful": feedback["yes"],
        "not_helpful": feedback["no"],
        "top_unanswered": unanswered,
    }
