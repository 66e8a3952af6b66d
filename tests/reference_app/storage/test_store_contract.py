"""Contract of `Store` itself: the lifecycle calls beside the area protocols."""

from __future__ import annotations

from twitterdesign.reference_app.storage import AppRecord, NotificationRecord, Store

from ._factories import add_users, media, status


def test_max_id_looks_at_every_table(store: Store) -> None:
    assert store.max_id() is None
    add_users(store, 1)
    store.create_status(status(100, 1))
    store.add_media(media(700, 1))
    assert store.max_id() == 700
    store.follow(1, 1, 900, 0)
    assert store.max_id() == 900
    store.favourite(1, 100, 950, 0)
    assert store.max_id() == 950
    store.add_notification(NotificationRecord(960, 1, "mention", 1, None, 0))
    assert store.max_id() == 960
    store.add_app(AppRecord(970, "app", None, "urn:x", "cid", "secret", "read", 0))
    assert store.max_id() == 970


def test_a_fresh_store_is_consistent(store: Store) -> None:
    assert store.integrity_ok()
    add_users(store, 1)
    store.create_status(status(100, 1, tags=("t",)))
    store.delete_status(100)
    assert store.integrity_ok()
