"""Contract of `CurationStore`: bookmarks, favourites pages, markers, lists, followed tags."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import pages
from twitterdesign.reference_app.storage import (
    ListRecord,
    NotificationRecord,
    Page,
    Store,
    TagDay,
)

from ._factories import add_users, expected_page, reblog, run_together, status

DAY_MS = 86_400_000


def _list(lid: int, owner: int, policy: str = "list", title: str = "friends") -> ListRecord:
    return ListRecord(lid, owner, title, policy, False, lid)


# --- bookmarks and favourites -----------------------------------------------------------
def test_bookmarks_are_per_account_idempotent_and_newest_first(store: Store) -> None:
    add_users(store, 1, 2)
    for sid in (100, 101, 102):
        store.create_status(status(sid, 2))
    assert store.bookmark(1, 101, 10, 0) is True
    assert store.bookmark(1, 101, 11, 0) is False  # already there: nothing changes
    assert store.bookmark(1, 100, 12, 0) is True
    assert store.bookmark(2, 102, 13, 0) is True
    assert store.bookmarks_page(1, Page()) == [(12, 100), (10, 101)]
    assert store.bookmarked_set(1, [100, 101, 102, 999]) == {100, 101}
    assert store.unbookmark(1, 101) is True
    assert store.unbookmark(1, 101) is False
    assert store.bookmarks_page(1, Page()) == [(12, 100)]
    assert store.bookmarks_page(2, Page()) == [(13, 102)]


def test_a_bookmark_racing_a_deletion_never_outlives_the_status(store: Store) -> None:
    add_users(store, 1, 2)
    for round_ in range(8):
        sid = 1000 + round_
        store.create_status(status(sid, 2))
        run_together(
            [
                lambda sid=sid: store.bookmark(1, sid, 5000 + sid, 0),
                lambda sid=sid: store.delete_status(sid),
            ]
        )
        assert store.bookmarked_set(1, [sid]) == set()
    assert store.bookmark(1, 999_999, 1, 0) is False  # no such status
    assert store.integrity_ok()


def test_bookmarks_of_a_deleted_status_go_with_it(store: Store) -> None:
    add_users(store, 1, 2)
    store.create_status(status(100, 2))
    store.create_status(reblog(101, 2, 100))
    store.bookmark(1, 100, 10, 0)
    store.bookmark(1, 101, 11, 0)
    store.delete_status(100)  # takes its reblog too
    assert store.bookmarks_page(1, Page()) == []
    assert store.bookmarked_set(1, [100, 101]) == set()
    assert store.integrity_ok()


def test_bookmark_sequences_leave_the_set_a_model_predicts(store: Store) -> None:
    add_users(store, 10**7)
    for sid in range(100, 106):
        store.create_status(status(sid, 10**7))
    accounts = iter(range(1, 10**6))

    @settings(max_examples=30, deadline=None)
    @given(ops=st.lists(st.tuples(st.booleans(), st.integers(0, 5)), max_size=30))
    def check(ops: list[tuple[bool, int]]) -> None:
        account = next(accounts)  # one store for every example: an account of its own
        model: set[int] = set()
        for n, (add, which) in enumerate(ops):
            sid = 100 + which
            if add:
                assert store.bookmark(account, sid, account * 1000 + n, n) is (sid not in model)
                model.add(sid)
            else:
                assert store.unbookmark(account, sid) is (sid in model)
                model.discard(sid)
        assert {s for _, s in store.bookmarks_page(account, Page(limit=40))} == model
        assert store.bookmarked_set(account, range(100, 106)) == model

    check()


def test_bookmarks_and_favourites_obey_the_page_contract(store: Store) -> None:
    add_users(store, 1, 2)
    ids = random.Random(7).sample(range(1, 61), 30)
    for n, mark in enumerate(ids):
        store.create_status(status(1000 + n, 2))
        store.bookmark(1, 1000 + n, mark, 0)
        store.favourite(1, 1000 + n, mark, 0)
    store.favourite(2, 1000, 99, 0)  # another account's like is not on this page

    @settings(max_examples=60, deadline=None)
    @given(page=pages())
    def check(page: Page) -> None:
        want = expected_page(ids, page)
        assert [i for i, _ in store.bookmarks_page(1, page)] == want
        assert [i for i, _ in store.favourites_page(1, page)] == want

    check()


# --- markers ----------------------------------------------------------------------------
def test_markers_start_at_version_1_and_count_each_change(store: Store) -> None:
    first = store.save_marker(1, "home", 50, 1_000)
    assert (first.last_read_id, first.version, first.updated_at_ms) == (50, 1, 1_000)
    same = store.save_marker(1, "home", 50, 2_000)
    assert (same.version, same.updated_at_ms) == (1, 1_000)  # nothing changed
    moved = store.save_marker(1, "home", 40, 3_000)
    assert (moved.last_read_id, moved.version, moved.updated_at_ms) == (40, 2, 3_000)
    store.save_marker(1, "notifications", 7, 4_000)
    store.save_marker(2, "home", 9, 5_000)
    found = store.markers(1, ["home", "notifications"])
    assert {k: (m.last_read_id, m.version) for k, m in found.items()} == {
        "home": (40, 2),
        "notifications": (7, 1),
    }
    assert store.markers(1, ["notifications"])["notifications"].last_read_id == 7
    assert store.markers(3, ["home"]) == {}
    assert store.markers(1, []) == {}


def test_unread_notifications_are_counted_after_the_marker_and_capped(store: Store) -> None:
    kinds = ["mention", "follow", "favourite", "mention", "reblog"]
    for nid, kind in enumerate(kinds, start=1):
        store.add_notification(NotificationRecord(nid, 1, kind, 9, None, nid))
    store.add_notification(NotificationRecord(6, 2, "mention", 9, None, 6))
    assert store.count_notifications_after(1, None, 100) == 5
    assert store.count_notifications_after(1, 2, 100) == 3
    assert store.count_notifications_after(1, 2, 2) == 2
    assert store.count_notifications_after(1, 5, 100) == 0
    assert store.count_notifications_after(1, None, 100, types=["mention"]) == 2
    assert store.count_notifications_after(1, 1, 100, exclude_types=["mention"]) == 3


# --- lists ------------------------------------------------------------------------------
def test_list_crud(store: Store) -> None:
    store.create_list(_list(10, 1, "followed", "b"))
    store.create_list(_list(11, 1, title="a"))
    store.create_list(_list(12, 2))
    assert [x.id for x in store.lists_of(1)] == [10, 11]
    assert store.get_list(12) == _list(12, 2)
    changed = store.update_list(10, title="close", replies_policy="none", exclusive=True)
    assert changed == ListRecord(10, 1, "close", "none", True, 10)
    assert store.get_list(10) == changed
    assert store.update_list(99, title="x", replies_policy="list", exclusive=False) is None
    assert store.delete_list(10) is True
    assert store.delete_list(10) is False
    assert store.get_list(10) is None
    assert [x.id for x in store.lists_of(1)] == [11]


def test_only_followed_accounts_or_the_owner_join_a_list_all_or_none(store: Store) -> None:
    add_users(store, 1, 2, 3, 4)
    store.follow(1, 2, 500, 0)
    store.follow(1, 3, 501, 0)
    store.create_list(_list(10, 1))
    assert store.add_list_accounts(10, {2: 20, 4: 21}, 0) == {4}
    assert store.list_accounts_page(10, Page()) == []  # nothing added
    assert store.add_list_accounts(10, {2: 22, 3: 23, 1: 24}, 0) == set()
    assert store.add_list_accounts(10, {2: 25}, 0) == set()  # already in: unchanged
    assert store.list_accounts_page(10, Page()) == [(24, 1), (23, 3), (22, 2)]
    assert [x.id for x in store.lists_with_account(1, 3)] == [10]
    assert store.lists_holding([10, 11], 2) == {10}
    assert store.remove_list_accounts(10, [3, 4]) == 1
    assert [a for _, a in store.list_accounts_page(10, Page())] == [1, 2]
    assert store.add_list_accounts(99, {2: 26}, 0) == {2}  # no such list


def test_unfollowing_takes_the_account_out_of_the_followers_lists(store: Store) -> None:
    add_users(store, 1, 2, 3)
    store.follow(1, 2, 500, 0)
    store.follow(3, 2, 501, 0)
    store.create_list(_list(10, 1))
    store.create_list(_list(11, 3))
    store.add_list_accounts(10, {2: 20}, 0)
    store.add_list_accounts(11, {2: 21}, 0)
    store.unfollow(1, 2)
    assert store.list_accounts_page(10, Page()) == []
    assert store.list_accounts_page(11, Page()) == [(21, 2)]  # someone else's list stays
    assert store.integrity_ok()


def test_deleting_a_list_deletes_its_memberships(store: Store) -> None:
    add_users(store, 1, 2)
    store.follow(1, 2, 500, 0)
    store.create_list(_list(10, 1))
    store.add_list_accounts(10, {2: 20}, 0)
    store.delete_list(10)
    assert store.lists_with_account(1, 2) == []
    assert store.list_accounts_page(10, Page()) == []


def test_list_members_obey_the_page_contract(store: Store) -> None:
    members = list(range(2, 32))
    add_users(store, 1, *members)
    store.create_list(_list(10, 1))
    ids = random.Random(3).sample(range(1, 61), len(members))
    for account in members:
        store.follow(1, account, 1000 + account, 0)
    store.add_list_accounts(10, dict(zip(members, ids, strict=True)), 0)

    @settings(max_examples=60, deadline=None)
    @given(page=pages())
    def check(page: Page) -> None:
        assert [i for i, _ in store.list_accounts_page(10, page)] == expected_page(ids, page)

    check()


# The list timeline, checked against a model written from the rules, not from the SQL.
# Accounts: 1 owns the list; 2 and 3 are members; 4 is followed, not a member; 5 is a
# stranger; 6 is a member the owner stopped following (taken out by the unfollow).
_VIS = st.sampled_from(["public", "unlisted", "private"])
_STATUS = st.tuples(
    st.sampled_from([1, 2, 3, 4, 5, 6]), _VIS, st.sampled_from([None, 1, 2, 3, 4, 5])
)


def _model_list_timeline(
    statuses: list[tuple[int, int, str, int | None]], policy: str, members: set[int]
) -> list[int]:
    followed = {2, 3, 4}
    out = []
    for sid, author, visibility, reply_to in statuses:
        if author not in members:
            continue
        if visibility == "private" and author not in followed:
            continue
        kept_reply = (
            reply_to is None
            or reply_to in (author, 1)
            or (policy == "followed" and reply_to in followed)
            or (policy == "list" and reply_to in members)
        )
        if not kept_reply:
            continue
        out.append(sid)
    return sorted(out, reverse=True)


def test_list_timeline_holds_exactly_members_statuses_the_owner_may_see(store: Store) -> None:
    examples = iter(range(1, 10**6))

    @settings(max_examples=20, deadline=None)
    @given(
        rows=st.lists(_STATUS, max_size=25),
        policy=st.sampled_from(["followed", "list", "none"]),
        page=pages(ids_up_to=130, max_limit=30),
    )
    def check(rows: list[tuple[int, str, int | None]], policy: str, page: Page) -> None:
        base = next(examples) * 1000  # one store for every example: ids of this example
        local = {i: base + i for i in range(1, 7)}
        owner = local[1]
        add_users(store, *local.values())
        for n, other in enumerate((2, 3, 4, 6)):
            store.follow(owner, local[other], base + 10 + n, 0)
        lid = base + 20
        store.create_list(ListRecord(lid, owner, "l", policy, False, 0))
        joined = {local[2]: base + 21, local[3]: base + 22, local[6]: base + 23}
        assert store.add_list_accounts(lid, joined, 0) == set()
        store.unfollow(owner, local[6])
        statuses = []
        for n, (author, visibility, reply_to) in enumerate(rows):
            statuses.append((100 + n, author, visibility, reply_to))
            store.create_status(
                status(
                    base + 100 + n,
                    local[author],
                    visibility=visibility,
                    in_reply_to_id=None if reply_to is None else base + 999,
                    in_reply_to_account_id=None if reply_to is None else local[reply_to],
                )
            )
        expected = _model_list_timeline(statuses, policy, {2, 3})

        def shift(cursor: int | None) -> int | None:
            return None if cursor is None else base + cursor

        shifted = Page(shift(page.max_id), shift(page.since_id), shift(page.min_id), page.limit)
        got = [sid - base for sid in store.list_status_ids(lid, shifted)]
        assert got == expected_page(expected, page)

    check()


# --- followed tags ----------------------------------------------------------------------
def test_followed_tags_are_idempotent_per_account_and_paged(store: Store) -> None:
    assert store.follow_tag(1, "python", 10, 0) is True
    assert store.follow_tag(1, "python", 11, 0) is False
    assert store.follow_tag(1, "rust", 12, 0) is True
    assert store.follow_tag(2, "go", 13, 0) is True
    assert store.followed_tags_page(1, Page()) == [(12, "rust"), (10, "python")]
    assert store.followed_tags_page(1, Page(max_id=12)) == [(10, "python")]
    assert store.followed_tag_set(1, ["python", "go", "rust"]) == {"python", "rust"}
    assert store.unfollow_tag(1, "python") is True
    assert store.unfollow_tag(1, "python") is False
    assert store.followed_tag_set(1, ["python"]) == set()


def test_tag_days_count_uses_and_distinct_accounts_of_public_statuses(store: Store) -> None:
    add_users(store, 1, 2)
    day = 20_000 * DAY_MS
    rows = [
        (100, 1, day + 5, "public"),
        (101, 1, day + 6, "public"),
        (102, 2, day + 7, "public"),
        (103, 2, day + 8, "private"),  # not public: not counted
        (104, 1, day - 5, "public"),  # the day before
        (105, 1, day - 2 * DAY_MS, "public"),  # before ``since``
    ]
    for sid, author, at, visibility in rows:
        store.create_status(
            status(
                sid, author, "#python", tags=("python",), created_at_ms=at, visibility=visibility
            )
        )
    store.create_status(status(106, 2, "#rust", tags=("rust",), created_at_ms=day + 9))
    assert store.tag_days("python", day - DAY_MS) == [
        TagDay(day, 3, 2),
        TagDay(day - DAY_MS, 1, 1),
    ]
    assert store.tag_days("nothing", 0) == []


def test_viewer_flags_agree_with_each_flag_read_alone(store: Store) -> None:
    add_users(store, 1, 2)
    for sid in range(100, 106):
        store.create_status(status(sid, 2))
    store.favourite(1, 100, 10, 0)
    store.favourite(1, 101, 11, 0)
    store.favourite(2, 102, 12, 0)  # another account's
    store.create_status(reblog(200, 1, 101))
    store.create_status(reblog(201, 1, 103))
    store.bookmark(1, 101, 20, 0)
    store.bookmark(1, 104, 21, 0)
    store.bookmark(2, 105, 22, 0)
    ids = [*range(100, 106), 200, 999]
    assert store.viewer_flags(1, ids) == ({100, 101}, {101, 103}, {101, 104})
    assert store.viewer_flags(1, ids) == (
        store.favourited_set(1, ids),
        store.reblogged_set(1, ids),
        store.bookmarked_set(1, ids),
    )
    assert store.viewer_flags(1, []) == (set(), set(), set())
