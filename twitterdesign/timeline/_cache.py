"""A capped, time-ordered home-timeline cache per user (Twitter's 800-entry Redis lists)."""

from __future__ import annotations

import itertools
import threading
import time
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from twitterdesign._validate import check_int, check_number

__all__ = ["TWITTER_2012_BYTES_PER_ENTRY", "CacheStats", "TimelineCache"]

#: Bytes per cached entry at Twitter in 2012: an 8-byte tweet id, an 8-byte user id and
#: 4 bytes of flags (Krikorian, "Timelines at Scale", QCon SF 2012).
TWITTER_2012_BYTES_PER_ENTRY = 20


@dataclass(frozen=True, slots=True)
class CacheStats:
    """What a `TimelineCache` holds and has done.

    Attributes:
        users: Users with a cached timeline.
        entries: Tweet ids held, over all users.
        bytes: ``entries × bytes_per_entry``: the payload a Redis-style store would hold.
        bytes_per_entry: The per-entry size used for ``bytes``.
        full_users: Users whose timeline is at ``max_items``.
        evicted: Entries dropped because a timeline was full.
        skipped_inactive: Writes skipped because the recipient was inactive.
    """

    users: int
    entries: int
    bytes: int
    bytes_per_entry: int
    full_users: int
    evicted: int
    skipped_inactive: int

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-friendly dict."""
        return asdict(self)


def _id(name: str, value: Any) -> int:
    return check_int(name, value, minimum=0)


class TimelineCache:
    """Capped home timelines: per user, the newest ``max_items`` tweet ids, oldest dropped.

    Tweet ids are assumed to be time-ordered (Snowflake ids are), so "newest" means
    "largest id"; each timeline is kept sorted and free of duplicates, and reads page
    through it the way Mastodon's ``max_id`` / ``since_id`` / ``min_id`` parameters do.
    With ``inactive_after_s`` set, a user counts as active only if they read (or were
    `touch`-ed) within that many seconds; writes to anyone else are skipped and
    their timeline is dropped, so memory goes only to people who will read it — the
    caller rebuilds a missing timeline on the next read (see `replace`).
    Operations are thread-safe.

    Args:
        max_items: Entries kept per user (Twitter kept 800).
        bytes_per_entry: Bytes charged per entry in `stats` (Twitter 2012: 20).
        inactive_after_s: Inactivity window in seconds, or None to never skip anyone.

    Raises:
        InvalidParameterError: If ``max_items`` or ``bytes_per_entry`` is below 1, or the
            window is negative.

    Examples:
        >>> cache = TimelineCache(max_items=3)
        >>> for tweet_id in (10, 11, 12, 13):
        ...     _ = cache.insert(7, tweet_id)
        >>> cache.read(7)
        [13, 12, 11]
        >>> cache.read(7, limit=2, max_id=13), cache.read(7, since_id=11)
        ([12, 11], [13, 12])
        >>> cache.remove(12), cache.read(7)
        (1, [13, 11])
        >>> cache.stats().bytes
        40
    """

    def __init__(
        self,
        max_items: int = 800,
        *,
        bytes_per_entry: int = TWITTER_2012_BYTES_PER_ENTRY,
        inactive_after_s: float | None = None,
    ) -> None:
        self._max_items = check_int("max_items", max_items, minimum=1)
        self._bytes_per_entry = check_int("bytes_per_entry", bytes_per_entry, minimum=1)
        self._inactive_after_s = (
            None
            if inactive_after_s is None
            else check_number("inactive_after_s", inactive_after_s, minimum=0.0)
        )
        self._timelines: dict[int, list[int]] = {}
        self._last_seen_s: dict[int, float] = {}
        self._entries = 0
        self._evicted = 0
        self._skipped = 0
        self._lock = threading.RLock()

    @property
    def max_items(self) -> int:
        """Entries kept per user."""
        return self._max_items

    def __len__(self) -> int:
        """Return the number of entries held, over all users."""
        return self._entries

    def __contains__(self, user: object) -> bool:
        """Return True if ``user`` has a cached timeline (False means: rebuild on read)."""
        return user in self._timelines

    @property
    def n_users(self) -> int:
        """Users with a cached timeline."""
        return len(self._timelines)

    @property
    def nbytes(self) -> int:
        """Modelled payload bytes: entries × ``bytes_per_entry``."""
        return self._entries * self._bytes_per_entry

    def _now(self, now_s: float | None) -> float:
        return time.time() if now_s is None else check_number("now_s", now_s)

    def touch(self, user: int, *, now_s: float | None = None) -> None:
        """Record that ``user`` was active at ``now_s`` (default: the wall clock).

        Examples:
            >>> cache = TimelineCache(inactive_after_s=60)
            >>> cache.touch(1, now_s=0.0)
            >>> cache.is_active(1, now_s=30.0), cache.is_active(1, now_s=61.0)
            (True, False)
        """
        u = _id("user", user)
        t = self._now(now_s)
        with self._lock:
            self._last_seen_s[u] = max(t, self._last_seen_s.get(u, t))

    def is_active(self, user: int, *, now_s: float | None = None) -> bool:
        """Return True if writes to ``user`` are kept (always True without a window).

        Args:
            user: A user id.
            now_s: The current time in seconds (default: the wall clock).

        Returns:
            Whether ``user`` was seen within ``inactive_after_s`` of ``now_s``.
        """
        u = _id("user", user)
        if self._inactive_after_s is None:
            return True
        seen = self._last_seen_s.get(u)
        return seen is not None and self._now(now_s) - seen <= self._inactive_after_s

    def _insert_locked(self, user: int, tweet_id: int) -> None:
        timeline = self._timelines.setdefault(user, [])
        if not timeline or tweet_id > timeline[-1]:
            timeline.append(tweet_id)
        else:
            pos = bisect_left(timeline, tweet_id)
            if pos < len(timeline) and timeline[pos] == tweet_id:
                return
            if pos == 0 and len(timeline) >= self._max_items:
                self._evicted += 1  # older than everything kept: it would be evicted at once
                return
            timeline.insert(pos, tweet_id)
        self._entries += 1
        if len(timeline) > self._max_items:
            del timeline[0]
            self._entries -= 1
            self._evicted += 1

    def insert(self, user: int, tweet_id: int, *, now_s: float | None = None) -> bool:
        """Push ``tweet_id`` into ``user``'s timeline, dropping the oldest entry if full.

        Args:
            user: The recipient.
            tweet_id: A time-ordered tweet id (``≥ 0``); a repeat is ignored.
            now_s: Current time, used only with an inactivity window.

        Returns:
            False if the write was skipped because ``user`` is inactive, else True.

        Raises:
            InvalidParameterError: If an id is negative or not an integer.
        """
        return self.fanout(tweet_id, (user,), now_s=now_s) == 1

    def fanout(self, tweet_id: int, users: Iterable[int], *, now_s: float | None = None) -> int:
        """Push one tweet into many timelines (fan-out on write) and count the writes.

        Args:
            tweet_id: A time-ordered tweet id (``≥ 0``).
            users: The recipients, e.g. ``graph.followers_of(author)``.
            now_s: Current time, used only with an inactivity window.

        Returns:
            How many timelines were written (inactive users are skipped).

        Raises:
            InvalidParameterError: If an id is negative or not an integer.

        Examples:
            >>> cache = TimelineCache()
            >>> cache.fanout(100, [1, 2, 3]), cache.read(2)
            (3, [100])
        """
        tid = _id("tweet_id", tweet_id)
        ids = [
            _id("users", u) for u in (users.tolist() if isinstance(users, np.ndarray) else users)
        ]
        with self._lock:
            if self._inactive_after_s is None:
                for u in ids:
                    self._insert_locked(u, tid)
                return len(ids)
            cutoff = self._now(now_s) - self._inactive_after_s
            written = 0
            for u in ids:
                seen = self._last_seen_s.get(u)
                if seen is None or seen < cutoff:
                    self._skipped += 1
                    self._drop_locked(u)
                    continue
                self._insert_locked(u, tid)
                written += 1
            return written

    def read(
        self,
        user: int,
        *,
        limit: int = 20,
        max_id: int | None = None,
        since_id: int | None = None,
        min_id: int | None = None,
        now_s: float | None = None,
    ) -> list[int]:
        """Return up to ``limit`` tweet ids of ``user``'s timeline, newest first.

        Bounds are exclusive, as in Mastodon's timeline API: ``max_id`` keeps ids below
        it (the next page down), ``since_id`` keeps ids above it (the newest ``limit``
        of them), ``min_id`` keeps the ``limit`` ids immediately above it (the page just
        newer than ``min_id``). Reading marks ``user`` active.

        Args:
            user: The reader.
            limit: Most ids to return (``≥ 1``).
            max_id: Return only ids ``< max_id``.
            since_id: Return only ids ``> since_id``.
            min_id: Return only ids ``> min_id``, the oldest such page.
            now_s: Current time for the activity record (default: the wall clock).

        Returns:
            Tweet ids, descending. Empty if the user has no cached timeline.

        Raises:
            InvalidParameterError: On a non-integer or negative bound, or ``limit < 1``.
        """
        u = _id("user", user)
        n = check_int("limit", limit, minimum=1)
        upper = None if max_id is None else _id("max_id", max_id)
        lower_since = None if since_id is None else _id("since_id", since_id)
        lower_min = None if min_id is None else _id("min_id", min_id)
        lowers = [b for b in (lower_since, lower_min) if b is not None]
        with self._lock:
            if self._inactive_after_s is not None:
                t = self._now(now_s)
                self._last_seen_s[u] = max(t, self._last_seen_s.get(u, t))
            timeline = self._timelines.get(u)
            if not timeline:
                return []
            hi = len(timeline) if upper is None else bisect_left(timeline, upper)
            lo = bisect_right(timeline, max(lowers)) if lowers else 0
            if lo >= hi:
                return []
            if lower_min is not None:
                page = timeline[lo : min(lo + n, hi)]
            else:
                page = timeline[max(lo, hi - n) : hi]
        page.reverse()
        return page

    def replace(self, user: int, tweet_ids: Iterable[int]) -> None:
        """Install a whole timeline for ``user`` (e.g. rebuilt by pulling after a miss).

        Keeps the newest ``max_items`` distinct ids.

        Examples:
            >>> cache = TimelineCache(max_items=2)
            >>> cache.replace(5, [3, 9, 4, 9])
            >>> cache.read(5)
            [9, 4]
        """
        u = _id("user", user)
        ids = sorted({_id("tweet_ids", t) for t in tweet_ids})[-self._max_items :]
        with self._lock:
            self._drop_locked(u)
            self._timelines[u] = ids
            self._entries += len(ids)

    def remove(self, tweet_id: int, *, users: Iterable[int] | None = None) -> int:
        """Delete ``tweet_id`` from timelines (a deleted tweet) and count the removals.

        Args:
            tweet_id: The tweet to remove.
            users: The timelines to look in (e.g. the author's followers); by default
                every cached timeline, ``O(users × log max_items)``.

        Returns:
            How many timelines held the id.
        """
        tid = _id("tweet_id", tweet_id)
        with self._lock:
            targets = list(self._timelines) if users is None else [_id("users", u) for u in users]
            removed = 0
            for u in targets:
                timeline = self._timelines.get(u)
                if not timeline:
                    continue
                pos = bisect_left(timeline, tid)
                if pos < len(timeline) and timeline[pos] == tid:
                    del timeline[pos]
                    removed += 1
            self._entries -= removed
            return removed

    def _drop_locked(self, user: int) -> bool:
        timeline = self._timelines.pop(user, None)
        if timeline is None:
            return False
        self._entries -= len(timeline)
        return True

    def drop_user(self, user: int) -> bool:
        """Forget ``user``'s cached timeline (memory is freed); True if there was one."""
        u = _id("user", user)
        with self._lock:
            return self._drop_locked(u)

    def stats(self) -> CacheStats:
        """Return the memory and activity counters.

        Examples:
            >>> cache = TimelineCache(max_items=1, bytes_per_entry=8)
            >>> _ = cache.fanout(1, [1, 2]); _ = cache.fanout(2, [1])
            >>> s = cache.stats()
            >>> s.entries, s.bytes, s.full_users, s.evicted
            (2, 16, 2, 1)
        """
        with self._lock:
            return CacheStats(
                users=len(self._timelines),
                entries=self._entries,
                bytes=self._entries * self._bytes_per_entry,
                bytes_per_entry=self._bytes_per_entry,
                full_users=sum(len(t) >= self._max_items for t in self._timelines.values()),
                evicted=self._evicted,
                skipped_inactive=self._skipped,
            )

    def _check(self) -> None:
        """Assert every invariant: sorted, distinct, capped timelines; exact entry count."""
        total = 0
        for user, timeline in self._timelines.items():
            assert isinstance(user, int)
            assert user >= 0
            assert len(timeline) <= self._max_items
            assert all(a < b for a, b in itertools.pairwise(timeline))
            total += len(timeline)
        assert total == self._entries
        assert all(t[0] >= 0 for t in self._timelines.values() if t)
