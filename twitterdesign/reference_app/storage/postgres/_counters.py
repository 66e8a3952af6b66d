"""Deferred counters: the counter outbox and the exactly-once flush into the columns.

Inline (the default, and the only mode of the SQLite store), a favourite's transaction
runs ``UPDATE statuses SET favourites_count = favourites_count + 1``: exact, but every
like of one hot status waits for the previous one's row lock, so a status liked a
thousand times a second is a thousand transactions in a queue. With
``deferred_counters=True`` the same transaction appends a row to ``counter_outbox``
instead (an INSERT takes no lock another writer waits on), and the change reaches the
column later, in a batch (see `twitterdesign.reference_app.services.counters`):

1. a worker hands the outbox rows to Redis (`consume_counter_events`), where they are
   added to sharded counter keys, deduplicated by `CounterEvent.key`, then deleted here;
2. a flusher moves the shard sums into an in-flight batch with a fresh flush id and
   folds the batch into the columns with `apply_counter_flush`, which records the flush
   id in the same transaction — so applying a batch twice (a crash after the commit,
   before the in-flight batch was deleted) changes nothing the second time.

The rows (favourites, reblog and reply statuses) remain the truth; after the outbox is
drained and the last batch flushed, every column equals the COUNT(*) of its rows and
`PostgresStore.integrity_problems` holds as in the inline mode.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import psycopg

from twitterdesign.reference_app.storage._sql import like_prefix
from twitterdesign.reference_app.storage.counters import CounterDeltas, CounterEvent
from twitterdesign.reference_app.storage.postgres._connection import Connected

__all__ = ["CountersMixin"]

_NOW_MS = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"


class CountersMixin(Connected):
    """``_log_counter_events`` for the writers, and the `DeferredCounterStore` methods."""

    deferred_counters: bool = False
    """True: counter changes go to ``counter_outbox``; False: the column is updated inline."""

    @staticmethod
    def _log_counter_events(
        conn: psycopg.Connection[Any], changes: Sequence[tuple[str, int, str, int]]
    ) -> None:
        """Append (key, status id, field, delta) changes inside the caller's transaction.

        Used instead of the column UPDATE when ``deferred_counters`` is set: an INSERT
        into the counter outbox waits on no other writer.
        """
        if not changes:
            return
        conn.execute(
            "INSERT INTO counter_outbox(key, status_id, field, delta, created_at) "
            f"SELECT k, s, f, d, {_NOW_MS} FROM unnest("
            "%s::text[], %s::bigint[], %s::text[], %s::int[]) AS u(k, s, f, d)",
            (
                [c[0] for c in changes],
                [c[1] for c in changes],
                [c[2] for c in changes],
                [c[3] for c in changes],
            ),
        )

    # --- DeferredCounterStore ------------------------------------------------------
    def consume_counter_events(
        self, limit: int, apply: Callable[[Sequence[CounterEvent]], object]
    ) -> int:
        """Hand up to ``limit`` waiting events to ``apply``, then delete them; return how many.

        ``FOR UPDATE SKIP LOCKED``: concurrent consumers take disjoint batches. The
        delete commits only after ``apply`` returned (see `DeferredCounterStore`).
        """
        with self._tx() as conn:
            rows = conn.execute(
                "SELECT seq, key, status_id, field, delta FROM counter_outbox "
                "ORDER BY seq LIMIT %s FOR UPDATE SKIP LOCKED",
                (limit,),
            ).fetchall()
            return _apply_then_delete(conn, rows, apply)

    def consume_counter_events_matching(
        self, prefixes: Sequence[str], apply: Callable[[Sequence[CounterEvent]], object]
    ) -> int:
        """Hand the waiting events whose key starts with one of ``prefixes`` to ``apply``.

        ``FOR UPDATE`` without ``SKIP LOCKED``: a worker applying one of them now holds
        its row until it commits, after its Redis write; this call waits for that and then
        finds the row gone. So on return every matching event is in Redis.
        """
        if not prefixes:
            return 0
        where = " OR ".join(["key LIKE %s ESCAPE '\\'"] * len(prefixes))
        with self._tx() as conn:
            rows = conn.execute(
                "SELECT seq, key, status_id, field, delta FROM counter_outbox "
                f"WHERE {where} ORDER BY seq FOR UPDATE",
                [like_prefix(p) for p in prefixes],
            ).fetchall()
            return _apply_then_delete(conn, rows, apply)

    def counter_events_waiting(self) -> int:
        """Return how many counter events no consumer has applied yet."""
        return int(self._q("SELECT count(*) FROM counter_outbox")[0][0])

    def apply_counter_flush(self, flush_id: str, deltas: Mapping[int, CounterDeltas]) -> bool:
        """Add ``deltas`` to the columns and record ``flush_id`` in one transaction.

        Returns False, changing nothing, when ``flush_id`` is already recorded. Rows are
        locked in id order (as every multi-row counter update here), so a flush cannot
        deadlock with a deletion or another flush.
        """
        ids = sorted(sid for sid, d in deltas.items() if d)

        def unit() -> bool:
            with self._tx() as conn:
                cur = conn.execute(
                    "INSERT INTO counter_flushes(flush_id, applied_at) "
                    f"VALUES (%s, {_NOW_MS}) ON CONFLICT DO NOTHING",
                    (flush_id,),
                )
                if cur.rowcount == 0:
                    return False
                if not ids:
                    return True
                conn.execute(
                    "SELECT id FROM statuses WHERE id = ANY(%s::bigint[]) ORDER BY id FOR UPDATE",
                    (ids,),
                )
                conn.execute(
                    "UPDATE statuses s SET favourites_count = s.favourites_count + d.f, "
                    "reblogs_count = s.reblogs_count + d.b, "
                    "replies_count = s.replies_count + d.r, views_count = s.views_count + d.v "
                    "FROM unnest(%s::bigint[], %s::int[], %s::int[], %s::int[], %s::bigint[]) "
                    "AS d(id, f, b, r, v) WHERE s.id = d.id",
                    (
                        ids,
                        [deltas[i].favourites for i in ids],
                        [deltas[i].reblogs for i in ids],
                        [deltas[i].replies for i in ids],
                        [deltas[i].views for i in ids],
                    ),
                )
                return True

        return self._retry(unit)

    def counter_flush_applied(self, flush_id: str) -> bool:
        """Return whether ``flush_id`` was applied."""
        rows = self._q("SELECT 1 FROM counter_flushes WHERE flush_id = %s", (flush_id,))
        return bool(rows)

    def trim_counter_flushes(self, before_ms: int) -> int:
        """Forget flush ids applied before ``before_ms``; return how many."""
        with self._tx() as conn:
            cur = conn.execute("DELETE FROM counter_flushes WHERE applied_at < %s", (before_ms,))
            return int(cur.rowcount)


def _apply_then_delete(
    conn: psycopg.Connection[Any],
    rows: Sequence[tuple[Any, ...]],
    apply: Callable[[Sequence[CounterEvent]], object],
) -> int:
    """Hand locked outbox rows to ``apply`` as events, then delete them (same transaction).

    Returns how many rows were consumed; ``apply`` raising leaves them in the outbox.
    """
    if not rows:
        return 0
    apply([CounterEvent(str(r[1]), int(r[2]), str(r[3]), int(r[4])) for r in rows])
    conn.execute(
        "DELETE FROM counter_outbox WHERE seq = ANY(%s::bigint[])", ([int(r[0]) for r in rows],)
    )
    return len(rows)
