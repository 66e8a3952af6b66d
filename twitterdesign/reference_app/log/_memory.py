"""`InMemoryFanoutLog`: the `FanoutLog` guarantees inside one process (for tests)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from twitterdesign._validate import check_int
from twitterdesign.reference_app.log._protocol import LogEntry, OutboxEvent

__all__ = ["InMemoryFanoutLog"]


@dataclass(slots=True)
class _Pending:
    consumer: str
    since_s: float
    deliveries: int = 1


class InMemoryFanoutLog:
    """A log, one consumer group, a cursor and a lease in this process's memory.

    Examples:
        >>> log = InMemoryFanoutLog()
        >>> log.hold_relay_lease("r1", ttl_ms=1000), log.hold_relay_lease("r2", ttl_ms=1000)
        (True, False)
        >>> log.publish([(1, 10, 7), (2, None, 8)], holder="r1", after=0), log.relayed_cursor()
        (True, 2)
        >>> [e.status_id for e in log.read("c1", count=10)], log.pending()
        ([10, None], 2)
        >>> log.ack(["1", "2"]), log.pending()
        (2, 0)
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[LogEntry, float]] = {}  # insertion order = log order
        self._next_id = 1
        self._delivered_upto = 0  # entries with a smaller numeric id went to the group
        self._pending: dict[str, _Pending] = {}
        self._cursor = 0
        self._lease: tuple[str, float] | None = None
        self._counts: Counter[str] = Counter()

    def hold_relay_lease(self, holder: str, *, ttl_ms: int) -> bool:
        """Take or renew the relay lease for ``holder``; False while another holds it."""
        check_int("ttl_ms", ttl_ms, minimum=1)
        now = time.monotonic()
        with self._lock:
            if self._lease is not None and self._lease[0] != holder and self._lease[1] > now:
                return False
            self._lease = (holder, now + ttl_ms / 1000)
            return True

    def release_relay_lease(self, holder: str) -> None:
        """Give the lease up if ``holder`` holds it."""
        with self._lock:
            if self._lease is not None and self._lease[0] == holder:
                self._lease = None

    def _holds(self, holder: str) -> bool:
        return (
            self._lease is not None
            and self._lease[0] == holder
            and self._lease[1] > time.monotonic()
        )

    def publish(self, events: Sequence[OutboxEvent], *, holder: str, after: int) -> bool:
        """Append ``events`` and save the cursor (fenced by the lease and ``after``)."""
        with self._lock:
            if not self._holds(holder) or self._cursor != after:
                return False
            now = time.time()
            for pos, status_id, account_id in events:
                entry_id = str(self._next_id)
                self._next_id += 1
                self._entries[entry_id] = (LogEntry(entry_id, pos, status_id, account_id), now)
            if events:
                self._cursor = events[-1][0]
            return True

    def relayed_cursor(self) -> int:
        """Return the outbox position of the last published event (0 if none)."""
        with self._lock:
            return self._cursor

    def read(self, consumer: str, *, count: int, block_ms: int = 0) -> list[LogEntry]:
        """Return up to ``count`` new entries, now pending for ``consumer`` (never blocks)."""
        check_int("count", count, minimum=1)
        with self._lock:
            out: list[LogEntry] = []
            for entry_id, (entry, _) in self._entries.items():
                if int(entry_id) <= self._delivered_upto:
                    continue
                if len(out) == count:
                    break
                out.append(entry)
                self._pending[entry_id] = _Pending(consumer, time.monotonic())
            if out:
                self._delivered_upto = int(out[-1].entry_id)
            return out

    def read_own_pending(self, consumer: str, *, count: int) -> list[LogEntry]:
        """Return entries pending for ``consumer``."""
        with self._lock:
            ids = [i for i, p in self._pending.items() if p.consumer == consumer][:count]
            for i in ids:  # a re-read counts as a delivery, as XREADGROUP 0 does
                self._pending[i].deliveries += 1
            return [self._entries[i][0] for i in ids if i in self._entries]

    def claim_stale(self, consumer: str, *, min_idle_ms: int, count: int) -> list[LogEntry]:
        """Move entries pending longer than ``min_idle_ms`` to ``consumer``."""
        now = time.monotonic()
        with self._lock:
            out: list[LogEntry] = []
            for entry_id, p in list(self._pending.items()):
                if len(out) == count:
                    break
                if (now - p.since_s) * 1000 >= min_idle_ms:
                    self._pending[entry_id] = _Pending(consumer, now, p.deliveries + 1)
                    out.append(self._entries[entry_id][0])
            return out

    def delivery_counts(self, entry_ids: Sequence[str]) -> dict[str, int]:
        """Return how many times each pending entry was delivered."""
        with self._lock:
            return {i: self._pending[i].deliveries for i in entry_ids if i in self._pending}

    def ack(self, entry_ids: Sequence[str]) -> int:
        """Mark entries processed; return how many were pending."""
        with self._lock:
            return sum(self._pending.pop(i, None) is not None for i in entry_ids)

    def pending(self) -> int:
        """Return how many entries were delivered but not acknowledged."""
        with self._lock:
            return len(self._pending)

    def undelivered(self) -> int:
        """Return how many entries were published but not yet delivered to the group."""
        with self._lock:
            return sum(int(i) > self._delivered_upto for i in self._entries)

    def trim(self, *, before_ms: int) -> int:
        """Delete entries published before ``before_ms`` (and forget them if pending)."""
        with self._lock:
            old = [i for i, (_, t) in self._entries.items() if t * 1000 < before_ms]
            for i in old:
                del self._entries[i]
                self._pending.pop(i, None)
            return len(old)

    def add_counts(self, counts: Mapping[str, int]) -> None:
        """Add to the totals every consumer shares."""
        with self._lock:
            self._counts.update(counts)

    def counts(self) -> dict[str, int]:
        """Return the shared totals."""
        with self._lock:
            return dict(self._counts)

    def close(self) -> None:
        """Nothing to release."""
