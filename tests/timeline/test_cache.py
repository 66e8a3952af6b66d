"""TimelineCache against a plain model, inactivity skipping, memory accounting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twitterdesign.errors import InvalidParameterError
from twitterdesign.timeline import TimelineCache

users = st.integers(0, 4)
ids = st.integers(0, 60)
maybe_id = st.none() | ids
ops = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), users, ids),
        st.tuples(st.just("fanout"), ids, st.lists(users, max_size=5)),
        st.tuples(st.just("remove"), ids, st.none() | st.lists(users, max_size=3)),
        st.tuples(st.just("replace"), users, st.lists(ids, max_size=10)),
        st.tuples(st.just("drop"), users),
        st.tuples(st.just("read"), users, st.integers(1, 8), maybe_id, maybe_id, maybe_id),
    ),
    max_size=60,
)


def _model_read(
    kept: list[int], limit: int, max_id: int | None, since_id: int | None, min_id: int | None
) -> list[int]:
    ascending = sorted(kept)
    ascending = [t for t in ascending if max_id is None or t < max_id]
    ascending = [t for t in ascending if since_id is None or t > since_id]
    ascending = [t for t in ascending if min_id is None or t > min_id]
    page = ascending[:limit] if min_id is not None else ascending[-limit:]
    return sorted(page, reverse=True)


@given(st.integers(1, 6), ops)
def test_cache_matches_a_model_of_capped_sorted_sets(max_items: int, operations: list) -> None:
    cache = TimelineCache(max_items=max_items, bytes_per_entry=20)
    model: dict[int, set[int]] = {}

    def push(user: int, tweet: int) -> None:
        kept = model.setdefault(user, set())
        kept.add(tweet)
        while len(kept) > max_items:
            kept.remove(min(kept))

    for op in operations:
        kind = op[0]
        if kind == "insert":
            assert cache.insert(op[1], op[2]) is True
            push(op[1], op[2])
        elif kind == "fanout":
            assert cache.fanout(op[1], op[2]) == len(op[2])
            for u in op[2]:
                push(u, op[1])
        elif kind == "remove":
            targets = list(model) if op[2] is None else op[2]
            expected = sum(1 for u in set(targets) if op[1] in model.get(u, set()))
            assert cache.remove(op[1], users=None if op[2] is None else sorted(set(op[2]))) == (
                expected
            )
            for u in set(targets):
                model.get(u, set()).discard(op[1])
        elif kind == "replace":
            cache.replace(op[1], op[2])
            model[op[1]] = set(sorted(set(op[2]))[-max_items:])
        elif kind == "drop":
            assert cache.drop_user(op[1]) == (op[1] in model)
            model.pop(op[1], None)
        else:
            _, user, limit, max_id, since_id, min_id = op
            got = cache.read(user, limit=limit, max_id=max_id, since_id=since_id, min_id=min_id)
            assert got == _model_read(list(model.get(user, ())), limit, max_id, since_id, min_id)
        cache._check()
        total = sum(len(v) for v in model.values())
        assert len(cache) == total
        assert cache.stats().bytes == 20 * total
        assert cache.n_users == len(model)
        assert all(len(v) <= max_items for v in model.values())


def test_paging_newest_first_through_a_full_timeline() -> None:
    cache = TimelineCache()  # 800 entries, as Twitter kept
    for tweet in range(1_000):
        cache.insert(1, tweet)
    assert len(cache) == 800
    assert cache.stats().evicted == 200
    pages, max_id = [], None
    while page := cache.read(1, limit=300, max_id=max_id):
        pages.extend(page)
        max_id = page[-1]
    assert pages == list(range(999, 199, -1))
    assert cache.read(1, limit=3, min_id=500) == [503, 502, 501]
    assert cache.read(1, limit=3, since_id=500) == [999, 998, 997]
    # An id older than everything in a full timeline is evicted at once.
    cache.insert(1, 5)
    assert cache.read(1, limit=1, max_id=200) == []


def test_inactive_users_are_skipped_and_forgotten() -> None:
    cache = TimelineCache(inactive_after_s=30 * 86_400)
    cache.read(1, now_s=0.0)  # user 1 reads: active
    cache.replace(2, [1])  # user 2 has a timeline but never read
    assert cache.fanout(10, [1, 2, 3], now_s=86_400.0) == 1
    assert 2 not in cache  # dropped: memory goes to readers only
    assert cache.read(1, now_s=86_400.0) == [10]
    assert cache.insert(1, 11, now_s=40 * 86_400.0) is False  # idle for 39 days
    assert cache.stats().skipped_inactive == 3
    assert cache.is_active(1, now_s=40 * 86_400.0) is False
    cache.touch(1, now_s=40 * 86_400.0)
    assert cache.insert(1, 12, now_s=40 * 86_400.0)


def test_cache_validation() -> None:
    with pytest.raises(InvalidParameterError, match="max_items"):
        TimelineCache(0)
    with pytest.raises(InvalidParameterError, match="inactive_after_s"):
        TimelineCache(inactive_after_s=-1)
    cache = TimelineCache()
    with pytest.raises(InvalidParameterError, match="tweet_id"):
        cache.insert(1, -5)
    with pytest.raises(InvalidParameterError, match="limit"):
        cache.read(1, limit=0)
    with pytest.raises(InvalidParameterError, match="max_id"):
        cache.read(1, max_id="9")  # type: ignore[arg-type]
    assert cache.stats().to_dict()["entries"] == 0
