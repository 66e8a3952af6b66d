"""Where ranked home timelines keep their ranking between pages (the snapshot seam).

A ranked page's order depends on counts that change every second; a client that pages
through "Top" must see each status once, in one order. So the first page ranks every
candidate once and saves the ranked ids under a random token; later pages read slices
of that snapshot (`twitterdesign.reference_app.services.ranking`). `InMemoryRankings`
keeps snapshots in the process (the embedded mode);
`twitterdesign.reference_app.storage.redis.RedisRankings` keeps them in Redis, so the
next page may be served by any app instance of a cluster.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from twitterdesign._validate import check_int, check_number

__all__ = ["InMemoryRankings", "RankingStore"]


@runtime_checkable
class RankingStore(Protocol):
    """Ranked id lists by (owner, token), each kept for a while and then forgotten."""

    def save(self, owner: int, token: str, ids: Sequence[int]) -> None:
        """Keep ``ids`` (ranked, best first) for ``owner`` under ``token``."""
        ...

    def load(self, owner: int, token: str) -> list[int] | None:
        """Return what `save` kept, or None when it expired, was evicted or never was."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class InMemoryRankings:
    """Snapshots in this process: at most ``max_entries``, each for ``ttl_s`` seconds.

    Examples:
        >>> rankings = InMemoryRankings(ttl_s=600)
        >>> rankings.save(7, "t1", [30, 10, 20])
        >>> rankings.load(7, "t1"), rankings.load(8, "t1")
        ([30, 10, 20], None)
    """

    def __init__(
        self,
        *,
        ttl_s: float = 900.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = check_number("ttl_s", ttl_s, minimum=0.0, min_inclusive=False)
        self.max_entries = check_int("max_entries", max_entries, minimum=1)
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[int, str], tuple[tuple[int, ...], float]] = OrderedDict()

    def save(self, owner: int, token: str, ids: Sequence[int]) -> None:
        """Keep ``ids``; the oldest snapshot goes when there are too many."""
        with self._lock:
            self._entries[(owner, token)] = (tuple(ids), self._clock() + self.ttl_s)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def load(self, owner: int, token: str) -> list[int] | None:
        """Return the snapshot, or None."""
        with self._lock:
            entry = self._entries.get((owner, token))
            if entry is None or entry[1] <= self._clock():
                self._entries.pop((owner, token), None)
                return None
            return list(entry[0])

    def close(self) -> None:
        """Forget every snapshot."""
        with self._lock:
            self._entries.clear()
