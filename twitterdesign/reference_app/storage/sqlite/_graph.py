"""The follow graph on SQLite: `GraphStore`."""

from __future__ import annotations

from collections.abc import Iterable

from twitterdesign.reference_app.storage._records import Page
from twitterdesign.reference_app.storage.sqlite._connection import (
    SQLiteConnection,
    chunks,
    page_sql,
    qmarks,
)
from twitterdesign.reference_app.storage.sqlite._outbox import log_invalidation

__all__ = ["SQLiteGraph"]


class SQLiteGraph(SQLiteConnection):
    """`GraphStore` over the shared connection: the ``follows`` table and both counters."""

    def follow(self, follower_id: int, followee_id: int, edge_id: int, now_ms: int) -> bool:
        """Add an edge and bump both counters; False if it existed or a block forbids it."""
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO follows(follower_id, followee_id, id, created_at) "
                "SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM blocks WHERE "
                "(account_id = ? AND target_id = ?) OR (account_id = ? AND target_id = ?))",
                (
                    follower_id,
                    followee_id,
                    edge_id,
                    now_ms,
                    follower_id,
                    followee_id,
                    followee_id,
                    follower_id,
                ),
            )
            if cur.rowcount == 0:
                return False
            log_invalidation(conn, follower_id, now_ms)
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
            log_invalidation(conn, follower_id, None)
            # A list holds only followed accounts (as Mastodon's list_accounts.follow_id).
            conn.execute(
                "DELETE FROM list_accounts WHERE account_id = ? AND list_id IN "
                "(SELECT id FROM lists WHERE account_id = ?)",
                (followee_id, follower_id),
            )
            conn.execute(
                "UPDATE accounts SET following_count = following_count - 1 WHERE id = ?",
                (follower_id,),
            )
            conn.execute(
                "UPDATE accounts SET followers_count = followers_count - 1 WHERE id = ?",
                (followee_id,),
            )
            return True

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
        for chunk in chunks(among):
            out.update(
                r[0]
                for r in self._q(
                    "SELECT followee_id FROM follows WHERE follower_id = ? AND followee_id "
                    f"IN ({qmarks(len(chunk))})",
                    [follower_id, *chunk],
                )
            )
        return out

    def followed_by_set(self, account_id: int, among: Iterable[int]) -> set[int]:
        """Return which of ``among`` follow ``account_id``."""
        out: set[int] = set()
        for chunk in chunks(among):
            out.update(
                r[0]
                for r in self._q(
                    "SELECT follower_id FROM follows WHERE followee_id = ? AND follower_id "
                    f"IN ({qmarks(len(chunk))})",
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
        tail, params, asc = page_sql(page, "id")
        rows = self._q(
            "SELECT id, follower_id FROM follows WHERE followee_id = ?" + tail,
            [account_id, *params],
        )
        out = [(r[0], r[1]) for r in rows]
        return out[::-1] if asc else out

    def following_page(self, account_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (edge_id, followee_id) pairs, newest edge first."""
        tail, params, asc = page_sql(page, "id")
        rows = self._q(
            "SELECT id, followee_id FROM follows WHERE follower_id = ?" + tail,
            [account_id, *params],
        )
        out = [(r[0], r[1]) for r in rows]
        return out[::-1] if asc else out
