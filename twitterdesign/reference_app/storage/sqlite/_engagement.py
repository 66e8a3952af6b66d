"""Favourites and reblog lookups on SQLite: the engagement half of `StatusStore`."""

from __future__ import annotations

from collections.abc import Iterable

from twitterdesign.reference_app.storage._records import Page
from twitterdesign.reference_app.storage.sqlite._connection import (
    SQLiteConnection,
    chunks,
    page_sql,
    qmarks,
)

__all__ = ["SQLiteEngagement"]


class SQLiteEngagement(SQLiteConnection):
    """Who favourited or reblogged what: the ``favourites`` table and reblog rows."""

    def reblogged_set(self, account_id: int, status_ids: Iterable[int]) -> set[int]:
        """Return which of ``status_ids`` the account has reblogged."""
        out: set[int] = set()
        for chunk in chunks(status_ids):
            out.update(
                r[0]
                for r in self._q(
                    "SELECT reblog_of_id FROM statuses WHERE account_id = ? AND reblog_of_id "
                    f"IN ({qmarks(len(chunk))})",
                    [account_id, *chunk],
                )
            )
        return out

    def favourited_set(self, account_id: int, status_ids: Iterable[int]) -> set[int]:
        """Return which of ``status_ids`` the account has favourited."""
        out: set[int] = set()
        for chunk in chunks(status_ids):
            out.update(
                r[0]
                for r in self._q(
                    "SELECT status_id FROM favourites WHERE account_id = ? AND status_id "
                    f"IN ({qmarks(len(chunk))})",
                    [account_id, *chunk],
                )
            )
        return out

    def interactions(self, account_id: int, status_ids: Iterable[int]) -> tuple[set[int], set[int]]:
        """Return (favourited, reblogged) among ``status_ids``, in one query per chunk."""
        faved: set[int] = set()
        reblogged: set[int] = set()
        for chunk in chunks(status_ids):
            marks = qmarks(len(chunk))
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
        tail, params, asc = page_sql(page, "id")
        rows = self._q(
            "SELECT id, account_id FROM favourites WHERE status_id = ?" + tail,
            [status_id, *params],
        )
        out = [(r[0], r[1]) for r in rows]
        return out[::-1] if asc else out

    def reblogged_by(self, status_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (reblog_status_id, account_id) pairs, newest first."""
        tail, params, asc = page_sql(page, "id")
        rows = self._q(
            "SELECT id, account_id FROM statuses WHERE reblog_of_id = ?" + tail,
            [status_id, *params],
        )
        out = [(r[0], r[1]) for r in rows]
        return out[::-1] if asc else out
