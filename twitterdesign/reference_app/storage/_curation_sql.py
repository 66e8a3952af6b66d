"""`CurationStore` in SQL both engines speak alike: one implementation, two drivers.

Every statement here is valid SQLite (3.35+) and PostgreSQL: ``INSERT ... ON CONFLICT``,
``RETURNING``, integer division of ``BIGINT`` s, booleans bound from Python. The statements
are written with ``?`` marks; an engine's mixin sets `CurationSQL._MARK` to its driver's
placeholder (``%s`` for psycopg) and supplies ``_tx`` (one transaction = one unit of
work) and ``_q`` (one read), as every other area mixin of that engine does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from twitterdesign.reference_app.storage._curation import (
    ListRecord,
    MarkerRecord,
    TagDay,
)
from twitterdesign.reference_app.storage._records import Page
from twitterdesign.reference_app.storage._sql import page_sql

__all__ = ["CurationSQL"]

_CHUNK = 500
_DAY_MS = 86_400_000
_LIST_COLS = "id, account_id, title, replies_policy, exclusive, created_at"
_MARKER_COLS = "account_id, timeline, last_read_id, version, updated_at"

# Statuses by a list's members that its owner may see, with the list's reply policy.
# Parameters: the list id (three times: members, owner, policy).
_LIST_TIMELINE = """
SELECT s.id, s.account_id FROM statuses s
JOIN list_accounts m ON m.account_id = s.account_id AND m.list_id = ?
JOIN lists l ON l.id = ?
WHERE (s.visibility IN ('public', 'unlisted') OR s.account_id = l.account_id
       OR EXISTS (SELECT 1 FROM follows f
                  WHERE f.follower_id = l.account_id AND f.followee_id = s.account_id))
  AND (s.in_reply_to_account_id IS NULL
       OR s.in_reply_to_account_id = s.account_id
       OR s.in_reply_to_account_id = l.account_id
       OR (l.replies_policy = 'followed' AND EXISTS (SELECT 1 FROM follows f
           WHERE f.follower_id = l.account_id AND f.followee_id = s.in_reply_to_account_id))
       OR (l.replies_policy = 'list' AND EXISTS (SELECT 1 FROM list_accounts r
           WHERE r.list_id = ? AND r.account_id = s.in_reply_to_account_id)))"""


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    items = list(dict.fromkeys(values))
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _list(row: Sequence[Any]) -> ListRecord:
    return ListRecord(int(row[0]), int(row[1]), str(row[2]), str(row[3]), bool(row[4]), int(row[5]))


def _marker(row: Sequence[Any]) -> MarkerRecord:
    return MarkerRecord(int(row[0]), str(row[1]), int(row[2]), int(row[3]), int(row[4]))


class CurationSQL:
    """Bookmarks, favourites pages, markers, lists and followed tags over ``_tx``/``_q``."""

    _MARK = "?"
    """The driver's parameter placeholder."""
    _SHARE_LOCK = ""
    """What a check that a row exists appends to hold the row until the commit
    (PostgreSQL: ``FOR SHARE``). The follow edge of ``add_list_accounts``: a racing
    unfollow's clean-up then sees the new membership; the status of ``bookmark``: a racing
    ``delete_status`` (which locks it first) then deletes the new bookmark, or the bookmark
    finds no status. SQLite serializes writers already."""

    if TYPE_CHECKING:  # supplied by the engine's connection base, listed before this class

        def _tx(self) -> AbstractContextManager[Any]: ...

        def _q(self, sql: str, params: Sequence[Any] = (), /) -> list[Any]: ...

    def _sql(self, text: str) -> str:
        return text if self._MARK == "?" else text.replace("?", self._MARK)

    def _read(self, text: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._q(self._sql(text), params)

    def _marks(self, n: int) -> str:
        return ",".join([self._MARK] * n)

    def _paged(
        self, text: str, params: Sequence[Any], page: Page, column: str
    ) -> list[tuple[int, Any]]:
        tail, tail_params, asc = page_sql(page, column, mark=self._MARK)
        rows = self._q(self._sql(text) + tail, [*params, *tail_params])
        out = [(int(r[0]), r[1]) for r in rows]
        return out[::-1] if asc else out

    # --- bookmarks and favourites ------------------------------------------------------
    def bookmark(self, account_id: int, status_id: int, bookmark_id: int, now_ms: int) -> bool:
        """Add a bookmark; return False if the account had it already or the status is gone."""
        with self._tx() as conn:
            exists = conn.execute(
                self._sql("SELECT 1 FROM statuses WHERE id = ?") + self._SHARE_LOCK, (status_id,)
            ).fetchone()
            if exists is None:
                return False
            cur = conn.execute(
                self._sql(
                    "INSERT INTO bookmarks(id, account_id, status_id, created_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (account_id, status_id) DO NOTHING"
                ),
                (bookmark_id, account_id, status_id, now_ms),
            )
            return bool(cur.rowcount)

    def unbookmark(self, account_id: int, status_id: int) -> bool:
        """Remove a bookmark; return False if there was none."""
        with self._tx() as conn:
            cur = conn.execute(
                self._sql("DELETE FROM bookmarks WHERE account_id = ? AND status_id = ?"),
                (account_id, status_id),
            )
            return bool(cur.rowcount)

    def bookmarked_set(self, account_id: int, status_ids: Iterable[int]) -> set[int]:
        """Return which of ``status_ids`` the account has bookmarked."""
        out: set[int] = set()
        for chunk in _chunks(int(i) for i in status_ids):
            rows = self._q(
                self._sql("SELECT status_id FROM bookmarks WHERE account_id = ? AND status_id ")
                + f"IN ({self._marks(len(chunk))})",
                [account_id, *chunk],
            )
            out.update(int(r[0]) for r in rows)
        return out

    def viewer_flags(
        self, account_id: int, status_ids: Iterable[int]
    ) -> tuple[set[int], set[int], set[int]]:
        """Return (favourited, reblogged, bookmarked) among ``status_ids``, one query a chunk."""
        flags: tuple[set[int], set[int], set[int]] = (set(), set(), set())
        for chunk in _chunks(int(i) for i in status_ids):
            marks = self._marks(len(chunk))
            rows = self._q(
                self._sql("SELECT 0, status_id FROM favourites WHERE account_id = ? AND ")
                + f"status_id IN ({marks}) UNION ALL "
                + self._sql("SELECT 1, reblog_of_id FROM statuses WHERE account_id = ? AND ")
                + f"reblog_of_id IN ({marks}) UNION ALL "
                + self._sql("SELECT 2, status_id FROM bookmarks WHERE account_id = ? AND ")
                + f"status_id IN ({marks})",
                [account_id, *chunk, account_id, *chunk, account_id, *chunk],
            )
            for kind, status_id in rows:
                flags[int(kind)].add(int(status_id))
        return flags

    def bookmarks_page(self, account_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (bookmark_id, status_id) pairs, newest bookmark first."""
        rows = self._paged(
            "SELECT id, status_id FROM bookmarks WHERE account_id = ?", [account_id], page, "id"
        )
        return [(i, int(s)) for i, s in rows]

    def favourites_page(self, account_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (favourite_id, status_id) pairs, newest favourite first."""
        rows = self._paged(
            "SELECT id, status_id FROM favourites WHERE account_id = ?", [account_id], page, "id"
        )
        return [(i, int(s)) for i, s in rows]

    # --- markers -----------------------------------------------------------------------
    def save_marker(
        self, account_id: int, timeline: str, last_read_id: int, now_ms: int
    ) -> MarkerRecord:
        """Set a marker (version 1 when new, +1 on each change of the id) and return it."""
        with self._tx() as conn:
            conn.execute(
                self._sql(
                    f"INSERT INTO markers({_MARKER_COLS}) VALUES (?, ?, ?, 1, ?) "
                    "ON CONFLICT (account_id, timeline) DO UPDATE SET "
                    "last_read_id = excluded.last_read_id, version = markers.version + 1, "
                    "updated_at = excluded.updated_at "
                    "WHERE markers.last_read_id <> excluded.last_read_id"
                ),
                (account_id, timeline, last_read_id, now_ms),
            )
            row = conn.execute(
                self._sql(
                    f"SELECT {_MARKER_COLS} FROM markers WHERE account_id = ? AND timeline = ?"
                ),
                (account_id, timeline),
            ).fetchone()
            return _marker(row)

    def markers(self, account_id: int, timelines: Sequence[str]) -> dict[str, MarkerRecord]:
        """Return the account's markers among ``timelines``."""
        wanted = list(dict.fromkeys(timelines))
        if not wanted:
            return {}
        rows = self._q(
            self._sql(f"SELECT {_MARKER_COLS} FROM markers WHERE account_id = ? AND timeline ")
            + f"IN ({self._marks(len(wanted))})",
            [account_id, *wanted],
        )
        return {m.timeline: m for m in map(_marker, rows)}

    def count_notifications_after(
        self,
        account_id: int,
        after_id: int | None,
        limit: int,
        *,
        types: Sequence[str] | None = None,
        exclude_types: Sequence[str] = (),
    ) -> int:
        """Count the account's notifications above ``after_id``, at most ``limit``."""
        where = "account_id = ?"
        params: list[Any] = [account_id]
        if after_id is not None:
            where += " AND id > ?"
            params.append(after_id)
        if types:
            where += f" AND type IN ({','.join('?' * len(types))})"
            params.extend(types)
        if exclude_types:
            where += f" AND type NOT IN ({','.join('?' * len(exclude_types))})"
            params.extend(exclude_types)
        rows = self._read(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM notifications WHERE {where} LIMIT ?) n",
            [*params, limit],
        )
        return int(rows[0][0])

    # --- lists ---------------------------------------------------------------------------
    def create_list(self, record: ListRecord) -> None:
        """Store a new list."""
        with self._tx() as conn:
            conn.execute(
                self._sql(f"INSERT INTO lists({_LIST_COLS}) VALUES (?, ?, ?, ?, ?, ?)"),
                (
                    record.id,
                    record.account_id,
                    record.title,
                    record.replies_policy,
                    record.exclusive,
                    record.created_at_ms,
                ),
            )

    def get_list(self, list_id: int) -> ListRecord | None:
        """Return a list by id."""
        rows = self._read(f"SELECT {_LIST_COLS} FROM lists WHERE id = ?", [list_id])
        return _list(rows[0]) if rows else None

    def lists_of(self, owner_id: int) -> list[ListRecord]:
        """Return every list of an owner, oldest first."""
        rows = self._read(
            f"SELECT {_LIST_COLS} FROM lists WHERE account_id = ? ORDER BY id", [owner_id]
        )
        return [_list(r) for r in rows]

    def update_list(
        self, list_id: int, *, title: str, replies_policy: str, exclusive: bool
    ) -> ListRecord | None:
        """Change a list; return it as stored, or None if it does not exist."""
        with self._tx() as conn:
            row = conn.execute(
                self._sql(
                    "UPDATE lists SET title = ?, replies_policy = ?, exclusive = ? WHERE id = ? "
                    f"RETURNING {_LIST_COLS}"
                ),
                (title, replies_policy, exclusive, list_id),
            ).fetchall()
            return _list(row[0]) if row else None

    def delete_list(self, list_id: int) -> bool:
        """Delete a list and its memberships together."""
        with self._tx() as conn:
            conn.execute(self._sql("DELETE FROM list_accounts WHERE list_id = ?"), (list_id,))
            cur = conn.execute(self._sql("DELETE FROM lists WHERE id = ?"), (list_id,))
            return bool(cur.rowcount)

    def add_list_accounts(self, list_id: int, members: Mapping[int, int], now_ms: int) -> set[int]:
        """Add ``{account id: membership id}`` to a list, all or none (followed only)."""
        with self._tx() as conn:
            row = conn.execute(
                self._sql("SELECT account_id FROM lists WHERE id = ?"), (list_id,)
            ).fetchone()
            if row is None:
                return set(members)
            owner = int(row[0])
            refused: set[int] = set()
            for account_id in members:
                if account_id == owner:
                    continue
                followed = conn.execute(
                    self._sql("SELECT 1 FROM follows WHERE follower_id = ? AND followee_id = ?")
                    + self._SHARE_LOCK,
                    (owner, account_id),
                ).fetchone()
                if followed is None:
                    refused.add(account_id)
            if refused:
                return refused
            for account_id, member_id in members.items():
                conn.execute(
                    self._sql(
                        "INSERT INTO list_accounts(list_id, account_id, id, created_at) "
                        "VALUES (?, ?, ?, ?) ON CONFLICT (list_id, account_id) DO NOTHING"
                    ),
                    (list_id, account_id, member_id, now_ms),
                )
            return set()

    def remove_list_accounts(self, list_id: int, account_ids: Iterable[int]) -> int:
        """Take accounts out of a list; return how many were in it."""
        removed = 0
        with self._tx() as conn:
            for chunk in _chunks(int(i) for i in account_ids):
                cur = conn.execute(
                    self._sql("DELETE FROM list_accounts WHERE list_id = ? AND account_id ")
                    + f"IN ({self._marks(len(chunk))})",
                    [list_id, *chunk],
                )
                removed += max(cur.rowcount, 0)
        return removed

    def list_accounts_page(self, list_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (membership_id, account_id) pairs, newest membership first."""
        rows = self._paged(
            "SELECT id, account_id FROM list_accounts WHERE list_id = ?", [list_id], page, "id"
        )
        return [(i, int(a)) for i, a in rows]

    def lists_with_account(self, owner_id: int, account_id: int) -> list[ListRecord]:
        """Return the owner's lists that hold ``account_id``, oldest first."""
        rows = self._read(
            f"SELECT {_LIST_COLS} FROM lists WHERE account_id = ? AND id IN "
            "(SELECT list_id FROM list_accounts WHERE account_id = ?) ORDER BY id",
            [owner_id, account_id],
        )
        return [_list(r) for r in rows]

    def lists_holding(self, list_ids: Iterable[int], account_id: int) -> set[int]:
        """Return which of ``list_ids`` hold ``account_id``."""
        out: set[int] = set()
        for chunk in _chunks(int(i) for i in list_ids):
            rows = self._q(
                self._sql("SELECT list_id FROM list_accounts WHERE account_id = ? AND list_id ")
                + f"IN ({self._marks(len(chunk))})",
                [account_id, *chunk],
            )
            out.update(int(r[0]) for r in rows)
        return out

    def list_status_ids(self, list_id: int, page: Page) -> list[int]:
        """Return ids of statuses by the list's members that its owner may see."""
        rows = self._paged(_LIST_TIMELINE, [list_id, list_id, list_id], page, "s.id")
        return [i for i, _ in rows]

    # --- followed tags -------------------------------------------------------------------
    def follow_tag(self, account_id: int, tag: str, follow_id: int, now_ms: int) -> bool:
        """Follow a hashtag; return False if already followed."""
        with self._tx() as conn:
            cur = conn.execute(
                self._sql(
                    "INSERT INTO tag_follows(account_id, tag, id, created_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (account_id, tag) DO NOTHING"
                ),
                (account_id, tag, follow_id, now_ms),
            )
            return bool(cur.rowcount)

    def unfollow_tag(self, account_id: int, tag: str) -> bool:
        """Stop following a hashtag; return False if it was not followed."""
        with self._tx() as conn:
            cur = conn.execute(
                self._sql("DELETE FROM tag_follows WHERE account_id = ? AND tag = ?"),
                (account_id, tag),
            )
            return bool(cur.rowcount)

    def followed_tag_set(self, account_id: int, tags: Iterable[str]) -> set[str]:
        """Return which of ``tags`` the account follows."""
        out: set[str] = set()
        for chunk in _chunks(str(t) for t in tags):
            rows = self._q(
                self._sql("SELECT tag FROM tag_follows WHERE account_id = ? AND tag ")
                + f"IN ({self._marks(len(chunk))})",
                [account_id, *chunk],
            )
            out.update(str(r[0]) for r in rows)
        return out

    def followed_tags_page(self, account_id: int, page: Page) -> list[tuple[int, str]]:
        """Return (follow_id, tag) pairs, newest follow first."""
        rows = self._paged(
            "SELECT id, tag FROM tag_follows WHERE account_id = ?", [account_id], page, "id"
        )
        return [(i, str(t)) for i, t in rows]

    def tag_days(self, tag: str, since_ms: int) -> list[TagDay]:
        """Return (UTC) days since ``since_ms`` with public uses of ``tag``, newest first."""
        rows = self._read(
            f"SELECT s.created_at / {_DAY_MS} AS d, COUNT(*), COUNT(DISTINCT s.account_id) "
            "FROM status_tags t JOIN statuses s ON s.id = t.status_id "
            "WHERE t.tag = ? AND s.visibility = 'public' AND s.created_at >= ? "
            "GROUP BY d ORDER BY d DESC",
            [tag, since_ms],
        )
        return [TagDay(int(r[0]) * _DAY_MS, int(r[1]), int(r[2])) for r in rows]
