"""The council's assistant on Messenger and WhatsApp (issue 14, point 6).

`social.inbound` hands a resident's message to the assistant under the same mode rules as
the widget (`assistant.selectors.assistant_takes_chat`); what the assistant stores in the
chat (an answer, "not sure", the emergency message, a handoff line) is then sent to the
resident through the social outbox, as one reply per turn so the parts arrive in order:

* the answer's text, then its links as text URLs (a path on the council's site becomes a
  full address on the council's website);
* suggestions and "Talk to a person" as quick replies (Messenger) or reply buttons
  (WhatsApp: at most three, titles of 20 characters) while the assistant still has the
  chat; a suggestion too long for a button is listed in the text instead;
* a person asked for and nobody there: the council's offline options (its message, when it
  opens, its hours, its links) as text, stored as the assistant's message so the operator
  who later opens the chat sees what the resident was told.

Precondition for everything here: in the council's schema, inside the transaction that
stored the resident's message.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.utils import timezone

from assistant.services import Outcome, offline_message_store_unsafe
from chat.models import Conversation, Message
from councils.sites import CouncilRef
from social.models import SocialContact, SocialMessage
from social.queueing import enqueue_on_commit

BUTTON_MAX_CHARS = 20  # Messenger quick reply titles and WhatsApp reply buttons
WHATSAPP_MAX_BUTTONS = 3
WHATSAPP_INTERACTIVE_MAX_CHARS = 1024  # an interactive message's body
MESSENGER_MAX_QUICK_REPLIES = 13

TEXTS = {
    "en": {
        "person": "Talk to a person",
        "links": "Links:",
        "suggestions": "You could also ask:",
        "person_hint": 'Reply "person" to talk to a person.',
        "opens": "We open again {when}.",
        "hours": "Opening hours:",
        "to": "to",
    },
    "cy": {
        "person": "Siarad â pherson",
        "links": "Dolenni:",
        "suggestions": "Gallech hefyd ofyn:",
        "person_hint": 'Atebwch "person" i siarad â pherson.',
        "opens": "Byddwn ar agor eto {when}.",
        "hours": "Oriau agor:",
        "to": "tan",
    },
}


def _texts(language: str) -> dict[str, str]:
    return TEXTS["cy" if language == "cy" else "en"]


def absolute_url(council: CouncilRef, url: str) -> str:
    """A link's address as a resident's app can open it: a path on the council's site is
    joined to the council's website (its first embedding origin), else its own host."""
    if not url.startswith("/") or url.startswith("//"):
        return url
    for origin in council.embed_origins:
        if origin.startswith(("https://", "http://")):
            return origin.rstrip("/") + url
    if council.embed_origins:
        return f"https://{council.embed_origins[0]}{url}"
    return f"https://{council.hosts[0]}{url}" if council.hosts else url


def _link_lines(council: CouncilRef, links: list[dict[str, Any]]) -> list[str]:
    lines = []
    for link in links:
        url = absolute_url(council, str(link.get("url") or ""))
        title = str(link.get("text") or link.get("title") or "").strip()
        if url:
            lines.append(f"{title}: {url}" if title and title != url else url)
    return lines


def reply_compose(
    council: CouncilRef,
    messages: list[Message],
    *,
    channel: str,
    language: str,
    with_assistant: bool,
) -> tuple[str, list[str]]:
    """One turn's messages as (text, buttons) for `channel`."""
    texts = _texts(language)
    parts: list[str] = []
    suggestions: list[str] = []
    for message in messages:
        block = [message.body]
        links = _link_lines(council, (message.extra or {}).get("links") or [])
        if links:
            block += ["", texts["links"], *links]
        parts.append("\n".join(block))
        suggestions = list((message.extra or {}).get("suggestions") or []) or suggestions
    buttons: list[str] = []
    listed: list[str] = []
    if with_assistant:
        room = (WHATSAPP_MAX_BUTTONS if channel == "whatsapp" else MESSENGER_MAX_QUICK_REPLIES) - 1
        for suggestion in suggestions:
            if len(suggestion) <= BUTTON_MAX_CHARS and len(buttons) < room:
                buttons.append(suggestion)
            else:
                listed.append(suggestion)
        buttons.append(texts["person"])
    else:
        listed = []  # with a person now: their questions are no longer the assistant's
    if listed:
        parts.append("\n".join([texts["suggestions"], *(f"• {s}" for s in listed)]))
    text = "\n\n".join(parts)
    if channel == "whatsapp" and buttons and len(text) > WHATSAPP_INTERACTIVE_MAX_CHARS:
        # Too long for an interactive message: plain text, the buttons listed instead.
        extra = buttons[:-1]
        tail = ([texts["suggestions"], *(f"• {s}" for s in extra)] if extra else []) + [
            texts["person_hint"]
        ]
        text = text + "\n\n" + "\n".join(tail)
        buttons = []
    return text, buttons


def offline_text(council: CouncilRef, frame: dict[str, Any], language: str) -> str:
    """The `offline` frame's offer as text: what the widget shows in its offline window."""
    texts = _texts(language)
    parts = [p for p in (frame.get("message"), frame.get("detail")) if p]
    if frame.get("next_open_text"):
        parts.append(texts["opens"].format(when=frame["next_open_text"]))
    hours = [
        f"{h.get('day', '')} {h.get('opens', '')} {texts['to']} {h.get('closes', '')}".strip()
        for h in frame.get("hours") or []
    ]
    if hours:
        parts.append("\n".join([texts["hours"], *hours]))
    links = _link_lines(council, frame.get("links") or [])
    if links:
        parts.append("\n".join([texts["links"], *links]))
    return "\n\n".join(parts)


def assistant_turn_send_unsafe(
    council: CouncilRef,
    contact: SocialContact,
    conversation_id: UUID,
    *,
    after_seq: int,
    outcome: Outcome,
) -> SocialMessage | None:
    """Send what the assistant said after the resident's message at `after_seq`.

    Precondition: in the transaction that stored that message (the conversation row locked).
    """
    if outcome.reply is None and outcome.offline is None:
        return None  # the chat was not the assistant's (a person has it)
    conversation = Conversation.objects.only("status", "language").get(id=conversation_id)
    language = conversation.language
    if outcome.offline is not None:
        text = offline_text(council, outcome.offline.frame, language)
        offline_message_store_unsafe(
            council, conversation_id, text, list(outcome.offline.frame.get("links") or [])
        )
    messages = list(
        Message.objects.filter(
            conversation_id=conversation_id, seq__gt=after_seq, author=Message.Author.BOT
        ).order_by("seq")
    )
    if not messages:
        return None
    text, buttons = reply_compose(
        council,
        messages,
        channel=contact.channel,
        language=language,
        with_assistant=(conversation.status == Conversation.Status.BOT and outcome.offline is None),
    )
    social = SocialMessage.objects.create(
        contact=contact,
        conversation_id=conversation_id,
        message=messages[0],
        direction=SocialMessage.Direction.OUTBOUND,
        state=SocialMessage.State.QUEUED,
        kind=SocialMessage.Kind.TEXT,
        body=text,
        buttons=buttons,
        next_attempt_at=timezone.now(),
    )
    enqueue_on_commit("send_social_message_task", str(social.id))
    return social
