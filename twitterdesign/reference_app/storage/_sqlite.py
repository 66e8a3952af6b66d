"""The embedded default ``Store``: SQLite in WAL mode, with FTS5 full-text search.

Durability: every write is one transaction; with ``synchronous="FULL"`` (the default) a
transaction is on disk before the call returns, so a status acknowledged with 2xx survives
a process kill *and* a power loss. ``"NORMAL"`` keeps it across a process kill but may lose
the last transactions on power loss, for more write throughput.

Concurrency: each thread gets its own connection (WAL lets readers run alongside the
writer); writes are serialized by a lock so they never fail with ``SQLITE_BUSY``.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from twitterdesign._validate import check_choice
from twitterdesign.reference_app.errors import ConflictError
from twitterdesign.reference_app.storage._base import (
    AccountRecord,
    AppRecord,
    AuthCodeRecord,
    MediaRecord,
    NotificationRecord,
    Page,
    StatusRecord,
    TokenRecord,
)
from twitterdesign.reference_app.storage._migrations import MIGRATIONS

__all__ = ["SQLiteStore"]

_ACCOUNT_COLS = (
    "id, username, display_name, note, created_at, followers_count, following_count, "
    "statuses_count, last_status_at"
)
_STATUS_COLS = (
    "id, account_id, text, visibility, in_reply_to_id, in_reply_to_account_id, reblog_of_id, "
    "created_at, replies_count, reblogs_count, favourites_count, views_count"
)
_MEDIA_COLS = (
    "id, account_id, sha256, content_type, size_bytes, width, height, description, status_id, "
    "created_at"
)
_WORD = re.compile(r"\w+", re.UNICODE)
_CHUNK = 500  # ids per IN (...) list, below SQLite's variable limit


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    items = list(dict.fromkeys(int(i) for i in ids))
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _qmarks(n: int) -> str:
    return ",".join("?" * n)


def _page_sql(page: Page, column: str) -> tuple[str, list[Any], bool]:
    """Return (where-and-order-limit SQL, params, ascending) for a Mastodon page."""
    conds: list[str] = []
    params: list[Any] = []
    if page.max_id is not None:
        conds.append(f"{column} < ?")
        params.append(page.max_id)
    if page.since_id is not None:
        conds.append(f"{column} > ?")
        params.append(page.since_id)
    ascending = page.min_id is not None
    if page.min_id is not None:
        conds.append(f"{column} > ?")
        params.append(page.min_id)
    where = (" AND " + " AND ".join(conds)) if conds else ""
    order = f" ORDER BY {column} {'ASC' if ascending else 'DESC'} LIMIT ?"
    params.append(page.limit)
    return where + order, params, ascending


def fts_query(text: str) -> str:
    """Turn free text into a safe FTS5 query: every word quoted, all words required.

    Examples:
        >>> fts_query('hello "world" OR #tag')
        '"hello" "world" "OR" "tag"'
    """
    return " ".join('"' + w.replace('"', '""') + '"' for w in _WORD.findall(text))


class SQLiteStore:
    """A `Store` on one SQLite file.

    Args:
        path: The database file (created with its directory if missing).
        synchronous: ``"FULL"`` (durable on power loss) or ``"NORMAL"``.

    Examples:
        >>> import tempfile, pathlib
        >>> d = tempfile.mkdtemp()
        >>> store = SQLiteStore(pathlib.Path(d) / "db.sqlite3")
        >>> store.create_user(1, "ada", "ada@example.org", "hash", 0).username
        'ada'
        >>> store.integrity_ok()
        True
        >>> store.close()
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

    # --- connections -----------------------------------------------------------------
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
                for stmt in statements:
                    conn.execute(stmt)
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

    # --- accounts --------------------------------------------------------------------
    @staticmethod
    def _account(row: Sequence[Any]) -> AccountRecord:
        return AccountRecord(*row)

    def create_user(
        self, account_id: int, username: str, email: str, password_hash: str, now_ms: int
    ) -> AccountRecord:
        """Create an account and its login; raise ConflictError if username/email taken."""
        try:
            with self._tx() as conn:
                conn.execute(
                    "INSERT INTO accounts(id, username, created_at) VALUES (?, ?, ?)",
                    (account_id, username, now_ms),
                )
                conn.execute(
                    "INSERT INTO users(account_id, email, password_hash) VALUES (?, ?, ?)",
                    (account_id, email, password_hash),
                )
        except sqlite3.IntegrityError as exc:
            what = "email" if "email" in str(exc) else "username"
            raise ConflictError(f"{what} is already taken") from exc
        return self.get_accounts([account_id])[account_id]

    def get_accounts(self, ids: Iterable[int]) -> dict[int, AccountRecord]:
        """Return the accounts that exist among ``ids``."""
        out: dict[int, AccountRecord] = {}
        for chunk in _chunks(ids):
            for row in self._q(
                f"SELECT {_ACCOUNT_COLS} FROM accounts WHERE id IN ({_qmarks(len(chunk))})", chunk
            ):
                out[row[0]] = self._account(row)
        return out

    def account_by_username(self, username: str) -> AccountRecord | None:
        """Return the account with this username (case-insensitive)."""
        rows = self._q(f"SELECT {_ACCOUNT_COLS} FROM accounts WHERE username = ?", (username,))
        return self._account(rows[0]) if rows else None

    def login_of(self, email_or_username: str) -> tuple[int, str] | None:
        """Return (account_id, password_hash) for an email or a username."""
        rows = self._q(
            "SELECT u.account_id, u.password_hash FROM users u JOIN accounts a "
            "ON a.id = u.account_id WHERE u.email = ? OR a.username = ? LIMIT 1",
            (email_or_username, email_or_username),
        )
        return (int(rows[0][0]), str(rows[0][1])) if rows else None

    def search_accounts(self, prefix: str, limit: int) -> list[AccountRecord]:
        """Return accounts whose username or display name starts with ``prefix``."""
        like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._q(
            f"SELECT {_ACCOUNT_COLS} FROM accounts WHERE username LIKE ? ESCAPE '\\' "
            "OR display_name LIKE ? ESCAPE '\\' ORDER BY followers_count DESC, id LIMIT ?",
            (like, like, limit),
        )
        return [self._account(r) for r in rows]

    def count_accounts(self) -> int:
        """Return how many accounts exist."""
        return int(self._q("SELECT COUNT(*) FROM accounts")[0][0])

    def count_statuses(self) -> int:
        """Return how many statuses exist."""
        return int(self._q("SELECT COUNT(*) FROM statuses")[0][0])

    # --- follow graph ----------------------------------------------------------------
    def follow(self, follower_id: int, followee_id: int, edge_id: int, now_ms: int) -> bool:
        """Add an edge and bump both counters; return False if it existed."""
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO follows(follower_id, followee_id, id, created_at) "
                "VALUES (?, ?, ?, ?)",
                (follower_id, followee_id, edge_id, now_ms),
            )
            if cur.rowcount == 0:
                return False
            self._log_invalidation(conn, follower_id, now_ms)
            conn.execute(
                "UPDATE accounts SET following_count = following_count + 1 WHERE id = ?",
                (follower_id,),
            )
            conn.execute(
                "UPDATE accounts SET followers_count = followers_count + 1 WHERE id = ?",
                (followee_id,),
            )
            return True

    def unfollow(self, follower_id: int, followee_id: int) -> bool:
        """Remove an edge and decrement both counters; return False if there was none."""
        with self._tx() as conn:
            cur = conn.execute(
                "DELETE FROM follows WHERE follower_id = ? AND followee_id = ?",
                (follower_id, followee_id),
            )
            if cur.rowcount == 0:
                return False
            self._log_invalidation(conn, follower_id, None)
            conn.execute(
                "UPDATE accounts SET following_count = following_count - 1 WHERE id = ?",
                (follower_id,),
            )
            conn.execute(
                "UPDATE accounts SET followers_count = followers_count - 1 WHERE id = ?",
                (followee_id,),
            )
            return True

    @staticmethod
    def _log_invalidation(conn: sqlite3.Connection, account_id: int, now_ms: int | None) -> None:
        conn.execute(
            "INSERT INTO fanout_log(status_id, account_id, created_at) VALUES (NULL, ?, "
            "COALESCE(?, CAST(strftime('%s', 'now') AS INTEGER) * 1000))",
            (account_id, now_ms),
        )

    # --- fan-out log -----------------------------------------------------------------
    def events_since(self, seq: int, limit: int) -> list[tuple[int, int | None, int]]:
        """Return fan-out log entries after ``seq``: (seq, status_id or None, account_id).

        A status id means "fan this status out from account_id"; None means "the follow
        graph of account_id changed: drop its cached home timeline".
        """
        rows = self._q(
            "SELECT seq, status_id, account_id FROM fanout_log WHERE seq > ? ORDER BY seq LIMIT ?",
            (seq, limit),
        )
        return [(int(r[0]), None if r[1] is None else int(r[1]), int(r[2])) for r in rows]

    def event_head(self) -> int:
        """Return the newest fan-out log sequence number (0 when empty)."""
        return int(self._q("SELECT COALESCE(MAX(seq), 0) FROM fanout_log")[0][0])

    def trim_events(self, before_ms: int) -> int:
        """Delete fan-out log entries older than ``before_ms``; return how many."""
        with self._tx() as conn:
            return int(
                conn.execute("DELETE FROM fanout_log WHERE created_at < ?", (before_ms,)).rowcount
            )

    def blob_names(self, prefix: str) -> list[str]:
        """Return the names of saved blobs that start with ``prefix``."""
        like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._q("SELECT name FROM blobs WHERE name LIKE ? ESCAPE '\\'", (like,))
        return sorted(str(r[0]) for r in rows)

    def follows(self, follower_id: int, followee_id: int) -> bool:
        """Return True if ``follower_id`` follows ``followee_id``."""
        return bool(
            self._q(
                "SELECT 1 FROM follows WHERE follower_id = ? AND followee_id = ?",
                (follower_id, followee_id),
            )
        )

    def following_set(self, follower_id: int, among: Iterable[int]) -> set[int]:
        """Return which of ``among`` the follower follows."""
        out: set[int] = set()
        for chunk in _chunks(among):
            out.update(
                r[0]
                for r in self._q(
                    "SELECT followee_id FROM follows WHERE follower_id = ? AND followee_id "
                    f"IN ({_qmarks(len(chunk))})",
                    [follower_id, *chunk],
                )
            )
        return out

    def followed_by_set(self, account_id: int, among: Iterable[int]) -> set[int]:
        """Return which of ``among`` follow ``account_id``."""
        out: set[int] = set()
        for chunk in _chunks(among):
            out.update(
                r[0]
                for r in self._q(
                    "SELECT follower_id FROM follows WHERE followee_id = ? AND follower_id "
                    f"IN ({_qmarks(len(chunk))})",
                    [account_id, *chunk],
                )
            )
        return out

    def follower_ids(self, account_id: int) -> list[int]:
        """Return every follower of ``account_id``."""
        rows = self._q("SELECT follower_id FROM follows WHERE followee_id = ?", (account_id,))
        return [r[0] for r in rows]

    def followee_ids(self, account_id: int) -> list[int]:
        """Return every account ``account_id`` follows."""
        rows = self._q("SELECT followee_id FROM follows WHERE follower_id = ?", (account_id,))
        return [r[0] for r in rows]

    def followee_follower_counts(self, account_id: int) -> dict[int, int]:
        """Return ``{followee id: its followers_count}`` for every account followed."""
        rows = self._q(
            "SELECT f.followee_id, a.followers_count FROM follows f "
            "JOIN accounts a ON a.id = f.followee_id WHERE f.follower_id = ?",
            (account_id,),
        )
        return {r[0]: r[1] for r in rows}

    def followers_page(self, account_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (edge_id, follower_id) pairs, newest edge first."""
        tail, params, asc = _page_sql(page, "id")
        rows = self._q(
            "SELECT id, follower_id FROM follows WHERE followee_id = ?" + tail,
            [account_id, *params],
        )
        out = [(r[0], r[1]) for r in rows]
        return out[::-1] if asc else out

    def following_page(self, account_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (edge_id, followee_id) pairs, newest edge first."""
        tail, params, asc = _page_sql(page, "id")
        rows = self._q(
            "SELECT id, followee_id FROM follows WHERE follower_id = ?" + tail,
            [account_id, *params],
        )
        out = [(r[0], r[1]) for r in rows]
        return out[::-1] if asc else out

    # --- statuses --------------------------------------------------------------------
    def create_status(
        self,
        status: StatusRecord,
        *,
        media_ids: Sequence[int] = (),
        idempotency_key: str | None = None,
        request_fingerprint: str = "",
    ) -> tuple[StatusRecord, bool]:
        """Insert a status with its links and counters in one transaction."""
        with self._tx() as conn:
            if idempotency_key is not None:
                row = conn.execute(
                    "SELECT status_id FROM idempotency WHERE account_id = ? AND key = ?",
                    (status.account_id, idempotency_key),
                ).fetchone()
                if row is not None:
                    existing = self.get_statuses([row[0]]).get(row[0])
                    if existing is not None:
                        return existing, False
            conn.execute(
                f"INSERT INTO statuses({_STATUS_COLS}) VALUES ({_qmarks(12)})",
                (
                    status.id,
                    status.account_id,
                    status.text,
                    status.visibility,
                    status.in_reply_to_id,
                    status.in_reply_to_account_id,
                    status.reblog_of_id,
                    status.created_at_ms,
                    0,
                    0,
                    0,
                    0,
                ),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO status_tags(status_id, tag) VALUES (?, ?)",
                [(status.id, t) for t in status.tags],
            )
            conn.executemany(
                "INSERT OR IGNORE INTO mentions(status_id, account_id) VALUES (?, ?)",
                [(status.id, a) for a in status.mention_ids],
            )
            for media_id in media_ids:
                conn.execute(
                    "UPDATE media SET status_id = ? WHERE id = ? AND status_id IS NULL",
                    (status.id, media_id),
                )
            conn.execute(
                "UPDATE accounts SET statuses_count = statuses_count + 1, last_status_at = ? "
                "WHERE id = ?",
                (status.created_at_ms, status.account_id),
            )
            if status.in_reply_to_id is not None and status.visibility != "private":
                # Followers-only replies are not counted: a count must not leak them.
                conn.execute(
                    "UPDATE statuses SET replies_count = replies_count + 1 WHERE id = ?",
                    (status.in_reply_to_id,),
                )
            if status.reblog_of_id is not None:
                conn.execute(
                    "UPDATE statuses SET reblogs_count = reblogs_count + 1 WHERE id = ?",
                    (status.reblog_of_id,),
                )
            conn.execute(
                "INSERT INTO fanout_log(status_id, account_id, created_at) VALUES (?, ?, ?)",
                (status.id, status.account_id, status.created_at_ms),
            )
            if idempotency_key is not None:
                conn.execute(
                    "INSERT OR REPLACE INTO idempotency"
                    "(account_id, key, status_id, created_at, fingerprint) VALUES (?, ?, ?, ?, ?)",
                    (
                        status.account_id,
                        idempotency_key,
                        status.id,
                        status.created_at_ms,
                        request_fingerprint,
                    ),
                )
            stored = self.get_statuses([status.id])[status.id]
        return stored, True

    def idempotent_request(self, account_id: int, key: str) -> tuple[StatusRecord, str] | None:
        """Return the live status an Idempotency-Key created, with the request fingerprint."""
        rows = self._q(
            "SELECT status_id, fingerprint FROM idempotency WHERE account_id = ? AND key = ?",
            (account_id, key),
        )
        if not rows:
            return None
        status = self.get_statuses([rows[0][0]]).get(rows[0][0])
        return None if status is None else (status, str(rows[0][1]))

    def delete_status(self, status_id: int) -> list[int]:
        """Delete a status and its reblogs, fixing every counter; return deleted ids."""
        with self._tx() as conn:
            reblogs = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM statuses WHERE reblog_of_id = ?", (status_id,)
                ).fetchall()
            ]
            deleted: list[int] = []
            for sid in [*reblogs, status_id]:
                row = conn.execute(
                    "SELECT account_id, in_reply_to_id, reblog_of_id, visibility FROM statuses "
                    "WHERE id = ?",
                    (sid,),
                ).fetchone()
                if row is None:
                    continue
                account_id, reply_to, reblog_of, visibility = row
                conn.execute("DELETE FROM status_tags WHERE status_id = ?", (sid,))
                conn.execute("DELETE FROM mentions WHERE status_id = ?", (sid,))
                conn.execute("DELETE FROM favourites WHERE status_id = ?", (sid,))
                conn.execute("DELETE FROM notifications WHERE status_id = ?", (sid,))
                conn.execute("UPDATE media SET status_id = NULL WHERE status_id = ?", (sid,))
                conn.execute("DELETE FROM statuses WHERE id = ?", (sid,))
                conn.execute(
                    "UPDATE accounts SET statuses_count = MAX(statuses_count - 1, 0) WHERE id = ?",
                    (account_id,),
                )
                if reply_to is not None and visibility != "private":
                    conn.execute(
                        "UPDATE statuses SET replies_count = MAX(replies_count - 1, 0) "
                        "WHERE id = ?",
                        (reply_to,),
                    )
                if reblog_of is not None:
                    conn.execute(
                        "UPDATE statuses SET reblogs_count = MAX(reblogs_count - 1, 0) "
                        "WHERE id = ?",
                        (reblog_of,),
                    )
                deleted.append(sid)
            return deleted

    def get_statuses(self, ids: Iterable[int]) -> dict[int, StatusRecord]:
        """Return the statuses that exist among ``ids``, with tags, mentions and media.

        One query per chunk of ids brings the statuses with their tags and mentions
        (correlated subqueries); media rows are read only for statuses that have some.
        """
        out: dict[int, StatusRecord] = {}
        for chunk in _chunks(ids):
            rows = self._q(
                f"SELECT {_STATUS_COLS}, "
                "(SELECT group_concat(t.tag, ' ') FROM status_tags t WHERE t.status_id = s.id), "
                "(SELECT group_concat(m.account_id, ' ') FROM mentions m "
                "WHERE m.status_id = s.id), "
                "EXISTS (SELECT 1 FROM media d WHERE d.status_id = s.id) "
                f"FROM statuses s WHERE s.id IN ({_qmarks(len(chunk))})",
                chunk,
            )
            with_media = [r[0] for r in rows if r[14]]
            media: dict[int, list[MediaRecord]] = {}
            if with_media:
                for mrow in self._q(
                    f"SELECT {_MEDIA_COLS} FROM media WHERE status_id IN "
                    f"({_qmarks(len(with_media))}) ORDER BY id",
                    with_media,
                ):
                    media.setdefault(mrow[8], []).append(MediaRecord(*mrow))
            for r in rows:
                out[r[0]] = StatusRecord(
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    r[5],
                    r[6],
                    r[7],
                    r[8],
                    r[9],
                    r[10],
                    r[11],
                    tags=tuple(sorted(r[12].split(" "))) if r[12] else (),
                    mention_ids=tuple(sorted(int(m) for m in r[13].split(" "))) if r[13] else (),
                    media=tuple(media.get(r[0], ())),
                )
        return out

    def reblog_of(self, account_id: int, status_id: int) -> int | None:
        """Return the id of ``account_id``'s reblog of ``status_id``, if any."""
        rows = self._q(
            "SELECT id FROM statuses WHERE account_id = ? AND reblog_of_id = ?",
            (account_id, status_id),
        )
        return int(rows[0][0]) if rows else None

    def reblogged_set(self, account_id: int, status_ids: Iterable[int]) -> set[int]:
        """Return which of ``status_ids`` the account has reblogged."""
        out: set[int] = set()
        for chunk in _chunks(status_ids):
            out.update(
                r[0]
                for r in self._q(
                    "SELECT reblog_of_id FROM statuses WHERE account_id = ? AND reblog_of_id "
                    f"IN ({_qmarks(len(chunk))})",
                    [account_id, *chunk],
                )
            )
        return out

    def favourited_set(self, account_id: int, status_ids: Iterable[int]) -> set[int]:
        """Return which of ``status_ids`` the account has favourited."""
        out: set[int] = set()
        for chunk in _chunks(status_ids):
            out.update(
                r[0]
                for r in self._q(
                    "SELECT status_id FROM favourites WHERE account_id = ? AND status_id "
                    f"IN ({_qmarks(len(chunk))})",
                    [account_id, *chunk],
                )
            )
        return out

    def interactions(self, account_id: int, status_ids: Iterable[int]) -> tuple[set[int], set[int]]:
        """Return (favourited, reblogged) among ``status_ids``, in one query per chunk."""
        faved: set[int] = set()
        reblogged: set[int] = set()
        for chunk in _chunks(status_ids):
            marks = _qmarks(len(chunk))
            for kind, status_id in self._q(
                f"SELECT 0, status_id FROM favourites WHERE account_id = ? AND status_id IN "
                f"({marks}) UNION ALL SELECT 1, reblog_of_id FROM statuses WHERE account_id = ? "
                f"AND reblog_of_id IN ({marks})",
                [account_id, *chunk, account_id, *chunk],
            ):
                (reblogged if kind else faved).add(status_id)
        return faved, reblogged

    def favourite(self, account_id: int, status_id: int, fav_id: int, now_ms: int) -> bool:
        """Add a favourite and bump the counter; return False if it existed."""
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO favourites(id, account_id, status_id, created_at) "
                "VALUES (?, ?, ?, ?)",
                (fav_id, account_id, status_id, now_ms),
            )
            if cur.rowcount == 0:
                return False
            conn.execute(
                "UPDATE statuses SET favourites_count = favourites_count + 1 WHERE id = ?",
                (status_id,),
            )
            return True

    def unfavourite(self, account_id: int, status_id: int) -> bool:
        """Remove a favourite and decrement the counter; return False if there was none."""
        with self._tx() as conn:
            cur = conn.execute(
                "DELETE FROM favourites WHERE account_id = ? AND status_id = ?",
                (account_id, status_id),
            )
            if cur.rowcount == 0:
                return False
            conn.execute(
                "UPDATE statuses SET favourites_count = MAX(favourites_count - 1, 0) WHERE id = ?",
                (status_id,),
            )
            return True

    def favourited_by(self, status_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (favourite_id, account_id) pairs, newest first."""
        tail, params, asc = _page_sql(page, "id")
        rows = self._q(
            "SELECT id, account_id FROM favourites WHERE status_id = ?" + tail,
            [status_id, *params],
        )
        out = [(r[0], r[1]) for r in rows]
        return out[::-1] if asc else out

    def reblogged_by(self, status_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (reblog_status_id, account_id) pairs, newest first."""
        tail, params, asc = _page_sql(page, "id")
        rows = self._q(
            "SELECT id, account_id FROM statuses WHERE reblog_of_id = ?" + tail,
            [status_id, *params],
        )
        out = [(r[0], r[1]) for r in rows]
        return out[::-1] if asc else out

    def replies_to(self, status_ids: Iterable[int]) -> list[int]:
        """Return ids of direct replies to any of ``status_ids``."""
        out: list[int] = []
        for chunk in _chunks(status_ids):
            out.extend(
                r[0]
                for r in self._q(
                    f"SELECT id FROM statuses WHERE in_reply_to_id IN ({_qmarks(len(chunk))}) "
                    "ORDER BY id",
                    chunk,
                )
            )
        return out

    def add_views(self, counts: Mapping[int, int]) -> None:
        """Add view counts to statuses in one transaction."""
        if not counts:
            return
        with self._tx() as conn:
            conn.executemany(
                "UPDATE statuses SET views_count = views_count + ? WHERE id = ?",
                [(int(n), int(sid)) for sid, n in counts.items()],
            )

    # --- timelines and search --------------------------------------------------------
    def account_status_ids(
        self,
        account_id: int,
        page: Page,
        *,
        visibilities: Sequence[str],
        exclude_replies: bool = False,
        exclude_reblogs: bool = False,
        only_media: bool = False,
    ) -> list[int]:
        """Return ids of an account's statuses with one of ``visibilities``."""
        if not visibilities:
            return []
        extra = ""
        if exclude_replies:
            extra += " AND (in_reply_to_id IS NULL OR in_reply_to_account_id = account_id)"
        if exclude_reblogs:
            extra += " AND reblog_of_id IS NULL"
        if only_media:
            extra += " AND EXISTS (SELECT 1 FROM media m WHERE m.status_id = statuses.id)"
        tail, params, asc = _page_sql(page, "id")
        rows = self._q(
            f"SELECT id FROM statuses WHERE account_id = ? AND visibility IN "
            f"({_qmarks(len(visibilities))}){extra}" + tail,
            [account_id, *visibilities, *params],
        )
        out = [r[0] for r in rows]
        return out[::-1] if asc else out

    def public_status_ids(self, page: Page, *, tag: str | None = None) -> list[int]:
        """Return ids of public statuses, optionally only those with ``tag``."""
        tail, params, asc = _page_sql(page, "s.id")
        if tag is None:
            rows = self._q(
                "SELECT s.id FROM statuses s WHERE s.visibility = 'public'" + tail, params
            )
        else:
            rows = self._q(
                "SELECT s.id FROM status_tags t JOIN statuses s ON s.id = t.status_id "
                "WHERE t.tag = ? AND s.visibility = 'public'" + tail,
                [tag.lower(), *params],
            )
        out = [r[0] for r in rows]
        return out[::-1] if asc else out

    def status_ids_by_authors(self, author_ids: Sequence[int], page: Page) -> list[int]:
        """Return ids of statuses (any visibility) by any of ``author_ids``."""
        out: list[int] = []
        for chunk in _chunks(author_ids):
            tail, params, _ = _page_sql(page, "id")
            out.extend(
                r[0]
                for r in self._q(
                    f"SELECT id FROM statuses WHERE account_id IN ({_qmarks(len(chunk))})" + tail,
                    [*chunk, *params],
                )
            )
        ascending = page.min_id is not None
        out.sort(reverse=not ascending)
        out = out[: page.limit]
        return out[::-1] if ascending else out

    def search_status_ids(
        self,
        query: str,
        viewer_id: int | None,
        limit: int,
        *,
        order: str = "recency",
        offset: int = 0,
    ) -> list[int]:
        """Full-text search over statuses the viewer may see, newest or best match first."""
        match = fts_query(query)
        if not match:
            return []
        viewer = -1 if viewer_id is None else viewer_id
        rows = self._q(
            "SELECT s.id FROM statuses_fts f JOIN statuses s ON s.id = f.rowid "
            "WHERE statuses_fts MATCH ? AND s.reblog_of_id IS NULL AND ("
            "s.visibility = 'public' OR s.account_id = ? OR s.account_id IN "
            "(SELECT followee_id FROM follows WHERE follower_id = ?)) "
            + (
                "ORDER BY bm25(statuses_fts), s.id DESC"
                if order == "relevancy"
                else "ORDER BY s.id DESC"
            )
            + " LIMIT ? OFFSET ?",
            (match, viewer, viewer, limit, offset),
        )
        return [r[0] for r in rows]

    def search_tags(self, prefix: str, limit: int) -> list[tuple[str, int]]:
        """Return (tag, uses) for hashtags starting with ``prefix``."""
        like = prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._q(
            "SELECT t.tag, COUNT(*) n FROM status_tags t JOIN statuses s ON s.id = t.status_id "
            "WHERE t.tag LIKE ? ESCAPE '\\' AND s.visibility = 'public' "
            "GROUP BY t.tag ORDER BY n DESC, t.tag LIMIT ?",
            (like, limit),
        )
        return [(r[0], int(r[1])) for r in rows]

    def tag_uses_since(self, since_ms: int, limit: int) -> list[tuple[str, int]]:
        """Return (tag, uses) in public statuses since ``since_ms``, most used first."""
        rows = self._q(
            "SELECT t.tag, COUNT(*) n FROM status_tags t JOIN statuses s ON s.id = t.status_id "
            "WHERE s.created_at >= ? AND s.visibility = 'public' "
            "GROUP BY t.tag ORDER BY n DESC, t.tag LIMIT ?",
            (since_ms, limit),
        )
        return [(r[0], int(r[1])) for r in rows]

    def recent_public_status_ids(self, since_ms: int) -> list[int]:
        """Return ids of public, non-reblog statuses created since ``since_ms``."""
        rows = self._q(
            "SELECT id FROM statuses WHERE created_at >= ? AND visibility = 'public' "
            "AND reblog_of_id IS NULL",
            (since_ms,),
        )
        return [r[0] for r in rows]

    # --- notifications ---------------------------------------------------------------
    def add_notification(self, note: NotificationRecord) -> None:
        """Store a notification."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO notifications(id, account_id, type, from_account_id, status_id, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    note.id,
                    note.account_id,
                    note.type,
                    note.from_account_id,
                    note.status_id,
                    note.created_at_ms,
                ),
            )

    def notifications(
        self, account_id: int, page: Page, *, types: Sequence[str] | None = None
    ) -> list[NotificationRecord]:
        """Return an account's notifications, newest first."""
        tail, params, asc = _page_sql(page, "id")
        extra, extra_params = "", []
        if types:
            extra = f" AND type IN ({_qmarks(len(types))})"
            extra_params = list(types)
        rows = self._q(
            "SELECT id, account_id, type, from_account_id, status_id, created_at "
            "FROM notifications WHERE account_id = ?" + extra + tail,
            [account_id, *extra_params, *params],
        )
        out = [NotificationRecord(*r) for r in rows]
        return out[::-1] if asc else out

    def clear_notifications(self, account_id: int) -> None:
        """Delete every notification of an account."""
        with self._tx() as conn:
            conn.execute("DELETE FROM notifications WHERE account_id = ?", (account_id,))

    # --- media -----------------------------------------------------------------------
    def add_media(self, media: MediaRecord) -> None:
        """Store media metadata."""
        with self._tx() as conn:
            conn.execute(
                f"INSERT INTO media({_MEDIA_COLS}) VALUES ({_qmarks(10)})",
                (
                    media.id,
                    media.account_id,
                    media.sha256,
                    media.content_type,
                    media.size_bytes,
                    media.width,
                    media.height,
                    media.description,
                    media.status_id,
                    media.created_at_ms,
                ),
            )

    def get_media(self, media_id: int) -> MediaRecord | None:
        """Return one media record."""
        rows = self._q(f"SELECT {_MEDIA_COLS} FROM media WHERE id = ?", (media_id,))
        return MediaRecord(*rows[0]) if rows else None

    def media_by_hash(self, sha256: str) -> MediaRecord | None:
        """Return any media record with these bytes."""
        rows = self._q(f"SELECT {_MEDIA_COLS} FROM media WHERE sha256 = ? LIMIT 1", (sha256,))
        return MediaRecord(*rows[0]) if rows else None

    def update_media_description(self, media_id: int, description: str | None) -> None:
        """Change a media description."""
        with self._tx() as conn:
            conn.execute("UPDATE media SET description = ? WHERE id = ?", (description, media_id))

    # --- apps, tokens, codes ---------------------------------------------------------
    def add_app(self, app: AppRecord) -> None:
        """Register an OAuth application."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO apps(id, name, website, redirect_uri, client_id, client_secret, "
                "scopes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    app.id,
                    app.name,
                    app.website,
                    app.redirect_uri,
                    app.client_id,
                    app.client_secret,
                    app.scopes,
                    app.created_at_ms,
                ),
            )

    _APP_COLS = "id, name, website, redirect_uri, client_id, client_secret, scopes, created_at"

    def app_by_client_id(self, client_id: str) -> AppRecord | None:
        """Return the application with this client id."""
        rows = self._q(f"SELECT {self._APP_COLS} FROM apps WHERE client_id = ?", (client_id,))
        return AppRecord(*rows[0]) if rows else None

    def get_app(self, app_id: int) -> AppRecord | None:
        """Return the application with this id."""
        rows = self._q(f"SELECT {self._APP_COLS} FROM apps WHERE id = ?", (app_id,))
        return AppRecord(*rows[0]) if rows else None

    def add_token(self, token: TokenRecord) -> None:
        """Store an access token hash."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO tokens(token_hash, app_id, account_id, scopes, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    token.token_hash,
                    token.app_id,
                    token.account_id,
                    token.scopes,
                    token.created_at_ms,
                ),
            )

    def get_token(self, token_hash: str) -> TokenRecord | None:
        """Return a live token by hash."""
        rows = self._q(
            "SELECT token_hash, app_id, account_id, scopes, created_at FROM tokens "
            "WHERE token_hash = ? AND revoked = 0",
            (token_hash,),
        )
        return TokenRecord(*rows[0]) if rows else None

    def revoke_token(self, token_hash: str) -> bool:
        """Revoke a token; return False if it was unknown."""
        with self._tx() as conn:
            cur = conn.execute("UPDATE tokens SET revoked = 1 WHERE token_hash = ?", (token_hash,))
            return cur.rowcount > 0

    def add_auth_code(self, code: AuthCodeRecord) -> None:
        """Store an authorization code hash."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO auth_codes(code_hash, app_id, account_id, redirect_uri, scopes, "
                "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    code.code_hash,
                    code.app_id,
                    code.account_id,
                    code.redirect_uri,
                    code.scopes,
                    code.expires_at_ms,
                ),
            )

    def take_auth_code(self, code_hash: str, *, app_id: int) -> AuthCodeRecord | None:
        """Return and delete an authorization code issued to ``app_id``."""
        with self._tx() as conn:
            row = conn.execute(
                "SELECT code_hash, app_id, account_id, redirect_uri, scopes, expires_at "
                "FROM auth_codes WHERE code_hash = ? AND app_id = ?",
                (code_hash, app_id),
            ).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM auth_codes WHERE code_hash = ?", (code_hash,))
            return AuthCodeRecord(*row)

    # --- blobs -----------------------------------------------------------------------
    def save_blob(self, name: str, data: bytes, now_ms: int) -> None:
        """Persist a named blob."""
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO blobs(name, data, updated_at) VALUES (?, ?, ?)",
                (name, data, now_ms),
            )

    def load_blob(self, name: str) -> bytes | None:
        """Return a named blob saved before, if any."""
        rows = self._q("SELECT data FROM blobs WHERE name = ?", (name,))
        return bytes(rows[0][0]) if rows else None
