"""The home-timeline seam: per-user capped id lists, shared by fan-out writers and readers.

`TimelineStore` is where the lesson keeps each user's home timeline: the newest
``capacity`` status ids (Twitter kept 800 in Redis), written by the fan-out consumers
(`twitterdesign.reference_app.services.fanout.FanoutWorker`) and read by
`twitterdesign.reference_app.services.timelines.TimelineService`. It also holds the two
pieces of fan-out state that every process must agree on: which users' timelines were
rebuilt from storage (and are therefore authoritative), and which authors were pulled as
celebrities. The timeline is only an accelerator in front of the database: anything it
loses is rebuilt from storage on the next read.

`InProcessTimelineStore` (over `twitterdesign.timeline.TimelineCache`) is the embedded
implementation, shared by the threads of one process. A cluster implementation (Redis
sorted sets scored by id, a set of built users and a set of pulled authors) must give the
guarantees each method's docstring states; `tests/reference_app/storage/
test_timeline_store_contract.py` checks them for every registered implementation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from twitterdesign._validate import check_int, check_number
from twitterdesign.timeline import TimelineCache

__all__ = ["HomeRead", "InProcessTimelineStore", "TimelineStore"]


@dataclass(frozen=True, slots=True)
class HomeRead:
    """The answer of `TimelineStore.open_home`.

    Attributes:
        ids: The page, newest first (see `TimelineStore.read`).
        rebuild: The caller claimed the rebuild (see `TimelineStore.claim_rebuild`).
        full: The timeline holds ``capacity`` ids (see `TimelineStore.is_full`).
        pulled_authors: See `TimelineStore.pulled_authors`.
    """

    ids: list[int]
    rebuild: bool
    full: bool
    pulled_authors: frozenset[int]


@runtime_checkable
class TimelineStore(Protocol):
    """Capped, newest-first home timelines of status ids, plus the fan-out's shared state.

    Ids are Snowflake ids, so "newest" means "largest". Every method is atomic on its
    own (a Redis implementation runs each in one ``MULTI``/Lua script); no method needs
    to be atomic with another, and the read side tolerates stale ids (the caller checks
    visibility after reading).
    """

    @property
    def capacity(self) -> int:
        """Ids kept per user; a push or merge past it drops the oldest ids."""
        ...

    def push(self, status_id: int, users: Iterable[int], *, now_s: float | None = None) -> int:
        """Insert one status id into each *active* user's timeline (fan-out on write).

        A user is active if `touch`, `read` or `claim_rebuild` saw them within the
        store's inactivity window. An inactive user gets nothing, and their timeline and
        built flag are dropped, so a later read rebuilds it. After the insert each
        timeline keeps only its newest ``capacity`` distinct ids (a repeat is ignored).
        Atomic per user: a concurrent `read` sees the timeline before or after the id.

        Returns:
            How many timelines received the id.
        """
        ...

    def read(
        self,
        user: int,
        *,
        limit: int,
        max_id: int | None = None,
        since_id: int | None = None,
        min_id: int | None = None,
        now_s: float | None = None,
    ) -> list[int]:
        """Return up to ``limit`` ids of ``user``'s timeline, newest first, and mark them active.

        Bounds are exclusive, as in Mastodon: ``max_id`` keeps ids below it, ``since_id``
        the newest ids above it, ``min_id`` the ``limit`` ids just above it. A missing
        timeline reads as empty.
        """
        ...

    def merge(self, user: int, status_ids: Iterable[int]) -> None:
        """Add ids to ``user``'s timeline (a rebuild from storage), keeping the newest ``capacity``.

        Merges, never replaces: an id pushed while the rebuild query ran is kept. A
        Redis implementation must use ``ZADD`` then ``ZREMRANGEBYRANK`` in one
        transaction, not ``DEL`` + ``ZADD``.
        """
        ...

    def touch(self, user: int, *, now_s: float | None = None) -> None:
        """Record that ``user`` was active at ``now_s`` (default: the wall clock)."""
        ...

    def is_full(self, user: int) -> bool:
        """Return True if ``user``'s timeline holds ``capacity`` ids (older ones may be missing)."""
        ...

    def claim_rebuild(self, user: int, *, now_s: float | None = None) -> bool:
        """Mark ``user``'s timeline as built and active; True if the caller must rebuild it.

        A test-and-set: of concurrent callers (in any process) for a user not built yet,
        exactly one gets True. The user is marked active in the same step, so pushes
        that follow are kept and the rebuild's `merge` cannot lose them. A user stays
        built until `drop`, `drop_inactive` or a `push` that found them inactive.
        """
        ...

    def drop(self, user: int) -> bool:
        """Forget ``user``'s timeline and built flag (after a follow or unfollow).

        Returns:
            True if there was a timeline or a built flag.
        """
        ...

    def drop_inactive(self, *, now_s: float | None = None) -> int:
        """Drop the timelines and built flags of users inactive for the whole window.

        Returns:
            How many users were dropped.
        """
        ...

    def mark_pulled(self, author: int) -> None:
        """Remember that ``author``'s statuses were pulled (not pushed) at least once.

        Readers keep merging such an author's statuses from storage even after their
        follower count falls below the threshold, so nothing posted while they were a
        celebrity goes missing. Permanent and idempotent (a Redis ``SADD``).
        """
        ...

    def pulled_authors(self) -> frozenset[int]:
        """Return every author passed to `mark_pulled`."""
        ...

    def open_home(
        self,
        user: int,
        *,
        limit: int,
        max_id: int | None = None,
        since_id: int | None = None,
        min_id: int | None = None,
        now_s: float | None = None,
    ) -> HomeRead:
        """What a home-timeline read needs, in one step (one round trip for Redis).

        The same as `pulled_authors`, `claim_rebuild` (``user``), `is_full` and `read`
        called in that order. When ``rebuild`` is True the page is of the timeline as it
        was before the rebuild (usually empty): the caller rebuilds, then reads again.
        """
        ...

    def holders(self, status_id: int, users: Iterable[int]) -> list[int]:
        """Return those of ``users`` whose timeline holds ``status_id``, in the order given.

        Read-only: marks nobody active (it inspects, it is not a home read). Not atomic
        across users; each user's answer is that timeline at one instant. What the
        teaching endpoint reports as "pushed to" (the store's own data, not a guess from
        the follower graph).
        """
        ...

    def count_users(self) -> int:
        """Return how many users have a timeline held (the ``active_caches`` gauge)."""
        ...

    def close(self) -> None:
        """Release connections; the in-process store keeps nothing to release."""
        ...


class InProcessTimelineStore:
    """Timelines in this process's memory, over `twitterdesign.timeline.TimelineCache`.

    Args:
        capacity: Ids kept per user (Twitter kept 800).
        inactive_after_s: Users who were not active for this long get no pushes; None
            means everyone is always active.

    Raises:
        InvalidParameterError: If ``capacity`` is below 1 or the window is negative.

    Examples:
        >>> store = InProcessTimelineStore(3, inactive_after_s=60.0)
        >>> store.claim_rebuild(7, now_s=0.0), store.claim_rebuild(7, now_s=0.0)
        (True, False)
        >>> store.merge(7, [10, 11])
        >>> store.push(12, [7, 8], now_s=1.0)  # user 8 was never active
        1
        >>> store.read(7, limit=2, now_s=1.0), store.is_full(7)
        ([12, 11], True)
    """

    blocking_io: bool = False
    """Whether its calls wait on a network (the app then runs them off the event loop)."""

    def __init__(self, capacity: int = 800, *, inactive_after_s: float | None = None) -> None:
        self._capacity = check_int("capacity", capacity, minimum=1)
        self._window_s = (
            None
            if inactive_after_s is None
            else check_number("inactive_after_s", inactive_after_s, minimum=0.0)
        )
        self._cache = TimelineCache(self._capacity, inactive_after_s=self._window_s)
        # One lock over the cache, the built flags and the activity records, so a push
        # and a claim for the same user are ordered (TimelineCache's own lock is per call).
        self._lock = threading.RLock()
        self._built: set[int] = set()
        self._seen: set[int] = set()  # users ever touched (for drop_inactive)
        self._pulled: set[int] = set()

    @property
    def capacity(self) -> int:
        """Ids kept per user."""
        return self._capacity

    @staticmethod
    def _now(now_s: float | None) -> float:
        return time.time() if now_s is None else now_s

    def _drop_locked(self, user: int) -> bool:
        had = self._cache.drop_user(user)
        if user in self._built:
            self._built.discard(user)
            had = True
        return had

    def push(self, status_id: int, users: Iterable[int], *, now_s: float | None = None) -> int:
        """Insert ``status_id`` into each active user's timeline; see `TimelineStore.push`."""
        check_int("status_id", status_id, minimum=0)
        now = self._now(now_s)
        with self._lock:
            active: list[int] = []
            for user in users:
                u = check_int("users", user, minimum=0)
                if self._cache.is_active(u, now_s=now):
                    active.append(u)
                else:
                    self._drop_locked(u)
            return self._cache.fanout(status_id, active, now_s=now)

    def read(
        self,
        user: int,
        *,
        limit: int,
        max_id: int | None = None,
        since_id: int | None = None,
        min_id: int | None = None,
        now_s: float | None = None,
    ) -> list[int]:
        """Return a page of ``user``'s timeline, newest first; see `TimelineStore.read`."""
        now = self._now(now_s)
        with self._lock:
            self._seen.add(check_int("user", user, minimum=0))
            return self._cache.read(
                user, limit=limit, max_id=max_id, since_id=since_id, min_id=min_id, now_s=now
            )

    def merge(self, user: int, status_ids: Iterable[int]) -> None:
        """Add ids to ``user``'s timeline, keeping the newest ``capacity``."""
        u = check_int("user", user, minimum=0)
        ids = {check_int("status_ids", s, minimum=0) for s in status_ids}
        with self._lock:
            if u in self._cache:
                ids.update(self._cache.read(u, limit=self._capacity, now_s=0.0))
            elif not ids:
                return  # nothing to hold: no empty timeline is created
            # Under the store's lock no push interleaves: reading, merging and installing
            # is one step (a merge never loses an id pushed before it).
            self._cache.replace(u, ids)

    def touch(self, user: int, *, now_s: float | None = None) -> None:
        """Record that ``user`` was active at ``now_s``."""
        u = check_int("user", user, minimum=0)
        with self._lock:
            self._seen.add(u)
            self._cache.touch(u, now_s=self._now(now_s))

    def is_full(self, user: int) -> bool:
        """Return True if ``user``'s timeline holds ``capacity`` ids."""
        u = check_int("user", user, minimum=0)
        with self._lock:
            if u not in self._cache:
                return False
            # A read with an old timestamp records no new activity (max() keeps the newest).
            page = self._cache.read(u, limit=self._capacity, now_s=0.0)
            return len(page) >= self._capacity

    def claim_rebuild(self, user: int, *, now_s: float | None = None) -> bool:
        """Mark ``user`` built and active; True if the caller must rebuild the timeline."""
        u = check_int("user", user, minimum=0)
        now = self._now(now_s)
        with self._lock:
            self._seen.add(u)
            self._cache.touch(u, now_s=now)
            if u in self._built:
                return False
            self._built.add(u)
            return True

    def drop(self, user: int) -> bool:
        """Forget ``user``'s timeline and built flag."""
        u = check_int("user", user, minimum=0)
        with self._lock:
            return self._drop_locked(u)

    def drop_inactive(self, *, now_s: float | None = None) -> int:
        """Drop every user inactive for the whole window; return how many."""
        if self._window_s is None:
            return 0
        now = self._now(now_s)
        with self._lock:
            stale = [u for u in self._seen if not self._cache.is_active(u, now_s=now)]
            dropped = 0
            for u in stale:
                dropped += self._drop_locked(u)
                self._seen.discard(u)
            return dropped

    def mark_pulled(self, author: int) -> None:
        """Remember that ``author``'s statuses were pulled at least once."""
        a = check_int("author", author, minimum=0)
        with self._lock:
            self._pulled.add(a)

    def pulled_authors(self) -> frozenset[int]:
        """Return every author passed to `mark_pulled`."""
        with self._lock:
            return frozenset(self._pulled)

    def open_home(
        self,
        user: int,
        *,
        limit: int,
        max_id: int | None = None,
        since_id: int | None = None,
        min_id: int | None = None,
        now_s: float | None = None,
    ) -> HomeRead:
        """`pulled_authors`, `claim_rebuild`, `is_full` and `read`, in that order."""
        pulled = self.pulled_authors()
        rebuild = self.claim_rebuild(user, now_s=now_s)
        full = self.is_full(user)
        page = self.read(
            user, limit=limit, max_id=max_id, since_id=since_id, min_id=min_id, now_s=now_s
        )
        return HomeRead(page, rebuild, full, pulled)

    def holders(self, status_id: int, users: Iterable[int]) -> list[int]:
        """Return those of ``users`` whose timeline holds ``status_id``; see `TimelineStore`."""
        sid = check_int("status_id", status_id, minimum=0)
        ids = [check_int("users", u, minimum=0) for u in users]
        # The narrowest page around the id: (sid - 1, sid + 1) exclusive holds sid alone.
        below = sid - 1 if sid > 0 else None
        out: list[int] = []
        with self._lock:
            for u in ids:
                # Only users with a timeline are read, and with an old timestamp: the
                # cache keeps the newest activity, so nobody is marked active.
                if u in self._cache and self._cache.read(
                    u, limit=1, max_id=sid + 1, since_id=below, now_s=0.0
                ):
                    out.append(u)
        return out

    def count_users(self) -> int:
        """Return how many users have a timeline held."""
        return self._cache.n_users

    def close(self) -> None:
        """Nothing to release: the timelines live and die with the process."""

    def _check(self) -> None:
        """Assert the invariants: the cache's own, and every timeline within capacity."""
        with self._lock:
            self._cache._check()
            assert self._cache.max_items == self._capacity
