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


async def test_when_many_sockets_join_and_leave_at_once_then_each_change_lands_in_order():
    layer = get_channel_layer()
    channels = [await layer.new_channel() for _ in range(300)]
    # 300 joins in the same loop iteration (a reconnect storm): batched into pipelines.
    await asyncio.gather(*(layer.group_add("test.layers.storm", c) for c in channels))
    redis = layer.connection(layer.consistent_hash("test.layers.storm"))
    key = layer._group_key("test.layers.storm")
    assert await redis.zcard(key) == 300

    # A leave queued right behind a join of the same channel wins, as it would unbatched.
    leaving = channels[:100]
    await asyncio.gather(
        *(layer.group_discard("test.layers.storm", c) for c in leaving),
        layer.group_add("test.layers.storm", "specific.late!joiner"),
        layer.group_discard("test.layers.storm", "specific.late!joiner"),
    )
    members = {m.decode() for m in await redis.zrange(key, 0, -1)}
    assert members == set(channels[100:])
    await layer.group_send("test.layers.storm", {"type": "chat.ping"})
    assert await asyncio.wait_for(layer.receive(channels[-1]), 5) == {"type": "chat.ping"}
    await asyncio.gather(*(layer.group_discard("test.layers.storm", c) for c in channels))
    assert await redis.zcard(key) == 0


async def test_given_redis_unreachable_when_joining_then_each_caller_gets_an_error_not_a_hang():
    from chat.layers import BlockingPoolChannelLayer

    dead = BlockingPoolChannelLayer(hosts=[{"address": "redis://127.0.0.1:9/0"}])
    for _ in range(2):  # and the batcher is not left stuck after the first failure
        results = await asyncio.wait_for(
            asyncio.gather(
                dead.group_add("test.layers.dead", "specific.a!x"),
                dead.group_discard("test.layers.dead", "specific.a!y"),
                return_exceptions=True,
            ),
            10,
        )
        assert all(isinstance(r, Exception) for r in results), results


async def test_after_redis_restarts_the_first_join_on_a_pooled_connection_succeeds():
    """A restarted Redis leaves every idle pooled connection stale: the re-join after an
    outage must not fail on one (it left sockets out of their groups for 20 s)."""
    from chat.layers import BlockingPoolChannelLayer
    from tests.reliability.live import OwnRedis

    redis = await asyncio.to_thread(OwnRedis().start)
    try:
        layer = BlockingPoolChannelLayer(hosts=[{"address": redis.url()}], group_expiry=60)
        channel = await layer.new_channel()
        # Several idle connections in the pool, as a busy daphne has.
        await asyncio.gather(*(layer.connection(0).ping() for _ in range(10)))
        await layer.group_add("test.layers.restart", channel)
        redis.kill()
        await asyncio.to_thread(redis.start)

        for _ in range(12):  # each may draw a stale connection: none fails
            await layer.group_add("test.layers.restart", channel)
        key = layer._group_key("test.layers.restart")
        assert await layer.connection(0).zcard(key) == 1
    finally:
        redis.kill()
