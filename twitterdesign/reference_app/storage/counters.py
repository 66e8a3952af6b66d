"""The view-counter seam: where a process's buffered view counts go when it flushes.

Views are the lesson's hottest counter, so `twitterdesign.reference_app.services.trends.
TrendsService` never writes one per request: it buffers them in this process (a
`twitterdesign.topk.ShardedCounter`, exact pending counts for rendering) and every
``view_flush_interval_s`` hands the sums to a `ViewCounterStore` in one call. That call is
the whole seam. In embedded mode the database is the counter store (`SQLiteStore` has the
method, so it satisfies the protocol as it is); in cluster mode a Redis implementation adds
to sharded counter keys and a worker folds them into PostgreSQL.

Why only this: the pending (unflushed) counts stay per process on purpose — a view shows
at once in the process that served it and within one flush interval everywhere else,
which is what several embedded processes already give. The trend sketches have their own
seam, their persistence (save, load, list by prefix; one save per process, merged at read
time), which is already shared through storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

__all__ = ["ViewCounterStore"]


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
