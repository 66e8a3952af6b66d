"""How one status moved through the design: the data behind the "How it works" panel.

A student opens a status and asks three questions the lesson answers in the abstract:

- **Where did it go?** The hybrid fan-out (`twitterdesign.timeline.HybridThreshold`)
  pushed it into the home timeline of every *active* follower of an ordinary author, or
  into none but the author's own when the author is a celebrity (more than
  ``fanout_threshold`` followers, or ever pulled: `TimelineStore.mark_pulled`), whose
  followers then merge it from storage each time they read. `StatusInternals` reports the
  store's own answer — which followers' timelines hold the id right now
  (`TimelineStore.holders`) — not a recomputation from the follower graph, which could
  disagree with it (a follower inactive at push time got nothing; a timeline rebuilt
  since holds it anyway). The check is bounded: the newest ``followers_checked``
  followers are looked at, and at most ``listed`` accounts are named.
- **How is it counted?** Its favourite, reblog, reply and view counters, part by part:
  the stored column, the Redis shards and the in-flight flush batch (the cluster's
  deferred counters, `twitterdesign.reference_app.services.counters`), and this
  process's buffered views (a `twitterdesign.topk.ShardedCounter`, plus the views logged
  but not batched yet). The parts add up to the count a client is shown.
- **What is its id?** The Snowflake id decoded: time, worker, sequence (`twitterdesign.ids`).

Read-only: nothing is written, and no view is counted. Callers check visibility first
(`InternalsService.explain` does, through the status service), so a status the viewer may
not see is a `NotFound`, like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from twitterdesign.ids import SnowflakeParts, decode
from twitterdesign.reference_app.errors import NotFound
from twitterdesign.reference_app.storage import (
    CounterDeltas,
    Page,
    StatusRecord,
    Store,
    TimelineStore,
)
from twitterdesign.timeline import HybridThreshold

if TYPE_CHECKING:
    from twitterdesign.reference_app.services.trends import TrendsService
    from twitterdesign.reference_app.storage.redis import RedisStatusCounters

__all__ = [
    "AccountRef",
    "Audience",
    "CounterParts",
    "FanoutTrace",
    "InternalsService",
    "StatusInternals",
]

COUNTERS = ("favourites", "reblogs", "replies", "views")
"""The four counters a status shows, in `CounterDeltas` order."""

_ATTEMPTS = 5  # reads of the moving parts until two agree (a flush ran in between)


@dataclass(frozen=True, slots=True)
class AccountRef:
    """An account named in a trace: its id and handle."""

    id: int
    acct: str

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict (the id as a string, as Mastodon does)."""
        return {"id": str(self.id), "acct": self.acct}


@dataclass(frozen=True, slots=True)
class Audience:
    """Some accounts and how many there are in all (``accounts`` is capped, ``count`` not)."""

    count: int
    accounts: tuple[AccountRef, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return {"count": self.count, "accounts": [a.to_dict() for a in self.accounts]}


@dataclass(frozen=True, slots=True)
class FanoutTrace:
    """Where a status went under the hybrid fan-out, as the timeline store holds it.

    Attributes:
        threshold: Largest follower count still pushed (``Settings.fanout_threshold``).
        author: Who posted it.
        author_followers: The author's follower count now.
        author_pulled: The fan-out pulled this author at least once; readers keep merging
            their statuses from storage from then on.
        delivery: ``"push"`` (the author's statuses go into followers' timelines at
            write time) or ``"pull"`` (a celebrity: merged by each reader at read time).
        author_timeline: The author's own home timeline holds the status.
        followers_checked: Followers whose timelines were looked at (the newest ones;
            all of them when it equals ``author_followers``).
        pushed_to: Followers whose home timeline holds the status (among those checked).
        merged_at_read: Followers whose home reads merge it from storage (all of them
            when ``delivery`` is ``"pull"``, none otherwise).
    """

    threshold: int
    author: AccountRef
    author_followers: int
    author_pulled: bool
    delivery: str
    author_timeline: bool
    followers_checked: int
    pushed_to: Audience
    merged_at_read: Audience

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return {
            "policy": "hybrid",
            "threshold": self.threshold,
            "author": self.author.to_dict(),
            "author_followers": self.author_followers,
            "author_pulled": self.author_pulled,
            "delivery": self.delivery,
            "author_timeline": self.author_timeline,
            "followers_checked": self.followers_checked,
            "pushed_to": self.pushed_to.to_dict(),
            "merged_at_read": self.merged_at_read.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class CounterParts:
    """One counter of one status, split where its counts sit.

    Attributes:
        stored: The status row's column.
        shards: What each Redis shard holds, not flushed yet (deferred counters; empty
            in the inline mode, where changes go straight to the column).
        in_flight: The status's part of a flush batch the column does not hold yet.
        buffered: This process's view buffer, shard by shard (views only).
        unbatched: Views this process logged but has not batched into ``buffered`` yet.

    Examples:
        >>> CounterParts(stored=3, shards=(1, 0), in_flight=2, buffered=(0, 4), unbatched=1).total
        11
    """

    stored: int
    shards: tuple[int, ...] = ()
    in_flight: int = 0
    buffered: tuple[int, ...] = ()
    unbatched: int = 0

    @property
    def total(self) -> int:
        """The count a client is shown: every part added (never below 0)."""
        parts = self.stored + sum(self.shards) + self.in_flight
        return max(0, parts + sum(self.buffered) + self.unbatched)

    def to_dict(self) -> dict[str, Any]:
        """Return the parts and their total as a JSON-ready dict."""
        return {
            "total": self.total,
            "stored": self.stored,
            "shards": list(self.shards),
            "in_flight": self.in_flight,
            "buffered": list(self.buffered),
            "unbatched": self.unbatched,
        }


@dataclass(frozen=True, slots=True)
class StatusInternals:
    """Everything the "How it works" panel shows about one status.

    Attributes:
        status_id: The status.
        snowflake: Its id decoded.
        epoch_ms: The Snowflake epoch the id counts from (Unix milliseconds).
        fanout: Where it went.
        counter_mode: ``"inline"`` or ``"deferred"`` (`Settings.counter_mode`, resolved).
        counters: Per counter name (`COUNTERS`), its parts.
    """

    status_id: int
    snowflake: SnowflakeParts
    epoch_ms: int
    fanout: FanoutTrace
    counter_mode: str
    counters: Mapping[str, CounterParts]

    def to_dict(self) -> dict[str, Any]:
        """Return the whole trace as a JSON-ready dict (the endpoint's body)."""
        return {
            "id": str(self.status_id),
            "snowflake": {
                **self.snowflake.to_dict(),
                "created_at": self.snowflake.datetime.isoformat(timespec="milliseconds").replace(
                    "+00:00", "Z"
                ),
                "epoch_ms": self.epoch_ms,
            },
            "fanout": self.fanout.to_dict(),
            "counters": {
                "mode": self.counter_mode,
                **{name: self.counters[name].to_dict() for name in COUNTERS},
            },
        }


class InternalsService:
    """Explain a status: its fan-out, its counters, its id (read-only).

    Args:
        store: Statuses, accounts and the follow graph.
        timelines: The home timelines the fan-out writes.
        policy: The hybrid fan-out policy the app runs.
        get_visible: Returns a status the viewer may see, else raises `NotFound`.
        trends: This process's view buffer.
        epoch_ms: The Snowflake epoch of the app's ids.
        counters: The Redis shards in the deferred counters mode, else None.
        flush_applied: In the deferred mode, whether a flush id is in the columns.
        followers_checked: Most followers whose timelines are looked at.
        listed: Most accounts named per list.
    """

    def __init__(
        self,
        store: Store,
        timelines: TimelineStore,
        *,
        policy: HybridThreshold,
        get_visible: Callable[[int | None, int], StatusRecord],
        trends: TrendsService,
        epoch_ms: int,
        counters: RedisStatusCounters | None = None,
        flush_applied: Callable[[str], bool] | None = None,
        followers_checked: int = 2_000,
        listed: int = 20,
    ) -> None:
        self._store = store
        self._timelines = timelines
        self._policy = policy
        self._get_visible = get_visible
        self._trends = trends
        self._epoch_ms = epoch_ms
        self._counters = counters
        self._flush_applied = flush_applied
        self.followers_checked = followers_checked
        self.listed = listed

    def explain(self, viewer: int | None, status_id: int) -> StatusInternals:
        """Return how ``status_id`` was fanned out and counted, and its id decoded.

        Raises:
            NotFound: The status does not exist, or ``viewer`` may not see it.
        """
        status = self._get_visible(viewer, status_id)
        return StatusInternals(
            status_id=status.id,
            snowflake=decode(status.id, epoch_ms=self._epoch_ms),
            epoch_ms=self._epoch_ms,
            fanout=self._fanout(status),
            counter_mode="deferred" if self._counters is not None else "inline",
            counters=self._counts(status.id),
        )

    # --- fan-out -----------------------------------------------------------------------
    def _fanout(self, status: StatusRecord) -> FanoutTrace:
        author_id = status.account_id
        author = self._store.get_accounts([author_id]).get(author_id)
        if author is None:  # deleted between the two reads
            raise NotFound("Record not found")
        pulled = author_id in self._timelines.pulled_authors()
        pushes = self._policy.pushes(follower_count=author.followers_count)
        delivery = "push" if pushes and not pulled else "pull"
        edges = self._store.followers_page(author_id, Page(limit=self.followers_checked))
        followers = [f for _, f in edges]
        holding = self._timelines.holders(status.id, followers)
        own = bool(self._timelines.holders(status.id, [author_id]))
        merging = followers[: self.listed] if delivery == "pull" else []
        named = self._store.get_accounts({author_id, *holding[: self.listed], *merging})

        def refs(ids: Sequence[int]) -> tuple[AccountRef, ...]:
            return tuple(AccountRef(i, named[i].username) for i in ids if i in named)

        return FanoutTrace(
            threshold=self._policy.threshold,
            author=AccountRef(author_id, author.username),
            author_followers=author.followers_count,
            author_pulled=pulled,
            delivery=delivery,
            author_timeline=own,
            followers_checked=len(followers),
            pushed_to=Audience(len(holding), refs(holding[: self.listed])),
            merged_at_read=Audience(
                author.followers_count if delivery == "pull" else 0, refs(merging)
            ),
        )

    # --- counters ----------------------------------------------------------------------
    def _moving(self, status_id: int) -> tuple[Any, ...]:
        """The parts that move between the column and memory: views buffered here, and
        in the deferred mode the Redis shards and whether their flush batch is applied."""
        buffered, unbatched = self._trends.pending_view_parts(status_id)
        if self._counters is None:
            return (tuple(buffered), unbatched, None, False)
        redis = self._counters.shard_values(status_id)
        applied = (
            redis.inflight_id is not None
            and self._flush_applied is not None
            and self._flush_applied(redis.inflight_id)
        )
        return (tuple(buffered), unbatched, redis, applied)

    def _counts(self, status_id: int) -> dict[str, CounterParts]:
        """Read the column between two reads of the moving parts, until the two agree.

        A flush moves counts from memory or Redis into the column; read on either side
        of it, the parts would count them twice or not at all. Two equal reads around
        the column's read mean no flush touched this status in between (after
        `_ATTEMPTS` tries the last read is used: off by at most one flush batch).
        """
        row: StatusRecord | None = None
        moving: tuple[Any, ...] = ()
        for _ in range(_ATTEMPTS):
            before = self._moving(status_id)
            row = self._store.get_statuses([status_id]).get(status_id)
            moving = self._moving(status_id)
            if row is None:
                raise NotFound("Record not found")
            if moving == before:
                break
        assert row is not None
        buffered, unbatched, redis, applied = moving
        stored = CounterDeltas(
            row.favourites_count, row.reblogs_count, row.replies_count, row.views_count
        )
        out: dict[str, CounterParts] = {}
        for name in COUNTERS:
            shards: tuple[int, ...] = ()
            in_flight = 0
            if redis is not None:
                shards = tuple(getattr(s, name) for s in redis.shards)
                in_flight = 0 if applied else getattr(redis.inflight, name)
            views = name == "views"
            out[name] = CounterParts(
                stored=getattr(stored, name),
                shards=shards,
                in_flight=in_flight,
                buffered=buffered if views else (),
                unbatched=unbatched if views else 0,
            )
        return out
