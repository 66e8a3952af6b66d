"""Delivery guarantees of relay → Redis stream → consumers, against PostgreSQL and Redis.

At least once through the log, exactly once in effect in the timelines: every post
reaches every active follower's timeline once, whether a consumer dies before its ack,
the relay republishes a tail, or two relays race for the lease.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable

import pytest
import redis

from tests.reference_app.log._services import REDIS_URL, Graph, populate
from twitterdesign.reference_app.log import RedisStreamLog
from twitterdesign.reference_app.services.fanout_consumer import FanoutConsumer
from twitterdesign.reference_app.services.log_worker import LogWorker
from twitterdesign.reference_app.services.relay import OutboxRelay
from twitterdesign.reference_app.storage import InProcessTimelineStore, Store, TimelineStore
from twitterdesign.timeline import HybridThreshold


class _Killed(BaseException):
    """A hard stop in the middle of a batch (not an `Exception` the consumer survives)."""


class RecordingTimelines(InProcessTimelineStore):
    """Counts every push per (status, user) and can die after ``die_after`` pushes."""

    def __init__(self, *, die_after: int | None = None) -> None:
        super().__init__(800, inactive_after_s=3600.0)
        self.pushes: Counter[tuple[int, int]] = Counter()
        self.die_after = die_after

    def push(self, status_id: int, users: Iterable[int], *, now_s: float | None = None) -> int:
        if self.die_after is not None:
            if self.die_after == 0:
                raise _Killed
            self.die_after -= 1
        users = list(users)
        self.pushes.update((status_id, u) for u in users)
        return super().push(status_id, users, now_s=now_s)


def _activate(timelines: TimelineStore, graph: Graph) -> None:
    for user in graph.active:
        timelines.touch(user)


def _assert_exactly_once(timelines: TimelineStore, graph: Graph) -> None:
    for user, expected in graph.expected().items():
        got = timelines.read(user, limit=800)
        assert len(got) == len(set(got)), f"user {user} holds a status twice"
        assert set(got) == expected, f"user {user}"
    for user in set(range(10, 40)) - graph.active:  # inactive followers get nothing
        assert timelines.read(user, limit=800) == []
    assert 4 in timelines.pulled_authors()  # the celebrity was pulled, not pushed


def _consumer(
    store: Store, timelines: TimelineStore, log: RedisStreamLog, name: str, **kw: int
) -> FanoutConsumer:
    return FanoutConsumer(store, timelines, log, policy=HybridThreshold(25), consumer=name, **kw)


def test_in_process_pushes_are_idempotent() -> None:
    """The premise of exactly-once-in-effect: pushing an id again changes nothing."""
    timelines = InProcessTimelineStore(800, inactive_after_s=3600.0)
    timelines.touch(7)
    timelines.push(100, [7])
    timelines.push(100, [7])
    timelines.push(100, [7])
    assert timelines.read(7, limit=10) == [100]


def test_every_post_reaches_every_active_follower_once(
    pg_store: Store, redis_log: RedisStreamLog
) -> None:
    graph = populate(pg_store)
    timelines = InProcessTimelineStore(800, inactive_after_s=3600.0)
    _activate(timelines, graph)
    workers = [
        LogWorker(
            pg_store,
            timelines,
            redis_log,
            policy=HybridThreshold(25),
            consumer=name,
            batch=7,
            block_ms=0,
        )
        for name in ("w1", "w2")
    ]
    for _ in range(200):
        for w in workers:
            w.step()
        lag = workers[0].lag()
        if lag.unrelayed == lag.undelivered == lag.pending == 0:
            break
    assert workers[0].lag().to_dict() == {"unrelayed": 0, "undelivered": 0, "pending": 0}
    # Only one of the two relayed, every event exactly once.
    assert sorted(w.relay.published for w in workers) == [0, pg_store.event_head()]
    assert redis_log.length() == pg_store.event_head()
    assert sum(w.consumer.acked for w in workers) == pg_store.event_head()
    _assert_exactly_once(timelines, graph)


def test_a_consumer_killed_before_its_ack_is_taken_over(
    pg_store: Store, redis_log: RedisStreamLog
) -> None:
    graph = populate(pg_store)
    timelines = RecordingTimelines(die_after=15)
    _activate(timelines, graph)
    relay = OutboxRelay(pg_store, redis_log, holder="relay")
    relay.drain()
    doomed = _consumer(pg_store, timelines, redis_log, "doomed", batch=1000)
    with pytest.raises(_Killed):
        doomed.step()
    assert redis_log.pending_by_consumer() == {"doomed": pg_store.event_head()}
    assert timelines.pushes  # some pushes happened before the crash, none acknowledged

    timelines.die_after = None
    survivor = _consumer(pg_store, timelines, redis_log, "survivor", batch=50, claim_idle_ms=0)
    survivor.drain()
    assert survivor.claimed == pg_store.event_head()
    assert redis_log.pending() == 0
    assert max(timelines.pushes.values()) == 2  # redelivered: pushed twice ...
    _assert_exactly_once(timelines, graph)  # ... held once


def test_a_restart_under_the_same_name_resumes_its_own_pending_entries(
    pg_store: Store, redis_log: RedisStreamLog
) -> None:
    graph = populate(pg_store, posts_per_author=2)
    timelines = RecordingTimelines(die_after=5)
    _activate(timelines, graph)
    OutboxRelay(pg_store, redis_log, holder="relay").drain()
    with pytest.raises(_Killed):
        _consumer(pg_store, timelines, redis_log, "w1", batch=1000).step()
    timelines.die_after = None
    restarted = _consumer(pg_store, timelines, redis_log, "w1", batch=1000, claim_idle_ms=60_000)
    restarted.drain()
    assert restarted.claimed == 0  # no idle wait: its own entries came back at once
    assert redis_log.pending() == 0
    _assert_exactly_once(timelines, graph)


def test_a_relay_cursor_behind_the_log_duplicates_entries_not_timeline_items(
    pg_store: Store, redis_log: RedisStreamLog, prefix: str
) -> None:
    """A relay killed between publish and cursor save: its successor republishes the tail.

    Our publish writes both in one script, so the crash is simulated by moving the
    saved cursor back, which is what such a crash (or a failover that lost the last
    write) leaves behind.
    """
    graph = populate(pg_store)
    timelines = RecordingTimelines()
    _activate(timelines, graph)
    head = pg_store.event_head()
    OutboxRelay(pg_store, redis_log, holder="first").drain()
    consumer = _consumer(pg_store, timelines, redis_log, "c", batch=40)
    consumer.drain()
    tail = 25
    client = redis.Redis.from_url(REDIS_URL)
    client.set(f"{prefix}{{fanout}}:relayed", head - tail)
    client.close()

    successor = OutboxRelay(pg_store, redis_log, holder="first")
    assert successor.drain() == tail
    assert redis_log.length() == head + tail  # duplicates in the log ...
    consumer.drain()
    assert consumer.acked == head + tail
    assert max(timelines.pushes.values()) == 2
    _assert_exactly_once(timelines, graph)  # ... not in the timelines


def test_two_relays_take_turns_and_never_publish_an_event_twice(
    pg_store: Store, redis_log: RedisStreamLog
) -> None:
    populate(pg_store, posts_per_author=10)
    head = pg_store.event_head()
    relays = [
        OutboxRelay(pg_store, redis_log, holder=n, lease_ttl_ms=5_000, batch=3) for n in ("a", "b")
    ]
    assert relays[0].step() == 3
    assert relays[1].step() == 0
    assert not relays[1].is_leader
    relays[0].release()
    assert relays[1].step() == 3  # takes over from a's cursor

    def run(relay: OutboxRelay) -> None:
        while redis_log.relayed_cursor() < head:
            relay.step()
            if relay.is_leader and relay.published % 2:
                relay.release()  # hand over now and then

    threads = [threading.Thread(target=run, args=(r,)) for r in relays]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    positions = [e.outbox_pos for e in redis_log.read("check", count=10_000)]
    assert positions == [pos for pos, _, _ in pg_store.events_since(0, 10_000)]
    assert sum(r.published for r in relays) == head
    assert all(r.published > 0 for r in relays)


def test_a_relay_whose_lease_lapsed_mid_batch_publishes_nothing(
    pg_store: Store, redis_log: RedisStreamLog
) -> None:
    """The fence: a batch slower than the lease is refused, not published beside a successor."""
    populate(pg_store, posts_per_author=1)

    class SlowOutbox:
        def events_since(self, seq: int, limit: int) -> list[tuple[int, int | None, int]]:
            time.sleep(0.1)  # a stall (GC pause, slow query) longer than the lease
            return pg_store.events_since(seq, limit)

        def event_head(self) -> int:
            return pg_store.event_head()

        def trim_events(self, before_ms: int) -> int:
            return pg_store.trim_events(before_ms)

    slow = OutboxRelay(SlowOutbox(), redis_log, holder="slow", lease_ttl_ms=10)
    assert slow.step() == 0
    assert not slow.is_leader
    assert redis_log.length() == 0
    assert redis_log.relayed_cursor() == 0


def test_a_poison_entry_is_given_up_after_max_deliveries(
    pg_store: Store, redis_log: RedisStreamLog
) -> None:
    """An entry that fails every time is retried, then acknowledged unapplied."""
    graph = populate(pg_store, posts_per_author=1)
    poison_status = graph.posts[1][0]

    class Poisoned(RecordingTimelines):
        def push(self, status_id: int, users: Iterable[int], *, now_s: float | None = None) -> int:
            if status_id == poison_status:
                raise ConnectionError("this one always fails")
            return super().push(status_id, users, now_s=now_s)

    timelines = Poisoned()
    _activate(timelines, graph)
    OutboxRelay(pg_store, redis_log, holder="relay").drain()
    consumer = _consumer(pg_store, timelines, redis_log, "c", claim_idle_ms=0)
    consumer.max_deliveries = 3
    given_up: list[int | None] = []
    consumer.on_dead_letter = lambda entry: given_up.append(entry.status_id)
    consumer.drain()
    assert consumer.failed == 3  # delivered, then retried twice
    assert given_up == [poison_status]
    assert redis_log.pending() == 0
    for user, expected in graph.expected().items():
        assert set(timelines.read(user, limit=800)) == expected - {poison_status}
