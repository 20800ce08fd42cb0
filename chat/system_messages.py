"""What the system says in a chat ("Sam joined the chat."), in English and Welsh.

A system message is stored with a `code` and its `params` (`Message.code`,
`Message.params`); its `body` column keeps the English rendering, as the fallback and for
search. Every reader renders it in the language it needs: the widget, transcripts and emails
in the chat's language (`Conversation.language`), the operator console in English.

The registry is one place on purpose: a Welsh speaker reviews the Welsh lines here, side by
side with the English (docs/widget.md, "Welsh language"). To add a line, call `register` below
with both languages; `system_message_unsafe` refuses a code that is not registered, so no
chat can show a line that has no Welsh.

Template rules (checked by tests/chat/test_system_messages.py):
- placeholders are `{param}`; both languages use the same params;
- a param `x` may come with `x_cy`, its Welsh form (a department's Welsh name): Welsh
  renderings use it when it is not blank;
- `{param:â}` (Welsh only) puts "â" before the value, or "ag" when it starts with a vowel
  ("siarad â Sam", "siarad ag Alex"). Names are never mutated (no "â Pam" → "â Phám").
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

LANGUAGES = ("en", "cy")


# "ag" before a vowel, "â" before a consonant. W and Y are left out: as the first letter of a
# name (William, Yusuf) they are usually consonants; listed for review in docs/widget.md.
_VOWELS = frozenset("aeiouáéíóúàèìòùâêîôûäëïöü")


def with_welsh(value: str) -> str:
    """ "â Sam", "ag Alex": Welsh "with" before a name, never mutating the name."""
    text = value.strip()
    return f"ag {text}" if text[:1].lower() in _VOWELS else f"â {text}"


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "â":
            return with_welsh(str(value))
        if format_spec:
            raise ValueError(f"Unknown format {format_spec!r} in a system line.")
        return str(value)


_FORMATTER = _Formatter()


def _fields(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in _FORMATTER.parse(template) if name}


@dataclass(frozen=True)
class SystemLine:
    en: str
    cy: str

    def params(self) -> set[str]:
        return _fields(self.en)


LINES: dict[str, SystemLine] = {}


def register(code: str, *, en: str, cy: str) -> None:
    """Add a system line. Both templates name the same params."""
    if code in LINES:
        raise ValueError(f"System line {code!r} is registered twice.")
    if _fields(en) != _fields(cy):
        raise ValueError(f"System line {code!r}: English and Welsh name different params.")
    LINES[code] = SystemLine(en=en, cy=cy)


def is_registered(code: str) -> bool:
    return code in LINES


# ---- the lines ---------------------------------------------------------------------------
# Welsh drafted by the team, to be reviewed by a Welsh speaker (docs/widget.md).

register(
    "joined",
    en="{operator} joined the chat.",
    cy="Mae {operator} wedi ymuno â'r sgwrs.",
)
register(
    "talking_to",  # after a transfer to another operator
    en="You are now talking to {operator}.",
    cy="Rydych chi nawr yn siarad {operator:â}.",
)
register(
    "passed_to_department",
    en="{operator} passed your chat to {department}. You're at the front of their queue.",
    cy="Mae {operator} wedi trosglwyddo eich sgwrs i'r tîm {department}. "
    "Rydych chi ar flaen eu ciw.",
)
register(
    "passed_to_council",  # council_cy: the council's Welsh name (Council.name_cy), when it has one
    en="{operator} passed your chat to {council}. You're at the front of their queue.",
    # The council is the subject after "Bydd", which takes no mutation: "i {council}" would
    # need "i Gyngor Sir Dorset" (soft mutation), which a placeholder cannot do (issue 15).
    cy="Mae {operator} wedi trosglwyddo eich sgwrs. Bydd {council} yn eich ateb: rydych chi "
    "ar flaen eu ciw.",
)
register(
    "back_in_queue",  # the adviser dropped, or did not answer in time
    en="Sorry for the wait: you're back at the front of the queue for the next adviser.",
    cy="Mae'n ddrwg gennym am yr oedi: rydych chi yn ôl ar flaen y ciw ar gyfer y "
    "cynghorydd nesaf.",
)
register(
    "missed",
    en="Sorry, no one could answer in time. The council will follow up.",
    cy="Mae'n ddrwg gennym, ni allai neb ateb mewn pryd. Bydd y cyngor yn cysylltu â chi.",
)
register(
    "idle_ended",
    en="The chat was closed after a long time with no messages.",
    cy="Cafodd y sgwrs ei chau ar ôl amser hir heb negeseuon.",
)
register(
    "ended_by_operator",
    en="{operator} ended the chat.",
    cy="Mae {operator} wedi dod â'r sgwrs i ben.",
)
register(
    "ended_by_visitor",
    en="{visitor} ended the chat.",
    cy="Mae {visitor} wedi dod â'r sgwrs i ben.",
)
# Issue 15: a missed chat without contact details, and chats the system ended for the resident.
register(
    "missed_no_contact",
    en="Sorry, no one could answer in time. Leave your contact details and the council will "
    "get back to you.",
    cy="Mae'n ddrwg gennym, ni allai neb ateb mewn pryd. Gadewch eich manylion cyswllt a bydd "
    "y cyngor yn cysylltu â chi.",
)
register(
    "abandoned_ended",
    en="The chat was closed because the resident left the page.",
    cy="Cafodd y sgwrs ei chau oherwydd bod y preswylydd wedi gadael y dudalen.",
)
register(
    "quick_exit_ended",
    en="{visitor} left by the quick exit.",
    cy="Gadawodd {visitor} drwy'r allanfa gyflym.",
)


# ---- rendering ---------------------------------------------------------------------------


def render(
    code: str, params: Mapping[str, Any] | None, language: str, *, fallback: str = ""
) -> str:
    """The line in `language` (en or cy; anything else is English). `fallback` (the stored
    English text) when the code is unknown or a param is missing: a row written before the
    line existed, or one whose personal data was removed."""
    line = LINES.get(code or "")
    if line is None:
        return fallback
    params = dict(params or {})
    welsh = language == "cy"
    values: dict[str, str] = {}
    for name in line.params():
        value = params.get(name)
        if welsh and str(params.get(f"{name}_cy") or "").strip():
            value = params[f"{name}_cy"]
        if value is None or not str(value).strip():
            return fallback
        values[name] = str(value)
    return _FORMATTER.format(line.cy if welsh else line.en, **values)


def english(code: str, params: Mapping[str, Any] | None) -> str:
    """What is stored in the body column. A missing param is a programming error."""
    text = render(code, params, "en")
    if not text:
        missing = sorted(LINES[code].params() - {k for k, v in (params or {}).items() if v})
        raise ValueError(f"System line {code!r} needs {', '.join(missing)}.")
    return text
