"""Home timelines: a capped per-user cache filled by a background fan-out worker.

The lesson's hybrid policy (`twitterdesign.timeline.HybridThreshold`): when an
account with at most ``threshold`` followers posts, a background worker pushes the status
id into each *active* follower's capped cache
(`twitterdesign.timeline.TimelineCache`) — active meaning the follower read their
home timeline within ``active_window_s``; writes to everyone else are skipped. Celebrities'
posts are not pushed; they are pulled from storage and merged when a follower reads.
A cache that does not exist (after a restart, or for a user who never read) is rebuilt
from storage on the first read, so nothing is lost when the process dies: the cache is
only an accelerator in front of the database.

Pub-sub: a new status is appended to a fan-out log in the same transaction that stores it
(follows and unfollows append an entry too). Every server process runs a worker that
tails the log — woken at once for its own writes, polling every 50 ms for the others' —
so with several processes over one database each keeps its own caches current.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from twitterdesign.reference_app.storage import Page, StatusRecord, Store
from twitterdesign.timeline import HybridThreshold, TimelineCache

__all__ = ["FanoutStats", "TimelineService"]


@dataclass(frozen=True, slots=True)
class FanoutStats:
    """Counters of the fan-out worker since the process started."""

    statuses_pushed: int
    statuses_pulled: int
    deliveries: int
    queue_depth: int
    active_caches: int
    cache_rebuilds: int

    def to_dict(self) -> dict[str, int]:
        """Return the counters as a JSON-ready dict."""
        return {
            "statuses_pushed": self.statuses_pushed,
            "statuses_pulled": self.statuses_pulled,
            "deliveries": self.deliveries,
            "queue_depth": self.queue_depth,
            "active_caches": self.active_caches,
            "cache_rebuilds": self.cache_rebuilds,
        }


class TimelineService:
    """Home timelines with hybrid fan-out (push to active followers, pull celebrities).

    Args:
        store: The database the caches are rebuilt from.
        threshold: Largest follower count still pushed; bigger accounts are pulled.
        capacity: Ids kept per user's cache.
        active_window_s: A follower who has not read their home timeline for this long
            gets no pushes (and their cache is dropped); it is rebuilt on the next read.
    """

    def __init__(
        self,
        store: Store,
        *,
        threshold: int,
        capacity: int,
        active_window_s: float = 7 * 86_400.0,
    ) -> None:
        self._store = store
        self.policy = HybridThreshold(threshold)
        self._cache = TimelineCache(capacity, inactive_after_s=active_window_s)
        self._capacity = capacity
        self._lock = threading.Lock()
        self._built: set[int] = set()  # users whose cache was rebuilt from storage
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._drain_lock = threading.Lock()
        # Start at the head of the log: caches are rebuilt from storage, not replayed.
        self._last_seq = store.event_head()
        self.poll_interval_s = 0.05
        self.log_retention_ms = 10 * 60 * 1000
        self._pulled_authors: set[int] = set()
        self._worker: threading.Thread | None = None
        self._pushed = self._pulled = self._deliveries = self._rebuilds = 0
        self.on_delivered: Callable[[int, int], None] | None = None

    # --- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        """Start the background fan-out worker (idempotent)."""
        if self._worker is None or not self._worker.is_alive():
            self._stopping.clear()
            self._worker = threading.Thread(
                target=self._run, name="twitterdesign-fanout", daemon=True
            )
            self._worker.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Fan out what is already logged, then stop the worker."""
        if self._worker is not None and self._worker.is_alive():
            self._stopping.set()
            self._wake.set()
            self._worker.join(timeout)
        self._worker = None

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every logged event (at call time) is fanned out; False on timeout."""
        target = self._store.event_head()
        deadline = time.monotonic() + timeout
        while self._last_seq < target:
            if self._worker is None:
                self._drain()
                continue
            if time.monotonic() > deadline:
                return False
            self._wake.set()
            time.sleep(0.005)
        return True

    @property
    def queue_depth(self) -> int:
        """Fan-out log entries this process has not processed yet."""
        return max(0, self._store.event_head() - self._last_seq)

    def stats(self) -> FanoutStats:
        """Return the worker's counters."""
        return FanoutStats(
            self._pushed,
            self._pulled,
            self._deliveries,
            self.queue_depth,
            self._cache.n_users,
            self._rebuilds,
        )

    # --- writes ----------------------------------------------------------------------
    def on_new_status(self, status: StatusRecord) -> None:
        """Wake the worker for a status just stored (and logged); returns immediately."""
        if self._worker is None:  # no worker (e.g. a unit test): deliver inline
            self._drain()
        else:
            self._wake.set()

    def invalidate(self, user: int) -> None:
        """Forget a user's cache (after follow/unfollow); it is rebuilt on the next read."""
        with self._lock:
            self._built.discard(user)
            self._cache.drop_user(user)

    def _drain(self) -> None:
        """Process every log entry after the last one seen (any process may have written)."""
        with self._drain_lock:
            while True:
                events = self._store.events_since(self._last_seq, 500)
                if not events:
                    return
                for seq, status_id, account_id in events:
                    try:
                        if status_id is None:
                            self.invalidate(account_id)
                        else:
                            self._fan_out(status_id, account_id)
                    except Exception:  # pragma: no cover - one bad entry must not stop fan-out
                        pass
                    self._last_seq = seq

    def _run(self) -> None:
        last_trim = time.monotonic()
        while True:
            self._wake.wait(self.poll_interval_s)
            self._wake.clear()
            self._drain()
            if self._stopping.is_set():
                return
            if time.monotonic() - last_trim > 60.0:
                # Entries older than the retention are of no use: a process that lagged
                # that long rebuilds its caches from storage anyway.
                self._store.trim_events(int(time.time() * 1000) - self.log_retention_ms)
                last_trim = time.monotonic()

    def _fan_out(self, status_id: int, author_id: int) -> None:
        author = self._store.get_accounts([author_id]).get(author_id)
        if author is None:
            return
        self._cache.fanout(status_id, [author_id])  # the author sees their own post
        if not self.policy.pushes(follower_count=author.followers_count):
            with self._lock:
                self._pulled_authors.add(author_id)
            self._pulled += 1
            return
        delivered = self._cache.fanout(status_id, self._store.follower_ids(author_id))
        self._pushed += 1
        self._deliveries += delivered
        if self.on_delivered is not None:
            self.on_delivered(status_id, delivered)

    # --- reads -----------------------------------------------------------------------
    def home_ids(self, user: int, page: Page) -> list[int]:
        """Return candidate status ids for a user's home timeline page, newest first.

        Candidates still need a visibility check by the caller (a follow may have ended).
        """
        followees = self._store.followee_follower_counts(user)
        with self._lock:
            pulled_authors = self._pulled_authors.copy()
        pushes = self.policy.pushes
        celebs = {
            a
            for a, followers in followees.items()
            if a in pulled_authors or not pushes(follower_count=followers)
        }
        pushed_authors = [a for a in followees if a not in celebs] + [user]
        self._ensure_built(user, pushed_authors)
        cached = self._cache.read(
            user,
            limit=page.limit,
            max_id=page.max_id,
            since_id=page.since_id,
            min_id=page.min_id,
        )
        if len(cached) < page.limit and self._cache_is_full(user):
            # Paging past what the cache holds: read older pushed statuses from storage.
            cached = cached + self._store.status_ids_by_authors(pushed_authors, page)
        pulled = self._store.status_ids_by_authors(sorted(celebs), page) if celebs else []
        merged = sorted(set(cached) | set(pulled), reverse=True)
        if page.min_id is not None:
            return merged[-page.limit :]
        return merged[: page.limit]

    def _cache_is_full(self, user: int) -> bool:
        return len(self._cache.read(user, limit=self._capacity)) >= self._capacity

    def _ensure_built(self, user: int, pushed_authors: list[int]) -> None:
        """Rebuild a missing cache from storage, without losing concurrent pushes.

        The user is marked active first, so the worker starts pushing to them; the rebuilt
        ids are then merged in (never replacing), so a status fanned out while the
        rebuild query ran is kept either way.
        """
        with self._lock:
            if user in self._built and user in self._cache:
                return
            self._built.add(user)
        self._cache.touch(user)
        rebuilt = self._store.status_ids_by_authors(pushed_authors, Page(limit=self._capacity))
        for status_id in rebuilt:
            self._cache.insert(user, status_id)
        self._rebuilds += 1
