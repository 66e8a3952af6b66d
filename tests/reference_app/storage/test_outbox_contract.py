"""Contract of `OutboxStore`: an event per committed change, in order, trimmed by age."""

from __future__ import annotations

import contextlib

from twitterdesign.reference_app.storage import Store

from ._factories import add_users, status


def test_an_empty_log(store: Store) -> None:
    assert store.event_head() == 0
    assert store.events_since(0, 10) == []
    assert store.trim_events(10**15) == 0


def test_statuses_and_follows_are_logged_in_order(store: Store) -> None:
    add_users(store, 1, 2)
    store.create_status(status(100, 1))
    store.follow(2, 1, 10, 150)
    store.create_status(status(200, 2))
    events = store.events_since(0, 10)
    assert [(sid, account) for _, sid, account in events] == [(100, 1), (None, 2), (200, 2)]
    seqs = [seq for seq, _, _ in events]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == 3
    assert store.event_head() == seqs[-1]
    assert store.events_since(seqs[0], 10) == events[1:]
    assert store.events_since(0, 2) == events[:2]
    assert store.events_since(seqs[-1], 10) == []


def test_reads_write_nothing_and_failed_writes_log_nothing(store: Store) -> None:
    add_users(store, 1)
    store.create_status(status(100, 1))
    head = store.event_head()
    store.get_statuses([100])
    store.favourite(1, 100, 5, 0)
    store.delete_status(100)
    store.unfollow(1, 99)
    with contextlib.suppress(Exception):  # the failure itself: see the statuses contract
        store.create_status(status(101, 1), media_ids=[2**64])
    assert store.event_head() == head


def test_trim_removes_only_older_events(store: Store) -> None:
    add_users(store, 1, 2)
    store.create_status(status(100, 1))
    store.create_status(status(300, 1))
    store.follow(2, 1, 10, 200)
    assert store.trim_events(250) == 2
    assert [(sid, account) for _, sid, account in store.events_since(0, 10)] == [(300, 1)]
    head = store.event_head()
    assert head > 0  # the head does not go back when old entries are trimmed
    store.create_status(status(400, 1))
    assert store.event_head() > head
