"""The channel layer (chat.layers) against the real Redis."""

from __future__ import annotations

import asyncio

from channels.layers import get_channel_layer


async def test_when_a_channel_joins_a_group_then_it_hears_the_group_and_the_group_key_expires():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("test.layers.join", channel)

    await layer.group_send("test.layers.join", {"type": "chat.ping", "n": 1})
    assert await asyncio.wait_for(layer.receive(channel), 5) == {"type": "chat.ping", "n": 1}
    redis = layer.connection(layer.consistent_hash("test.layers.join"))
    key = layer._group_key("test.layers.join")
    assert 0 < await redis.ttl(key) <= layer.group_expiry  # never left without an expiry

    await layer.group_discard("test.layers.join", channel)
    await layer.group_send("test.layers.join", {"type": "chat.ping", "n": 2})
    assert await redis.zcard(key) == 0
