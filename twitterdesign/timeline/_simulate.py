"""Fan-out simulator: cache writes, read fan-in, cache memory and delivery delay."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from twitterdesign._rng import RngLike, as_generator
from twitterdesign._validate import check_int, check_number
from twitterdesign.errors import InvalidParameterError
from twitterdesign.timeline._activity import Activity
from twitterdesign.timeline._cache import TWITTER_2012_BYTES_PER_ENTRY
from twitterdesign.timeline._cost import PolicyCost, evaluate_policy
from twitterdesign.timeline._graph import FollowerGraph
from twitterdesign.timeline._policies import FanoutPolicy, _check_pair

__all__ = ["DELAY_LEVELS", "FanoutCost", "delivery_delay_quantiles", "simulate_fanout"]

#: Quantile levels reported for the delivery delay by default.
DELAY_LEVELS: tuple[float, ...] = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0)

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class FanoutCost:
    """What one simulated period of fan-out costs.

    Attributes:
        policy: The policy's name.
        n_users: Users in the graph.
        n_edges: Follow edges.
        duration_s: Simulated seconds.
        workers_writes_per_s: Fan-out throughput (cache writes per second, all workers).
        tweets: Tweets written in the period.
        reads: Home-timeline reads in the period.
        deliveries: Cache writes caused by the tweets (pushed edges × tweets).
        cache_writes_per_s: ``deliveries / duration_s``.
        reads_per_s: ``reads / duration_s``.
        pull_fetches_per_s: Author timelines fetched at read time per second.
        sources_per_read_mean: Mean timelines merged per read (own cache + pulled authors).
        sources_per_read_p50: Median of the same, over reads.
        sources_per_read_p99: 99th percentile of the same, over reads.
        cached_users: Users that have a cached timeline (at least one pushed followee).
        cache_entries: Entries in those caches at the end (capped at ``max_items`` each,
            starting empty), times ``replicas``.
        cache_bytes: ``cache_entries × bytes_per_entry``.
        cache_bytes_full: Memory once every cached timeline is full:
            ``cached_users × max_items × bytes_per_entry × replicas``.
        delay_levels: Quantile levels of the delivery delay.
        delay_quantiles_s: Delivery delay (tweet written → in a follower's cache) at each
            level, over all deliveries; zeros when nothing is pushed.
        delivery_delay_p50_s: Median delivery delay.
        delivery_delay_p99_s: 99th-percentile delivery delay.
        delivery_delay_max_s: Slowest delivery.
        model: The expected steady-state cost from `evaluate_policy` (unit push
            and pull costs), to compare with the simulated rates.
    """

    policy: str
    n_users: int
    n_edges: int
    duration_s: float
    workers_writes_per_s: float
    tweets: int
    reads: int
    deliveries: int
    cache_writes_per_s: float
    reads_per_s: float
    pull_fetches_per_s: float
    sources_per_read_mean: float
    sources_per_read_p50: float
    sources_per_read_p99: float
    cached_users: int
    cache_entries: int
    cache_bytes: int
    cache_bytes_full: int
    delay_levels: tuple[float, ...]
    delay_quantiles_s: tuple[float, ...]
    delivery_delay_p50_s: float
    delivery_delay_p99_s: float
    delivery_delay_max_s: float
    model: PolicyCost

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-friendly dict (``model`` nested)."""
        data = {name: getattr(self, name) for name in self.__slots__}
        data["delay_levels"] = list(self.delay_levels)
        data["delay_quantiles_s"] = list(self.delay_quantiles_s)
        data["model"] = self.model.to_dict()
        return data


def delivery_delay_quantiles(
    arrival_s: npt.ArrayLike,
    recipients: npt.ArrayLike,
    workers_writes_per_s: float,
    levels: Sequence[float] = DELAY_LEVELS,
) -> tuple[float, ...]:
    """Return quantiles of the delivery delay when one FIFO pool fans out every tweet.

    Tweet ``i`` arrives at ``arrival_s[i]`` and needs ``recipients[i]`` cache writes; the
    pool performs ``W`` writes per second, tweet by tweet in arrival order, so tweet
    ``i`` starts after the backlog (Lindley's recursion, computed with a running
    maximum) and its ``j``-th follower gets it ``wait_i + j / W`` seconds after it was
    written. A 30M-follower tweet on an idle pool at W writes/s reaches its last
    follower after ``30M / W`` seconds. Quantiles are exact over all deliveries (found by
    bisection on the delivered count), not sampled.

    Args:
        arrival_s: Write time of each tweet (any order).
        recipients: Cache writes each tweet needs (``≥ 0``).
        workers_writes_per_s: Pool throughput ``W`` (``> 0``).
        levels: Quantile levels in [0, 1].

    Returns:
        The delay in seconds at each level (zeros if there are no deliveries).

    Raises:
        InvalidParameterError: On mismatched or negative inputs, or levels outside [0, 1].

    Examples:
        >>> delivery_delay_quantiles([0.0], [30_000_000], 100_000, levels=[0.5, 1.0])
        (150.0, 300.0)
    """
    w = check_number("workers_writes_per_s", workers_writes_per_s, minimum=0.0, min_inclusive=False)
    arr = np.asarray(arrival_s, dtype=np.float64)
    k = np.asarray(recipients)
    if arr.ndim != 1 or k.shape != arr.shape or (k.size and k.dtype.kind not in "iu"):
        raise InvalidParameterError("recipients", "<array>", "one integer count per arrival")
    if k.size and int(k.min()) < 0:
        raise InvalidParameterError("recipients", int(k.min()), "counts >= 0")
    if not np.all(np.isfinite(arr)):
        raise InvalidParameterError("arrival_s", "<array>", "finite times")
    qs = [check_number("levels", q, minimum=0.0, maximum=1.0) for q in levels]
    total = int(k.sum())
    if total == 0:
        return tuple(0.0 for _ in qs)
    order = np.argsort(arr, kind="stable")
    a, kk = arr[order], k[order].astype(np.float64)
    service = kk / w
    done = np.cumsum(service)
    before = done - service
    finish = done + np.maximum.accumulate(a - before)
    wait = finish - service - a  # queueing delay before the first write of each tweet
    busy = kk > 0
    wait, kk = wait[busy], kk[busy]
    ends = wait + kk / w
    hi_all = float(np.max(ends))
    # The delivered count F(d) = Σ clip(floor((d - wait_i) W), 0, k_i) is bracketed by its
    # continuous version C(d) (no floor), which is piecewise linear: slope +W from each
    # wait_i to end_i. F(d) ≤ C(d) ≤ F(d + 1/W), so the exact quantile lies in
    # [C⁻¹(need), C⁻¹(need) + 1/W]; a short bisection on F inside that bracket finishes.
    points = np.concatenate((wait, ends))
    slopes = np.concatenate((np.full(wait.size, w), np.full(ends.size, -w)))
    order = np.argsort(points, kind="stable")
    points, slope_after = points[order], np.cumsum(slopes[order])
    cont = np.concatenate(([0.0], np.cumsum(slope_after[:-1] * np.diff(points))))

    def delivered(d: float) -> float:
        return float(np.clip(np.floor((d - wait) * w + 1e-9), 0, kk).sum())

    out = []
    for q in qs:
        need = max(1, int(np.ceil(q * total)))
        j = int(np.searchsorted(cont, need, side="left"))
        if 0 < j < points.size and slope_after[j - 1] > 0:
            guess = float(points[j - 1] + (need - cont[j - 1]) / slope_after[j - 1])
        else:
            guess = float(points[min(j, points.size - 1)])
        lo, hi = max(0.0, guess - 2.0 / w), min(hi_all, guess + 2.0 / w)
        if delivered(hi) < need:
            hi = hi_all
        if lo > 0 and delivered(lo) >= need:
            lo = 0.0
        for _ in range(200):
            if hi - lo <= 1e-9 * max(hi, 1e-9):
                break
            mid = (lo + hi) / 2
            if delivered(mid) >= need:
                hi = mid
            else:
                lo = mid
        out.append(hi)
    return tuple(out)


def _weighted_quantile(values: FloatArray, weights: FloatArray, q: float) -> float:
    total = weights.sum()
    if total <= 0:
        return 0.0
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, q * total, side="left")])


def simulate_fanout(
    graph: FollowerGraph,
    activity: Activity,
    policy: FanoutPolicy,
    *,
    duration_s: float,
    workers_writes_per_s: float,
    max_items: int = 800,
    bytes_per_entry: int = TWITTER_2012_BYTES_PER_ENTRY,
    replicas: int = 1,
    delay_levels: Sequence[float] = DELAY_LEVELS,
    rng: RngLike = None,
) -> FanoutCost:
    """Simulate ``duration_s`` seconds of tweets and reads under ``policy``.

    Each user writes a Poisson number of tweets at their rate, at uniform times; each
    active user reads a Poisson number of times. A tweet is written into the caches of
    its pushed followers by a FIFO worker pool of ``workers_writes_per_s`` (see
    `delivery_delay_quantiles`); a read merges the reader's own cache with the
    recent tweets of every pulled followee. Caches start empty and keep ``max_items``
    entries, replicated ``replicas`` times.

    Args:
        graph: The follower graph.
        activity: Rates and inactive set for the same users.
        policy: The fan-out policy.
        duration_s: Simulated seconds (``> 0``).
        workers_writes_per_s: Fan-out throughput, cache writes per second (``> 0``).
        max_items: Entries kept per cached timeline (Twitter: 800).
        bytes_per_entry: Bytes per cached entry (Twitter 2012: 20).
        replicas: Copies of each cache (Twitter 2012: 3).
        delay_levels: Quantile levels reported for the delivery delay.
        rng: Seed or Generator.

    Returns:
        The simulated cost.

    Raises:
        InvalidParameterError: On non-positive duration, throughput, sizes or replicas,
            or an ``activity`` for a different number of users.

    Examples:
        >>> from twitterdesign.timeline import power_law_graph, activity_model, PushAll
        >>> g = power_law_graph(2_000, rng=1)
        >>> cost = simulate_fanout(g, activity_model(g, rng=2), PushAll(),
        ...                        duration_s=3_600, workers_writes_per_s=1_000, rng=3)
        >>> cost.deliveries > 0 and cost.sources_per_read_p50 == 1.0
        True
    """
    duration = check_number("duration_s", duration_s, minimum=0.0, min_inclusive=False)
    w = check_number("workers_writes_per_s", workers_writes_per_s, minimum=0.0, min_inclusive=False)
    cap = check_int("max_items", max_items, minimum=1)
    entry_bytes = check_int("bytes_per_entry", bytes_per_entry, minimum=1)
    copies = check_int("replicas", replicas, minimum=1)
    if not isinstance(policy, FanoutPolicy):
        raise InvalidParameterError("policy", policy, "a FanoutPolicy")
    _check_pair(graph, activity)
    levels = tuple(check_number("delay_levels", q, minimum=0.0, maximum=1.0) for q in delay_levels)
    gen = as_generator(rng)
    n = graph.n_users

    mask = policy.push_mask(graph, activity)
    indptr = graph.follower_indptr
    prefix = np.zeros(mask.size + 1, dtype=np.int64)
    np.cumsum(mask, out=prefix[1:])
    pushed_per_author = prefix[indptr[1:]] - prefix[indptr[:-1]]

    tweets_per_author = gen.poisson(activity.tweet_rate_per_s * duration)
    n_tweets = int(tweets_per_author.sum())
    authors = np.repeat(np.arange(n, dtype=np.int64), tweets_per_author)
    arrival = gen.uniform(0.0, duration, size=n_tweets)
    recipients = pushed_per_author[authors]
    deliveries = int(recipients.sum())
    quantiles = delivery_delay_quantiles(arrival, recipients, w, levels=levels)
    extra = delivery_delay_quantiles(arrival, recipients, w, levels=(0.5, 0.99, 1.0))

    # Per follower: pushed followees (cache source) and tweets delivered to the cache.
    followers = graph.follower_indices
    pushed_followers = followers[mask]
    pushed_in = np.bincount(pushed_followers, minlength=n)
    per_edge_tweets = np.repeat(tweets_per_author, graph.follower_counts)[mask]
    delivered = np.bincount(pushed_followers, weights=per_edge_tweets, minlength=n)
    cached = pushed_in > 0
    entries = int(np.minimum(delivered, cap).sum()) * copies

    reads_per_user = gen.poisson(activity.effective_read_rate_per_s * duration)
    pulled = graph.followee_counts - pushed_in
    sources = (pulled + cached).astype(np.float64)
    n_reads = int(reads_per_user.sum())
    weights = reads_per_user.astype(np.float64)
    mean_sources = float(np.dot(sources, weights) / n_reads) if n_reads else 0.0
    return FanoutCost(
        policy=policy.name,
        n_users=n,
        n_edges=graph.n_edges,
        duration_s=duration,
        workers_writes_per_s=w,
        tweets=n_tweets,
        reads=n_reads,
        deliveries=deliveries,
        cache_writes_per_s=deliveries / duration,
        reads_per_s=n_reads / duration,
        pull_fetches_per_s=float(np.dot(pulled, weights)) / duration,
        sources_per_read_mean=mean_sources,
        sources_per_read_p50=_weighted_quantile(sources, weights, 0.5),
        sources_per_read_p99=_weighted_quantile(sources, weights, 0.99),
        cached_users=int(cached.sum()),
        cache_entries=entries,
        cache_bytes=entries * entry_bytes,
        cache_bytes_full=int(cached.sum()) * cap * entry_bytes * copies,
        delay_levels=levels,
        delay_quantiles_s=quantiles,
        delivery_delay_p50_s=extra[0],
        delivery_delay_p99_s=extra[1],
        delivery_delay_max_s=extra[2],
        model=evaluate_policy(graph, activity, policy),
    )
