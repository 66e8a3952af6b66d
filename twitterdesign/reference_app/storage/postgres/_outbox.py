"""The fan-out log (transactional outbox) that every server process tails.

The problem. A writer appends its event inside the transaction that stores the status, and
takes ``seq`` from an identity sequence. Sequence values are handed out when the INSERT
runs, not when the transaction commits, so they can become *visible* out of order::

    writer A: nextval -> 5 .................................. COMMIT
    writer B: nextval -> 6 ... COMMIT
    reader:                          SELECT seq > 4 -> [6]; cursor := 6   (5 is skipped)

A reader that keeps ``seq > cursor`` never sees event 5. Filtering rows by their writer's
transaction id against the oldest running transaction (``txid < pg_snapshot_xmin(...)``)
is not enough on its own with a ``seq`` cursor either: transaction ids are taken at the
first write and ``seq`` at the log INSERT, so writer B may hold the *older* transaction id
and the *newer* seq — B's row passes the filter while A (running) still holds seq 5.

The fix used here: readers never page on ``seq``. A row is first *published*: a short
transaction holding an advisory lock gives every committed, not yet published row a
position ``pos`` from a second sequence, in ``seq`` order, and commits. Publishers are
serialized by the lock, and a transaction-level lock is released only after its commit is
visible, so the positions of one publisher are visible before the next publisher can hand
out larger ones: the set of visible positions only ever grows at the top. Readers page on
``pos`` (the ``seq`` the `Store` protocol returns) and can never skip a row; a writer that
commits late is simply published in a later round, at a larger position. Writers never
wait for each other (no lock on the write path); each ``events_since``/``event_head`` call
publishes first, so an event committed before the call is always counted.

Cost: one UPDATE per event (a second row version) and, per poll, one indexed probe for
unpublished rows (the partial index ``fanout_log_unpublished``), plus the lock only when
there is something to publish. This is the idea of PgQ's "ticker" (Skytools), with the
batch boundary materialized as a position.
"""

from __future__ import annotations

from typing import Any

import psycopg

from twitterdesign.reference_app.storage.postgres._connection import Connected

__all__ = ["OutboxMixin"]

_PUBLISH_BATCH = 5000
_NOW_MS = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"


class OutboxMixin(Connected):
    """``events_since``, ``event_head``, ``trim_events``, and the writers' ``_log_event``."""

    @staticmethod
    def _log_event(
        conn: psycopg.Connection[Any], status_id: int | None, account_id: int, now_ms: int | None
    ) -> None:
        """Append an event inside the caller's transaction (published after it commits)."""
        conn.execute(
            "INSERT INTO fanout_log(status_id, account_id, created_at) "
            f"VALUES (%s, %s, COALESCE(%s, {_NOW_MS}))",
            (status_id, account_id, now_ms),
        )

    def _publish(self) -> int:
        """Give every committed, unpublished event its reader position; return how many."""
        if not self._q("SELECT EXISTS (SELECT 1 FROM fanout_log WHERE pos IS NULL)")[0][0]:
            return 0
        published = 0
        with self._tx() as conn:
            conn.execute(
                "SELECT pg_advisory_xact_lock("
                "hashtextextended('twitterdesign.fanout:' || current_schema(), 0))"
            )
            while True:
                # A new statement, a new snapshot: it sees the previous publisher's commit.
                seqs = [
                    int(r[0])
                    for r in conn.execute(
                        "SELECT seq FROM fanout_log WHERE pos IS NULL ORDER BY seq LIMIT %s",
                        (_PUBLISH_BATCH,),
                    ).fetchall()
                ]
                if not seqs:
                    return published
                row = conn.execute("SELECT nextval('fanout_pos')").fetchone()
                first = int(row[0]) if row else 1
                if len(seqs) > 1:
                    conn.execute("SELECT setval('fanout_pos', %s)", (first + len(seqs) - 1,))
                conn.execute(
                    "UPDATE fanout_log f SET pos = %s + u.ord - 1 "
                    "FROM unnest(%s::bigint[]) WITH ORDINALITY AS u(seq, ord) "
                    "WHERE f.seq = u.seq",
                    (first, seqs),
                )
                published += len(seqs)

    def events_since(self, seq: int, limit: int) -> list[tuple[int, int | None, int]]:
        """Return (position, status_id or None, account_id) entries after ``seq``, oldest first.

        The position is the log's reader cursor (see the module docstring): pass the last
        one seen to get the next entries; none is ever skipped. A status id means "fan this
        status out from account_id"; None means "account_id's follow graph changed".
        """
        self._publish()
        rows = self._q(
            "SELECT pos, status_id, account_id FROM fanout_log WHERE pos > %s "
            "ORDER BY pos LIMIT %s",
            (seq, limit),
        )
        return [(int(r[0]), None if r[1] is None else int(r[1]), int(r[2])) for r in rows]

    def event_head(self) -> int:
        """Return the newest position in the log (0 when empty), counting every commit so far."""
        self._publish()
        return int(self._q("SELECT COALESCE(MAX(pos), 0) FROM fanout_log")[0][0])

    def trim_events(self, before_ms: int) -> int:
        """Delete entries older than ``before_ms``; return how many.

        Committed entries are published first, so trimming sees every entry committed
        before the call (an entry still being written is not yet in the log).
        """
        self._publish()
        with self._tx() as conn:
            cur = conn.execute(
                "DELETE FROM fanout_log WHERE created_at < %s AND pos IS NOT NULL", (before_ms,)
            )
            return int(cur.rowcount)
