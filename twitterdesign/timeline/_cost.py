"""Vectorized fan-out cost: one pass over the edges per policy, or per threshold sweep."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from twitterdesign._validate import check_int, check_number
from twitterdesign.errors import InvalidParameterError
from twitterdesign.timeline._activity import Activity
from twitterdesign.timeline._graph import FollowerGraph
from twitterdesign.timeline._policies import FanoutPolicy, PerEdgeOptimal, _check_pair

__all__ = ["PolicyCost", "ThresholdSweep", "evaluate_policy", "threshold_sweep"]


@dataclass(frozen=True, slots=True)
class PolicyCost:
    """Steady-state fan-out work of one policy under the per-edge cost model.

    Attributes:
        policy: The policy's name.
        n_edges: Follow edges in the graph.
        pushed_edges: Edges whose tweets are pushed at write time.
        push_writes_per_s: Timeline-cache writes per second (``Σ`` pushed ``r_author``).
        pull_fetches_per_s: Author fetches per second at read time (``Σ`` pulled
            ``r_follower``).
        push_cost: Cost of one push write.
        pull_cost: Cost of one pull fetch.
        total_cost_per_s: ``push_cost × push_writes_per_s + pull_cost × pull_fetches_per_s``.
    """

    policy: str
    n_edges: int
    pushed_edges: int
    push_writes_per_s: float
    pull_fetches_per_s: float
    push_cost: float
    pull_cost: float
    total_cost_per_s: float

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-friendly dict."""
        return {name: getattr(self, name) for name in self.__slots__}


def _costs(push_cost: float, pull_cost: float) -> tuple[float, float]:
    h = check_number("push_cost", push_cost, minimum=0.0, min_inclusive=False)
    l_ = check_number("pull_cost", pull_cost, minimum=0.0, min_inclusive=False)
    return h, l_


def evaluate_policy(
    graph: FollowerGraph,
    activity: Activity,
    policy: FanoutPolicy,
    *,
    push_cost: float = 1.0,
    pull_cost: float = 1.0,
) -> PolicyCost:
    """Return the fan-out work per second of ``policy`` on ``graph`` (Feeding Frenzy's model).

    A pushed edge (author ``p`` → follower ``c``) costs ``push_cost × r_p`` per second: one
    cache write per tweet. A pulled edge costs ``pull_cost × r_c``: one fetch of ``p``'s
    tweets per read by ``c``. Inactive followers read nothing. The evaluation is a few
    whole-array numpy operations over the edges (millions of edges per second).

    Args:
        graph: The follower graph.
        activity: Rates and inactive set for the same users.
        policy: Any fan-out policy.
        push_cost: Cost of one push write (``> 0``).
        pull_cost: Cost of one pull fetch (``> 0``).

    Returns:
        The cost breakdown.

    Raises:
        InvalidParameterError: On a cost that is not positive, a non-policy, or an
            ``activity`` for a different number of users.

    Examples:
        >>> from twitterdesign.timeline import Activity, FollowerGraph, PushAll
        >>> g = FollowerGraph.from_edges([1, 2, 3], [0, 0, 0])  # three followers of user 0
        >>> a = Activity.uniform(4, tweets_per_day=86_400, reads_per_day=0)
        >>> evaluate_policy(g, a, PushAll()).push_writes_per_s  # 1 tweet/s × 3 followers
        3.0

    References:
        A. Silberstein, J. Terrace, B. F. Cooper, R. Ramakrishnan, "Feeding Frenzy:
        Selectively Materializing Users' Event Feeds", SIGMOD 2010.
    """
    h, l_ = _costs(push_cost, pull_cost)
    if not isinstance(policy, FanoutPolicy):
        raise InvalidParameterError("policy", policy, "a FanoutPolicy")
    _check_pair(graph, activity)
    mask = policy.push_mask(graph, activity)
    # Pushed edges per author from a prefix sum over the CSR rows (no per-user loop).
    prefix = np.zeros(mask.size + 1, dtype=np.int64)
    np.cumsum(mask, out=prefix[1:])
    indptr = graph.follower_indptr
    pushed_per_author = prefix[indptr[1:]] - prefix[indptr[:-1]]
    writes = float(np.dot(pushed_per_author, activity.tweet_rate_per_s))
    reads = activity.effective_read_rate_per_s[graph.follower_indices]
    fetches = float(reads.sum() - reads[mask].sum())
    return PolicyCost(
        policy=policy.name,
        n_edges=graph.n_edges,
        pushed_edges=int(prefix[-1]),
        push_writes_per_s=writes,
        pull_fetches_per_s=fetches,
        push_cost=h,
        pull_cost=l_,
        total_cost_per_s=h * writes + l_ * fetches,
    )


@dataclass(frozen=True, slots=True)
class ThresholdSweep:
    """Cost of `HybridThreshold` for many thresholds, and the best one.

    Attributes:
        thresholds: The thresholds evaluated, ascending.
        total_cost_per_s: Total cost at each threshold.
        push_writes_per_s: Push writes per second at each threshold.
        pull_fetches_per_s: Pull fetches per second at each threshold.
        largest_pushed_followers: Follower count of the largest account still pushed at
            each threshold; divided by the fan-out throughput it is the longest delivery
            time of a single tweet on an idle pool.
        best_threshold: The threshold with the lowest cost (the smallest on ties).
        best_cost_per_s: Its cost.
        per_edge_optimal_cost_per_s: The cost of `PerEdgeOptimal`, a lower bound
            for every threshold.
        skip_inactive: Whether inactive followers were skipped.
    """

    thresholds: tuple[int, ...]
    total_cost_per_s: tuple[float, ...]
    push_writes_per_s: tuple[float, ...]
    pull_fetches_per_s: tuple[float, ...]
    largest_pushed_followers: tuple[int, ...]
    best_threshold: int
    best_cost_per_s: float
    per_edge_optimal_cost_per_s: float
    skip_inactive: bool

    @property
    def is_interior(self) -> bool:
        """True if the best threshold beats both pull-all (first) and push-all (last)."""
        return self.best_cost_per_s < min(self.total_cost_per_s[0], self.total_cost_per_s[-1])

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-friendly dict."""
        data: dict[str, Any] = {name: getattr(self, name) for name in self.__slots__}
        data["thresholds"] = list(self.thresholds)
        data["total_cost_per_s"] = list(self.total_cost_per_s)
        data["push_writes_per_s"] = list(self.push_writes_per_s)
        data["pull_fetches_per_s"] = list(self.pull_fetches_per_s)
        data["largest_pushed_followers"] = list(self.largest_pushed_followers)
        data["is_interior"] = self.is_interior
        return data


def default_thresholds(max_followers: int, *, points: int = 40) -> list[int]:
    """Return ``0``, a geometric grid up to ``max_followers``, and ``max_followers``.

    The first threshold (0) means pull for every author with followers; the last means
    push for everyone.

    Examples:
        >>> default_thresholds(1000, points=4)
        [0, 1, 10, 100, 1000]
    """
    top = check_int("max_followers", max_followers, minimum=0)
    n = check_int("points", points, minimum=1)
    if top == 0:
        return [0]
    grid = np.unique(np.round(np.geomspace(1, top, n)).astype(np.int64))
    return [0, *(int(t) for t in grid)]


def threshold_sweep(
    graph: FollowerGraph,
    activity: Activity,
    thresholds: Sequence[int] | None = None,
    *,
    push_cost: float = 1.0,
    pull_cost: float = 1.0,
    skip_inactive: bool = False,
) -> ThresholdSweep:
    """Evaluate `HybridThreshold` at many thresholds in one pass over the edges.

    For each author the push work ``r_p × (followers pushed to)`` and the pull work
    ``Σ r_c`` over their followers are computed once; sorting authors by follower count
    and taking prefix sums gives every threshold's cost in ``O(n log n)``. The result
    equals `evaluate_policy` with ``HybridThreshold(t, skip_inactive=...)`` for
    every ``t``.

    Args:
        graph: The follower graph.
        activity: Rates and inactive set for the same users.
        thresholds: Thresholds to evaluate (``≥ 0``); by default 0, a geometric grid,
            and the largest follower count.
        push_cost: Cost of one push write (``> 0``).
        pull_cost: Cost of one pull fetch (``> 0``).
        skip_inactive: Do not push to inactive followers.

    Returns:
        The costs per threshold, the best threshold, and the per-edge lower bound.

    Raises:
        InvalidParameterError: On a negative threshold, an empty list, a cost that is
            not positive, or a mismatched ``activity``.

    Examples:
        >>> from twitterdesign.timeline import power_law_graph, activity_model
        >>> g = power_law_graph(5_000, rng=3)
        >>> sweep = threshold_sweep(g, activity_model(g, rng=4))
        >>> sweep.best_cost_per_s >= sweep.per_edge_optimal_cost_per_s
        True
    """
    h, l_ = _costs(push_cost, pull_cost)
    _check_pair(graph, activity)
    counts = graph.follower_counts
    if thresholds is None:
        ts = default_thresholds(int(counts.max(initial=0)))
    else:
        ts = sorted({check_int("thresholds", t, minimum=0) for t in thresholds})
        if not ts:
            raise InvalidParameterError("thresholds", thresholds, "at least one threshold")
    followers = graph.follower_indices
    reads = activity.effective_read_rate_per_s[followers]
    indptr = graph.follower_indptr
    prefix = np.zeros(reads.size + 1)
    np.cumsum(reads, out=prefix[1:])
    pull_per_author = prefix[indptr[1:]] - prefix[indptr[:-1]]
    if skip_inactive:
        active = np.zeros(followers.size + 1, dtype=np.int64)
        np.cumsum(~activity.inactive[followers], out=active[1:])
        pushable = active[indptr[1:]] - active[indptr[:-1]]
    else:
        pushable = counts
    push_per_author = activity.tweet_rate_per_s * pushable
    order = np.argsort(counts, kind="stable")
    sorted_counts = counts[order]
    push_prefix = np.concatenate(([0.0], np.cumsum(push_per_author[order])))
    pull_suffix = np.concatenate((np.cumsum(pull_per_author[order][::-1])[::-1], [0.0]))
    cut = np.searchsorted(sorted_counts, np.asarray(ts, dtype=np.int64), side="right")
    writes = push_prefix[cut]
    fetches = pull_suffix[cut]
    total = h * writes + l_ * fetches
    best = int(np.argmin(total))
    optimal = evaluate_policy(
        graph, activity, PerEdgeOptimal(push_cost=h, pull_cost=l_), push_cost=h, pull_cost=l_
    )
    return ThresholdSweep(
        thresholds=tuple(ts),
        total_cost_per_s=tuple(float(x) for x in total),
        push_writes_per_s=tuple(float(x) for x in writes),
        pull_fetches_per_s=tuple(float(x) for x in fetches),
        largest_pushed_followers=tuple(
            int(sorted_counts[c - 1]) if c > 0 else 0 for c in cut.tolist()
        ),
        best_threshold=ts[best],
        best_cost_per_s=float(total[best]),
        per_edge_optimal_cost_per_s=optimal.total_cost_per_s,
        skip_inactive=bool(skip_inactive),
    )
