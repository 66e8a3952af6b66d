"""Blocks and mutes on SQLite: `BlockMuteStore`."""

from __future__ import annotations

import sqlite3

from twitterdesign.reference_app.storage._records import AccountRelations, Page
from twitterdesign.reference_app.storage.sqlite._connection import SQLiteConnection, page_sql
from twitterdesign.reference_app.storage.sqlite._outbox import log_invalidation

__all__ = ["SQLiteBlocksMutes"]


def _drop_follow(conn: sqlite3.Connection, follower_id: int, followee_id: int, now_ms: int) -> None:
    """Remove one follow edge with its counters and invalidation, in the caller's transaction."""
    cur = conn.execute(
        "DELETE FROM follows WHERE follower_id = ? AND followee_id = ?", (follower_id, followee_id)
    )
    if cur.rowcount == 0:
        return
    log_invalidation(conn, follower_id, now_ms)
    conn.execute(
        "UPDATE accounts SET following_count = following_count - 1 WHERE id = ?", (follower_id,)
    )
    conn.execute(
        "UPDATE accounts SET followers_count = followers_count - 1 WHERE id = ?", (followee_id,)
    )


class SQLiteBlocksMutes(SQLiteConnection):
    """`BlockMuteStore` over the shared connection: ``blocks`` and ``mutes`` tables.

    SQLite has one writer at a time (``BEGIN IMMEDIATE``), so a block and a follow never
    interleave: the follow (``SQLiteGraph.follow``) checks for a block in its transaction.
    """

    def block(self, account_id: int, target_id: int, block_id: int, now_ms: int) -> bool:
        """Add the block and remove follows both ways, in one transaction."""
        with self._tx() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO blocks(account_id, target_id, id, created_at) "
                "VALUES (?, ?, ?, ?)",
                (account_id, target_id, block_id, now_ms),
            )
            if cur.rowcount == 0:
                return False
            _drop_follow(conn, account_id, target_id, now_ms)
            _drop_follow(conn, target_id, account_id, now_ms)
            return True

    def unblock(self, account_id: int, target_id: int) -> bool:
        """Remove a block; False if there was none."""
        with self._tx() as conn:
            cur = conn.execute(
                "DELETE FROM blocks WHERE account_id = ? AND target_id = ?",
                (account_id, target_id),
            )
            return cur.rowcount > 0

    def mute(
        self,
        account_id: int,
        target_id: int,
        mute_id: int,
        *,
        notifications: bool,
        expires_at_ms: int | None,
        now_ms: int,
    ) -> None:
        """Add a mute, or replace an existing one's flag and expiry (keeping its id)."""
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO mutes(account_id, target_id, id, notifications, expires_at, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(account_id, target_id) "
                "DO UPDATE SET notifications = excluded.notifications, "
                "expires_at = excluded.expires_at",
                (account_id, target_id, mute_id, int(notifications), expires_at_ms, now_ms),
            )

    def unmute(self, account_id: int, target_id: int) -> bool:
        """Remove a mute; False if there was none."""
        with self._tx() as conn:
            cur = conn.execute(
                "DELETE FROM mutes WHERE account_id = ? AND target_id = ?",
                (account_id, target_id),
            )
            return cur.rowcount > 0

    def blocks_page(self, account_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (block_id, target_id) pairs, newest first."""
        tail, params, asc = page_sql(page, "id")
        rows = self._q(
            "SELECT id, target_id FROM blocks WHERE account_id = ?" + tail, [account_id, *params]
        )
        out = [(int(r[0]), int(r[1])) for r in rows]
        return out[::-1] if asc else out

    def mutes_page(
        self, account_id: int, page: Page, *, now_ms: int
    ) -> list[tuple[int, int, int | None]]:
        """Return (mute_id, target_id, expires_at_ms) of live mutes, newest first."""
        tail, params, asc = page_sql(page, "id")
        rows = self._q(
            "SELECT id, target_id, expires_at FROM mutes WHERE account_id = ? "
            "AND (expires_at IS NULL OR expires_at > ?)" + tail,
            [account_id, now_ms, *params],
        )
        out = [(int(r[0]), int(r[1]), r[2]) for r in rows]
        return out[::-1] if asc else out

    def relations_of(self, account_id: int, *, now_ms: int) -> AccountRelations:
        """Return whom the account blocks and mutes, and who blocks it."""
        blocking = self._q("SELECT target_id FROM blocks WHERE account_id = ?", (account_id,))
        blocked_by = self._q("SELECT account_id FROM blocks WHERE target_id = ?", (account_id,))
        mutes = self._q(
            "SELECT target_id, notifications FROM mutes WHERE account_id = ? "
            "AND (expires_at IS NULL OR expires_at > ?)",
            (account_id, now_ms),
        )
        return AccountRelations(
            blocking=frozenset(int(r[0]) for r in blocking),
            blocked_by=frozenset(int(r[0]) for r in blocked_by),
            muting=frozenset(int(r[0]) for r in mutes),
            muting_notifications=frozenset(int(r[0]) for r in mutes if r[1]),
        )
