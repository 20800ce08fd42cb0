"""Socket tests drive consumers in pytest-asyncio's event loop, a new one for every test."""

from __future__ import annotations

import pytest
from channels.layers import channel_layers


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """Give every test its own channel-layer object.

    RedisChannelLayer keeps receive state (a lock and a count of waiting receivers) on the
    layer object and binds it to the event loop that first receives. A consumer still
    closing when a test's loop ends (WebsocketCommunicator.disconnect gives it one second)
    leaves that state behind, and the next test's consumers then fail with "Lock ... is
    bound to a different event loop". A server runs one loop, so only tests meet this.
    """
    channel_layers.backends.pop("default", None)
    yield
    channel_layers.backends.pop("default", None)
