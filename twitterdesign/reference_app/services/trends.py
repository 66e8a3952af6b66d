"""Trends and view counts: what is hot now, and how often each status was served.

Views are the lesson's hottest counter (every read of a status is one), so they are not
written per request: they accumulate in memory and a background flusher adds them to
storage every ``flush_interval_s``. Trending tags and statuses are ranked over the last
``window_s`` seconds of public activity only, so followers-only posts never trend.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from twitterdesign.reference_app.storage import StatusRecord, Store

__all__ = ["TrendingStatus", "TrendingTag", "TrendsService"]


@dataclass(frozen=True, slots=True)
class TrendingTag:
    """A hashtag and how many public statuses used it in the window."""

    name: str
    uses: int
    lower_bound: int
    upper_bound: int


@dataclass(frozen=True, slots=True)
class TrendingStatus:
    """A status id and its engagement score (favourites + reblogs + views) in the window."""

    status_id: int
    score: int
    lower_bound: int
    upper_bound: int


class TrendsService:
    """Rank hashtags and statuses, and count views.

    Args:
        store: Persistence (view counts and status rows).
        clock_ms: Current Unix time in milliseconds.
        window_s: How far back trends look.
        flush_interval_s: How often buffered views are written.
    """

    def __init__(
        self,
        store: Store,
        clock_ms: Callable[[], int],
        *,
        window_s: float,
        flush_interval_s: float,
    ) -> None:
        self._store = store
        self._now = clock_ms
        self.window_s = window_s
        self.flush_interval_s = flush_interval_s
        self._lock = threading.Lock()
        self._pending_views: Counter[int] = Counter()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        """Start the background view flusher."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._loop, name="twitterdesign-views", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop the flusher and write what is buffered."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10.0)
            self._thread = None
        self.flush()

    def _loop(self) -> None:
        while not self._stop.wait(self.flush_interval_s):
            self.flush()

    @property
    def nbytes(self) -> int:
        """Approximate memory held by the view buffer and trend state, in bytes."""
        with self._lock:
            return 64 * len(self._pending_views)

    # --- events ----------------------------------------------------------------------
    def record_views(self, statuses: Iterable[StatusRecord]) -> None:
        """Count one view of each status served (a reblog counts for its original)."""
        with self._lock:
            for s in statuses:
                self._pending_views[s.reblog_of_id or s.id] += 1

    def pending_views(self, status_id: int) -> int:
        """Views counted but not yet written to storage."""
        with self._lock:
            return self._pending_views.get(status_id, 0)

    def flush(self) -> None:
        """Write buffered views to storage now."""
        with self._lock:
            pending, self._pending_views = self._pending_views, Counter()
        if pending:
            self._store.add_views(dict(pending))

    def on_created(self, status: StatusRecord) -> None:
        """Hook for new statuses (tags are counted from storage in this implementation)."""

    def on_interaction(self, kind: str, status: StatusRecord) -> None:
        """Hook for favourites and reblogs (counted from storage in this implementation)."""

    # --- reads -----------------------------------------------------------------------
    def trending_tags(self, limit: int) -> list[TrendingTag]:
        """Return the most used hashtags in public statuses within the window."""
        since = self._now() - int(self.window_s * 1000)
        return [TrendingTag(t, n, n, n) for t, n in self._store.tag_uses_since(since, limit)]

    def trending_statuses(self, limit: int) -> list[TrendingStatus]:
        """Return the public statuses with the most engagement within the window."""
        self.flush()
        since = self._now() - int(self.window_s * 1000)
        ids = self._store.recent_public_status_ids(since)
        found = self._store.get_statuses(ids)
        scored = sorted(
            ((s.favourites_count + s.reblogs_count + s.views_count, s.id) for s in found.values()),
            reverse=True,
        )
        return [TrendingStatus(sid, n, n, n) for n, sid in scored[:limit] if n > 0]
