"""What an operator is called in chats (issue 15): set by the operator at /console/profile/
or by a council admin on the user's page. Call in the council's schema."""

from __future__ import annotations

import re

from django.db import transaction

from chat.errors import ChatError
from chat.payloads import operator_display_name
from routing.capacity import presence_for
from routing.models import OperatorPresence

_SURROGATE = re.compile("[\ud800-\udfff]")
DISPLAY_NAME_MAX = OperatorPresence._meta.get_field("display_name").max_length


@transaction.atomic
def display_name_set(*, user, display_name: str) -> str:
    """Store the name residents will see from now on (blank: the first name); returns what
    they will see. Chats already under way keep the name their messages were stored with."""
    name = " ".join((display_name or "").split())
    if "\x00" in name or _SURROGATE.search(name):
        # PostgreSQL text cannot hold NUL, nor UTF-8 a lone surrogate: a 500 before.
        raise ChatError("invalid", "Use letters, numbers and punctuation only.")
    if len(name) > DISPLAY_NAME_MAX:
        raise ChatError("too_long", f"Use at most {DISPLAY_NAME_MAX} characters.")
    presence = presence_for(user.id)
    presence.display_name = name
    presence.save(update_fields=["display_name"])
    user.presence = presence
    return operator_display_name(user)
