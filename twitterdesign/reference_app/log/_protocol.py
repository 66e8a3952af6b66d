"""The `FanoutLog` seam: publish a batch, read in a group, ack, claim the dead's entries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = ["FanoutLog", "LogEntry", "OutboxEvent"]

OutboxEvent = tuple[int, int | None, int]
"""One outbox event as `OutboxStore.events_since` returns it: (position, status, account)."""


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One log entry as a consumer receives it.

    Attributes:
        entry_id: The log's id for the entry (what `FanoutLog.ack` takes).
        outbox_pos: The outbox position the relay copied it from; a republished event
            comes back with the same position under a new ``entry_id``.
        status_id: The status to fan out, or None: ``account_id``'s follow graph changed.
        account_id: The status's author, or the follower whose graph changed.
    """

    entry_id: str
    outbox_pos: int
    status_id: int | None
    account_id: int

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a dict (for JSON)."""
        return asdict(self)


@runtime_checkable
class FanoutLog(Protocol):
    """A durable, ordered log read by one consumer group, plus the relay's cursor and lease.

    The cut: the relay is the only writer (`publish`), the consumers of the group the
    only readers. An entry read by a consumer stays *pending* for it until `ack`; a
    consumer that dies leaves its entries pending, and `claim_stale` hands those idle
    longer than a timeout to another consumer. Nothing is ever lost once published;
    anything may be delivered more than once.
    """

    def hold_relay_lease(self, holder: str, *, ttl_ms: int) -> bool:
        """Take or renew the relay lease for ``holder``; False while another holds it.

        The lease expires ``ttl_ms`` after the last successful call, so a relay that
        dies is replaced within that time.
        """
        ...

    def release_relay_lease(self, holder: str) -> None:
        """Give the lease up if ``holder`` holds it (a clean shutdown)."""
        ...

    def publish(self, events: Sequence[OutboxEvent], *, holder: str, after: int) -> bool:
        """Append ``events`` and save the last one's position as the relay cursor, atomically.

        Fenced twice: nothing is written unless ``holder`` still holds the relay lease
        and the cursor is still ``after`` (the position the batch was read after), so a
        relay that lost its lease (paused past the expiry), or two relays sharing a
        name, cannot publish the same events twice.

        Returns:
            False if the lease was not held or the cursor had moved (nothing written).
        """
        ...

    def relayed_cursor(self) -> int:
        """Return the outbox position of the last published event (0 if none)."""
        ...

    def read(self, consumer: str, *, count: int, block_ms: int = 0) -> list[LogEntry]:
        """Return up to ``count`` entries new to the group, now pending for ``consumer``.

        Waits up to ``block_ms`` for one to arrive (0: do not wait).
        """
        ...

    def read_own_pending(self, consumer: str, *, count: int) -> list[LogEntry]:
        """Return entries pending for ``consumer`` (a restart under the same name resumes)."""
        ...

    def claim_stale(self, consumer: str, *, min_idle_ms: int, count: int) -> list[LogEntry]:
        """Move up to ``count`` entries pending longer than ``min_idle_ms`` to ``consumer``.

        The entries of a consumer that died (or hangs) become ``consumer``'s to process.
        """
        ...

    def delivery_counts(self, entry_ids: Sequence[str]) -> dict[str, int]:
        """Return how many times each pending entry was delivered (read or claimed).

        Entries not pending are left out.
        """
        ...

    def ack(self, entry_ids: Sequence[str]) -> int:
        """Mark entries processed (no longer pending); return how many were pending."""
        ...

    def pending(self) -> int:
        """Return how many entries were delivered to the group but not acknowledged."""
        ...

    def undelivered(self) -> int:
        """Return how many entries were published but not yet delivered to the group."""
        ...

    def trim(self, *, before_ms: int) -> int:
        """Delete entries published before ``before_ms`` (Unix ms); return how many."""
        ...

    def add_counts(self, counts: Mapping[str, int]) -> None:
        """Add to the totals every consumer shares (``statuses_pushed``, ``deliveries``…).

        The app processes of a cluster push nothing themselves; their ``/metrics`` read
        these totals. An entry delivered twice (at-least-once) is counted twice.
        """
        ...

    def counts(self) -> dict[str, int]:
        """Return the shared totals (empty before any consumer added to them)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
