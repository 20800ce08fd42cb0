"""Abuse limits on the widget's public POSTs: fixed windows counted in Redis.

A chat, an enquiry or a transcript email can be asked for by anyone who can load a council
page, so each is limited per visitor address and site; a transcript also per conversation, so
one chat cannot be used to mail a stranger over and over. Limits come from settings
(WIDGET_RATE_LIMITS, "count/seconds"); counts live in the cache, shared by every process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


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
    # add() creates the counter with its expiry; incr() is atomic in Redis.
    cache.add(key, 0, timeout=rate.seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this is the window's first attempt
        cache.set(key, 1, timeout=rate.seconds + 1)
        count = 1
    if count > rate.count:
        raise Throttled(retry_after=max(1, (window + 1) * rate.seconds - now))


def client_address(request) -> str:
    """The visitor's address as daphne saw it (behind a proxy, run daphne --proxy-headers)."""
    return request.META.get("REMOTE_ADDR") or "unknown"
