"""A chat's transcript as plain text and as HTML, for the visitor's email copy.

Everything that came from a person (names, messages) is escaped in the HTML: the transcript
is the one place where visitor and operator text meet an HTML renderer. Web addresses in
operator and assistant messages become links (chat/links.py); a visitor's stay text. System
lines are rendered in the chat's language from their code (chat/system_messages.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import override

from chat.links import linkify_html
from chat.models import Conversation, Message
from chat.payloads import system_body

# Whose addresses become links: the council's side (operators, canned replies, the assistant).
_LINKED_AUTHORS = (Message.Author.OPERATOR, Message.Author.BOT)


@dataclass(frozen=True)
class Transcript:
    subject: str
    text: str
    html: str


def _speaker(message: Message, language: str) -> str:
    if message.author == Message.Author.VISITOR:
        return _("You")
    if message.author == Message.Author.SYSTEM:
        return ""
    return message.author_name or _("Adviser")


def transcript_render(conversation: Conversation, *, council_name: str) -> Transcript:
    """Call inside the council's schema; in the chat's language."""
    messages = list(conversation.messages.order_by("seq"))
    with override(conversation.language or "en"):
        started = timezone.localtime(conversation.created_at)
        subject = _("Your chat with %(council)s") % {"council": council_name}
        intro = _("A copy of your chat with %(council)s on %(date)s.") % {
            "council": council_name,
            "date": f"{started:%d/%m/%Y %H:%M}",
        }
        lines = [intro, ""]
        rows = []
        for message in messages:
            at = f"{timezone.localtime(message.created_at):%H:%M}"
            speaker = _speaker(message, conversation.language)
            body = system_body(message, conversation.language)
            said = f"{speaker}: {body}" if speaker else body
            lines.append(f"[{at}] {said}")
            if message.author in _LINKED_AUTHORS:
                shown = linkify_html(body)
            else:
                shown = escape(body).replace("\n", "<br>")
            who = escape(speaker)
            rows.append(f'<tr><td>{escape(at)}</td><th scope="row">{who}</th><td>{shown}</td></tr>')
        footer = _("Please do not reply to this email.")
        lines += ["", footer]
        html = (
            '<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{subject}'
            "</title></head><body><p>{intro}</p><table>{rows}</table><p>{footer}</p>"
            "</body></html>"
        ).format(
            lang=escape(conversation.language or "en"),
            subject=escape(subject),
            intro=escape(intro),
            rows="".join(rows),
            footer=escape(footer),
        )
    return Transcript(subject=subject, text="\n".join(lines), html=html)


def enquiry_render(enquiry, *, council_name: str) -> tuple[str, str]:
    """Subject and plain-text body of an out-of-hours enquiry for the department (plain text
    only, so nothing the visitor typed can become markup)."""
    department = enquiry.department.name if enquiry.department else "no department"
    subject = f"Chat enquiry for {department}: {' '.join(enquiry.name.split())}"
    fields = "\n".join(f"{key}: {value}" for key, value in (enquiry.prechat or {}).items())
    body = (
        f"{enquiry.name} left a message on {council_name}'s chat while it was unavailable "
        f"({enquiry.get_reason_display()}).\n\n"
        f"Name: {enquiry.name}\nEmail: {enquiry.email or '-'}\nPhone: {enquiry.phone or '-'}\n"
        f"Language: {enquiry.get_language_display()}\nPage: {enquiry.page_url or '-'}\n"
        + (f"{fields}\n" if fields else "")
        + f"\nMessage:\n{enquiry.message}\n\n"
        "It is listed in the operator console for follow-up."
    )
    return subject, body
