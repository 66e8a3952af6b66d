"""`RedisStatusCounters` on its own: sharded writes, deduplicated events, the flush steps.

The whole path (outbox → shards → PostgreSQL) is in ``test_deferred_counters.py``; the
`ViewCounterStore` contract runs it through ``test_view_counter_contract.py``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reference_app.storage._redis import REDIS_URL, delete_prefix, new_prefix, redis_client
from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.storage import CounterDeltas, CounterEvent
from twitterdesign.reference_app.storage.redis import RedisStatusCounters

_RUNS = itertools.count()


@pytest.fixture
def counters(prefix: str) -> Iterator[RedisStatusCounters]:
    c = RedisStatusCounters(REDIS_URL, prefix=prefix, shards=4, rng=7)
    yield c
    c.close()


def fav(key: str, sid: int, delta: int = 1) -> CounterEvent:
    return CounterEvent(key, sid, "favourites", delta)


def test_writes_spread_over_the_shards_and_reads_sum_them(
    counters: RedisStatusCounters, prefix: str
) -> None:
    for i in range(40):
        counters.apply_events([fav(f"fav:{i}:+", 1)])
        counters.add_views({1: 2, 2: 1})
    shards = list(redis_client().scan_iter(match=f"{prefix}{{cnt}}:s*"))
    assert len(shards) > 1  # not one hot key
    got = counters.unflushed([1, 2, 3])
    assert got.shards == {1: CounterDeltas(favourites=40, views=80), 2: CounterDeltas(views=40)}
    assert got.inflight == {}
    assert got.inflight_id is None


def test_an_event_delivered_twice_counts_once(counters: RedisStatusCounters) -> None:
    assert counters.apply_events([fav("fav:1:+", 9), fav("fav:1:+", 9), fav("fav:2:+", 9)]) == 2
    assert counters.apply_events([fav("fav:2:+", 9), fav("fav:1:-", 9, -1)]) == 1
    assert counters.unflushed([9]).shards == {9: CounterDeltas(favourites=1)}


def test_changes_that_cancel_out_leave_nothing_to_flush(
    counters: RedisStatusCounters, prefix: str
) -> None:
    for i in range(6):  # +1 and -1 land in different shards
        counters.apply_events([fav(f"fav:{i}:+", 5)])
        counters.apply_events([fav(f"fav:{i}:-", 5, -1)])
    assert counters.unflushed([5]).shards == {}
    assert counters.begin_flush("f") is None
    assert not list(redis_client().scan_iter(match=f"{prefix}{{cnt}}:[si]*"))


def test_a_leftover_batch_is_returned_under_its_own_id_and_readers_see_it(
    counters: RedisStatusCounters,
) -> None:
    counters.add_views({3: 4})
    first = counters.begin_flush("crashed")
    assert first is not None
    assert first.flush_id == "crashed"
    counters.add_views({3: 1})  # arrives while the batch is in flight
    seen = counters.unflushed([3])
    assert seen.inflight_id == "crashed"
    assert seen.total(inflight_applied=False) == {3: CounterDeltas(views=5)}
    assert seen.total(inflight_applied=True) == {3: CounterDeltas(views=1)}
    again = counters.begin_flush("next")  # the next flusher finishes the crashed batch
    assert again == first
    assert not counters.end_flush("next")  # only the batch's own id ends it
    assert counters.end_flush("crashed")
    last = counters.begin_flush("next")
    assert last is not None
    assert last.flush_id == "next"
    assert last.deltas == {3: CounterDeltas(views=1)}


def test_one_flush_lease_holder_at_a_time(counters: RedisStatusCounters) -> None:
    assert counters.hold_flush_lease("a", ttl_ms=10_000)
    assert not counters.hold_flush_lease("b", ttl_ms=10_000)
    assert counters.hold_flush_lease("a", ttl_ms=10_000)  # renewal
    counters.release_flush_lease("b")  # not b's: kept
    assert not counters.hold_flush_lease("b", ttl_ms=10_000)
    counters.release_flush_lease("a")
    assert counters.hold_flush_lease("b", ttl_ms=10_000)


def test_an_unreachable_server_is_a_connection_error_naming_it() -> None:
    # What the services catch to show the stored counts instead (never a 500).
    with pytest.raises(ConnectionError, match=r"redis://127\.0\.0\.1:1/0"):
        RedisStatusCounters("redis://127.0.0.1:1/0")


def test_bad_arguments_name_the_parameter() -> None:
    with pytest.raises(InvalidParameterError, match="prefix"):
        RedisStatusCounters(REDIS_URL, prefix="")
    with pytest.raises(InvalidParameterError, match="shards"):
        RedisStatusCounters(REDIS_URL, shards=0)


_events = st.lists(
    st.tuples(st.integers(0, 30), st.sampled_from([1, 2, 3]), st.booleans(), st.booleans()),
    max_size=40,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=_events, flush_at=st.sets(st.integers(0, 40), max_size=5))
def test_shards_plus_flushed_batches_equal_the_events_once_each(
    events: list[tuple[int, int, bool, bool]], flush_at: set[int]
) -> None:
    """Whatever is redelivered and whenever a flush runs, every event counts once."""
    prefix = new_prefix()
    counters = RedisStatusCounters(REDIS_URL, prefix=prefix, shards=3, rng=1)
    try:
        flushed: dict[int, CounterDeltas] = {}
        expected: dict[int, int] = {}
        seen: set[str] = set()
        for i, (n, sid, negative, twice) in enumerate(events):
            key = f"fav:{n}:{'-' if negative else '+'}"
            event = fav(key, sid, -1 if negative else 1)
            counters.apply_events([event, event] if twice else [event])
            if key not in seen:
                seen.add(key)
                expected[sid] = expected.get(sid, 0) + event.delta
            counters._check()
            if i in flush_at:
                batch = counters.begin_flush(f"f{i}")
                if batch is not None:
                    for s, d in batch.deltas.items():
                        flushed[s] = flushed[s] + d if s in flushed else d
                    assert counters.end_flush(batch.flush_id)
        left = counters.unflushed([1, 2, 3]).total(inflight_applied=False)
        for sid in (1, 2, 3):
            total = flushed.get(sid, CounterDeltas()) + left.get(sid, CounterDeltas())
            assert total.favourites == expected.get(sid, 0)
    finally:
        delete_prefix(prefix)
        counters.close()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    events=st.lists(
        st.tuples(st.sampled_from(["favourites", "reblogs", "replies"]), st.sampled_from([1, -1])),
        max_size=12,
    ),
    views=st.lists(st.integers(1, 5), max_size=5),
    flush_at=st.none() | st.integers(0, 12),
)
def test_shard_values_split_what_unflushed_sums(
    counters: RedisStatusCounters,
    events: list[tuple[str, int]],
    views: list[int],
    flush_at: int | None,
) -> None:
    """Property: shard by shard, plus the in-flight batch, the values add up to what
    `unflushed` reports for the status, wherever a flush started."""
    sid = 40 + len(events)  # statuses repeat across examples: compare with `before`
    run = next(_RUNS)  # event keys never repeat (a repeated key counts once, by design)
    before = counters.unflushed([sid])
    for i, (name, delta) in enumerate(events):
        if flush_at == i:
            counters.begin_flush(f"flush-{run}")
        counters.apply_events([CounterEvent(f"e:{run}:{i}:{name}:{delta}", sid, name, delta)])
    for n in views:
        counters.add_views({sid: n})
    got = counters.shard_values(sid)
    assert len(got.shards) == counters.shards == 4
    summed = CounterDeltas()
    for shard in got.shards:
        summed = summed + shard
    found = counters.unflushed([sid])
    assert summed == found.shards.get(sid, CounterDeltas())
    assert got.inflight == found.inflight.get(sid, CounterDeltas())
    assert got.inflight_id == found.inflight_id
    want = CounterDeltas(
        favourites=sum(d for n, d in events if n == "favourites"),
        reblogs=sum(d for n, d in events if n == "reblogs"),
        replies=sum(d for n, d in events if n == "replies"),
        views=sum(views),
    )
    old = before.shards.get(sid, CounterDeltas()) + before.inflight.get(sid, CounterDeltas())
    assert summed + got.inflight == want + old
    if got.inflight_id is not None:  # finish the flush so the next example starts clean
        counters.end_flush(got.inflight_id)
