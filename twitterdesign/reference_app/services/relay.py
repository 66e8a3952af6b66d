"""The relay: copies the transactional outbox into the durable fan-out log.

The outbox (`OutboxStore`) is written in the database transaction of each change; the
relay reads it after a cursor and publishes to a `FanoutLog`. The cursor is stored *in
the log*, written by the same atomic step as the entries (`FanoutLog.publish`), so the
log and the cursor never disagree: a relay that dies republishes nothing it saved, and
if the cursor is ever behind the log (a failover lost the last write, an operator reset
it) the relay republishes the tail after it. Delivery into the log is at least once;
the consumers' pushes are idempotent.

One relay at a time: every batch first takes or renews a lease in the log, and the
publish itself is fenced by the lease and by the cursor it read its batch after (a
compare-and-set), so a relay paused past its lease cannot publish beside the successor
that took over, and no two relays ever publish the same batch.
"""

from __future__ import annotations

import time

from twitterdesign._validate import check_int
from twitterdesign.reference_app.log import FanoutLog
from twitterdesign.reference_app.storage import OutboxStore

__all__ = ["OutboxRelay"]


class OutboxRelay:
    """Publish outbox events after the log's cursor, while holding the relay lease.

    Args:
        outbox: The database's outbox.
        log: Where the events are published (and the cursor and lease kept).
        holder: This relay's name in the lease (unique per process).
        lease_ttl_ms: The lease lapses this long after the last renewal.
        batch: Events read and published per step.

    Examples:
        >>> from twitterdesign.reference_app.log import InMemoryFanoutLog
        >>> class Outbox:
        ...     events = [(1, 100, 7), (2, None, 8)]
        ...     def events_since(self, seq, limit):
        ...         return [e for e in self.events if e[0] > seq][:limit]
        ...     def event_head(self):
        ...         return self.events[-1][0]
        ...     def trim_events(self, before_ms):
        ...         return 0
        >>> log = InMemoryFanoutLog()
        >>> relay = OutboxRelay(Outbox(), log, holder="w1")
        >>> relay.step(), relay.step(), relay.lag()
        (2, 0, 0)
    """

    def __init__(
        self,
        outbox: OutboxStore,
        log: FanoutLog,
        *,
        holder: str,
        lease_ttl_ms: int = 5_000,
        batch: int = 500,
    ) -> None:
        self._outbox = outbox
        self._log = log
        self.holder = holder
        self.lease_ttl_ms = check_int("lease_ttl_ms", lease_ttl_ms, minimum=1)
        self.batch = check_int("batch", batch, minimum=1)
        self.published = 0
        self.is_leader = False

    def step(self) -> int:
        """Publish the next batch if this relay holds (or takes) the lease; return how many.

        Returns 0 when there is nothing new or another relay holds the lease.
        """
        self.is_leader = self._log.hold_relay_lease(self.holder, ttl_ms=self.lease_ttl_ms)
        if not self.is_leader:
            return 0
        # The cursor is read from the log every time: after a takeover it is the
        # predecessor's, and the log never holds entries the cursor does not cover.
        cursor = self._log.relayed_cursor()
        events = self._outbox.events_since(cursor, self.batch)
        if not events:
            return 0
        if not self._log.publish(events, holder=self.holder, after=cursor):
            self.is_leader = False  # lost the lease (or the cursor moved): nothing written
            return 0
        self.published += len(events)
        return len(events)

    def drain(self, *, max_batches: int = 1_000_000) -> int:
        """Publish batches until the outbox is relayed or the lease is lost; return how many."""
        total = 0
        for _ in range(max_batches):
            n = self.step()
            total += n
            if n < self.batch:
                break
        return total

    def release(self) -> None:
        """Give the lease up (a clean shutdown lets another relay take over at once)."""
        self._log.release_relay_lease(self.holder)
        self.is_leader = False

    def lag(self) -> int:
        """Return outbox events not relayed yet (outbox head − relayed cursor)."""
        return max(0, self._outbox.event_head() - self._log.relayed_cursor())

    def trim_outbox(self, *, retention_ms: int, now_ms: int | None = None) -> int:
        """Delete outbox events older than the retention (only the lease holder should)."""
        now = int(time.time() * 1000) if now_ms is None else now_ms
        return self._outbox.trim_events(now - retention_ms)
