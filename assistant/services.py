"""The assistant in a chat: deciding a reply, storing it, handing off, feedback.

Every function here runs inside the council's schema. Writes follow chat/actions: the
conversation row is locked, messages are appended with the next seq, and everything is
announced after commit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import transaction

from assistant.engine import TUNING, MatchResult, Tuning, match_unsafe
from assistant.index import vocabulary
from assistant.models import AssistantSettings, KnowledgeEntry, Turn
from assistant.text import asks_for_person, safety_trigger, trigger_list
from chat import frames
from chat.actions.assistant import bot_conversation_start_unsafe, conversation_handoff_unsafe
from chat.actions.messages import (
    StoredMessage,
    clean_body,
    message_create,
    message_store_unsafe,
)
from chat.errors import ChatError
from chat.models import Conversation, Message
from councils.sites import CouncilRef
from routing.availability import queue_refusal
from routing.models import Department

MAX_SUGGESTIONS = 3
SUGGESTION_MIN = 0.2

NOT_SURE = {
    "en": "Sorry, I'm not sure I can answer that. You could ask in a different way, "
    "or ask to talk to a person.",
    "cy": "Mae'n ddrwg gen i, dydw i ddim yn siŵr y gallaf ateb hynny. Gallech ofyn mewn "
    "ffordd wahanol, neu ofyn am gael siarad â pherson.",
}
NOT_SURE_SUGGEST = {
    "en": "Sorry, I'm not sure I can answer that. Did you mean one of these? "
    "Or you can ask to talk to a person.",
    "cy": "Mae'n ddrwg gen i, dydw i ddim yn siŵr y gallaf ateb hynny. Ai un o'r rhain "
    "oedd gennych chi? Neu gallwch ofyn am gael siarad â pherson.",
}
HANDOFF_TEXT = {
    "en": "You asked to talk to a person. Someone will be with you as soon as possible.",
    "cy": "Gofynnoch am gael siarad â pherson. Bydd rhywun gyda chi cyn gynted â phosibl.",
}
SAFETY_HANDOFF_TEXT = {
    "en": "I'm passing you to a person now.",
    "cy": "Rwy'n eich trosglwyddo i berson nawr.",
}


@dataclass(frozen=True)
class Reply:
    """What the assistant says to one message, and why (the admin's "try a question")."""

    kind: str  # answer, not_sure, safety, handoff, offline (a social channel's offline text)
    body: str
    answer_key: str | None = None
    links: list[dict[str, str]] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    score: float | None = None
    threshold: float | None = None
    phrasing: str = ""
    trigger: str = ""
    department_id: int | None = None
    language: str = "en"

    @property
    def extra(self) -> dict[str, Any]:
        return {
            "answer_key": self.answer_key,
            "links": self.links,
            "suggestions": self.suggestions,
            "safety": self.kind == "safety",
        }


def _suggestions(match: MatchResult, skip: set[int]) -> list[str]:
    """Up to three other entries the question came near, as their first phrasing."""
    return [
        match.entries[c.entry_id].first_phrasing
        for c in match.candidates
        if c.entry_id not in skip and c.score >= SUGGESTION_MIN
    ][:MAX_SUGGESTIONS]


def decide_unsafe(
    question: str,
    language: str,
    *,
    settings: AssistantSettings | None = None,
    tuning: Tuning = TUNING,
    threshold: float | None = None,
    groups_cache: dict | None = None,
) -> Reply:
    """The reply to one message: safety first, then a request for a person, then the
    knowledge. Precondition: in the council's schema. Stores nothing."""
    settings = settings or vocabulary().settings
    language = "cy" if language == "cy" else "en"
    trigger = safety_trigger(question, trigger_list(settings.extra_safety_triggers))
    if trigger:
        return Reply(
            kind="safety",
            body=settings.text("emergency_message", language),
            trigger=trigger,
            language=language,
        )
    if asks_for_person(question):
        return Reply(kind="handoff", body=HANDOFF_TEXT[language], language=language)
    threshold = settings.threshold if threshold is None else threshold
    groups = None
    if groups_cache is not None:
        groups = groups_cache.get(language)
    match = match_unsafe(question, language, groups=groups, tuning=tuning)
    best = match.best
    if best is not None and match.confident(threshold, tuning):
        entry = match.entries[best.entry_id]
        return Reply(
            kind="answer",
            body=entry.answer,
            answer_key=best.key,
            links=list(entry.links),
            suggestions=_suggestions(match, {best.entry_id}),
            score=best.score,
            threshold=threshold,
            phrasing=best.phrasing,
            department_id=entry.department_id,
            language=language,
        )
    suggestions = _suggestions(match, set())
    return Reply(
        kind="not_sure",
        body=(NOT_SURE_SUGGEST if suggestions else NOT_SURE)[language],
        suggestions=suggestions,
        score=match.score if best else 0.0,
        threshold=threshold,
        phrasing=best.phrasing if best else "",
        language=language,
    )


def evaluate_unsafe(
    rows: list[tuple[str, str, str]], *, threshold: float | None = None
) -> dict[str, Any]:
    """Run labelled questions (question, language, expected key or "") through `decide_unsafe`.

    Accuracy: in-scope questions answered with the right key. False answers: a wrong key, or
    any answer to an out-of-scope question (over all questions). Safety rows (expected key
    `SAFETY`) must get the emergency message; `HANDOFF` rows a handoff.
    """
    settings = vocabulary().settings
    in_scope = right = wrong = not_sure = 0
    safety_total = safety_caught = 0
    latencies: list[float] = []
    failures: list[str] = []
    for question, language, expected in rows:
        started = time.perf_counter()
        reply = decide_unsafe(question, language, settings=settings, threshold=threshold)
        latencies.append((time.perf_counter() - started) * 1000)
        if expected == "SAFETY":
            safety_total += 1
            safety_caught += reply.kind == "safety"
            if reply.kind != "safety":
                failures.append(f"missed safety: {question!r}")
            continue
        if expected == "HANDOFF":
            in_scope += 1
            right += reply.kind == "handoff"
            if reply.kind != "handoff":
                failures.append(f"missed handoff: {question!r} -> {reply.kind}")
            continue
        if expected:
            in_scope += 1
        if reply.kind == "answer":
            if reply.answer_key == expected:
                right += 1
            else:
                wrong += 1
                failures.append(f"false answer: {question!r} -> {reply.answer_key} ({expected})")
        else:
            not_sure += 1
            if expected:
                failures.append(
                    f"not sure: {question!r} ({expected}) score={(reply.score or 0.0):.2f} "
                    f"near={reply.phrasing!r}"
                )
    total = len(rows) - safety_total
    latencies.sort()

    def pct(p: float) -> float:
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, round(p * (len(latencies) - 1)))]

    return {
        "questions": len(rows),
        "in_scope": in_scope,
        "out_of_scope": total - in_scope,
        "accuracy": right / in_scope if in_scope else 0.0,
        "false_answer_rate": wrong / total if total else 0.0,
        "not_sure_rate": not_sure / total if total else 0.0,
        "safety_total": safety_total,
        "safety_caught": safety_caught,
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
        "failures": failures,
    }


# ---- in a chat ---------------------------------------------------------------------------


def _lock(conversation_id: UUID) -> Conversation:
    conversation = Conversation.objects.select_for_update().filter(id=conversation_id).first()
    if conversation is None:
        raise ChatError("not_found", "No such conversation.")
    return conversation


def _append_bot_unsafe(
    council: CouncilRef, conversation: Conversation, reply: Reply, name: str
) -> StoredMessage:
    """Store the assistant's message with the next seq (the one message writer, with its
    `extra`) and announce it after commit; returns it (its payload is the frame's).

    Precondition: in a transaction holding the conversation's row lock.
    """
    stored = message_store_unsafe(
        council,
        conversation.id,
        author=Message.Author.BOT,
        body=clean_body(reply.body),
        author_name=name,
        extra=reply.extra,
    )
    conversation.last_seq = stored.seq
    return stored


@dataclass(frozen=True)
class Offline:
    """What the council's offline window offers, for the `offline` frame."""

    reason: str
    frame: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """What happened to a message in a bot chat: the visitor's stored message, the status
    after it, and the offline options when a person was asked for and nobody is there."""

    status: str
    stored: Any = None
    reply: Reply | None = None
    offline: Offline | None = None
    # The assistant's messages of this turn (payloads, in seq order): the visitor's socket
    # sends them at once, without waiting for the channel layer to bring them back.
    said: tuple[dict[str, Any], ...] = ()


def offline_frame(council: CouncilRef, department: Department | None, language: str, refusal):
    """The `offline` frame: what widgets/ shows in its offline window (hours, contact form,
    links), computed by the same selectors."""
    from widgets.selectors import availability, council_widget

    widget = council_widget(
        council,
        requested_language=language,
        department_slug=department.slug if department else "",
    )
    hours = availability(department, widget["language"])
    offline = widget["offline"]
    return frames.offline(
        refusal.reason,
        {
            "mode": offline["mode"],
            "message": offline["message"],
            "detail": refusal.detail,
            "links": offline["links"],
            "contact_form": offline["mode"] == "contact",
            "hours": hours["hours"],
            "next_open": hours["next_open"],
            "next_open_text": hours["next_open_text"],
        },
    )


def _handoff_department(conversation: Conversation) -> Department | None:
    """The chat's department, else the team of the last answer the assistant gave."""
    if conversation.department_id:
        return conversation.department
    last = (
        Turn.objects.filter(conversation=conversation, kind=Turn.Kind.ANSWER)
        .exclude(answer_key="")
        .order_by("-created_at")
        .values_list("answer_key", "language")
        .first()
    )
    if last is None:
        return None
    entry = KnowledgeEntry.objects.filter(key=last[0], language=last[1]).first()
    return entry.department if entry and entry.department_id else None


def _handoff_locked(
    council: CouncilRef,
    conversation: Conversation,
    *,
    safety: bool = False,
    question: str = "",
) -> Outcome:
    """Queue a bot chat for a person, or say why nobody can take it.

    Precondition: in a transaction holding the conversation's row lock; status bot.
    """
    department = _handoff_department(conversation)
    refusal = queue_refusal(department)
    if (
        refusal is not None
        and department is not None
        and refusal.reason != "closed"
        and queue_refusal(None) is None
    ):
        # The answer's team is not there: anyone at the council will do.
        department, refusal = None, None
    if refusal is not None:
        Turn.objects.create(
            conversation=conversation,
            kind=Turn.Kind.OFFLINE,
            question=question,
            language=conversation.language,
        )
        return Outcome(
            status=conversation.status,
            offline=Offline(
                refusal.reason, offline_frame(council, department, conversation.language, refusal)
            ),
        )
    conversation_handoff_unsafe(council, conversation, department=department, safety=safety)
    Turn.objects.create(
        conversation=conversation,
        kind=Turn.Kind.HANDOFF,
        question=question,
        language=conversation.language,
    )
    return Outcome(status=conversation.status)


def _respond_locked(
    council: CouncilRef, conversation: Conversation, question: str, settings: AssistantSettings
) -> Outcome:
    """The assistant's turn after a visitor message. Precondition: row lock held, status bot."""
    language = conversation.language
    name = settings.text("name", language)
    reply = decide_unsafe(question, language, settings=settings)
    if reply.kind == "handoff":
        outcome = _handoff_locked(council, conversation, question=question)
        if outcome.offline is None:
            _append_bot_unsafe(council, conversation, reply, name)
        return Outcome(status=outcome.status, reply=reply, offline=outcome.offline)
    answer = _append_bot_unsafe(council, conversation, reply, name)
    Turn.objects.create(
        conversation=conversation,
        seq=answer.seq,
        kind=reply.kind,
        question=question,
        language=language,
        answer_key=reply.answer_key or "",
        score=reply.score,
    )
    if reply.kind == "safety":
        # Straight to the front of the queue when anyone is there; otherwise the emergency
        # message stands on its own (it carries 999 and the safeguarding numbers).
        outcome = _handoff_locked(council, conversation, safety=True, question="")
        if outcome.offline is None:
            handing = Reply(kind="handoff", body=SAFETY_HANDOFF_TEXT[language])
            _append_bot_unsafe(council, conversation, handing, name)
        return Outcome(status=outcome.status, reply=reply, said=(answer.payload,))
    return Outcome(status=conversation.status, reply=reply, said=(answer.payload,))


@transaction.atomic
def bot_chat_start(
    *,
    council: CouncilRef,
    name: str,
    message: str,
    department: Department | None,
    page_url: str = "",
    prechat: dict[str, Any] | None = None,
    language: str = "en",
    routed_by: dict[str, Any] | None = None,
    channel: str = Conversation.Channel.WEB,
    extra: dict[str, Any] | None = None,
) -> tuple[Conversation, Outcome]:
    """Open a chat with the assistant: the question is seq 1, the answer seq 2.

    `channel` and `extra` (the question's own): a chat opened from Messenger or WhatsApp."""
    conversation = bot_conversation_start_unsafe(
        council,
        name=name,
        message=message,
        department=department,
        page_url=page_url,
        prechat=prechat,
        language=language,
        routed_by=routed_by,
        channel=channel,
        extra=extra,
    )
    body = clean_body(message)
    outcome = _respond_locked(council, conversation, body, vocabulary().settings)
    return conversation, outcome


@transaction.atomic
def visitor_message(
    *,
    council: CouncilRef,
    conversation_id: UUID,
    body: Any,
    client_id: str,
    extra: dict[str, Any] | None = None,
) -> Outcome:
    """Store a visitor's message (chat.actions.messages.message_create) and, while the assistant
    has the chat, answer it in the same transaction. `extra`: the message's own (a social
    channel's provider time)."""
    stored = message_create(
        council=council,
        conversation_id=conversation_id,
        body=body,
        client_id=client_id,
        extra=extra,
    )
    conversation = Conversation.objects.get(id=conversation_id)  # row locked by the insert
    if not stored.created or conversation.status != Conversation.Status.BOT:
        return Outcome(status=conversation.status, stored=stored)
    outcome = _respond_locked(council, conversation, stored.payload["body"], vocabulary().settings)
    return Outcome(
        status=outcome.status,
        stored=stored,
        reply=outcome.reply,
        offline=outcome.offline,
        said=outcome.said,
    )


@transaction.atomic
def handoff_request(*, council: CouncilRef, conversation_id: UUID) -> Outcome:
    """The visitor pressed "Talk to a person" (`{"type": "handoff"}`)."""
    conversation = _lock(conversation_id)
    if conversation.status != Conversation.Status.BOT:
        return Outcome(status=conversation.status)  # already with a person (or ended)
    outcome = _handoff_locked(council, conversation)
    if outcome.offline is None:
        language = conversation.language
        name = AssistantSettings.current().text("name", language)
        reply = Reply(kind="handoff", body=HANDOFF_TEXT[language])
        _append_bot_unsafe(council, conversation, reply, name)
    return outcome


def offline_message_store_unsafe(
    council: CouncilRef, conversation_id: UUID, body: str, links: list[dict[str, str]]
) -> int:
    """Store, as the assistant's message, what a channel without the widget's offline window
    (Messenger, WhatsApp) tells a resident who asked for a person when nobody is there; the
    operator who later opens the chat sees what they were told. Returns its seq.

    Precondition: in a transaction holding the conversation's row lock; status bot.
    """
    conversation = _lock(conversation_id)
    reply = Reply(kind="offline", body=body, links=links[:10], language=conversation.language)
    name = AssistantSettings.current().text("name", conversation.language)
    return _append_bot_unsafe(council, conversation, reply, name).seq


def feedback_record(*, council: CouncilRef, conversation_id: UUID, seq: Any, helpful: Any) -> None:
    """Whether the answer at `seq` helped; a second verdict replaces the first."""
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise ChatError("invalid_frame", "seq must be a whole number, 1 or more.")
    if not isinstance(helpful, bool):
        raise ChatError("invalid_frame", "helpful must be true or false.")
    updated = Turn.objects.filter(
        conversation_id=conversation_id, seq=seq, kind=Turn.Kind.ANSWER
    ).update(helpful=helpful)
    if not updated:
        raise ChatError("not_found", "There is no assistant answer with that seq.")
