"""Abuse limits on the widget's public POSTs: fixed windows counted in Redis.

A chat, an enquiry or a transcript email can be asked for by anyone who can load a council
page, so each is limited per visitor address and site; a transcript also per conversation, so
one chat cannot be used to mail a stranger over and over. Limits come from settings
(WIDGET_RATE_LIMITS, "count/seconds"); counts live in the cache, shared by every process.

When Redis is away the limiter fails open, with a log line: a resident's chat matters more
than an abuse limit, and refusing everything with a 500 while Redis restarts (issue 12) was
the worse outage.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
# At most one "failing open" line per this many seconds per process (Redis may be away a while).
FAIL_OPEN_LOG_EVERY_S = 10.0
_last_fail_open_log = 0.0


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """ "10/600" is ten per ten minutes; a clear ImproperlyConfigured-style error if not."""
        try:
            count, seconds = (int(part) for part in text.split("/"))
        except ValueError as exc:
            raise ValueError(f"a rate is 'count/seconds', e.g. '10/600', not {text!r}") from exc
        if count < 1 or seconds < 1:
            raise ValueError(f"a rate needs a count and seconds of at least 1, not {text!r}")
        return cls(count, seconds)


class Throttled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


def rate_for(action: str) -> Rate:
    return Rate.parse(settings.WIDGET_RATE_LIMITS[action])


def throttle_check(*, action: str, subject: str, rate: Rate | None = None) -> None:
    """Count one attempt at `action` by `subject`; raise Throttled past the rate.

    `subject` must name the site or council as well as the visitor (keys on a partnership host
    are made in the public schema, so the schema prefix alone would not separate councils).
    """
    rate = rate or rate_for(action)
    now = int(time.time())
    window = now // rate.seconds
    key = f"throttle:{action}:{subject}:{window}"
    try:
        count = _count_attempt(key, rate)
    except (RedisError, OSError) as exc:
        _log_fail_open(action, exc)
        return
    if count > rate.count:
        raise Throttled(retry_after=max(1, (window + 1) * rate.seconds - now))


def _count_attempt(key: str, rate: Rate) -> int:
    # add() creates the counter with its expiry; incr() is atomic in Redis.
    cache.add(key, 0, timeout=rate.seconds + 1)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this is the window's first attempt
        cache.set(key, 1, timeout=rate.seconds + 1)
        return 1


def _log_fail_open(action: str, exc: BaseException) -> None:
    global _last_fail_open_log
    now = time.monotonic()
    if now - _last_fail_open_log >= FAIL_OPEN_LOG_EVERY_S:
        _last_fail_open_log = now
        # No subject: it holds the visitor's address (personal data stays out of logs).
        logger.warning(
            "rate limiter failing open for %r: the cache is unavailable (%r)", action, exc
        )


def client_address(request) -> str:
    """The visitor's address: the connecting peer, or behind TRUSTED_PROXIES the right-most
    untrusted X-Forwarded-For hop (reliability.proxies; daphne runs without --proxy-headers)."""
    return request.META.get("REMOTE_ADDR") or "unknown"
