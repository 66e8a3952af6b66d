"""Contract of `FanoutLog`: every implementation gives the same delivery guarantees."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.log import FanoutLog, InMemoryFanoutLog, RedisStreamLog

EVENTS = [(1, 100, 7), (2, None, 8), (3, 101, 7)]


@pytest.fixture(params=["memory", "redis"])
def log(request: pytest.FixtureRequest) -> Iterator[FanoutLog]:
    if request.param == "memory":
        yield InMemoryFanoutLog()
    else:
        yield request.getfixturevalue("redis_log")


def _published(log: FanoutLog) -> FanoutLog:
    assert log.hold_relay_lease("relay", ttl_ms=10_000)
    assert log.publish(EVENTS, holder="relay", after=0)
    return log


def test_implements_the_protocol(log: FanoutLog) -> None:
    assert isinstance(log, FanoutLog)


def test_publish_saves_the_cursor_with_the_entries(log: FanoutLog) -> None:
    assert log.relayed_cursor() == 0
    _published(log)
    assert log.relayed_cursor() == 3
    assert log.undelivered() == 3
    entries = log.read("c1", count=10)
    assert [(e.outbox_pos, e.status_id, e.account_id) for e in entries] == EVENTS
    assert log.undelivered() == 0


def test_only_the_lease_holder_publishes(log: FanoutLog) -> None:
    assert log.hold_relay_lease("a", ttl_ms=10_000)
    assert not log.hold_relay_lease("b", ttl_ms=10_000)
    assert not log.publish(EVENTS, holder="b", after=0)  # fenced: nothing written
    assert log.relayed_cursor() == 0
    assert log.read("c", count=10) == []
    assert log.hold_relay_lease("a", ttl_ms=10_000)  # renewal
    log.release_relay_lease("b")  # not b's to release
    assert not log.hold_relay_lease("b", ttl_ms=10_000)
    log.release_relay_lease("a")
    assert log.hold_relay_lease("b", ttl_ms=10_000)


def test_an_expired_lease_passes_to_another_relay(log: FanoutLog) -> None:
    assert log.hold_relay_lease("a", ttl_ms=50)
    time.sleep(0.15)
    assert log.hold_relay_lease("b", ttl_ms=10_000)
    assert not log.publish(EVENTS, holder="a", after=0)  # a paused past its lease cannot publish


def test_each_entry_goes_to_one_consumer_and_stays_pending_until_acked(log: FanoutLog) -> None:
    _published(log)
    first = log.read("c1", count=2)
    second = log.read("c2", count=10)
    assert [e.outbox_pos for e in first + second] == [1, 2, 3]
    assert log.pending() == 3
    assert log.ack([first[0].entry_id]) == 1
    assert log.ack([first[0].entry_id]) == 0  # a second ack changes nothing
    assert log.pending() == 2
    assert [e.entry_id for e in log.read_own_pending("c1", count=10)] == [first[1].entry_id]
    assert log.read("c1", count=10) == []  # nothing new


def test_a_dead_consumers_entries_are_claimed_after_the_idle_time(log: FanoutLog) -> None:
    _published(log)
    taken = log.read("dead", count=10)
    assert log.claim_stale("alive", min_idle_ms=60_000, count=10) == []
    time.sleep(0.05)
    claimed = log.claim_stale("alive", min_idle_ms=10, count=10)
    assert [e.entry_id for e in claimed] == [e.entry_id for e in taken]
    assert log.read_own_pending("dead", count=10) == []
    assert len(log.read_own_pending("alive", count=10)) == 3
    assert log.ack([e.entry_id for e in claimed]) == 3
    assert log.pending() == 0


def test_trim_drops_old_entries(log: FanoutLog) -> None:
    _published(log)
    assert log.trim(before_ms=0) == 0
    assert log.trim(before_ms=int(time.time() * 1000) + 1000) == 3
    assert log.read("c", count=10) == []


def test_arguments_are_validated(log: FanoutLog) -> None:
    with pytest.raises(InvalidParameterError, match="count"):
        log.read("c", count=0)
    with pytest.raises(InvalidParameterError, match="ttl_ms"):
        log.hold_relay_lease("a", ttl_ms=0)


def test_redis_log_keys_share_one_cluster_slot(redis_log: RedisStreamLog) -> None:
    assert "{fanout}" in redis_log.stream


def test_publish_is_refused_when_the_cursor_moved(log: FanoutLog) -> None:
    """Two relays under one name read the same cursor: only the first batch is written."""
    _published(log)
    assert not log.publish([(4, 102, 7)], holder="relay", after=0)  # read after 0: stale
    assert log.relayed_cursor() == 3
    assert log.publish([(4, 102, 7)], holder="relay", after=3)
    assert [e.outbox_pos for e in log.read("c", count=10)] == [1, 2, 3, 4]


def test_delivery_counts_grow_with_each_redelivery(log: FanoutLog) -> None:
    _published(log)
    ids = [e.entry_id for e in log.read("a", count=10)]
    assert log.delivery_counts(ids) == dict.fromkeys(ids, 1)
    log.claim_stale("b", min_idle_ms=0, count=10)
    log.read_own_pending("b", count=10)
    assert log.delivery_counts(ids) == dict.fromkeys(ids, 3)
    log.ack(ids[:1])
    assert log.delivery_counts(ids) == dict.fromkeys(ids[1:], 3)


def test_a_redis_that_lost_every_key_is_read_again_from_the_republished_start(
    redis_log: RedisStreamLog, prefix: str
) -> None:
    """A Redis restart without persistence: stream, group, cursor and lease are gone."""
    from tests.reference_app.storage._redis import delete_prefix

    _published(redis_log)
    redis_log.ack([e.entry_id for e in redis_log.read("c", count=10)])
    assert delete_prefix(prefix) > 0
    for call in (
        lambda: redis_log.read("c", count=10),
        lambda: redis_log.read_own_pending("c", count=10),
        lambda: redis_log.claim_stale("c", min_idle_ms=0, count=10),
    ):
        assert call() == []  # the group is back, not a NOGROUP error for ever
        delete_prefix(prefix)
    assert redis_log.relayed_cursor() == 0  # the relay publishes the outbox again ...
    _published(redis_log)
    # ... into a group that must deliver all of it, although the stream is new.
    assert [e.outbox_pos for e in redis_log.read("c", count=10)] == [1, 2, 3]
