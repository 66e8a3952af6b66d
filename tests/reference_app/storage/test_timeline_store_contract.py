"""The `TimelineStore` contract: every implementation in the registry passes all of it."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.reference_app.storage._registry import TIMELINE_DISPOSERS, TIMELINE_STORES
from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.storage import TimelineStore

stores = pytest.mark.parametrize("name", sorted(TIMELINE_STORES))

status_ids = st.integers(min_value=0, max_value=200)
bounds = st.none() | status_ids


_opened: list[tuple[str, TimelineStore]] = []


def make(name: str, capacity: int = 800, window: float | None = None) -> TimelineStore:
    store = TIMELINE_STORES[name](Path(tempfile.mkdtemp(prefix="td-tl-")), capacity, window)
    _opened.append((name, store))
    return store


@pytest.fixture(autouse=True)
def _dispose_stores() -> Iterator[None]:
    """Dispose of every store the test made (a Redis store deletes its keys)."""
    yield
    while _opened:
        name, store = _opened.pop()
        TIMELINE_DISPOSERS.get(name, type(store).close)(store)


def model_page(
    held: list[int],
    *,
    limit: int,
    max_id: int | None,
    since_id: int | None,
    min_id: int | None,
) -> list[int]:
    """Mastodon paging over a plain list: exclusive bounds, newest first."""
    ids = sorted(set(held))
    ids = [i for i in ids if max_id is None or i < max_id]
    ids = [i for i in ids if since_id is None or i > since_id]
    ids = [i for i in ids if min_id is None or i > min_id]
    if min_id is not None:
        return list(reversed(ids[:limit]))
    return list(reversed(ids[-limit:]))


@stores
def test_implements_the_protocol(name: str) -> None:
    store = make(name, capacity=5)
    assert isinstance(store, TimelineStore)
    assert store.capacity == 5
    assert store.count_users() == 0
    assert store.read(1, limit=10) == []
    assert not store.is_full(1)
    store.close()


@stores
@pytest.mark.parametrize("base", [0, 2**62], ids=["small-ids", "past-2**53"])
@settings(max_examples=50, deadline=None)
@given(
    held=st.lists(status_ids, max_size=30),
    limit=st.integers(1, 12),
    max_id=bounds,
    since_id=bounds,
    min_id=bounds,
)
def test_read_pages_like_mastodon(
    name: str,
    base: int,
    held: list[int],
    limit: int,
    max_id: int | None,
    since_id: int | None,
    min_id: int | None,
) -> None:
    # Also shifted to Snowflake magnitudes, where neighbours differ by 1 but a double
    # cannot tell them apart.
    def shift(i: int | None) -> int | None:
        return None if i is None else base + i

    store = make(name)
    store.merge(1, [base + i for i in held])
    got = store.read(
        1, limit=limit, max_id=shift(max_id), since_id=shift(since_id), min_id=shift(min_id)
    )
    want = model_page(held, limit=limit, max_id=max_id, since_id=since_id, min_id=min_id)
    assert got == [base + i for i in want]


@stores
@settings(max_examples=60, deadline=None)
@given(
    capacity=st.integers(1, 8),
    ops=st.lists(
        st.one_of(
            st.tuples(st.just("push"), st.lists(status_ids, min_size=1, max_size=1)),
            st.tuples(st.just("merge"), st.lists(status_ids, max_size=10)),
        ),
        max_size=25,
    ),
)
def test_capacity_keeps_the_newest_n(
    name: str, capacity: int, ops: list[tuple[str, list[int]]]
) -> None:
    store = make(name, capacity=capacity)
    store.touch(1)
    seen: set[int] = set()
    for kind, ids in ops:
        if kind == "push":
            assert store.push(ids[0], [1]) == 1
        else:
            store.merge(1, ids)
        seen.update(ids)
        # An id older than every kept one may be refused, but never a newer one dropped.
        expected = sorted(seen, reverse=True)[:capacity]
        assert store.read(1, limit=capacity + 5) == expected
        assert store.is_full(1) == (len(seen) >= capacity)
    check = getattr(store, "_check", None)  # implementations with invariants expose it
    if check is not None:
        check()


@stores
def test_inactive_users_get_no_pushes(name: str) -> None:
    store = make(name, window=60.0)
    store.touch(1, now_s=0.0)
    assert store.push(10, [1, 2], now_s=30.0) == 1  # user 2 was never active
    assert store.read(1, limit=5, now_s=30.0) == [10]
    assert store.read(2, limit=5, now_s=30.0) == []
    # User 1 last read at 30 s; at 100 s they are out of the 60 s window.
    assert store.push(11, [1], now_s=100.0) == 0
    assert store.count_users() == 0  # their timeline was dropped, not left stale
    assert store.claim_rebuild(1, now_s=100.0)  # ...and must be rebuilt on the next read


@stores
def test_claim_rebuild_is_a_test_and_set(name: str) -> None:
    store = make(name, window=60.0)
    results: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def claim() -> None:
        barrier.wait()
        won = store.claim_rebuild(7)
        with lock:
            results.append(won)

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    assert store.push(1, [7]) == 1  # claiming marked the user active
    assert store.drop(7)
    assert store.claim_rebuild(7)  # dropped: the next reader rebuilds


@stores
def test_rebuild_merges_with_concurrent_pushes(name: str) -> None:
    store = make(name, capacity=4000, window=3600.0)
    assert store.claim_rebuild(3)
    rebuilt = list(range(0, 2000))  # what the storage query returned
    pushed = list(range(2000, 3000))  # fanned out while the query ran

    def push_all() -> None:
        for status_id in pushed:
            store.push(status_id, [3])

    pusher = threading.Thread(target=push_all)
    pusher.start()
    for start in range(0, len(rebuilt), 100):
        store.merge(3, rebuilt[start : start + 100])
    pusher.join()
    assert store.read(3, limit=4000) == sorted(rebuilt + pushed, reverse=True)


@stores
def test_merge_never_replaces(name: str) -> None:
    store = make(name, capacity=3)
    store.touch(1)
    store.push(50, [1])
    store.merge(1, [10, 20])
    assert store.read(1, limit=5) == [50, 20, 10]
    store.merge(1, [])
    assert store.read(1, limit=5) == [50, 20, 10]
    store.merge(2, [])
    assert store.count_users() == 1  # an empty merge creates no timeline


@stores
def test_drop_inactive_frees_only_the_inactive(name: str) -> None:
    store = make(name, window=60.0)
    store.claim_rebuild(1, now_s=0.0)
    store.merge(1, [1, 2])
    store.claim_rebuild(2, now_s=50.0)
    store.merge(2, [3])
    assert store.drop_inactive(now_s=100.0) == 1
    assert store.read(2, limit=5, now_s=100.0) == [3]
    assert store.claim_rebuild(1, now_s=100.0)  # gone: rebuilt on the next read
    assert not store.claim_rebuild(2, now_s=100.0)


@stores
def test_pulled_authors_are_shared_and_permanent(name: str) -> None:
    store = make(name)
    assert store.pulled_authors() == frozenset()
    store.mark_pulled(9)
    store.mark_pulled(9)
    store.mark_pulled(4)
    assert store.pulled_authors() == frozenset({4, 9})


@stores
def test_without_a_window_everyone_is_active(name: str) -> None:
    store = make(name, window=None)
    assert store.push(5, [1, 2, 3]) == 3
    assert store.count_users() == 3
    assert store.drop_inactive() == 0


@stores
@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.push(-1, [1]),
        lambda s: s.push(1, [-2]),
        lambda s: s.read(-1, limit=5),
        lambda s: s.read(1, limit=0),
        lambda s: s.read(1, limit=5, max_id=-3),
        lambda s: s.merge(1, [-4]),
        lambda s: s.touch(-1),
        lambda s: s.mark_pulled(-1),
    ],
)
def test_bad_ids_are_refused(name: str, call: object) -> None:
    store = make(name)
    with pytest.raises(InvalidParameterError):
        call(store)  # type: ignore[operator]


@stores
def test_ids_past_two_to_the_53_keep_their_exact_order(name: str) -> None:
    # Snowflake ids use 63 bits; a double (a Redis score) cannot tell these apart.
    base = 2**62 + 12_345
    ids = [base + d for d in (3, 0, 2, 1, 4)]
    assert float(ids[1]) == float(ids[3])  # the trap this test guards against
    store = make(name, capacity=4)
    store.touch(1)
    for status_id in ids:
        assert store.push(status_id, [1]) == 1
    store.merge(1, [base - 1])  # older than all four kept: refused by the cap
    assert store.read(1, limit=10) == [base + 4, base + 3, base + 2, base + 1]
    assert store.read(1, limit=2, max_id=base + 3) == [base + 2, base + 1]
    assert store.read(1, limit=10, since_id=base + 2) == [base + 4, base + 3]
    assert store.read(1, limit=1, min_id=base + 1) == [base + 2]
    assert store.read(1, limit=10, max_id=base + 1) == []
    assert store.is_full(1)


@stores
def test_pushing_a_status_twice_leaves_one_entry(name: str) -> None:
    # The durable fan-out log delivers at least once: a redelivery must change nothing.
    store = make(name, capacity=3, window=60.0)
    store.touch(1, now_s=0.0)
    assert store.push(10, [1], now_s=1.0) == 1
    assert store.push(10, [1], now_s=2.0) == 1
    store.merge(1, [10])
    assert store.read(1, limit=5, now_s=3.0) == [10]
    assert not store.is_full(1)
    assert store.count_users() == 1


@stores
@settings(max_examples=60, deadline=None)
@given(
    held=st.lists(status_ids, max_size=12),
    pulled=st.sets(st.integers(0, 50), max_size=4),
    built=st.booleans(),
    limit=st.integers(1, 8),
    max_id=bounds,
    since_id=bounds,
    min_id=bounds,
)
def test_open_home_answers_as_its_four_calls_in_order(
    name: str,
    held: list[int],
    pulled: set[int],
    built: bool,
    limit: int,
    max_id: int | None,
    since_id: int | None,
    min_id: int | None,
) -> None:
    """One round trip, the same answers as pulled_authors, claim_rebuild, is_full, read."""
    one, two = make(name, capacity=6), make(name, capacity=6)
    for store in (one, two):
        for author in pulled:
            store.mark_pulled(author)
        if built:
            store.claim_rebuild(1, now_s=0.0)
        store.merge(1, held)
    paging = {"limit": limit, "max_id": max_id, "since_id": since_id, "min_id": min_id}
    opened = one.open_home(1, now_s=1.0, **paging)
    assert opened.pulled_authors == two.pulled_authors()
    assert opened.rebuild == two.claim_rebuild(1, now_s=1.0)
    assert opened.full == two.is_full(1)
    assert opened.ids == two.read(1, now_s=1.0, **paging)
    # ...and it claimed the rebuild as claim_rebuild does: nobody else gets it now.
    assert not one.claim_rebuild(1, now_s=2.0)


@stores
@settings(max_examples=40, deadline=None)
@given(
    capacity=st.integers(1, 6),
    ops=st.lists(
        st.tuples(
            st.sampled_from(["push", "merge", "drop"]),
            st.integers(0, 3),  # the user
            st.lists(status_ids, min_size=1, max_size=4),
        ),
        max_size=20,
    ),
    probe=status_ids,
)
def test_holders_are_the_users_whose_timeline_holds_the_id(
    name: str, capacity: int, ops: list[tuple[str, int, list[int]]], probe: int
) -> None:
    """Property: `holders` names exactly the users a full read shows the id to, in the
    order asked, and reading it marks nobody active."""
    store = make(name, capacity=capacity, window=60.0)
    for user in range(3):  # user 3 is never active
        store.touch(user, now_s=0.0)
    for kind, user, ids in ops:
        if kind == "push":
            store.push(ids[0], [user], now_s=1.0)
        elif kind == "merge":
            store.merge(user, ids)
        else:
            store.drop(user)
    asked = [3, 2, 1, 0, 2]
    got = store.holders(probe, asked)
    # A read long after the window would mark users active: read the truth at time 1.
    truth = {u for u in range(4) if probe in store.read(u, limit=capacity + 5, now_s=1.0)}
    assert got == [u for u in asked if u in truth]
    for kind, user, ids in ops:
        if kind == "push":
            assert store.holders(ids[0], [user]) in ([], [user])


@stores
def test_holders_record_no_activity(name: str) -> None:
    store = make(name, window=60.0)
    store.touch(1, now_s=0.0)
    assert store.push(10, [1], now_s=1.0) == 1
    assert store.holders(10, [1, 2]) == [1]
    assert store.holders(11, [1, 2]) == []
    # Asking at any time does not make user 1 active: a push after the window skips them.
    assert store.push(12, [1], now_s=200.0) == 0
    assert store.holders(10, [1]) == []  # their timeline was dropped
    with pytest.raises(InvalidParameterError):
        store.holders(-1, [1])
