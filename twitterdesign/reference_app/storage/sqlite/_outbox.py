"""The fan-out log (transactional outbox) on SQLite: `OutboxStore`."""

from __future__ import annotations

import sqlite3

from twitterdesign.reference_app.storage.sqlite._connection import SQLiteConnection

__all__ = ["SQLiteOutbox", "log_invalidation"]


def log_invalidation(conn: sqlite3.Connection, account_id: int, now_ms: int | None) -> None:
    """Log "the follow graph of ``account_id`` changed", inside the caller's transaction."""
    conn.execute(
        "INSERT INTO fanout_log(status_id, account_id, created_at) VALUES (NULL, ?, "
        "COALESCE(?, CAST(strftime('%s', 'now') AS INTEGER) * 1000))",
        (account_id, now_ms),
    )


class SQLiteOutbox(SQLiteConnection):
    """`OutboxStore` over the shared connection: the ``fanout_log`` table."""

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
