"""The deferred counters' worker: counter outbox → Redis shards → PostgreSQL columns.

Two jobs, both safe to run in any number of processes at once:

- **apply** (every step): take a batch of the counter events writers left (a writer
  applies its own right after its commit, `StatusCounts.apply_own`; what remains is a
  crashed writer's, or one that met Redis away) from the database's outbox
  (``FOR UPDATE SKIP LOCKED``: workers take disjoint batches), add them to the Redis
  shards (`RedisStatusCounters.apply_events`, which skips an event whose key it has
  seen), and delete them from the outbox in the same database transaction. A worker that
  dies between the Redis write and the commit leaves the rows; the next batch carries
  them again and Redis ignores them: counted once.
- **flush** (every ``flush_interval_s``, by the holder of a lease in Redis, like the
  relay's): move every shard into one in-flight batch with a fresh flush id (one Lua
  script), apply the batch to the columns in one database transaction that records the
  flush id, then delete the batch. The crash cases:

  ======================================  ==============================================
  crash                                   next flush
  ======================================  ==============================================
  after the move, before the commit       finds the batch, its id unknown to the
                                          database: applies it (once), deletes it
  after the commit, before the delete     finds the batch, its id recorded: the apply
                                          changes nothing; deletes it
  ======================================  ==============================================

  Meanwhile readers add the in-flight batch only if the database lacks its flush id, so
  a displayed count is exact in both states.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from twitterdesign._validate import check_int, check_number
from twitterdesign.reference_app.storage import CounterEvent, DeferredCounterStore

if TYPE_CHECKING:  # redis is the cluster extra's: imported by whoever builds the worker
    from twitterdesign.reference_app.storage.redis import RedisStatusCounters

__all__ = ["CounterWorker"]

_TRIM_EVERY_S = 60.0


class CounterWorker:
    """Apply counter events to the Redis shards and flush the shards into the database.

    Args:
        store: The database (deferred counters mode).
        counters: The Redis shards.
        holder: This process's name in the flush lease (made unique per instance).
        batch: Counter events applied per step.
        flush_interval_s: How often this worker tries to flush (if it holds the lease).
        lease_ttl_ms: The flush lease lapses this long after its holder's last renewal.
        retention_ms: Flush ids older than this are forgotten (by the lease holder).
            Must exceed the longest a crashed flusher's batch can wait to be retried.

    Examples:
        Run `step` in a loop (``twitterdesign worker`` does, and so does an app process
        with ``fanout_in_app``); tests call `drain` and `flush` directly.
    """

    def __init__(
        self,
        store: DeferredCounterStore,
        counters: RedisStatusCounters,
        *,
        holder: str = "counters",
        batch: int = 500,
        flush_interval_s: float = 1.0,
        lease_ttl_ms: int = 5_000,
        retention_ms: int = 24 * 3600 * 1000,
    ) -> None:
        self._store = store
        self._counters = counters
        self.holder = f"{holder}/{uuid.uuid4().hex[:12]}"
        self.batch = check_int("batch", batch, minimum=1)
        self.flush_interval_s = check_number("flush_interval_s", flush_interval_s, minimum=0.0)
        self.lease_ttl_ms = check_int("lease_ttl_ms", lease_ttl_ms, minimum=1)
        self.retention_ms = check_int("retention_ms", retention_ms, minimum=1)
        self.applied = self.duplicates = self.flushes = 0
        self._last_flush = time.monotonic()
        self._last_trim = time.monotonic()

    # --- apply ---------------------------------------------------------------------------
    def apply_step(self) -> int:
        """Move one batch of counter events into Redis; return how many events it held."""

        def apply(events: Sequence[CounterEvent]) -> None:
            new = self._counters.apply_events(events)
            self.applied += new
            self.duplicates += len(events) - new

        return self._store.consume_counter_events(self.batch, apply)

    def drain(self, *, max_batches: int = 1_000_000) -> int:
        """Apply batches until the outbox is empty; return how many events were handed out."""
        total = 0
        for _ in range(max_batches):
            n = self.apply_step()
            total += n
            if n < self.batch:
                break
        return total

    # --- flush ---------------------------------------------------------------------------
    def flush(self) -> int:
        """Fold the shards into the database if this worker holds the lease.

        A batch a crashed flusher left is finished first, then the current shards are
        flushed. Returns how many statuses' columns changed (0 without the lease).
        """
        if not self._counters.hold_flush_lease(self.holder, ttl_ms=self.lease_ttl_ms):
            return 0
        changed = 0
        for _ in range(2):  # at most a leftover batch, then this one
            flush_id = uuid.uuid4().hex
            batch = self._counters.begin_flush(flush_id)
            if batch is None:
                break
            if self._store.apply_counter_flush(batch.flush_id, batch.deltas):
                changed += len(batch.deltas)
            self._counters.end_flush(batch.flush_id)
            self.flushes += 1
            if batch.flush_id == flush_id:
                break
        if time.monotonic() - self._last_trim > _TRIM_EVERY_S:
            self._last_trim = time.monotonic()
            self._store.trim_counter_flushes(int(time.time() * 1000) - self.retention_ms)
        return changed

    def release(self) -> None:
        """Give the flush lease up (a clean shutdown lets another worker flush at once)."""
        self._counters.release_flush_lease(self.holder)

    # --- loop ----------------------------------------------------------------------------
    def step(self) -> int:
        """Apply one batch, and flush if ``flush_interval_s`` has passed; return events."""
        n = self.apply_step()
        if time.monotonic() - self._last_flush >= self.flush_interval_s:
            self._last_flush = time.monotonic()
            self.flush()
        return n

    def run(self, stop: threading.Event, *, idle_s: float = 0.2) -> None:
        """Loop until ``stop`` is set (waiting ``idle_s`` when idle), then flush and release.

        Errors (a server restarting) are retried after ``idle_s``; the loop never dies.
        """
        try:
            while not stop.is_set():
                try:
                    busy = self.step() >= self.batch
                except Exception:  # a server away: retry shortly, counts are kept
                    busy = False
                if not busy:
                    stop.wait(idle_s)
        finally:
            try:
                self.drain()
                self.flush()
                self.release()
            except Exception:  # best effort at shutdown; another worker finishes the job
                pass
