"""The per-process answer cache behind Host resolution (councils.local_cache)."""

from __future__ import annotations

import pytest

from councils import local_cache
from councils.local_cache import ExpiringCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(local_cache, "_now", clock)
    return clock


def test_given_a_fresh_answer_then_it_is_served_without_loading_and_not_due(clock):
    cache: ExpiringCache[str, str] = ExpiringCache(30)
    loads = []
    assert cache.get_or_load("dorset", lambda k: loads.append(k) or "v1") == "v1"
    clock.now += 10
    assert cache.get_or_load("dorset", lambda k: loads.append(k) or "v2") == "v1"
    assert loads == ["dorset"]
    assert cache.peek("dorset") == (True, "v1")
    assert not cache.due_for_refresh("dorset")


def test_given_an_answer_in_its_last_third_then_it_is_due_but_still_served(clock):
    cache: ExpiringCache[str, str] = ExpiringCache(30)
    cache.get_or_load("dorset", lambda k: "v1")
    clock.now += 21
    assert cache.due_for_refresh("dorset")
    assert cache.peek("dorset") == (True, "v1")
    assert cache.due_for_refresh("somewhere-never-seen")


def test_when_reloaded_then_the_new_answer_is_served_and_expires_a_full_life_later(clock):
    cache: ExpiringCache[str, str] = ExpiringCache(30)
    cache.get_or_load("dorset", lambda k: "v1")
    clock.now += 21
    assert cache.reload("dorset", lambda k: "v2") == "v2"
    assert cache.peek("dorset") == (True, "v2")
    assert not cache.due_for_refresh("dorset")
    clock.now += 30.5
    assert cache.peek("dorset") == (False, None)  # never served past its life


def test_given_an_expired_answer_then_it_is_not_served_and_the_next_read_loads(clock):
    cache: ExpiringCache[str, str] = ExpiringCache(30)
    cache.get_or_load("dorset", lambda k: "v1")
    clock.now += 31
    assert cache.peek("dorset") == (False, None)
    assert cache.get_or_load("dorset", lambda k: "v2") == "v2"


def test_given_a_bound_when_more_keys_arrive_then_the_cache_never_grows_past_it(clock):
    cache: ExpiringCache[str, int] = ExpiringCache(30, max_entries=3)
    for n in range(10):
        cache.get_or_load(f"https://www.alpha.gov.uk/page/{n}", lambda k, n=n: n)
        assert len(cache._entries) <= 3
    assert cache.peek("https://www.alpha.gov.uk/page/9") == (True, 9)
