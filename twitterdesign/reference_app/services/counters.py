"""Displayed counts: the stored columns plus what is counted but not stored yet.

Two modes, chosen once per deployment (`Settings.counter_mode`):

- **Inline** (embedded SQLite, or PostgreSQL without Redis): a favourite, reblog or reply
  updates its status's counter column in the transaction that stores it. Only views are
  buffered (per process, `TrendsService`), so a displayed count is the column plus this
  process's pending views.
- **Deferred** (PostgreSQL with a Redis cache, the cluster): the lesson's sharded
  counters. The writer's transaction appends a counter event to the database's counter
  outbox instead of updating the status row, so likes of one hot status never queue on
  its row lock. The writer (`StatusCounts.apply_own`, right after its commit) or else a
  worker (`CounterWorker`) moves the events into Redis shard keys
  (`RedisStatusCounters`); workers fold the shard sums back into the columns in batches.
  A displayed count is then::

      column + Redis shards + the in-flight flush batch (unless already applied)
             + this process's pending views

  read for a whole page in one Redis round trip (`StatusCounts.unflushed_many`).

Why through an outbox and not straight to Redis from the request: the database
transaction is the source of truth — an ``INCR`` sent after the commit is lost if the
process dies in between, and one sent before counts a favourite whose transaction then
rolls back. The event is committed with the row or not at all, and delivered to Redis at
least once; `CounterEvent.key` makes the delivery count once. Why not through the
fan-out stream: its entries are (status, author) pairs with no payload, deletions are not
in it, and the SQLite store shares its protocol; the counter outbox is consumed by row
deletion (``SKIP LOCKED``), so it needs no cursor, relay or lease.

The writer applies its *own* events right after its commit (`StatusCounts.apply_own`:
one more transaction that takes them out of the outbox by key, and one Redis script), so
the response to a favourite already counts it, as Mastodon clients expect; workers apply
whatever a writer left (it crashed, or Redis was away) — other processes see a change
as soon as either did. After the outbox is drained and a flush ran, every column equals
the COUNT(*) of its rows.

Limits, by design: a read that races a flush (its database read and its Redis read on
either side of the flush's commit) may be off by that batch for that one response; the
next read is exact. Redis holds the counts applied but not yet flushed (at most about a
second's worth): a Redis that loses its data without persistence loses them, and
`PostgresStore.integrity_problems` then names the drifted columns.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from twitterdesign.reference_app.storage import CounterDeltas, DeferredCounterStore

if TYPE_CHECKING:
    from twitterdesign.reference_app.services.trends import TrendsService
    from twitterdesign.reference_app.storage.redis import RedisStatusCounters

__all__ = ["StatusCounts"]

_log = logging.getLogger(__name__)


class StatusCounts:
    """What to add to stored counter columns to display them, for a page at a time.

    Args:
        trends: Holds this process's pending (unflushed) views.
        store: The database, in deferred mode (to check an in-flight flush batch).
        counters: The Redis shards, in deferred mode; None for the inline mode.

    Examples:
        >>> class Trends:
        ...     def pending_views_many(self, ids):
        ...         return {i: 2 for i in ids}
        >>> StatusCounts(Trends()).unflushed_many([5])  # type: ignore[arg-type]
        {5: CounterDeltas(favourites=0, reblogs=0, replies=0, views=2)}
    """

    def __init__(
        self,
        trends: TrendsService,
        *,
        store: DeferredCounterStore | None = None,
        counters: RedisStatusCounters | None = None,
    ) -> None:
        self._trends = trends
        self._store = store
        self._counters = counters
        self._warned = False

    def _warn(self, exc: BaseException) -> None:
        if not self._warned:
            _log.warning("counts shown without the Redis shards (%s); they catch up", exc)
        self._warned = True

    @property
    def deferred(self) -> bool:
        """Whether favourites, reblogs and replies reach the columns through Redis."""
        return self._counters is not None

    def apply_own(self, prefixes: Sequence[str]) -> None:
        """Apply a writer's own waiting counter events now (deferred mode; else nothing).

        Called right after a favourite, reblog, reply or deletion commits, with the key
        prefixes of its events (`counter_key_prefixes`), so the response already shows
        the change — Mastodon clients display the returned status's counts. The events
        are then gone from the outbox, so a worker never applies them again; a crash
        between the Redis write and the delete leaves them for a worker, and Redis
        ignores the repeat (`CounterEvent.key`).

        While Redis does not answer, the events stay in the outbox for a worker (the
        change is committed; the response shows the stored count, a warning is logged).
        """
        if self._counters is None or self._store is None or not prefixes:
            return
        try:
            self._store.consume_counter_events_matching(prefixes, self._counters.apply_events)
        except ConnectionError as exc:  # Redis away: the events wait for a worker
            self._warn(exc)

    def unflushed_many(self, status_ids: Iterable[int]) -> dict[int, CounterDeltas]:
        """Return, per status with any, what its columns do not hold yet.

        Deferred mode: one Redis round trip for the whole page, plus one database
        probe only while a flush batch is in flight. While Redis does not answer, the
        counts are the stored columns (behind by what is not flushed yet, at most about
        a second's worth) rather than an error: a count decorates a status, it is not
        what the request is for (a warning is logged once per outage).
        """
        ids = list(dict.fromkeys(status_ids))
        out: dict[int, CounterDeltas] = {}
        if self._counters is not None and ids:
            try:
                found = self._counters.unflushed(ids)
            except ConnectionError as exc:  # Redis away: the stored columns, a bit behind
                self._warn(exc)
            else:
                self._warned = False
                applied = (
                    found.inflight_id is not None
                    and self._store is not None
                    and self._store.counter_flush_applied(found.inflight_id)
                )
                out = found.total(inflight_applied=applied)
        for sid, views in self._trends.pending_views_many(ids).items():
            if views:
                out[sid] = out.get(sid, CounterDeltas()) + CounterDeltas(views=views)
        return out
