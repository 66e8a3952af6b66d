"""What only the SQLite engine promises: migrations, WAL, durability settings, FTS5 quoting."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.storage import SQLiteStore
from twitterdesign.reference_app.storage.sqlite._migrations import MIGRATIONS
from twitterdesign.reference_app.storage.sqlite._search import _fts_query

from ._factories import status


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
    assert version == len(MIGRATIONS)


@pytest.mark.parametrize("applied", range(1, len(MIGRATIONS)))
def test_an_old_database_is_migrated_in_place(tmp_path: Path, applied: int) -> None:
    path = tmp_path / "old.sqlite3"
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(
            "CREATE TABLE schema_migrations "
            "(version INTEGER PRIMARY KEY, applied_at TEXT DEFAULT CURRENT_TIMESTAMP)"
        )
        for version, statements in enumerate(MIGRATIONS[:applied], start=1):
            for stmt in statements:
                if callable(stmt):  # a step SQL cannot express, run on the connection
                    stmt(conn)
                else:
                    conn.execute(stmt)
            conn.execute("INSERT INTO schema_migrations(version) VALUES (?)", (version,))
        conn.execute("INSERT INTO accounts(id, username, created_at) VALUES (1, 'ada', 0)")
        conn.execute(
            "INSERT INTO statuses(id, account_id, text, visibility, created_at) "
            "VALUES (100, 1, 'from before', 'public', 100)"
        )
        conn.execute(
            "INSERT INTO idempotency(account_id, key, status_id, created_at) "
            "VALUES (1, 'k', 100, 100)"
        )
        conn.commit()
    store = SQLiteStore(path)
    try:
        assert store.schema_version() == len(MIGRATIONS)
        found = store.idempotent_request(1, "k")
        assert found is not None
        assert (found[0].text, found[1]) == ("from before", "")  # an unknown fingerprint
        assert store.search_status_ids("before", None, 5) == [100]
        store.create_status(status(101, 1))
        assert [sid for _, sid, _ in store.events_since(0, 10)] == [101]
        assert store.integrity_ok()
    finally:
        store.close()


@pytest.mark.parametrize(("synchronous", "level"), [("FULL", 2), ("NORMAL", 1)])
def test_wal_and_synchronous(tmp_path: Path, synchronous: str, level: int) -> None:
    store = SQLiteStore(tmp_path / "db.sqlite3", synchronous=synchronous)
    try:
        conn = store._conn()
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == level
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    finally:
        store.close()


def test_synchronous_is_validated(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="synchronous"):
        SQLiteStore(tmp_path / "db.sqlite3", synchronous="OFF")


_WRITER = textwrap.dedent(
    """
    import sys
    from twitterdesign.reference_app.storage import SQLiteStore, StatusRecord
    store = SQLiteStore(sys.argv[1])
    store.create_user(1, "ada", "a@x.org", "h", 0)
    sid = 1000
    while True:
        sid += 1
        store.create_status(StatusRecord(sid, 1, "x" * 200, "public", None, None, None,
                                         sid, 0, 0, 0, 0, tags=("t",)))
        print(sid, flush=True)
    """
)


def test_acknowledged_writes_survive_a_kill(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        acknowledged = [int(proc.stdout.readline()) for _ in range(40)]
    finally:
        proc.kill()
        proc.wait()
    store = SQLiteStore(path)
    try:
        assert store.integrity_ok()
        assert set(acknowledged) <= set(store.get_statuses(acknowledged))
        assert store.count_statuses() >= len(acknowledged)
        assert store.get_accounts([1])[1].statuses_count == store.count_statuses()
    finally:
        store.close()


@given(st.text(max_size=40))
def test_fts_query_is_always_valid_syntax(text: str) -> None:
    query = _fts_query(text)
    # Every token is a quoted string: no bare operators or unbalanced quotes.
    assert query.count('"') % 2 == 0
    if query:
        with closing(sqlite3.connect(":memory:")) as conn:
            conn.execute("CREATE VIRTUAL TABLE t USING fts5(text, tokenize='unicode61')")
            conn.execute("SELECT * FROM t WHERE t MATCH ?", (query,)).fetchall()
