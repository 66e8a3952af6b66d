"""The shared base of the SQLite store: one file, its connections, transactions, schema.

Durability: every write is one transaction; with ``synchronous="FULL"`` (the default) a
transaction is on disk before the call returns, so a status acknowledged with 2xx survives
a process kill *and* a power loss. ``"NORMAL"`` keeps it across a process kill but may lose
the last transactions on power loss, for more write throughput.

Concurrency: each thread gets its own connection (WAL lets readers run alongside the
writer); writes are serialized by a lock so they never fail with ``SQLITE_BUSY``.

Every area's mixin (``_accounts``, ``_graph``, …) subclasses `SQLiteConnection` and
writes only through ``_tx`` (one ``BEGIN IMMEDIATE`` transaction = one unit of work) and
reads through ``_q``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from twitterdesign._validate import check_choice
from twitterdesign.reference_app.storage import _sql
from twitterdesign.reference_app.storage._records import Page
from twitterdesign.reference_app.storage._sql import like_prefix
from twitterdesign.reference_app.storage.sqlite._migrations import MIGRATIONS

__all__ = ["SQLiteConnection", "chunks", "like_prefix", "page_sql", "qmarks"]

_CHUNK = 500  # ids per IN (...) list, below SQLite's variable limit


def chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    """Yield the distinct ``ids`` in lists short enough for one ``IN (...)``."""
    items = list(dict.fromkeys(int(i) for i in ids))
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def qmarks(n: int) -> str:
    """Return ``n`` comma-separated placeholders."""
    return ",".join("?" * n)


def page_sql(page: Page, column: str) -> tuple[str, list[Any], bool]:
    """Return (where-and-order-limit SQL, params, ascending) for a Mastodon page."""
    return _sql.page_sql(page, column, mark="?")


class SQLiteConnection:
    """Connections, transactions and migrations of one SQLite file, shared by every area.

    Args:
        path: The database file (created with its directory if missing).
        synchronous: ``"FULL"`` (durable on power loss) or ``"NORMAL"``.
    """

    def __init__(self, path: str | Path, *, synchronous: str = "FULL") -> None:
        self._path = Path(path)
        self._sync = check_choice("synchronous", synchronous, ["FULL", "NORMAL"])
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._migrate()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self._path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self._sync}")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._write_lock:
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _q(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._conn().execute(sql, params).fetchall()

    def _migrate(self) -> None:
        with self._tx() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, applied_at TEXT DEFAULT CURRENT_TIMESTAMP)"
            )
            done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
            for version, statements in enumerate(MIGRATIONS, start=1):
                if version in done:
                    continue
                for step in statements:
                    if callable(step):
                        step(conn)
                    else:
                        conn.execute(step)
                conn.execute("INSERT INTO schema_migrations(version) VALUES (?)", (version,))

    def schema_version(self) -> int:
        """Return the number of migrations applied."""
        return int(self._q("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")[0][0])

    def close(self) -> None:
        """Close every connection this store opened."""
        with self._all_lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()

    def integrity_ok(self) -> bool:
        """Return True if ``PRAGMA integrity_check`` reports ``ok``."""
        return bool(self._q("PRAGMA integrity_check")[0][0] == "ok")

    def max_id(self) -> int | None:
        """Return the largest Snowflake id in any table."""
        row = self._q(
            "SELECT MAX(m) FROM (SELECT MAX(id) m FROM accounts UNION ALL "
            "SELECT MAX(id) FROM statuses UNION ALL SELECT MAX(id) FROM notifications "
            "UNION ALL SELECT MAX(id) FROM media UNION ALL SELECT MAX(id) FROM follows "
            "UNION ALL SELECT MAX(id) FROM favourites UNION ALL SELECT MAX(id) FROM apps)"
        )
        return None if row[0][0] is None else int(row[0][0])
