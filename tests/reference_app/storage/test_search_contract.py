"""Contract of `SearchStore`: every word must match, only what the viewer may see."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st

from twitterdesign.reference_app.storage import Store

from ._factories import add_users, status


def test_full_text_search_and_delete_keep_index_in_sync(store: Store) -> None:
    store.create_user(1, "ada", "a@x.org", "h", 0)
    store.create_status(status(100, 1, text="Kafka carries the events"))
    store.create_status(status(101, 1, text="Manhattan stores tweets"))
    assert store.search_status_ids("kafka", None, 10) == [100]
    store.delete_status(100)
    assert store.search_status_ids("kafka", None, 10) == []
    assert store.integrity_ok()


def test_every_word_must_match(store: Store) -> None:
    add_users(store, 1)
    store.create_status(status(100, 1, text="kafka carries events"))
    store.create_status(status(101, 1, text="kafka drops nothing"))
    assert store.search_status_ids("KAFKA", None, 10) == [101, 100]
    assert store.search_status_ids("kafka events", None, 10) == [100]
    assert store.search_status_ids("kafka missing", None, 10) == []
    assert store.search_status_ids("", None, 10) == []
    assert store.search_status_ids("!!! ...", None, 10) == []


def test_visibility_decides_who_finds_what(store: Store) -> None:
    add_users(store, 1, 2, 3)  # 2 follows 1; 3 is a stranger
    store.follow(2, 1, 10, 0)
    store.create_status(status(100, 1, text="needle public"))
    store.create_status(status(101, 1, text="needle unlisted", visibility="unlisted"))
    store.create_status(status(102, 1, text="needle private", visibility="private"))
    store.create_status(status(103, 3, text="needle secret", visibility="private"))

    def found(viewer: int | None) -> list[int]:
        return store.search_status_ids("needle", viewer, 10)

    assert found(None) == [100]
    assert found(3) == [103, 100]
    assert found(2) == [102, 101, 100]
    assert found(1) == [102, 101, 100]
    store.unfollow(2, 1)
    assert found(2) == [100]


def test_reblogs_are_never_found(store: Store) -> None:
    add_users(store, 1, 2)
    store.create_status(status(100, 1, text="needle"))
    store.create_status(status(101, 2, text="needle", reblog_of_id=100))  # a quote-like reblog
    assert store.search_status_ids("needle", 2, 10) == [100]


def test_order_limit_and_offset(store: Store) -> None:
    add_users(store, 1)
    store.create_status(status(100, 1, text="lesson lesson lesson lesson"))
    store.create_status(status(101, 1, text="lesson about everything else entirely here"))
    store.create_status(status(102, 1, text="another lesson with several other words too"))
    assert store.search_status_ids("lesson", None, 10) == [102, 101, 100]
    assert store.search_status_ids("lesson", None, 10, order="relevancy")[0] == 100
    assert store.search_status_ids("lesson", None, 2) == [102, 101]
    assert store.search_status_ids("lesson", None, 2, offset=2) == [100]


def test_any_text_is_a_safe_query(make_store: Callable[[], Store]) -> None:
    store = make_store()
    add_users(store, 1)
    store.create_status(status(100, 1, text='say "hi" OR NOT near(this) * ^ -'))

    @given(st.text(max_size=40))
    def check(text: str) -> None:
        found = store.search_status_ids(text, None, 5)
        assert set(found) <= {100}

    check()
    assert store.search_status_ids('"hi" OR', None, 5) == [100]


def test_tags_by_prefix_count_public_uses(store: Store) -> None:
    add_users(store, 1)
    store.create_status(status(100, 1, tags=("kafka",)))
    store.create_status(status(101, 1, tags=("kafka", "k_v")))
    store.create_status(status(102, 1, tags=("kv",)))
    store.create_status(status(103, 1, tags=("kafka",), visibility="private"))
    assert store.search_tags("k", 10) == [("kafka", 2), ("k_v", 1), ("kv", 1)]
    assert store.search_tags("K_", 10) == [("k_v", 1)]
    assert store.search_tags("k%", 10) == []
    assert store.search_tags("k", 1) == [("kafka", 2)]


def test_tag_uses_since(store: Store) -> None:
    add_users(store, 1)
    store.create_status(status(100, 1, tags=("old",)))
    store.create_status(status(200, 1, tags=("new", "both")))
    store.create_status(status(201, 1, tags=("both",)))
    store.create_status(status(202, 1, tags=("hidden",), visibility="unlisted"))
    assert store.tag_uses_since(150, 10) == [("both", 2), ("new", 1)]
    assert store.tag_uses_since(0, 2) == [("both", 2), ("new", 1)]
