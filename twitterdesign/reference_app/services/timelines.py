"""Home timelines: a capped per-user cache filled by a background fan-out worker.

The lesson's hybrid policy: when an account with fewer than ``fanout_threshold``
followers posts, a background worker (the pub-sub consumer) pushes the status id into each
*active* follower's cache — active meaning the follower has a cache because they read their
timeline since the process started. Celebrities' posts are not pushed; they are pulled from
storage and merged when a follower reads. A cache that does not exist (after a restart, or
for a user who never read) is rebuilt from storage on the first read, so nothing is lost
when the process dies: the cache is only an accelerator in front of the database.
"""

from __future__ import annotations

import bisect
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from twitterdesign.reference_app.storage import Page, StatusRecord, Store

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


class _CappedTimelines:
    """Per-user sorted id lists, each capped at ``capacity``; LRU-bounded user count."""

    def __init__(self, capacity: int, max_users: int) -> None:
        self.capacity = capacity
        self.max_users = max_users
        self._lists: OrderedDict[int, list[int]] = OrderedDict()

    def has(self, user: int) -> bool:
        return user in self._lists

    def put_all(self, user: int, ids: list[int]) -> None:
        self._lists[user] = sorted(set(ids))[-self.capacity :]
        self._lists.move_to_end(user)
        while len(self._lists) > self.max_users:
            self._lists.popitem(last=False)

    def push(self, user: int, status_id: int) -> bool:
        ids = self._lists.get(user)
        if ids is None:
            return False
        pos = bisect.bisect_left(ids, status_id)
        if pos < len(ids) and ids[pos] == status_id:
            return False
        ids.insert(pos, status_id)
        if len(ids) > self.capacity:
            del ids[0]
        return True

    def read(self, user: int) -> list[int]:
        self._lists.move_to_end(user)
        return self._lists[user]

    def drop(self, user: int) -> None:
        self._lists.pop(user, None)

    def __len__(self) -> int:
        return len(self._lists)


class TimelineService:
    """Home timelines with hybrid fan-out (push to active followers, pull celebrities).

    Args:
        store: The database the caches are rebuilt from.
        threshold: Authors with at least this many followers are pulled, not pushed.
        capacity: Ids kept per user's cache.
        max_users: How many users' caches are kept in memory (least recently read out).
    """

    def __init__(
        self, store: Store, *, threshold: int, capacity: int, max_users: int = 100_000
    ) -> None:
        self._store = store
        self._threshold = threshold
        self._cache = _CappedTimelines(capacity, max_users)
        self._lock = threading.Lock()
        self._queue: queue.Queue[tuple[int, int] | None] = queue.Queue()
        self._pulled_authors: set[int] = set()
        self._worker: threading.Thread | None = None
        self._pushed = self._pulled = self._deliveries = self._rebuilds = 0
        self.on_delivered: Callable[[int, int], None] | None = None

    # --- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        """Start the background fan-out worker (idempotent)."""
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(
                target=self._run, name="twitterdesign-fanout", daemon=True
            )
            self._worker.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish queued work and stop the worker."""
        if self._worker is not None and self._worker.is_alive():
            self._queue.put(None)
            self._worker.join(timeout)
        self._worker = None

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued fan-out is done; return False on timeout."""
        done = threading.Event()

        def waiter() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=waiter, daemon=True).start()
        return done.wait(timeout)

    @property
    def queue_depth(self) -> int:
        """Statuses waiting to be fanned out."""
        return self._queue.qsize()

    def stats(self) -> FanoutStats:
        """Return the worker's counters."""
        return FanoutStats(
            self._pushed,
            self._pulled,
            self._deliveries,
            self.queue_depth,
            len(self._cache),
            self._rebuilds,
        )

    # --- writes ----------------------------------------------------------------------
    def on_new_status(self, status: StatusRecord) -> None:
        """Queue a freshly stored status for fan-out; returns immediately."""
        self._queue.put((status.id, status.account_id))
        if self._worker is None:  # no worker (e.g. a unit test): deliver inline
            self._drain_inline()

    def invalidate(self, user: int) -> None:
        """Forget a user's cache (after follow/unfollow); it is rebuilt on the next read."""
        with self._lock:
            self._cache.drop(user)

    def _drain_inline(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            try:
                if item is not None:
                    self._fan_out(*item)
            finally:
                self._queue.task_done()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self._fan_out(*item)
            except Exception:  # pragma: no cover - a bad item must not kill the worker
                pass
            finally:
                self._queue.task_done()

    def _fan_out(self, status_id: int, author_id: int) -> None:
        author = self._store.get_accounts([author_id]).get(author_id)
        if author is None:
            return
        with self._lock:
            self._cache.push(author_id, status_id)  # the author sees their own post
        if author.followers_count >= self._threshold:
            with self._lock:
                self._pulled_authors.add(author_id)
            self._pulled += 1
            return
        followers = self._store.follower_ids(author_id)
        delivered = 0
        with self._lock:
            for follower in followers:
                if self._cache.push(follower, status_id):
                    delivered += 1
        self._pushed += 1
        self._deliveries += delivered
        if self.on_delivered is not None:
            self.on_delivered(status_id, delivered)

    # --- reads -----------------------------------------------------------------------
    def home_ids(self, user: int, page: Page) -> list[int]:
        """Return candidate status ids for a user's home timeline page, newest first.

        Candidates still need a visibility check by the caller (a follow may have ended).
        """
        followees = self._store.followee_ids(user)
        accounts = self._store.get_accounts(followees)
        with self._lock:
            pulled_authors = self._pulled_authors.copy()
        celebs = [
            a
            for a in followees
            if a in pulled_authors
            or (a in accounts and accounts[a].followers_count >= self._threshold)
        ]
        with self._lock:
            cached = list(self._cache.read(user)) if self._cache.has(user) else None
        if cached is None:
            pushed_authors = [a for a in followees if a not in set(celebs)] + [user]
            rebuilt = self._store.status_ids_by_authors(
                pushed_authors, Page(limit=self._cache.capacity)
            )
            with self._lock:
                if not self._cache.has(user):
                    self._cache.put_all(user, rebuilt)
                    self._rebuilds += 1
                cached = list(self._cache.read(user))
        pulled = self._store.status_ids_by_authors(celebs, page) if celebs else []
        if (
            len(cached) >= self._cache.capacity
            and page.max_id is not None
            and (page.max_id <= cached[0])
        ):
            # Paging past what the cache holds: read older pushed statuses from storage.
            pushed_authors = [a for a in followees if a not in set(celebs)] + [user]
            cached = cached + self._store.status_ids_by_authors(pushed_authors, page)
        merged = sorted(set(cached) | set(pulled), reverse=True)
        if page.max_id is not None:
            merged = [i for i in merged if i < page.max_id]
        if page.since_id is not None:
            merged = [i for i in merged if i > page.since_id]
        if page.min_id is not None:
            merged = [i for i in merged if i > page.min_id][-page.limit :]
            return merged
        return merged[: page.limit]
