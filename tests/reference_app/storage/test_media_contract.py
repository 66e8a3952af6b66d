"""Contract of `MediaStore`: metadata rows, linked to a status by ``create_status``."""

from __future__ import annotations

from twitterdesign.reference_app.storage import Store

from ._factories import add_users, media, status


def test_media_by_id_and_hash(store: Store) -> None:
    record = media(500, 1, sha256="cd" * 32, width=None, height=None)
    store.add_media(record)
    assert store.get_media(500) == record
    assert store.media_by_hash("cd" * 32) == record
    assert store.get_media(501) is None
    assert store.media_by_hash("ef" * 32) is None


def test_description_changes(store: Store) -> None:
    store.add_media(media(500, 1))
    store.update_media_description(500, "a cat")
    found = store.get_media(500)
    assert found is not None
    assert found.description == "a cat"
    store.update_media_description(500, None)
    found = store.get_media(500)
    assert found is not None
    assert found.description is None
    store.update_media_description(999, "nothing there")  # not an error
    assert store.get_media(999) is None


def test_attached_by_create_status_and_released_by_delete(store: Store) -> None:
    add_users(store, 1)
    store.add_media(media(500, 1))
    store.add_media(media(501, 1, sha256="cd" * 32))
    store.create_status(status(100, 1), media_ids=[500])
    attached = store.get_media(500)
    assert attached is not None
    assert attached.status_id == 100
    free = store.get_media(501)
    assert free is not None
    assert free.status_id is None
    store.delete_status(100)
    released = store.get_media(500)
    assert released is not None
    assert released.status_id is None
