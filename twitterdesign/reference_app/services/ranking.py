"""The ranked home timeline ("Top"): the lesson's top-k over the counts sharded counters keep.

The lesson says the counts that sharded counters collect — likes, retweets, replies,
views — also rank the top-k tweets of a home timeline. Here:

**Candidates** are what the chronological home timeline holds already: the ids pushed to
the user's timeline cache plus celebrities' statuses merged at read time (hybrid
fan-out), the newest ``candidates`` of them (200 by default). No database query ranks
anything: the timeline cache *is* the candidate set, so ranking costs one hydration of
those ids and one read of their unflushed counter shards.

**Score** (`RankingWeights.score`), with forward decay (as `twitterdesign.topk.DecayedTopK`)::

    engagement = favourite·likes + reblog·reblogs + reply·replies + view·views
    score      = log2(1 + engagement) + created_at_s / half_life_s

which orders exactly as ``(1 + engagement) · 2 ** ((created_at_s - L) / half_life_s)``
for any landmark ``L``: a status's weight doubles every half-life it is younger, and
the order never needs rescaling as time passes. So at equal age more engagement never
ranks lower, and at equal engagement a newer status never ranks lower (both are
property tests). With the default weights a status 6 hours older needs about twice the
engagement (plus one) to rank level.

**Top-k** with a heap (`heapq.nlargest`, O(n log k)), not a sort of every candidate.

**Pages** never repeat or skip a status while counts change: the first page ranks
every candidate once and keeps the ranked ids as a snapshot (`RankingStore`, Redis in
the cluster so any instance serves the next page) under a random token; the ``Link``
header's next page names the token and an offset into the snapshot. A snapshot lives
15 minutes; after that the next page is refused with a clear 422 and the client starts
again from the top (as a refreshed "Top" tab does).
"""

from __future__ import annotations

import heapq
import math
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from twitterdesign._validate import check_int, check_number
from twitterdesign.reference_app.errors import Unprocessable
from twitterdesign.reference_app.services.counters import StatusCounts
from twitterdesign.reference_app.services.statuses import StatusService
from twitterdesign.reference_app.services.timelines import TimelineService
from twitterdesign.reference_app.storage import Page, StatusRecord
from twitterdesign.reference_app.storage.rankings import RankingStore

__all__ = ["RankedPage", "RankingService", "RankingWeights", "top_ranked"]


@dataclass(frozen=True, slots=True)
class RankingWeights:
    """How much each signal counts, and how fast age discounts it.

    Attributes:
        favourite: Weight of one like.
        reblog: Weight of one reblog (a reblog shows the status to a new audience).
        reply: Weight of one reply (a conversation).
        view: Weight of one view (plentiful, so small).
        half_life_s: Seconds after which the same engagement counts half as much.

    Examples:
        >>> w = RankingWeights()
        >>> w.score(favourites=0, reblogs=0, replies=0, views=0, created_s=0)
        0.0
        >>> w.score(favourites=1, reblogs=0, replies=0, views=0, created_s=0)
        1.0
    """

    favourite: float = 1.0
    reblog: float = 2.0
    reply: float = 1.5
    view: float = 0.01
    half_life_s: float = 6 * 3600.0

    def __post_init__(self) -> None:
        for name in ("favourite", "reblog", "reply", "view"):
            check_number(name, getattr(self, name), minimum=0.0)
        check_number("half_life_s", self.half_life_s, minimum=0.0, min_inclusive=False)

    def score(
        self, *, favourites: int, reblogs: int, replies: int, views: int, created_s: float
    ) -> float:
        """Return the log2 of the forward-decayed weight (see the module docstring)."""
        engagement = (
            self.favourite * max(0, favourites)
            + self.reblog * max(0, reblogs)
            + self.reply * max(0, replies)
            + self.view * max(0, views)
        )
        return math.log2(1.0 + engagement) + created_s / self.half_life_s


def top_ranked(scored: Iterable[tuple[float, int]], k: int) -> list[int]:
    """Return the ids of the ``k`` best (score, id) pairs, best first (ties: newer id).

    Examples:
        >>> top_ranked([(1.0, 10), (3.0, 11), (2.0, 12), (3.0, 9)], 3)
        [11, 9, 12]
    """
    return [sid for _score, sid in heapq.nlargest(check_int("k", k, minimum=0), scored)]


@dataclass(frozen=True, slots=True)
class RankedPage:
    """One page of a ranked timeline and where the next one starts (None: the end)."""

    items: list[StatusRecord]
    token: str
    next_offset: int | None


class RankingService:
    """Ranked home timelines: candidates from the timeline cache, a heap, snapshots.

    Args:
        timelines: Gives the candidate ids (the chronological home timeline).
        statuses: Hydrates them and checks visibility.
        counts: Adds counter shards not flushed to the columns yet.
        snapshots: Keeps ranked ids between pages.
        weights: The scoring formula's weights.
        candidates: How many of the newest home-timeline ids compete.
    """

    def __init__(
        self,
        timelines: TimelineService,
        statuses: StatusService,
        counts: StatusCounts,
        snapshots: RankingStore,
        *,
        weights: RankingWeights | None = None,
        candidates: int = 200,
    ) -> None:
        self._timelines = timelines
        self._statuses = statuses
        self._counts = counts
        self.snapshots = snapshots
        self.weights = weights or RankingWeights()
        self.candidates = check_int("candidates", candidates, minimum=1, maximum=800)

    def rank(self, user: int) -> list[StatusRecord]:
        """Return every candidate ``user`` may see, best first."""
        ids = self._timelines.home_ids(user, Page(limit=self.candidates))
        return self._ordered(self._statuses.hydrate(user, ids))

    def _ordered(self, items: Sequence[StatusRecord]) -> list[StatusRecord]:
        unflushed = self._counts.unflushed_many(s.id for s in items)
        w = self.weights
        # Ages relative to the newest candidate: the same order as absolute times (a
        # landmark shift adds the same to every score) with small, exact-enough floats.
        landmark_ms = max((s.created_at_ms for s in items), default=0)
        scored = []
        for s in items:
            d = unflushed.get(s.id)
            scored.append(
                (
                    w.score(
                        favourites=s.favourites_count + (d.favourites if d else 0),
                        reblogs=s.reblogs_count + (d.reblogs if d else 0),
                        replies=s.replies_count + (d.replies if d else 0),
                        views=s.views_count + (d.views if d else 0),
                        created_s=(s.created_at_ms - landmark_ms) / 1000.0,
                    ),
                    s.id,
                )
            )
        by_id = {s.id: s for s in items}
        return [by_id[i] for i in top_ranked(scored, len(scored))]

    def page(self, user: int, *, limit: int, token: str | None, offset: int) -> RankedPage:
        """Return ``limit`` statuses from ``offset`` of the snapshot ``token`` (a new
        ranking when ``token`` is None).

        Raises:
            Unprocessable: The snapshot expired (or never was): start again without it.
        """
        if token is None:
            ranked = self.rank(user)
            token = secrets.token_urlsafe(12)
            self.snapshots.save(user, token, [s.id for s in ranked])
            window = ranked[offset : offset + limit]
            total = len(ranked)
        else:
            ids = self.snapshots.load(user, token)
            if ids is None:
                raise Unprocessable(
                    "This ranking expired; ask for the first page again (without ranking=)"
                )
            total = len(ids)
            wanted = ids[offset : offset + limit]
            # Deleted or no longer visible since the snapshot: left out, never replaced.
            window = self._statuses.hydrate(user, wanted)
        end = offset + limit
        return RankedPage(window, token, end if end < total else None)
