"""The follow graph: edges with their own Snowflake id, counters on both accounts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import psycopg

from twitterdesign.reference_app.storage._records import Page
from twitterdesign.reference_app.storage.postgres._connection import page_sql
from twitterdesign.reference_app.storage.postgres._outbox import OutboxMixin

__all__ = ["GraphMixin"]


def _ids(values: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(int(v) for v in values))


class GraphMixin(OutboxMixin):
    """Follow, unfollow and the graph reads."""

    def follow(self, follower_id: int, followee_id: int, edge_id: int, now_ms: int) -> bool:
        """Add an edge, bump both counters, log an invalidation; False if it existed.

        Also False when either account blocks the other.

        ``ON CONFLICT DO NOTHING`` makes a concurrent duplicate wait for the first insert
        and then report False: the counters move exactly once.
        """
        return self._retry(lambda: self._follow_once(follower_id, followee_id, edge_id, now_ms))

    def _follow_once(self, follower_id: int, followee_id: int, edge_id: int, now_ms: int) -> bool:
        with self._tx() as conn:
            # Serialized with a block between the two (see `BlocksMutesMixin`).
            self._lock_pair(conn, follower_id, followee_id)
            cur = conn.execute(
                "INSERT INTO follows(follower_id, followee_id, id, created_at) "
                "SELECT %s, %s, %s, %s WHERE NOT EXISTS (SELECT 1 FROM blocks WHERE "
                "(account_id = %s AND target_id = %s) OR (account_id = %s AND target_id = %s)) "
                "ON CONFLICT (follower_id, followee_id) DO NOTHING",
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
            self._bump_counts(conn, follower_id, followee_id, +1)
            self._log_event(conn, None, follower_id, now_ms)
            return True

    def unfollow(self, follower_id: int, followee_id: int) -> bool:
        """Remove an edge, decrement both counters, log an invalidation; False if none."""
        return self._retry(lambda: self._unfollow_once(follower_id, followee_id))

    def _unfollow_once(self, follower_id: int, followee_id: int) -> bool:
        with self._tx() as conn:
            cur = conn.execute(
                "DELETE FROM follows WHERE follower_id = %s AND followee_id = %s",
                (follower_id, followee_id),
            )
            if cur.rowcount == 0:
                return False
            self._bump_counts(conn, follower_id, followee_id, -1)
            self._log_event(conn, None, follower_id, None)
            # A list holds only followed accounts (as Mastodon's list_accounts.follow_id).
            conn.execute(
                "DELETE FROM list_accounts WHERE account_id = %s AND list_id IN "
                "(SELECT id FROM lists WHERE account_id = %s)",
                (followee_id, follower_id),
            )
            return True

    @staticmethod
    def _lock_pair(conn: psycopg.Connection[Any], a: int, b: int) -> None:
        """Row-lock both accounts in id order (a fixed order cannot deadlock)."""
        conn.execute("SELECT id FROM accounts WHERE id IN (%s, %s) ORDER BY id FOR UPDATE", (a, b))

    @staticmethod
    def _bump_counts(
        conn: psycopg.Connection[Any], follower_id: int, followee_id: int, delta: int
    ) -> None:
        # Lock both counter rows in id order first: an UPDATE locks rows in the order it
        # finds them on disk, which changes as rows are rewritten, so opposite follows
        # between the same accounts (or a ring of them) could deadlock without it.
        conn.execute(
            "SELECT id FROM accounts WHERE id IN (%s, %s) ORDER BY id FOR UPDATE",
            (follower_id, followee_id),
        )
        conn.execute(
            "UPDATE accounts SET following_count = following_count + %s WHERE id = %s",
            (delta, follower_id),
        )
        conn.execute(
            "UPDATE accounts SET followers_count = followers_count + %s WHERE id = %s",
            (delta, followee_id),
        )

    def follows(self, follower_id: int, followee_id: int) -> bool:
        """Return True if ``follower_id`` follows ``followee_id``."""
        return bool(
            self._q(
                "SELECT 1 FROM follows WHERE follower_id = %s AND followee_id = %s",
                (follower_id, followee_id),
            )
        )

    def following_set(self, follower_id: int, among: Iterable[int]) -> set[int]:
        """Return which of ``among`` the follower follows."""
        wanted = _ids(among)
        if not wanted:
            return set()
        rows = self._q(
            "SELECT followee_id FROM follows WHERE follower_id = %s "
            "AND followee_id = ANY(%s::bigint[])",
            (follower_id, wanted),
        )
        return {int(r[0]) for r in rows}

    def followed_by_set(self, account_id: int, among: Iterable[int]) -> set[int]:
        """Return which of ``among`` follow ``account_id``."""
        wanted = _ids(among)
        if not wanted:
            return set()
        rows = self._q(
            "SELECT follower_id FROM follows WHERE followee_id = %s "
            "AND follower_id = ANY(%s::bigint[])",
            (account_id, wanted),
        )
        return {int(r[0]) for r in rows}

    def follower_ids(self, account_id: int) -> list[int]:
        """Return every follower of ``account_id``."""
        rows = self._q("SELECT follower_id FROM follows WHERE followee_id = %s", (account_id,))
        return [int(r[0]) for r in rows]

    def followee_ids(self, account_id: int) -> list[int]:
        """Return every account ``account_id`` follows."""
        rows = self._q("SELECT followee_id FROM follows WHERE follower_id = %s", (account_id,))
        return [int(r[0]) for r in rows]

    def followee_follower_counts(self, account_id: int) -> dict[int, int]:
        """Return ``{followee id: its followers_count}`` for every account followed."""
        rows = self._q(
            "SELECT f.followee_id, a.followers_count FROM follows f "
            "JOIN accounts a ON a.id = f.followee_id WHERE f.follower_id = %s",
            (account_id,),
        )
        return {int(r[0]): int(r[1]) for r in rows}

    def followers_page(self, account_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (edge_id, follower_id) pairs, newest edge first.

        Plan on 50k edges: ``Bitmap Index Scan on follows_by_followee`` (then a top-N sort
        of the account's few edges; a backward index scan for accounts with many).
        """
        tail, params, asc = page_sql(page, "id")
        rows = self._q(
            "SELECT id, follower_id FROM follows WHERE followee_id = %s" + tail,
            [account_id, *params],
        )
        out = [(int(r[0]), int(r[1])) for r in rows]
        return out[::-1] if asc else out

    def following_page(self, account_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (edge_id, followee_id) pairs, newest edge first.

        Plan on 50k edges: ``Index Scan Backward using follows_by_follower``.
        """
        tail, params, asc = page_sql(page, "id")
        rows = self._q(
            "SELECT id, followee_id FROM follows WHERE follower_id = %s" + tail,
            [account_id, *params],
        )
        out = [(int(r[0]), int(r[1])) for r in rows]
        return out[::-1] if asc else out
