"""Blocks and mutes on PostgreSQL: `BlockMuteStore`."""

from __future__ import annotations

from typing import Any

from twitterdesign.reference_app.storage._records import AccountRelations, Page
from twitterdesign.reference_app.storage.postgres._connection import page_sql
from twitterdesign.reference_app.storage.postgres._graph import GraphMixin

__all__ = ["BlocksMutesMixin"]


class BlocksMutesMixin(GraphMixin):
    """Block, mute and their reads.

    A block and a follow between the same two accounts lock both account rows in id
    order before anything else (`GraphMixin._lock_pair`), so they run one after the other:
    the follow either committed first (and the block removes it) or sees the block.
    """

    def block(self, account_id: int, target_id: int, block_id: int, now_ms: int) -> bool:
        """Add the block and remove follows both ways, in one transaction."""
        return self._retry(lambda: self._block_once(account_id, target_id, block_id, now_ms))

    def _block_once(self, account_id: int, target_id: int, block_id: int, now_ms: int) -> bool:
        with self._tx() as conn:
            self._lock_pair(conn, account_id, target_id)
            cur = conn.execute(
                "INSERT INTO blocks(account_id, target_id, id, created_at) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (account_id, target_id) DO NOTHING",
                (account_id, target_id, block_id, now_ms),
            )
            if cur.rowcount == 0:
                return False
            for follower, followee in ((account_id, target_id), (target_id, account_id)):
                self._drop_follow(conn, follower, followee, now_ms)
            return True

    def _drop_follow(self, conn: Any, follower_id: int, followee_id: int, now_ms: int) -> None:
        cur = conn.execute(
            "DELETE FROM follows WHERE follower_id = %s AND followee_id = %s",
            (follower_id, followee_id),
        )
        if cur.rowcount:
            self._bump_counts(conn, follower_id, followee_id, -1)
            self._log_event(conn, None, follower_id, now_ms)

    def unblock(self, account_id: int, target_id: int) -> bool:
        """Remove a block; False if there was none."""
        with self._tx() as conn:
            cur = conn.execute(
                "DELETE FROM blocks WHERE account_id = %s AND target_id = %s",
                (account_id, target_id),
            )
            return bool(cur.rowcount)

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
                "created_at) VALUES (%s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (account_id, target_id) DO UPDATE SET "
                "notifications = EXCLUDED.notifications, expires_at = EXCLUDED.expires_at",
                (account_id, target_id, mute_id, notifications, expires_at_ms, now_ms),
            )

    def unmute(self, account_id: int, target_id: int) -> bool:
        """Remove a mute; False if there was none."""
        with self._tx() as conn:
            cur = conn.execute(
                "DELETE FROM mutes WHERE account_id = %s AND target_id = %s",
                (account_id, target_id),
            )
            return bool(cur.rowcount)

    def blocks_page(self, account_id: int, page: Page) -> list[tuple[int, int]]:
        """Return (block_id, target_id) pairs, newest first."""
        tail, params, asc = page_sql(page, "id")
        rows = self._q(
            "SELECT id, target_id FROM blocks WHERE account_id = %s" + tail,
            [account_id, *params],
        )
        out = [(int(r[0]), int(r[1])) for r in rows]
        return out[::-1] if asc else out

    def mutes_page(
        self, account_id: int, page: Page, *, now_ms: int
    ) -> list[tuple[int, int, int | None]]:
        """Return (mute_id, target_id, expires_at_ms) of live mutes, newest first."""
        tail, params, asc = page_sql(page, "id")
        rows = self._q(
            "SELECT id, target_id, expires_at FROM mutes WHERE account_id = %s "
            "AND (expires_at IS NULL OR expires_at > %s)" + tail,
            [account_id, now_ms, *params],
        )
        out = [(int(r[0]), int(r[1]), None if r[2] is None else int(r[2])) for r in rows]
        return out[::-1] if asc else out

    def relations_of(self, account_id: int, *, now_ms: int) -> AccountRelations:
        """Return whom the account blocks and mutes, and who blocks it (one round trip)."""
        rows = self._q(
            "SELECT 'b', target_id, FALSE FROM blocks WHERE account_id = %s "
            "UNION ALL SELECT 'B', account_id, FALSE FROM blocks WHERE target_id = %s "
            "UNION ALL SELECT 'm', target_id, notifications FROM mutes WHERE account_id = %s "
            "AND (expires_at IS NULL OR expires_at > %s)",
            (account_id, account_id, account_id, now_ms),
        )
        return AccountRelations(
            blocking=frozenset(int(r[1]) for r in rows if r[0] == "b"),
            blocked_by=frozenset(int(r[1]) for r in rows if r[0] == "B"),
            muting=frozenset(int(r[1]) for r in rows if r[0] == "m"),
            muting_notifications=frozenset(int(r[1]) for r in rows if r[0] == "m" and r[2]),
        )
