"""The channel layer: channels_redis' RedisChannelLayer on a Redis pool that waits.

redis-py 8's asyncio `ConnectionPool` raises `MaxConnectionsError` ("Too many connections")
when all its connections are busy, where older versions opened more. A reconnect storm runs
thousands of `group_add`/`group_discard` at once: in bench B2 (10,000 sockets, 2026-11-24)
8,940 consumers died that way even with `max_connections` at 1,000. A
`BlockingConnectionPool` makes a command wait for a free connection instead (docs/performance.md).
"""

from __future__ import annotations

import time

from channels_redis.core import RedisChannelLayer
from redis.asyncio import BlockingConnectionPool

POOL_SIZE = 200
# Longer than channels_redis' 5 s BZPOPMIN, so a quiet receive loop is not cut off.
SOCKET_TIMEOUT_S = 15
# A command that waits this long for a connection fails (Redis stuck or gone).
POOL_WAIT_S = 30


class BlockingPoolChannelLayer(RedisChannelLayer):
    def create_pool(self, index):
        host = dict(self.hosts[index])
        if "address" not in host:  # Sentinel and other forms: channels_redis' own pool
            return super().create_pool(index)
        address = host.pop("address")
        host.setdefault("max_connections", POOL_SIZE)
        host.setdefault("socket_timeout", SOCKET_TIMEOUT_S)
        return BlockingConnectionPool.from_url(address, timeout=POOL_WAIT_S, **host)

    async def group_add(self, group: str, channel: str) -> None:
        """channels_redis' group_add (ZADD, then EXPIRE) in one round trip, not two.

        Every socket joins its groups as it connects; in a reconnect storm thousands of
        joins queue for the pool's connections, each held for both round trips (bench B2).
        """
        assert self.require_valid_group_name(group), "Group name not valid"
        assert self.require_valid_channel_name(channel), "Channel name not valid"
        key = self._group_key(group)
        pipe = self.connection(self.consistent_hash(group)).pipeline(transaction=False)
        pipe.zadd(key, {channel: time.time()})
        pipe.expire(key, self.group_expiry)
        await pipe.execute()
