"""A fan-out worker process's loop: the relay (while it holds the lease) and one consumer.

``twitterdesign worker`` runs one `LogWorker` per process; any number of processes
share a database, a timeline store and a log. Each runs a relay, but the lease lets only
one of them publish at a time; every process is a consumer of the group. In the deferred
counters mode each step also runs the `CounterWorker` (counter events into the Redis
shards, and, by the flush lease's holder, the shards into PostgreSQL). `lag` returns the
gauges the app's ``/metrics`` reads.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from twitterdesign.reference_app.log import FanoutLog
from twitterdesign.reference_app.services.counter_worker import CounterWorker
from twitterdesign.reference_app.services.fanout_consumer import FanoutConsumer
from twitterdesign.reference_app.services.relay import OutboxRelay
from twitterdesign.reference_app.storage import Store, TimelineStore
from twitterdesign.timeline import HybridThreshold

__all__ = ["LogLag", "LogWorker", "log_lag"]

_TRIM_EVERY_S = 60.0


@dataclass(frozen=True, slots=True)
class LogLag:
    """How far fan-out is behind the writes, stage by stage.

    Attributes:
        unrelayed: Outbox events not yet published to the log (head − relayed cursor).
        undelivered: Log entries no consumer has read yet.
        pending: Log entries read but not acknowledged (in flight, or a dead consumer's).
    """

    unrelayed: int
    undelivered: int
    pending: int

    def to_dict(self) -> dict[str, Any]:
        """Return the gauges as a dict (for ``/metrics`` and JSON)."""
        return asdict(self)


def log_lag(store: Store, log: FanoutLog) -> LogLag:
    """Return the three lag gauges of a deployment (any process may call it)."""
    return LogLag(
        unrelayed=max(0, store.event_head() - log.relayed_cursor()),
        undelivered=log.undelivered(),
        pending=log.pending(),
    )


class LogWorker:
    """Relay and consume until stopped.

    Args:
        store: The database (its outbox is relayed; its graph is read by the consumer).
        timelines: Where the consumer pushes.
        log: The fan-out log shared by every worker process.
        policy: The hybrid fan-out threshold.
        consumer: This process's name: the consumer's name in the group and the relay's
            in the lease. Keep it stable across restarts.
        batch: Events per relay batch and entries per consumer batch.
        lease_ttl_ms: The relay lease lapses this long after its holder's last renewal.
        claim_idle_ms: Entries pending this long on another consumer are taken over.
        block_ms: How long one consumer read waits for a new entry (bounds stop latency).
        retention_ms: Outbox events and log entries older than this are trimmed (by the
            lease holder, about once a minute).
        counters: The deferred counters' worker, stepped with the fan-out (None: the
            counters are inline, nothing to do).
    """

    def __init__(
        self,
        store: Store,
        timelines: TimelineStore,
        log: FanoutLog,
        *,
        policy: HybridThreshold,
        consumer: str,
        batch: int = 100,
        lease_ttl_ms: int = 5_000,
        claim_idle_ms: int = 30_000,
        block_ms: int = 200,
        retention_ms: int = 24 * 3600 * 1000,
        counters: CounterWorker | None = None,
    ) -> None:
        self._store = store
        self.counters = counters
        self._log = log
        # The lease names this process, not the consumer: two workers started with the
        # same name (a restart overlapping its predecessor) are still two relays.
        holder = f"{consumer}/{uuid.uuid4().hex[:12]}"
        self.relay = OutboxRelay(store, log, holder=holder, lease_ttl_ms=lease_ttl_ms, batch=batch)
        self.consumer = FanoutConsumer(
            store,
            timelines,
            log,
            policy=policy,
            consumer=consumer,
            batch=batch,
            claim_idle_ms=claim_idle_ms,
        )
        self.block_ms = block_ms
        self.retention_ms = retention_ms
        self._last_trim = time.monotonic()

    def step(self) -> int:
        """Relay one batch (if leader), consume one batch, apply and flush counters.

        Returns the log entries acknowledged.
        """
        relayed = self.relay.step()
        counted = self.counters.step() if self.counters is not None else 0
        # Do not wait for new entries while the relay or the counters have more to do.
        busy = relayed or (self.counters is not None and counted >= self.counters.batch)
        acked = self.consumer.step(block_ms=0 if busy else self.block_ms)
        if self.relay.is_leader and time.monotonic() - self._last_trim > _TRIM_EVERY_S:
            self._trim()
        return acked

    def _trim(self) -> None:
        # Only relayed events may go from the outbox: the relay's lag is kept.
        self._last_trim = time.monotonic()
        if self.relay.lag() == 0:
            self.relay.trim_outbox(retention_ms=self.retention_ms)
        self._log.trim(before_ms=int(time.time() * 1000) - self.retention_ms)

    def run(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set, then give the relay (and flush) lease up."""
        try:
            while not stop.is_set():
                self.step()
        finally:
            self.relay.release()
            if self.counters is not None:
                self.counters.release()

    def lag(self) -> LogLag:
        """Return the lag gauges (see `LogLag`)."""
        return log_lag(self._store, self._log)
