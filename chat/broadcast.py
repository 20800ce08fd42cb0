"""Announce to channel-layer groups only once the database change is committed.

The layer is a doorbell, not a store: an event that then rolled back would announce a
message nobody can fetch, so every send waits for `transaction.on_commit`.
"""

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def send_now(group: str, event: dict[str, Any]) -> None:
    """Precondition: nothing uncommitted is announced (call from an on_commit callback)."""
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, event)


def send_on_commit(group: str, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: send_now(group, event))
