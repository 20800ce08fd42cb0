"""A candidate channel layer for core (measured by `BENCH_EXPERIMENTS=blockingpool`).

redis-py 8's asyncio `ConnectionPool` raises `MaxConnectionsError` when all its connections
are busy (it used to open more without limit). A reconnect storm runs thousands of
`group_add`/`group_discard` at once, so consumers die with "Too many connections". A
`BlockingConnectionPool` makes them wait for a connection instead.
"""

from __future__ import annotations

from channels_redis.core import RedisChannelLayer
from redis.asyncio import BlockingConnectionPool


class BlockingPoolChannelLayer(RedisChannelLayer):
    def create_pool(self, index):
        host = dict(self.hosts[index])
        address = host.pop("address")
        host.setdefault("max_connections", 200)
        host.setdefault("socket_timeout", 15)  # above channels_redis' 5 s BZPOPMIN
        return BlockingConnectionPool.from_url(address, timeout=None, **host)
