"""What only the Redis timeline store has to show: layout, batching, restarts, errors."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import redis

from tests.reference_app.storage._redis import (
    REDIS_URL,
    delete_prefix,
    redis_client,
)
from twitterdesign.errors import InvalidParameterError, TwitterDesignError
from twitterdesign.reference_app.storage import TimelineStore
from twitterdesign.reference_app.storage.redis import RedisTimelineStore, RedisUnavailableError


def _keys(prefix: str) -> set[str]:
    return {k.removeprefix(prefix) for k in redis_client().scan_iter(match=prefix + "*")}


def test_every_key_lives_under_the_prefix_with_the_documented_types(prefix: str) -> None:
    store = RedisTimelineStore(REDIS_URL, prefix=prefix, capacity=3, inactive_after_s=60.0)
    assert isinstance(store, TimelineStore)
    store.claim_rebuild(1)
    store.push(2**62 + 1, [1])
    store.mark_pulled(9)
    r = redis_client()
    assert _keys(prefix) == {"active", "built", "held", "pulled", "tl:1"}
    types = {k: r.type(prefix + k) for k in _keys(prefix)}
    assert types == {
        "active": "zset",
        "built": "set",
        "held": "set",
        "pulled": "set",
        "tl:1": "zset",
    }
    # One member per id, as exact 20-digit text, all at score 0 (no double rounding).
    assert r.zrange(prefix + "tl:1", 0, -1, withscores=True) == [("04611686018427387905", 0.0)]
    store._check()
    store.close()


def test_a_redelivered_push_leaves_one_member(prefix: str) -> None:
    store = RedisTimelineStore(REDIS_URL, prefix=prefix, capacity=5)
    for _ in range(3):
        assert store.push(42, [1, 2]) == 2
    assert redis_client().zcard(prefix + "tl:1") == 1
    assert store.read(2, limit=5) == [42]
    store._check()


@pytest.mark.slow
def test_a_push_to_100k_followers_goes_in_batches_and_checks_activity(prefix: str) -> None:
    store = RedisTimelineStore(
        REDIS_URL, prefix=prefix, capacity=10, inactive_after_s=3600.0, batch_size=1_000
    )
    followers = list(range(100_000))
    active = followers[::2]
    redis_client().zadd(prefix + "active", {str(u): 1_000.0 for u in active})
    calls: list[int] = []
    script = store._push_script

    def counting(*, keys: list[str], args: list[Any]) -> Any:
        calls.append(len(keys) - 3)
        return script(keys=keys, args=args)

    store._push_script = counting  # type: ignore[assignment]
    assert store.push(7, followers, now_s=2_000.0) == 50_000
    assert calls == [1_000] * 100  # one script, one round trip, per batch of 1,000 users
    assert store.count_users() == 50_000
    assert store.read(99_998, limit=5, now_s=2_000.0) == [7]
    assert store.read(99_999, limit=5, now_s=2_000.0) == []  # inactive: nothing written
    # Redelivered: still one entry each; the read above made user 99,999 active.
    assert store.push(7, followers, now_s=2_001.0) == 50_001
    assert redis_client().zcard(prefix + "tl:0") == 1


def test_a_flushed_redis_makes_readers_rebuild_from_the_database(prefix: str) -> None:
    store = RedisTimelineStore(REDIS_URL, prefix=prefix, inactive_after_s=60.0)
    assert store.claim_rebuild(1, now_s=0.0)
    store.merge(1, [5, 6])
    store.mark_pulled(3)
    assert not store.claim_rebuild(1, now_s=1.0)
    delete_prefix(prefix)  # what a restart without persistence, or FLUSHDB, leaves
    assert store.count_users() == 0
    assert store.read(1, limit=5, now_s=2.0) == []
    assert store.pulled_authors() == frozenset()
    assert store.claim_rebuild(1, now_s=2.0)  # the service rebuilds from storage
    assert store.push(7, [1], now_s=3.0) == 1  # and the claim made the user active again


def test_scripts_survive_a_script_cache_flush(prefix: str) -> None:
    store = RedisTimelineStore(REDIS_URL, prefix=prefix)
    assert store.push(1, [1]) == 1
    redis_client().script_flush()  # a restarted server forgets loaded scripts
    assert store.push(2, [1]) == 1
    assert store.read(1, limit=5) == [2, 1]


def test_two_clients_claim_a_rebuild_once(prefix: str) -> None:
    # Two stores, two connection pools: as two app processes would.
    stores = [RedisTimelineStore(REDIS_URL, prefix=prefix) for _ in range(2)]
    barrier = threading.Barrier(8)
    wins: list[bool] = []

    def claim(store: RedisTimelineStore) -> None:
        barrier.wait()
        wins.append(store.claim_rebuild(5))

    threads = [threading.Thread(target=claim, args=(stores[i % 2],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 7 + [True]
    for store in stores:
        store.close()


def test_drop_inactive_walks_past_one_batch(prefix: str) -> None:
    store = RedisTimelineStore(REDIS_URL, prefix=prefix, inactive_after_s=10.0, batch_size=7)
    for user in range(50):
        store.claim_rebuild(user, now_s=float(user))
        store.merge(user, [user + 1])
    # At 40 s the cutoff is 30 s: users 0..29 were last seen before it.
    assert store.drop_inactive(now_s=40.0) == 30
    assert store.count_users() == 20
    assert store.drop_inactive(now_s=40.0) == 0
    store._check()


def test_large_status_ids_are_refused_past_20_digits(prefix: str) -> None:
    store = RedisTimelineStore(REDIS_URL, prefix=prefix)
    with pytest.raises(InvalidParameterError, match="status_id"):
        store.push(10**20, [1])
    store.merge(1, [5])
    # A bound past every id is not an error: nothing is above it, everything below.
    assert store.read(1, limit=5, max_id=10**30) == [5]
    assert store.read(1, limit=5, since_id=10**30) == []


def test_a_shared_client_is_left_open(prefix: str) -> None:
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    store = RedisTimelineStore(client, prefix=prefix)
    store.mark_pulled(1)
    store.close()
    assert client.ping()
    assert store.url.startswith("redis://")
    client.close()


def test_an_unreachable_server_is_named_without_its_password() -> None:
    url = "redis://ada:s3cret@127.0.0.1:1/0"  # port 1: nothing listens there
    with pytest.raises(RedisUnavailableError) as info:
        RedisTimelineStore(url)
    message = str(info.value)
    assert "redis://ada:***@127.0.0.1:1/0" in message
    assert "s3cret" not in message
    assert isinstance(info.value, TwitterDesignError)
    assert info.value.__cause__ is None
    assert info.value.__suppress_context__


def test_a_server_lost_later_raises_the_same_error(
    prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = RedisTimelineStore(REDIS_URL, prefix=prefix, inactive_after_s=60.0)
    store._redis.connection_pool.disconnect()

    def refused(*args: object, **kwargs: object) -> None:
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(store._redis.connection_pool, "get_connection", refused)
    calls = [
        lambda: store.read(1, limit=5),
        lambda: store.push(1, [1, 2]),
        lambda: store.claim_rebuild(1),
        lambda: store.merge(1, [1]),
        lambda: store.drop_inactive(),
        lambda: store.count_users(),
    ]
    for call in calls:
        with pytest.raises(RedisUnavailableError, match="cannot reach Redis at redis://"):
            call()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"client_or_url": "postgresql://db/app"}, "url"),
        ({"client_or_url": REDIS_URL, "prefix": ""}, "prefix"),
        ({"client_or_url": REDIS_URL, "capacity": 0}, "capacity"),
        ({"client_or_url": REDIS_URL, "batch_size": 0}, "batch_size"),
        ({"client_or_url": REDIS_URL, "inactive_after_s": -1.0}, "inactive_after_s"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(InvalidParameterError, match=name):
        RedisTimelineStore(**kwargs)
