"""Where other channels (social/) plug into the chat path without chat/ importing them.

A channel app registers, at start-up (its AppConfig.ready), what an operator's reply on
that channel needs (refuse it, or record it for sending) and what the console's summary of
such a chat adds. chat/ calls these for conversations whose `channel` is not `web`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class ChannelHooks:
    # (conversation_id, options) -> extra for the message; raises ChatError to refuse it.
    # Runs inside message_create's transaction, before the insert: a refusal stores nothing.
    reply_prepare: Callable[[UUID, dict[str, Any]], dict[str, Any]]
    # (council, conversation_id, message_id, seq, body, options) after the insert, in the
    # same transaction: records what must be sent (the outbox).
    reply_record: Callable[..., None]
    # (conversation ids) -> {id: fields added to each summary}
    summaries: Callable[[list[str]], dict[str, dict[str, Any]]]


_HOOKS: dict[str, ChannelHooks] = {}


def register(channel: str, hooks: ChannelHooks) -> None:
    _HOOKS[channel] = hooks


def hooks_for(channel: str) -> ChannelHooks | None:
    return _HOOKS.get(channel)


def extend_summaries(rows: list[dict[str, Any]]) -> None:
    """Add each channel's fields to the summaries of its chats (one call per channel)."""
    by_channel: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("channel", "web") != "web":
            by_channel.setdefault(row["channel"], []).append(row)
    for channel, channel_rows in by_channel.items():
        hooks = _HOOKS.get(channel)
        if hooks is None:
            continue
        extra = hooks.summaries([row["id"] for row in channel_rows])
        for row in channel_rows:
            row.update(extra.get(row["id"], {}))
