"""Contract of `NotificationStore`: per account, newest first, filtered, paged, cleared."""

from __future__ import annotations

import random

from hypothesis import given, settings

from tests.strategies import pages
from twitterdesign.reference_app.storage import NotificationRecord, Page, Store

from ._factories import add_users, expected_page, status


def _note(
    nid: int, to: int, kind: str = "mention", status_id: int | None = None
) -> NotificationRecord:
    return NotificationRecord(nid, to, kind, 9, status_id, nid * 10)


def test_notifications_come_back_newest_first(store: Store) -> None:
    notes = [_note(1, 1), _note(3, 1, "follow"), _note(2, 2)]
    for note in notes:
        store.add_notification(note)
    assert store.notifications(1, Page()) == [notes[1], notes[0]]
    assert store.notifications(2, Page()) == [notes[2]]
    assert store.notifications(3, Page()) == []


def test_types_filter(store: Store) -> None:
    for nid, kind in enumerate(["mention", "follow", "favourite", "follow"], start=1):
        store.add_notification(_note(nid, 1, kind))
    assert [n.id for n in store.notifications(1, Page(), types=["follow"])] == [4, 2]
    assert [n.id for n in store.notifications(1, Page(), types=["follow", "mention"])] == [4, 2, 1]
    assert [n.id for n in store.notifications(1, Page(), types=[])] == [4, 3, 2, 1]
    assert [n.id for n in store.notifications(1, Page(), types=None)] == [4, 3, 2, 1]


def test_clear_removes_one_accounts_notifications(store: Store) -> None:
    store.add_notification(_note(1, 1))
    store.add_notification(_note(2, 1))
    store.add_notification(_note(3, 2))
    store.clear_notifications(1)
    assert store.notifications(1, Page()) == []
    assert [n.id for n in store.notifications(2, Page())] == [3]


def test_dismiss_removes_only_the_owners_named_notifications(store: Store) -> None:
    for nid, to in [(1, 1), (2, 1), (3, 1), (4, 2)]:
        store.add_notification(_note(nid, to))
    store.dismiss_notifications(1, [1, 3, 4, 99])
    store.dismiss_notifications(1, [])
    assert [n.id for n in store.notifications(1, Page())] == [2]
    assert [n.id for n in store.notifications(2, Page())] == [4]


def test_notifications_about_a_deleted_status_go_with_it(store: Store) -> None:
    add_users(store, 1)
    store.create_status(status(100, 1))
    store.add_notification(_note(1, 1, "favourite", 100))
    store.add_notification(_note(2, 1, "follow"))
    store.delete_status(100)
    assert [n.id for n in store.notifications(1, Page())] == [2]


def test_notifications_obey_the_page_contract(store: Store) -> None:
    ids = random.Random(5).sample(range(1, 61), 40)
    for nid in ids:
        store.add_notification(_note(nid, 1))

    @settings(max_examples=60)
    @given(page=pages())
    def check(page: Page) -> None:
        assert [n.id for n in store.notifications(1, page)] == expected_page(ids, page)

    check()
