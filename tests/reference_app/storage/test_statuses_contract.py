"""Contract of `StatusStore`: one unit of work per write, exact counters, id lists, paging."""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import pages
from twitterdesign.reference_app.storage import NotificationRecord, Page, Store

from ._factories import add_users, expected_page, media, reblog, run_together, status

_TOO_BIG = 2**64  # an int no 64-bit id column can hold


def test_counters_follow_writes_and_deletes(store: Store) -> None:
    add_users(store, 1, 2)
    assert store.follow(2, 1, 10, 0)
    assert not store.follow(2, 1, 11, 0)
    store.create_status(status(100, 1))
    store.create_status(status(101, 2, in_reply_to_id=100, in_reply_to_account_id=1))
    store.create_status(reblog(102, 2, of=100))
    assert store.favourite(2, 100, 12, 0)
    s = store.get_statuses([100])[100]
    assert (s.replies_count, s.reblogs_count, s.favourites_count) == (1, 1, 1)
    assert store.get_accounts([1])[1].followers_count == 1
    assert store.get_accounts([2])[2].statuses_count == 2
    deleted = store.delete_status(100)
    assert sorted(deleted) == [100, 102]  # its reblog goes with it
    assert store.get_accounts([2])[2].statuses_count == 1
    assert store.get_statuses([100, 102]) == {}


def test_create_status_returns_the_stored_hydrated_status(store: Store) -> None:
    add_users(store, 1, 2, 3)
    store.add_media(media(501, 1))
    store.add_media(media(500, 1))
    record = status(100, 1, text="hi #b #a", tags=("b", "a"), mention_ids=(3, 2))
    stored, created = store.create_status(record, media_ids=[501, 500])
    assert created
    assert stored.tags == ("a", "b")
    assert stored.mention_ids == (2, 3)
    assert [m.id for m in stored.media] == [500, 501]
    assert all(m.status_id == 100 for m in stored.media)
    assert store.get_statuses([100]) == {100: stored}
    author = store.get_accounts([1])[1]
    assert (author.statuses_count, author.last_status_at_ms) == (1, 100)
    assert store.count_statuses() == 1


def test_unknown_or_taken_media_ids_are_skipped(store: Store) -> None:
    add_users(store, 1)
    store.add_media(media(500, 1))
    store.create_status(status(100, 1), media_ids=[500])
    stored, _ = store.create_status(status(101, 1), media_ids=[500, 999])
    assert stored.media == ()
    assert [m.id for m in store.get_statuses([100])[100].media] == [500]


def _snapshot(store: Store) -> object:
    accounts = store.get_accounts([1, 2])
    parent = store.get_statuses([100])[100]
    return (
        store.count_statuses(),
        accounts,
        (parent.replies_count, parent.reblogs_count),
        store.event_head(),
        store.public_status_ids(Page(limit=50)),
        store.search_tags("", 10),
        store.get_media(500),
    )


def test_a_failure_midway_leaves_no_trace(store: Store) -> None:
    """A media id no engine can store fails after the status row was written: all undone."""
    add_users(store, 1, 2)
    store.create_status(status(100, 1))
    store.add_media(media(500, 2))
    before = _snapshot(store)
    reply = status(
        101,
        2,
        text="#atomic reply",
        tags=("atomic",),
        mention_ids=(1,),
        in_reply_to_id=100,
        in_reply_to_account_id=1,
    )
    with pytest.raises(Exception):  # noqa: B017, PT011 - engines raise their own error type
        store.create_status(reply, media_ids=[500, _TOO_BIG], idempotency_key="k")
    assert _snapshot(store) == before
    assert store.get_statuses([101]) == {}
    assert store.idempotent_request(2, "k") is None
    assert store.replies_to([100]) == []
    # and the same request, fixed, goes through with the same id and key
    stored, created = store.create_status(reply, media_ids=[500], idempotency_key="k")
    assert created
    assert [m.id for m in stored.media] == [500]
    assert store.get_statuses([100])[100].replies_count == 1


def test_a_duplicate_id_changes_nothing(store: Store) -> None:
    add_users(store, 1, 2)
    store.create_status(status(100, 1))
    store.add_media(media(500, 2))
    before = _snapshot(store)
    with pytest.raises(Exception):  # noqa: B017, PT011 - engines raise their own error type
        store.create_status(status(100, 2, in_reply_to_id=100, in_reply_to_account_id=1))
    assert _snapshot(store) == before
    assert store.get_statuses([100])[100].account_id == 1


def test_followers_only_replies_are_not_counted(store: Store) -> None:
    add_users(store, 1, 2)
    store.create_status(status(100, 1))
    store.create_status(
        status(101, 2, visibility="private", in_reply_to_id=100, in_reply_to_account_id=1)
    )
    assert store.get_statuses([100])[100].replies_count == 0
    assert store.replies_to([100]) == [101]
    store.delete_status(101)
    assert store.get_statuses([100])[100].replies_count == 0


def test_delete_cascades_to_reblogs_favourites_notifications_and_counters(store: Store) -> None:
    add_users(store, 1, 2, 3)
    store.add_media(media(500, 1))
    store.create_status(status(90, 3))
    store.create_status(
        status(100, 1, tags=("gone",), in_reply_to_id=90, in_reply_to_account_id=3),
        media_ids=[500],
    )
    store.create_status(reblog(101, 2, of=100))
    store.create_status(reblog(102, 3, of=100))
    store.favourite(2, 100, 200, 0)
    store.favourite(3, 101, 201, 0)
    store.add_notification(NotificationRecord(300, 1, "favourite", 2, 100, 0))
    store.add_notification(NotificationRecord(301, 1, "follow", 2, None, 0))
    assert sorted(store.delete_status(100)) == [100, 101, 102]
    assert store.get_statuses([100, 101, 102]) == {}
    assert store.reblogged_by(100, Page()) == []
    assert store.favourited_by(100, Page()) == []
    assert store.favourited_set(2, [100]) == set()
    assert store.reblog_of(2, 100) is None
    assert store.search_tags("gone", 5) == []
    assert [n.id for n in store.notifications(1, Page())] == [301]
    assert store.get_statuses([90])[90].replies_count == 0
    counts = {a.id: a.statuses_count for a in store.get_accounts([1, 2, 3]).values()}
    assert counts == {1: 0, 2: 0, 3: 1}
    left = store.get_media(500)
    assert left is not None
    assert left.status_id is None  # the bytes may be shared: only the link goes
    assert store.delete_status(100) == []


def test_deleting_a_reblog_decrements_the_original(store: Store) -> None:
    add_users(store, 1, 2)
    store.create_status(status(100, 1))
    store.create_status(reblog(101, 2, of=100))
    assert store.delete_status(101) == [101]
    assert store.get_statuses([100])[100].reblogs_count == 0


def test_favourites_and_reblogs_lookups(store: Store) -> None:
    add_users(store, 1, 2, 3)
    store.create_status(status(100, 1))
    store.create_status(status(110, 1))
    store.create_status(reblog(120, 2, of=100))
    assert store.favourite(2, 110, 200, 0)
    assert not store.favourite(2, 110, 201, 0)
    assert store.favourite(3, 110, 202, 0)
    assert store.get_statuses([110])[110].favourites_count == 2
    assert store.reblog_of(2, 100) == 120
    assert store.reblog_of(3, 100) is None
    assert store.reblogged_set(2, [100, 110]) == {100}
    assert store.favourited_set(2, [100, 110, 999]) == {110}
    assert store.interactions(2, [100, 110]) == ({110}, {100})
    assert store.interactions(3, []) == (set(), set())
    assert store.favourited_by(110, Page()) == [(202, 3), (200, 2)]
    assert store.reblogged_by(100, Page()) == [(120, 2)]
    assert store.unfavourite(2, 110)
    assert not store.unfavourite(2, 110)
    assert store.get_statuses([110])[110].favourites_count == 1


def test_counters_stay_exact_under_concurrent_favourites(store: Store) -> None:
    add_users(store, *range(1, 9))
    store.create_status(status(100, 1))
    fav_ids = iter(range(1000, 1_000_000))

    def churn(account_id: int) -> None:
        for _ in range(10):
            store.favourite(account_id, 100, next(fav_ids), 0)
            store.favourite(account_id, 100, next(fav_ids), 0)  # a no-op
            store.unfavourite(account_id, 100)
        store.favourite(account_id, 100, next(fav_ids), 0)
        if account_id % 2:
            store.unfavourite(account_id, 100)

    jobs: list[Callable[[], None]] = [partial(churn, a) for a in range(1, 9)]
    assert run_together(jobs) == [None] * 8
    assert store.get_statuses([100])[100].favourites_count == 4
    assert len(store.favourited_by(100, Page(limit=40))) == 4


def test_add_views_adds_and_ignores_unknown_ids(store: Store) -> None:
    add_users(store, 1)
    store.create_status(status(100, 1))
    store.add_views({100: 3, 999: 5})
    store.add_views({100: 2})
    store.add_views({})
    assert store.get_statuses([100])[100].views_count == 5
    assert store.get_statuses([999]) == {}


def test_replies_to_lists_direct_replies_oldest_first(store: Store) -> None:
    add_users(store, 1)
    store.create_status(status(100, 1))
    store.create_status(status(102, 1, in_reply_to_id=100, in_reply_to_account_id=1))
    store.create_status(status(101, 1, in_reply_to_id=100, in_reply_to_account_id=1))
    store.create_status(status(103, 1, in_reply_to_id=101, in_reply_to_account_id=1))
    assert store.replies_to([100]) == [101, 102]
    assert store.replies_to([100, 101]) == [101, 102, 103]
    assert store.replies_to([]) == []


def test_account_status_filters(store: Store) -> None:
    add_users(store, 1, 2)
    store.add_media(media(500, 1))
    store.create_status(status(100, 1))
    store.create_status(status(101, 1, visibility="unlisted"))
    store.create_status(status(102, 1, visibility="private"), media_ids=[500])
    store.create_status(status(103, 2))
    store.create_status(status(104, 1, in_reply_to_id=103, in_reply_to_account_id=2))
    store.create_status(status(105, 1, in_reply_to_id=100, in_reply_to_account_id=1))
    store.create_status(reblog(106, 1, of=103))

    def ids(visibilities: list[str], **flags: bool) -> list[int]:
        return store.account_status_ids(1, Page(), visibilities=visibilities, **flags)

    everything = ["public", "unlisted", "private"]
    assert ids(everything) == [106, 105, 104, 102, 101, 100]
    assert ids(["public"]) == [106, 105, 104, 100]
    assert ids([]) == []
    assert ids(everything, exclude_replies=True) == [106, 105, 102, 101, 100]  # self-threads stay
    assert ids(everything, exclude_reblogs=True) == [105, 104, 102, 101, 100]
    assert ids(everything, only_media=True) == [102]


def test_public_ids_and_tags(store: Store) -> None:
    add_users(store, 1, 2)
    store.create_status(status(100, 1, tags=("kafka",)))
    store.create_status(status(101, 1, tags=("kafka",), visibility="unlisted"))
    store.create_status(status(102, 2, tags=("kafka",), visibility="private"))
    store.create_status(status(103, 2))
    assert store.public_status_ids(Page()) == [103, 100]
    assert store.public_status_ids(Page(), tag="Kafka") == [100]
    assert store.public_status_ids(Page(), tag="nothing") == []
    assert store.status_ids_by_authors([2], Page()) == [103, 102]
    assert store.status_ids_by_authors([1, 2], Page(limit=3)) == [103, 102, 101]
    assert store.status_ids_by_authors([], Page()) == []
    assert sorted(store.recent_public_status_ids(101)) == [103]
    assert sorted(store.recent_public_status_ids(0)) == [100, 103]


def test_recent_public_ids_leave_out_reblogs(store: Store) -> None:
    add_users(store, 1, 2)
    store.create_status(status(100, 1))
    store.create_status(reblog(101, 2, of=100))
    assert store.recent_public_status_ids(0) == [100]


def test_status_lists_obey_the_page_contract(store: Store) -> None:
    add_users(store, 1, 2)
    rng = random.Random(13)
    ids = rng.sample(range(1, 61), 40)
    for sid in ids:
        store.create_status(status(sid, 1 + sid % 2, tags=("t",)))
    mine = [i for i in ids if 1 + i % 2 == 1]

    @settings(max_examples=60)
    @given(page=pages())
    def check(page: Page) -> None:
        assert store.public_status_ids(page) == expected_page(ids, page)
        assert store.public_status_ids(page, tag="t") == expected_page(ids, page)
        assert store.status_ids_by_authors([1, 2], page) == expected_page(ids, page)
        assert store.status_ids_by_authors([1], page) == expected_page(mine, page)
        visible = store.account_status_ids(1, page, visibilities=["public"])
        assert visible == expected_page(mine, page)

    check()


def test_engagement_lists_obey_the_page_contract(store: Store) -> None:
    add_users(store, *range(1, 42))
    store.create_status(status(100, 1))
    rng = random.Random(7)
    fav_ids = rng.sample(range(1, 61), 40)
    for account_id, fav_id in zip(range(2, 42), fav_ids, strict=True):
        store.favourite(account_id, 100, fav_id, 0)

    @settings(max_examples=60)
    @given(page=pages())
    def check(page: Page) -> None:
        assert [f for f, _ in store.favourited_by(100, page)] == expected_page(fav_ids, page)

    check()


def test_max_id_paging_is_complete_and_ordered(store: Store) -> None:
    # One store for every example: each example posts as a new account, with ids of its own.
    examples = iter(range(1, 10**6))

    @given(ids=st.lists(st.integers(1, 10_000), unique=True, max_size=30), limit=st.integers(1, 7))
    def check(ids: list[int], limit: int) -> None:
        n = next(examples)
        base = n * 100_000
        store.create_user(n, f"user{n}", f"u{n}@x.org", "h", 0)
        for sid in ids:
            store.create_status(status(base + sid, n))
        seen: list[int] = []
        cursor = None
        while True:
            page = store.account_status_ids(
                n, Page(max_id=cursor, limit=limit), visibilities=["public"]
            )
            if not page:
                break
            assert len(page) <= limit
            seen += page
            cursor = page[-1]
        assert seen == sorted((base + i for i in ids), reverse=True)

    check()
