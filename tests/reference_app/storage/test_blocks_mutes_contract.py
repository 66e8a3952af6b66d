"""Contract of `BlockMuteStore`: a block cuts follows both ways and forbids new ones."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.strategies import pages
from twitterdesign.reference_app.storage import Page, Store

from ._factories import add_users, expected_page


def test_block_removes_follows_both_ways_with_their_counters(store: Store) -> None:
    add_users(store, 1, 2, 3)
    store.follow(1, 2, 10, 0)
    store.follow(2, 1, 11, 0)
    store.follow(3, 2, 12, 0)
    head = store.event_head()
    assert store.block(1, 2, 20, 5)
    assert not store.block(1, 2, 21, 6)  # already blocked: nothing changes
    assert not store.follows(1, 2)
    assert not store.follows(2, 1)
    assert store.follows(3, 2)
    accounts = store.get_accounts([1, 2])
    assert (accounts[1].following_count, accounts[1].followers_count) == (0, 0)
    assert (accounts[2].following_count, accounts[2].followers_count) == (0, 1)
    # Both followers' home timelines are invalidated, as an unfollow does.
    events = store.events_since(head, 10)
    assert sorted(e[2] for e in events if e[1] is None) == [1, 2]
    assert store.integrity_ok()


def test_a_block_either_way_forbids_following(store: Store) -> None:
    add_users(store, 1, 2)
    store.block(1, 2, 20, 0)
    assert not store.follow(1, 2, 10, 0)
    assert not store.follow(2, 1, 11, 0)
    assert store.get_accounts([2])[2].followers_count == 0
    assert store.unblock(1, 2)
    assert not store.unblock(1, 2)
    assert store.follow(2, 1, 12, 0)


def test_relations_and_mute_expiry(store: Store) -> None:
    add_users(store, 1, 2, 3, 4, 5)
    store.block(1, 2, 20, 0)
    store.block(3, 1, 21, 0)
    store.mute(1, 4, 22, notifications=True, expires_at_ms=None, now_ms=0)
    store.mute(1, 5, 23, notifications=False, expires_at_ms=1000, now_ms=0)
    rel = store.relations_of(1, now_ms=999)
    assert (rel.blocking, rel.blocked_by) == ({2}, {3})
    assert (rel.muting, rel.muting_notifications) == ({4, 5}, {4})
    assert store.relations_of(1, now_ms=1000).muting == {4}  # the timed mute is over
    assert store.relations_of(2, now_ms=0).blocked_by == {1}
    assert store.mutes_page(1, Page(), now_ms=999) == [(23, 5, 1000), (22, 4, None)]
    assert store.mutes_page(1, Page(), now_ms=1000) == [(22, 4, None)]
    # Muting again replaces the flag and the expiry, keeping the mute's id.
    store.mute(1, 5, 30, notifications=True, expires_at_ms=None, now_ms=2000)
    assert store.mutes_page(1, Page(), now_ms=5000) == [(23, 5, None), (22, 4, None)]
    assert store.relations_of(1, now_ms=5000).muting_notifications == {4, 5}
    assert store.unmute(1, 4)
    assert not store.unmute(1, 4)
    assert store.relations_of(1, now_ms=5000).muting == {5}


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    targets=st.lists(st.integers(2, 40), min_size=1, max_size=25, unique=True),
    page=pages(),
)
def test_blocks_page_follows_the_page_contract(
    store: Store, targets: list[int], page: Page
) -> None:
    base = (store.max_id() or 0) + 1000
    add_users(store, base, *(base + t for t in targets))
    for n, t in enumerate(targets):
        store.block(base, base + t, n + 1, 0)
    ids = list(range(1, len(targets) + 1))
    got = store.blocks_page(base, page)
    assert [i for i, _ in got] == expected_page(ids, page)
    assert all(target == base + targets[i - 1] for i, target in got)
    for t in targets:  # block ids are unique in the store: free them for the next example
        store.unblock(base, base + t)
