"""Shared rate limits: the Redis-counted limiter decides as the in-process one, everywhere."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reference_app.storage._redis import (
    REDIS_URL,
    delete_prefix,
    new_prefix,
    redis_client,
    require_redis,
)
from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.services.ratelimit import (
    Limiter,
    RateLimitDecision,
    RateLimiter,
    SharedRateLimiter,
)
from twitterdesign.reference_app.storage.redis import RedisUnavailableError, RedisWindowCounter
from twitterdesign.reference_app.storage.window_counts import WindowCounter


def _replay(limiter: Limiter, now: list[float], hits: list[tuple[float, str]]) -> list[object]:
    decisions = []
    for t, key in hits:
        now[0] = t
        decisions.append(limiter.hit(key).to_dict())
    return decisions


hit_sequences = st.lists(
    st.tuples(st.floats(0.0, 0.999), st.sampled_from(["ada", "bob", "203.0.113.7", "k:1"])),
    max_size=40,
).map(sorted)


@settings(max_examples=50, deadline=None)
@given(
    hits=hit_sequences,
    limit=st.integers(1, 6),
    window_s=st.sampled_from([1.0, 7.5, 60.0, 300.0]),
    window=st.integers(0, 10**7),
)
def test_both_limiters_decide_alike_within_a_window(
    hits: list[tuple[float, str]], limit: int, window_s: float, window: int
) -> None:
    require_redis()
    # Times as fractions of one window, so every hit falls in window number ``window``.
    timed = [(window * window_s + f * window_s, key) for f, key in hits]
    now = [0.0]
    local = RateLimiter(limit, window_s, clock_s=lambda: now[0])
    prefix = new_prefix()
    counter = RedisWindowCounter(REDIS_URL, prefix=prefix)
    try:
        shared = SharedRateLimiter(counter, limit, window_s, clock_s=lambda: now[0], name="ip")
        assert _replay(shared, now, timed) == _replay(local, now, timed)
    finally:
        delete_prefix(prefix)
        counter.close()


@settings(max_examples=30, deadline=None)
@given(
    steps=st.lists(st.tuples(st.floats(0.0, 30.0), st.sampled_from(["ada", "bob"])), max_size=40),
    limit=st.integers(1, 4),
)
def test_both_limiters_decide_alike_across_windows(
    steps: list[tuple[float, str]], limit: int
) -> None:
    require_redis()
    timed, t = [], 1_000.0
    for gap, key in steps:  # a clock that only moves forward, crossing 10 s windows
        t += gap
        timed.append((t, key))
    now = [0.0]
    local = RateLimiter(limit, 10.0, clock_s=lambda: now[0])
    prefix = new_prefix()
    counter = RedisWindowCounter(REDIS_URL, prefix=prefix)
    try:
        shared = SharedRateLimiter(counter, limit, 10.0, clock_s=lambda: now[0], name="token")
        assert _replay(shared, now, timed) == _replay(local, now, timed)
    finally:
        delete_prefix(prefix)
        counter.close()


def test_two_instances_share_one_budget(prefix: str) -> None:
    # Two counters on two connection pools: two app instances behind a balancer.
    now = [600.0]
    instances = [
        SharedRateLimiter(
            RedisWindowCounter(REDIS_URL, prefix=prefix), 5, 60.0, clock_s=lambda: now[0], name="ip"
        )
        for _ in range(2)
    ]
    seen = [instances[i % 2].hit("203.0.113.7") for i in range(8)]
    assert [d.allowed for d in seen] == [True] * 5 + [False] * 3
    assert [d.remaining for d in seen] == [4, 3, 2, 1, 0, 0, 0, 0]
    assert {d.reset_at_s for d in seen} == {660.0}
    assert instances[0].hit("198.51.100.1").allowed  # another key, its own budget
    now[0] = 660.0  # the next window: a fresh budget for everyone
    assert instances[1].hit("203.0.113.7") == RateLimitDecision(True, 5, 4, 720.0)


def test_concurrent_hits_from_two_instances_allow_exactly_the_limit(prefix: str) -> None:
    counters = [RedisWindowCounter(REDIS_URL, prefix=prefix) for _ in range(2)]
    limiters = [
        SharedRateLimiter(c, 100, 300.0, clock_s=lambda: 1_000.0, name="account") for c in counters
    ]
    allowed: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def spend(limiter: SharedRateLimiter) -> None:
        barrier.wait()
        for _ in range(25):
            decision = limiter.hit("42")
            with lock:
                allowed.append(decision.allowed)

    threads = [threading.Thread(target=spend, args=(limiters[i % 2],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert allowed.count(True) == 100
    assert len(allowed) == 200
    for c in counters:
        c.close()


def test_counter_keys_expire_by_themselves(prefix: str) -> None:
    counter = RedisWindowCounter(REDIS_URL, prefix=prefix)
    limiter = SharedRateLimiter(counter, 3, 60.0, clock_s=lambda: 1_030.0, name="ip")
    limiter.hit("a")
    limiter.hit("a")
    keys = list(redis_client().scan_iter(match=prefix + "*"))
    assert keys == [prefix + "ip:17:a"]  # window 17 = [1020 s, 1080 s)
    ttl_ms = redis_client().pttl(keys[0])
    # Set once, by the first hit: 50 s to the window's end plus a whole window of slack.
    assert 0 < ttl_ms <= 110_000
    assert counter.incr("fresh", ttl_ms=1) == 1


def test_the_seams_are_protocols(prefix: str) -> None:
    counter = RedisWindowCounter.from_url(REDIS_URL, prefix=prefix)
    assert isinstance(counter, WindowCounter)
    shared = SharedRateLimiter(counter, 1, 1.0, clock_s=lambda: 0.0, name="ip")
    assert isinstance(shared, Limiter)
    assert isinstance(RateLimiter(1, 1.0, clock_s=lambda: 0.0), Limiter)
    assert counter.url.startswith("redis://")
    counter.close()


def test_an_unreachable_counter_is_named_without_its_password() -> None:
    with pytest.raises(RedisUnavailableError) as info:
        RedisWindowCounter("redis://:hunter2@127.0.0.1:1/0")
    assert "redis://:***@127.0.0.1:1/0" in str(info.value)
    assert "hunter2" not in str(info.value)


def test_bad_arguments_are_refused(prefix: str) -> None:
    counter = RedisWindowCounter(REDIS_URL, prefix=prefix)
    with pytest.raises(InvalidParameterError, match="name"):
        SharedRateLimiter(counter, 1, 1.0, clock_s=lambda: 0.0, name="")
    with pytest.raises(InvalidParameterError, match="limit"):
        SharedRateLimiter(counter, 0, 1.0, clock_s=lambda: 0.0, name="ip")
    with pytest.raises(InvalidParameterError, match="window_s"):
        SharedRateLimiter(counter, 1, 0.0, clock_s=lambda: 0.0, name="ip")
    with pytest.raises(InvalidParameterError, match="ttl_ms"):
        counter.incr("k", ttl_ms=0)
    with pytest.raises(InvalidParameterError, match="prefix"):
        RedisWindowCounter(REDIS_URL, prefix="")
    counter.close()
