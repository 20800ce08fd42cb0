"""A week of chats whose report figures are worked out by hand (tests/reports/test_selectors.py
lists the answers): never answered, abandoned, the assistant's, a transfer between operators,
a chat across midnight, Welsh chats, missing ratings, and chats just outside the week."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django_tenants.utils import schema_context

from chat.models import Conversation, ConversationTransfer, Enquiry, Message, Visitor
from councils.sites import CouncilRef
from routing.models import Department
from tests.factories import operator_in

LONDON = ZoneInfo("Europe/London")
FIRST, LAST = "2026-03-02", "2026-03-08"  # Monday to Sunday, GMT


def T(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=LONDON)


# (department, operator, channel, language, created, wait, first response, handle, status,
#  rating, outcome, bot message)
CHATS = [
    ("parking", "alex", "web", "en", T(2, 9, 0), 30, 40, 600, "ended", 5, "resolved", False),
    ("parking", "alex", "web", "cy", T(2, 9, 5), 90, 100, 300, "ended", 4, "resolved", False),
    ("highways", "sam", "messenger", "en", T(3, 14, 0), 60, 70, 1200, "ended", 2, "referred", False),  # noqa: E501
    ("highways", "sam", "whatsapp", "cy", T(3, 23, 50), 120, 150, 1800, "ended", None, "follow_up", False),  # noqa: E501
    ("parking", None, "web", "en", T(4, 10, 0), None, None, None, "missed", None, "", False),
    ("parking", None, "web", "cy", T(4, 11, 0), None, None, 200, "ended", None, "", False),
    (None, None, "web", "en", T(5, 12, 0), None, None, 100, "ended", None, "", True),
    (None, None, "whatsapp", "cy", T(5, 13, 0), None, None, None, "bot", None, "", True),
    # Transferred from alex to sam: counts for sam, the operator it ended with.
    ("parking", "sam", "web", "en", T(6, 15, 0), 45, 50, 900, "ended", 3, "resolved", False),
    ("parking", None, "web", "en", T(7, 16, 0), None, None, None, "queued", None, "", False),
    ("parking", "alex", "web", "en", T(8, 0, 30), 10, 20, 60, "ended", 5, "resolved", False),
    # Outside the week: Sunday before and Monday after.
    ("parking", "alex", "web", "en", T(1, 23, 59), 5, 6, 60, "ended", 1, "other", False),
    ("parking", "alex", "web", "cy", T(9, 0, 0), 5, 6, 60, "ended", 1, "other", False),
]  # fmt: skip


# Chats taken over by another operator this many seconds after their first answer (index in
# CHATS -> seconds), as transfer_to_operator leaves them: `accepted_at` and
# `first_response_at` are the new operator's, `answered_at` and `first_reply_at` the first's.
TRANSFERRED = {8: 255}


def build(council: CouncilRef) -> dict[str, int]:
    """Store the week in `council`; returns the operators' user ids."""
    users = {name: operator_in(council, name).id for name in ("alex", "sam")}
    with schema_context(council.schema_name):
        departments = {d.slug: d for d in Department.objects.all()}
        for index, row in enumerate(CHATS):
            (
                dept,
                op,
                channel,
                language,
                created,
                wait,
                frt,
                handle,
                status,
                rating,
                outcome,
                bot,
            ) = row
            accepted = created + timedelta(seconds=wait) if wait is not None else None
            ended = None
            if handle is not None:
                ended = (accepted or created) + timedelta(seconds=handle)
            first_reply = created + timedelta(seconds=frt) if frt is not None else None
            answered, taken_over = accepted, TRANSFERRED.get(index)
            if taken_over is not None:
                accepted = answered + timedelta(seconds=taken_over)
            visitor = Visitor.objects.create(name=f"Resident {index}", created_at=created)
            conversation = Conversation.objects.create(
                visitor=visitor,
                department=departments.get(dept) if dept else None,
                operator_id=users[op] if op else None,
                channel=channel,
                language=language,
                status=status,
                created_at=created,
                queued_at=created,
                accepted_at=accepted,
                answered_at=answered,
                answered_queued_at=created if answered else None,
                first_reply_at=first_reply,
                first_response_at=(
                    accepted + timedelta(seconds=30) if taken_over is not None else first_reply
                ),
                ended_at=ended,
                rating=rating,
                outcome=outcome,
                last_seq=2,
            )
            Message.objects.create(
                conversation=conversation,
                seq=1,
                author="visitor",
                author_name="R",
                body="Hello",
                created_at=created,
            )
            Message.objects.create(
                conversation=conversation,
                seq=2,
                author="bot" if bot else "system",
                author_name="Assistant" if bot else "System",
                body="Hi",
                created_at=created,
            )
        Enquiry.objects.create(
            name="E1",
            message="m",
            department=departments["parking"],
            reason="closed",
            created_at=T(3, 20, 0),
        )
        Enquiry.objects.create(
            name="E2",
            message="m",
            department=departments["highways"],
            reason="no_operator_online",
            created_at=T(7, 8, 0),
        )
        Enquiry.objects.create(name="E3", message="m", reason="closed", created_at=T(9, 8, 0))
        transfer = ConversationTransfer.objects.create(
            conversation_id=Conversation.objects.first().id,
            direction="out",
            other_council_id=999,
            other_council_name="Elsewhere",
            by_operator_name="Alex",
        )
        ConversationTransfer.objects.filter(pk=transfer.pk).update(created_at=T(4, 12, 0))
    return users
