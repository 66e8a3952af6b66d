"""The SQLite store: migrations, counters, atomic idempotency, FTS, integrity."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twitterdesign.reference_app.storage import (
    ConflictError,
    Page,
    SQLiteStore,
    StatusRecord,
    fts_query,
)


def _status(sid: int, author: int, text: str = "hello", **kw: object) -> StatusRecord:
    fields: dict[str, object] = {
        "id": sid,
        "account_id": author,
        "text": text,
        "visibility": "public",
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "reblog_of_id": None,
        "created_at_ms": sid,
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "views_count": 0,
    }
    fields.update(kw)
    return StatusRecord(**fields)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    s = SQLiteStore(tmp_path / "db.sqlite3")
    yield s  # type: ignore[misc]
    s.close()


def test_migrations_apply_once_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    first = SQLiteStore(path)
    first.create_user(1, "ada", "ada@example.org", "h", 0)
    version = first.schema_version()
    first.close()
    second = SQLiteStore(path, synchronous="NORMAL")
    assert second.schema_version() == version >= 1
    assert second.account_by_username("ADA") is not None  # case-insensitive
    assert second.integrity_ok()
    second.close()


def test_unique_username_and_email(store: SQLiteStore) -> None:
    store.create_user(1, "ada", "ada@example.org", "h", 0)
    with pytest.raises(ConflictError, match="username"):
        store.create_user(2, "Ada", "other@example.org", "h", 0)
    with pytest.raises(ConflictError, match="email"):
        store.create_user(3, "bob", "ADA@example.org", "h", 0)
    assert store.count_accounts() == 1  # the failed inserts left nothing behind


def test_counters_follow_writes_and_deletes(store: SQLiteStore) -> None:
    store.create_user(1, "ada", "a@x.org", "h", 0)
    store.create_user(2, "bob", "b@x.org", "h", 0)
    assert store.follow(2, 1, 10, 0)
    assert not store.follow(2, 1, 11, 0)
    store.create_status(_status(100, 1))
    store.create_status(_status(101, 2, in_reply_to_id=100, in_reply_to_account_id=1))
    store.create_status(_status(102, 2, text="", reblog_of_id=100))
    assert store.favourite(2, 100, 12, 0)
    s = store.get_statuses([100])[100]
    assert (s.replies_count, s.reblogs_count, s.favourites_count) == (1, 1, 1)
    assert store.get_accounts([1])[1].followers_count == 1
    assert store.get_accounts([2])[2].statuses_count == 2
    deleted = store.delete_status(100)
    assert sorted(deleted) == [100, 102]  # its reblog goes with it
    assert store.get_accounts([2])[2].statuses_count == 1
    assert store.get_statuses([100, 102]) == {}


def test_idempotency_key_returns_the_first_status(store: SQLiteStore) -> None:
    store.create_user(1, "ada", "a@x.org", "h", 0)
    first, created = store.create_status(_status(100, 1), idempotency_key="k")
    again, created_again = store.create_status(_status(101, 1), idempotency_key="k")
    assert created
    assert not created_again
    assert again.id == first.id == 100
    assert store.get_statuses([101]) == {}


def test_full_text_search_and_delete_keep_index_in_sync(store: SQLiteStore) -> None:
    store.create_user(1, "ada", "a@x.org", "h", 0)
    store.create_status(_status(100, 1, text="Kafka carries the events"))
    store.create_status(_status(101, 1, text="Manhattan stores tweets"))
    assert store.search_status_ids("kafka", None, 10) == [100]
    store.delete_status(100)
    assert store.search_status_ids("kafka", None, 10) == []
    assert store.integrity_ok()


@given(st.text(max_size=40))
def test_fts_query_is_always_valid_syntax(text: str) -> None:
    query = fts_query(text)
    # Every token is a quoted string: no bare operators or unbalanced quotes.
    assert query.count('"') % 2 == 0


@given(ids=st.lists(st.integers(1, 10_000), unique=True, max_size=30), limit=st.integers(1, 7))
def test_max_id_paging_is_complete_and_ordered(
    tmp_path_factory: pytest.TempPathFactory, ids: list[int], limit: int
) -> None:
    store = SQLiteStore(tmp_path_factory.mktemp("p") / "db.sqlite3")
    try:
        store.create_user(1, "ada", "a@x.org", "h", 0)
        for sid in ids:
            store.create_status(_status(sid + 10, 1))
        seen: list[int] = []
        cursor = None
        while True:
            page = store.account_status_ids(
                1, Page(max_id=cursor, limit=limit), visibilities=["public"]
            )
            if not page:
                break
            assert len(page) <= limit
            seen += page
            cursor = page[-1]
        assert seen == sorted((i + 10 for i in ids), reverse=True)
    finally:
        store.close()
