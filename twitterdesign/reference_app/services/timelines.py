"""Home timelines: the read side of the lesson's hybrid fan-out.

The lesson's hybrid policy (`twitterdesign.timeline.HybridThreshold`): when an
account with at most ``threshold`` followers posts, a fan-out consumer
(`twitterdesign.reference_app.services.fanout.FanoutWorker`) pushes the status id into
each *active* follower's capped timeline in a `TimelineStore` — active meaning the
follower read their home timeline within ``active_window_s``; writes to everyone else are
skipped. Celebrities' posts are not pushed; they are pulled from storage and merged when a
follower reads. A timeline that does not exist (after a restart, or for a user who never
read) is rebuilt from storage on the first read, so nothing is lost when the process
dies: the timeline store is only an accelerator in front of the database.

Pub-sub: a new status is appended to a fan-out log in the same transaction that stores it
(follows and unfollows append an entry too). In embedded mode every server process runs a
consumer that tails the log — woken at once for its own writes, polling every 50 ms for
the others' — so with several processes over one database each keeps its own in-process
timelines current. `TimelineService` talks to the timelines only through the
`TimelineStore` protocol, so a shared store and separate consumer processes can replace
both without touching this module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from twitterdesign.reference_app.services.fanout import FanoutWorker
from twitterdesign.reference_app.storage import Page, StatusRecord, Store, TimelineStore
from twitterdesign.timeline import HybridThreshold

__all__ = ["FanoutStats", "TimelineService"]


@dataclass(frozen=True, slots=True)
class FanoutStats:
    """Counters of the fan-out consumer and the timelines since the process started."""

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

    Reads go to the `TimelineStore` (and to storage for celebrities and for pages past
    what a full timeline holds). This process's fan-out consumer is ``fanout``; its
    lifecycle and counters are reachable from here (`start`, `stop`, `wait_idle`,
    `queue_depth`, `stats`) so callers need one object.

    Args:
        store: The database timelines are rebuilt from.
        timelines: The capped per-user id lists.
        threshold: Largest follower count still pushed; bigger accounts are pulled.
        fanout: The consumer that fills ``timelines``; one over ``store`` and
            ``timelines`` with the same policy if None.
        fanout_in_process: False when worker processes do the fan-out (the default
            ``fanout`` then consumes nothing).
        shared_counts: With worker processes, returns their shared fan-out totals
            (`FanoutLog.counts`), which `stats` reports instead of this process's zeros.
    """

    def __init__(
        self,
        store: Store,
        timelines: TimelineStore,
        *,
        threshold: int,
        fanout: FanoutWorker | None = None,
        fanout_in_process: bool = True,
        shared_counts: Callable[[], Mapping[str, int]] | None = None,
    ) -> None:
        self._store = store
        self._shared_counts = shared_counts
        self._timelines = timelines
        self.policy = HybridThreshold(threshold)
        self.fanout = fanout or FanoutWorker(
            store, timelines, policy=self.policy, enabled=fanout_in_process
        )
        # Plain ints: ``+= 1`` from two request threads may, rarely, lose one count
        # (a benign race, as for any sampled metric); a lock would cost every read more.
        self._rebuilds = 0
        self._read_hits = 0

    @property
    def timeline_store(self) -> TimelineStore:
        """The timelines read (and, by ``fanout``, written)."""
        return self._timelines

    # --- the consumer's lifecycle and counters ----------------------------------------
    def start(self) -> None:
        """Start the background fan-out consumer (idempotent)."""
        self.fanout.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Fan out what is already logged, then stop the consumer."""
        self.fanout.stop(timeout)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every logged event (at call time) is fanned out; False on timeout."""
        return self.fanout.wait_idle(timeout)

    @property
    def queue_depth(self) -> int:
        """Fan-out log entries this process's consumer has not processed yet."""
        return self.fanout.queue_depth

    @property
    def on_delivered(self) -> Callable[[int, int], None] | None:
        """Called by the consumer with ``(status_id, deliveries)`` after each push."""
        return self.fanout.on_delivered

    @on_delivered.setter
    def on_delivered(self, callback: Callable[[int, int], None] | None) -> None:
        self.fanout.on_delivered = callback

    @property
    def read_counts(self) -> tuple[int, int]:
        """Home reads since start: ``(hits, rebuilds)``.

        A hit is served from an already built timeline; a rebuild had to read storage
        first (`TimelineStore.claim_rebuild` returned True). Hit rate = hits / total.
        """
        return self._read_hits, self._rebuilds

    def stats(self) -> FanoutStats:
        """Return the consumer's and the timelines' counters.

        With worker processes doing the fan-out, the pushes are the workers' shared
        totals since the log was created.
        """
        f = self.fanout
        pushed, pulled, deliveries = f.statuses_pushed, f.statuses_pulled, f.deliveries
        if self._shared_counts is not None:
            shared = self._shared_counts()
            pushed = shared.get("statuses_pushed", 0)
            pulled = shared.get("statuses_pulled", 0)
            deliveries = shared.get("deliveries", 0)
        return FanoutStats(
            pushed,
            pulled,
            deliveries,
            f.queue_depth,
            self._timelines.count_users(),
            self._rebuilds,
        )

    # --- writes ----------------------------------------------------------------------
    def on_new_status(self, status: StatusRecord) -> None:
        """Wake the consumer for a status just stored (and logged); returns immediately."""
        self.fanout.notify()

    def invalidate(self, user: int) -> None:
        """Forget a user's timeline (after follow/unfollow); it is rebuilt on the next read."""
        self._timelines.drop(user)

    # --- reads -----------------------------------------------------------------------
    def home_ids(self, user: int, page: Page) -> list[int]:
        """Return candidate status ids for a user's home timeline page, newest first.

        Candidates still need a visibility check by the caller (a follow may have ended).
        """
        followees = self._store.followee_follower_counts(user)
        opened = self._timelines.open_home(
            user, limit=page.limit, max_id=page.max_id, since_id=page.since_id, min_id=page.min_id
        )
        pushes = self.policy.pushes
        celebs = {
            a
            for a, followers in followees.items()
            if a in opened.pulled_authors or not pushes(follower_count=followers)
        }
        pushed_authors = [a for a in followees if a not in celebs] + [user]
        cached, full = opened.ids, opened.full
        if opened.rebuild:
            self._rebuild(user, pushed_authors)
            cached = self._timelines.read(
                user,
                limit=page.limit,
                max_id=page.max_id,
                since_id=page.since_id,
                min_id=page.min_id,
            )
            full = self._timelines.is_full(user)
        else:
            self._read_hits += 1
        if len(cached) < page.limit and full:
            # Paging past what the timeline holds: read older pushed statuses from storage.
            cached = cached + self._store.status_ids_by_authors(pushed_authors, page)
        pulled = self._store.status_ids_by_authors(sorted(celebs), page) if celebs else []
        merged = sorted(set(cached) | set(pulled), reverse=True)
        if page.min_id is not None:
            return merged[-page.limit :]
        return merged[: page.limit]

    def _rebuild(self, user: int, pushed_authors: list[int]) -> None:
        """Rebuild a missing timeline from storage, without losing concurrent pushes.

        `TimelineStore.open_home` claimed the rebuild (`TimelineStore.claim_rebuild`)
        and marked the user active first, so the consumer starts pushing to them; the
        rebuilt ids are then merged in (never replacing), so a status fanned out while
        the rebuild query ran is kept either way.
        """
        capacity = self._timelines.capacity
        rebuilt = self._store.status_ids_by_authors(pushed_authors, Page(limit=capacity))
        self._timelines.merge(user, rebuilt)
        self._rebuilds += 1
