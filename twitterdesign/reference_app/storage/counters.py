"""The counter seams: where view counts go when a process flushes, and deferred counters.

Views are the lesson's hottest counter, so `twitterdesign.reference_app.services.trends.
TrendsService` never writes one per request: it buffers them in this process (a
`twitterdesign.topk.ShardedCounter`, exact pending counts for rendering) and every
``view_flush_interval_s`` hands the sums to a `ViewCounterStore` in one call. That call is
the whole seam. In embedded mode the database is the counter store (`SQLiteStore` has the
method, so it satisfies the protocol as it is); in cluster mode
`twitterdesign.reference_app.storage.redis.RedisStatusCounters` adds to sharded counter
keys and a worker folds them into PostgreSQL.

Why only this for views: the pending (unflushed) counts stay per process on purpose — a
view shows at once in the process that served it and within one flush interval
everywhere else, which is what several embedded processes already give.

Favourites, reblogs and replies have a second seam, `DeferredCounterStore`, used in the
cluster's *deferred counters* mode: the database transaction that adds the favourite
row (or the reblog, or the reply) no longer updates the status's counter column — every
like of a hot status would queue on that one row lock — but appends a `CounterEvent` to
a counter outbox in the same transaction. The writer right after its commit (or else a
worker) moves the events into Redis shard keys (deduplicated by `CounterEvent.key`, so a
redelivered event counts once) and a
flusher folds the shard sums into the columns in batches, each recorded once by its flush
id (`DeferredCounterStore.apply_counter_flush`). See
`twitterdesign.reference_app.services.counters` for the whole path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "COUNTER_FIELDS",
    "CounterDeltas",
    "CounterEvent",
    "DeferredCounterStore",
    "ViewCounterStore",
    "counter_key_prefixes",
]

COUNTER_FIELDS = ("favourites", "reblogs", "replies")
"""The counters a `CounterEvent` may move (views come as batches, see `ViewCounterStore`)."""


def counter_key_prefixes(
    *,
    favourite: tuple[int, int] | None = None,
    status_ids: Sequence[int] = (),
) -> list[str]:
    """Return the `CounterEvent.key` prefixes of one writer's own changes.

    ``favourite=(account, status)`` names that account's favourite events of that
    status (``fav:<account>:<status>:<favourite id>:<+|->``); each of ``status_ids``
    names the reply and reblog events of posting or deleting that status
    (``reply:<id>:<+|->``, ``reblog:<id>:<+|->``). The writer applies its own events at
    once with `DeferredCounterStore.consume_counter_events_matching`, so the response to
    a favourite already shows it.

    Examples:
        >>> counter_key_prefixes(favourite=(7, 100), status_ids=[200])
        ['fav:7:100:', 'reply:200:', 'reblog:200:']
    """
    out = [f"fav:{favourite[0]}:{favourite[1]}:"] if favourite is not None else []
    for sid in status_ids:
        out += [f"reply:{sid}:", f"reblog:{sid}:"]
    return out


@runtime_checkable
class ViewCounterStore(Protocol):
    """Add batches of view counts to shared totals."""

    def add_views(self, counts: Mapping[int, int]) -> None:
        """Add ``counts[status_id]`` views to each status's total.

        Additive and commutative: batches from any number of processes, in any order, sum
        to the same totals, so no coordination is needed between flushers. Atomic per
        batch (all of it is added, or none on an error, so a retried flush does not count
        half a batch twice). Ids of statuses that no longer exist are ignored; an empty
        mapping does nothing.
        """
        ...


@dataclass(frozen=True, slots=True)
class CounterDeltas:
    """Changes to a status's four counters that are not in its stored columns yet.

    Examples:
        >>> CounterDeltas(favourites=2) + CounterDeltas(favourites=-1, views=5)
        CounterDeltas(favourites=1, reblogs=0, replies=0, views=5)
        >>> bool(CounterDeltas()), CounterDeltas(views=1).to_dict()["views"]
        (False, 1)
    """

    favourites: int = 0
    reblogs: int = 0
    replies: int = 0
    views: int = 0

    def __add__(self, other: CounterDeltas) -> CounterDeltas:
        return CounterDeltas(
            self.favourites + other.favourites,
            self.reblogs + other.reblogs,
            self.replies + other.replies,
            self.views + other.views,
        )

    def __bool__(self) -> bool:
        return any((self.favourites, self.reblogs, self.replies, self.views))

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a dict (for JSON)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class CounterEvent:
    """One counter change written by a committed transaction, waiting to be applied.

    Attributes:
        key: Unique per change and stable across redeliveries: the row that caused it
            and the direction, e.g. ``"fav:<account>:<status>:<favourite id>:+"`` or
            ``"reblog:<reblog id>:-"`` (see `counter_key_prefixes`). Snowflake ids never
            repeat, so neither do keys (a sequence number would, after a schema reset).
        status_id: The status whose counter moves.
        field: One of `COUNTER_FIELDS`.
        delta: +1 or -1.
    """

    key: str
    status_id: int
    field: str
    delta: int

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a dict (for JSON)."""
        return asdict(self)


@runtime_checkable
class DeferredCounterStore(Protocol):
    """A database whose favourite, reblog and reply counters are applied in batches.

    The cut: the database stays the source of truth (the rows, and one `CounterEvent` per
    committed change); what is *not yet* in the counter columns lives elsewhere (Redis
    shards) until `apply_counter_flush` folds it in, exactly once per flush id.
    """

    deferred_counters: bool
    """True: writers append `CounterEvent` rows instead of updating the columns."""

    def consume_counter_events(
        self, limit: int, apply: Callable[[Sequence[CounterEvent]], object]
    ) -> int:
        """Hand up to ``limit`` waiting events to ``apply``, then delete them; return how many.

        Oldest first, in one transaction that locks the rows it hands out (other
        consumers skip them, so several workers share the outbox). The rows are deleted
        only if ``apply`` returns; if it raises, or the commit fails after it returned,
        the same events are handed out again — ``apply`` must be idempotent by
        `CounterEvent.key`.
        """
        ...

    def consume_counter_events_matching(
        self, prefixes: Sequence[str], apply: Callable[[Sequence[CounterEvent]], object]
    ) -> int:
        """Like `consume_counter_events`, for the waiting events whose key starts with one
        of ``prefixes`` (a writer's own, see `counter_key_prefixes`); return how many.

        Waits for a consumer applying the same rows right now (then finds them gone): on
        return, every matching event committed before the call is in ``apply``'s target.
        """
        ...

    def counter_events_waiting(self) -> int:
        """Return how many events no consumer has applied yet (a lag gauge)."""
        ...

    def apply_counter_flush(self, flush_id: str, deltas: Mapping[int, CounterDeltas]) -> bool:
        """Add ``deltas`` to the counter columns and record ``flush_id``, in one transaction.

        Returns False (and changes nothing) if ``flush_id`` was applied before, so a
        flusher that crashed after the commit can safely apply the same batch again.
        Ids of statuses that no longer exist are ignored.
        """
        ...

    def counter_flush_applied(self, flush_id: str) -> bool:
        """Return whether ``flush_id`` was applied (committed)."""
        ...

    def trim_counter_flushes(self, before_ms: int) -> int:
        """Forget flush ids applied before ``before_ms``; return how many."""
        ...
