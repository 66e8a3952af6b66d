"""Contract of `GraphStore`: edges, exact counters, invalidation events, paging."""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import partial

from hypothesis import given, settings

from tests.strategies import pages
from twitterdesign.reference_app.storage import Page, Store

from ._factories import add_users, expected_page, run_together


def _counts(store: Store, account_id: int) -> tuple[int, int]:
    account = store.get_accounts([account_id])[account_id]
    return account.followers_count, account.following_count


def test_follow_and_unfollow_keep_both_counters(store: Store) -> None:
    add_users(store, 1, 2)
    assert store.follow(2, 1, 10, 0)
    assert not store.follow(2, 1, 11, 0)  # already there: a no-op
    assert store.follows(2, 1)
    assert not store.follows(1, 2)
    assert _counts(store, 1) == (1, 0)
    assert _counts(store, 2) == (0, 1)
    assert store.unfollow(2, 1)
    assert not store.unfollow(2, 1)
    assert not store.follows(2, 1)
    assert _counts(store, 1) == (0, 0)
    assert _counts(store, 2) == (0, 0)


def test_edge_queries(store: Store) -> None:
    add_users(store, 1, 2, 3, 4)
    store.follow(1, 2, 10, 0)
    store.follow(1, 3, 11, 0)
    store.follow(4, 2, 12, 0)
    assert store.following_set(1, [2, 3, 4, 99]) == {2, 3}
    assert store.followed_by_set(2, [1, 3, 4]) == {1, 4}
    assert store.following_set(1, []) == set()
    assert sorted(store.follower_ids(2)) == [1, 4]
    assert sorted(store.followee_ids(1)) == [2, 3]
    assert store.follower_ids(3) == [1]
    assert store.followee_ids(2) == []
    assert store.followee_follower_counts(1) == {2: 2, 3: 1}
    assert store.followee_follower_counts(2) == {}


def test_follow_and_unfollow_log_one_invalidation_each(store: Store) -> None:
    add_users(store, 1, 2)
    head = store.event_head()
    store.follow(2, 1, 10, 5)
    store.follow(2, 1, 11, 6)  # no-op: no event
    store.unfollow(2, 1)
    store.unfollow(2, 1)  # no-op: no event
    events = store.events_since(head, 10)
    assert [(status_id, account_id) for _, status_id, account_id in events] == [
        (None, 2),
        (None, 2),
    ]


def test_pages_of_followers_and_following_obey_the_page_contract(store: Store) -> None:
    add_users(store, *range(1, 42))
    rng = random.Random(13)
    edge_ids = rng.sample(range(1, 61), 40)
    for follower, edge_id in zip(range(2, 42), edge_ids, strict=True):
        store.follow(follower, 1, edge_id, 0)
        store.follow(1, follower, edge_id + 1000, 0)
    by_edge = dict(zip(edge_ids, range(2, 42), strict=True))

    @settings(max_examples=60)
    @given(page=pages())
    def check(page: Page) -> None:
        followers = store.followers_page(1, page)
        assert [e for e, _ in followers] == expected_page(edge_ids, page)
        assert all(by_edge[e] == f for e, f in followers)
        shifted = Page(
            max_id=None if page.max_id is None else page.max_id + 1000,
            since_id=None if page.since_id is None else page.since_id + 1000,
            min_id=None if page.min_id is None else page.min_id + 1000,
            limit=page.limit,
        )
        following = store.following_page(1, shifted)
        assert [e - 1000 for e, _ in following] == expected_page(edge_ids, page)

    check()


def test_counters_stay_exact_under_concurrent_follows(store: Store) -> None:
    add_users(store, *range(1, 18))
    jobs: list[Callable[[], bool]] = [partial(store.follow, f, 1, 100 + f, 0) for f in range(2, 18)]
    assert all(r is True for r in run_together(jobs))
    assert _counts(store, 1) == (16, 0)
    assert all(_counts(store, f) == (0, 1) for f in range(2, 18))


def test_counters_stay_exact_under_concurrent_follow_and_unfollow(store: Store) -> None:
    add_users(store, 1, 2, 3)
    edge_ids = iter(range(1000, 100_000))

    def toggle(follower: int, followee: int, rounds: int) -> int:
        changed = 0
        for _ in range(rounds):
            changed += store.follow(follower, followee, next(edge_ids), 0)
            changed += store.unfollow(follower, followee)
        return changed

    jobs: list[Callable[[], int]] = [
        partial(toggle, a, b, 15) for a, b in [(2, 1), (2, 1), (3, 1), (3, 1), (1, 2)]
    ]
    results = run_together(jobs)
    assert not [r for r in results if isinstance(r, Exception)]
    store.follow(3, 1, 999, 0)
    assert _counts(store, 1) == (len(store.follower_ids(1)), len(store.followee_ids(1)))
    assert _counts(store, 1) == (1, 0)
    assert _counts(store, 2) == (0, 0)
    assert _counts(store, 3) == (0, 1)
