"""Bench overrides: its own database (set by the harness), channel-layer prefix, cache keys
and Celery queue, so a run never disturbs the demo or the tests."""

import os

os.environ.setdefault("SECRET_KEY", "bench-only-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz")

from config.settings import *  # noqa: F403
from config.settings import CACHES, CHANNEL_LAYERS

BENCH_PREFIX = os.environ.get("BENCH_PREFIX", "ccbench")

CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = BENCH_PREFIX
CACHES["default"]["KEY_PREFIX"] = BENCH_PREFIX
# Tasks sent by services (routing, idle sweeps) go to a queue no demo worker reads; the
# harness deletes it at the end.
CELERY_TASK_DEFAULT_QUEUE = BENCH_PREFIX
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
SECURE_COOKIES = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# The load generator starts thousands of chats from a few loopback addresses.
WIDGET_RATE_LIMITS = {action: "1000000/60" for action in WIDGET_RATE_LIMITS}  # noqa: F405
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("BENCH_LOG_LEVEL", "WARNING")},
}

# Proposed core changes, measured before they are made (docs/performance.md, "Proposed
# changes"). `BENCH_EXPERIMENTS=redis8,...` applies them; the results record which were on.
BENCH_EXPERIMENTS = sorted(filter(None, os.environ.get("BENCH_EXPERIMENTS", "").split(",")))
if "redis8" in BENCH_EXPERIMENTS:
    # The plain RedisChannelLayer with the settings measured as "redis8" (the default is now
    # chat.layers.BlockingPoolChannelLayer): kept so older command lines still run.
    CHANNEL_LAYERS["default"]["BACKEND"] = "channels_redis.core.RedisChannelLayer"
    # redis-py 8 reads with a 5 s socket timeout by default, which is exactly channels_redis'
    # BZPOPMIN timeout, so a quiet socket's receive loop dies with TimeoutError (channels_redis
    # #422, redis-py #4091); and its pool now refuses a 101st connection instead of opening it.
    CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] = [
        {"address": REDIS_URL, "socket_timeout": 15, "max_connections": 1000}  # noqa: F405
    ]
if "pubsub" in BENCH_EXPERIMENTS:
    # The other layer channels_redis ships: Redis pub/sub instead of lists and sorted sets.
    CHANNEL_LAYERS["default"]["BACKEND"] = "channels_redis.pubsub.RedisPubSubChannelLayer"
    for key in ("capacity", "expiry", "group_expiry"):
        CHANNEL_LAYERS["default"]["CONFIG"].pop(key, None)
if "blockingpool" in BENCH_EXPERIMENTS:
    # Wait for a free Redis connection instead of failing (bench/layers.py).
    # Now the default in config/settings.py (chat/layers.py); kept for old command lines.
    CHANNEL_LAYERS["default"]["BACKEND"] = "chat.layers.BlockingPoolChannelLayer"
