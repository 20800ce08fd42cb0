"""The visitor socket's assistant frames: `handoff` and `feedback` (docs/protocol.md).

Called by chat.consumers.VisitorConsumer; each reaches the ORM only through `in_council`.
"""

from __future__ import annotations

from typing import Any

from assistant import services
from assistant.services import visitor_message
from chat import frames
from councils.tenancy import in_council

__all__ = ["on_feedback", "on_handoff", "visitor_message"]


async def on_handoff(socket, frame: dict[str, Any]) -> None:
    """Talk to a person: a `status` frame arrives through the conversation group when the
    chat is queued; with nobody available this socket gets the `offline` frame."""
    outcome = await in_council(
        socket.council,
        services.handoff_request,
        council=socket.council,
        conversation_id=socket.conversation,
    )
    if outcome.offline is not None:
        await socket.send_frame(outcome.offline.frame)


async def on_feedback(socket, frame: dict[str, Any]) -> None:
    """Whether the answer at `seq` helped; answered with `feedback` echoing it."""
    await in_council(
        socket.council,
        services.feedback_record,
        council=socket.council,
        conversation_id=socket.conversation,
        seq=frame.get("seq"),
        helpful=frame.get("helpful"),
    )
    await socket.send_frame(frames.feedback(frame["seq"], frame["helpful"]))
