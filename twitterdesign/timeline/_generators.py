"""Synthetic follower graphs: directed Chung–Lu with power-law weights, plus celebrities."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from twitterdesign._rng import RngLike, as_generator
from twitterdesign._validate import check_fraction, check_int, check_number
from twitterdesign.errors import InvalidParameterError
from twitterdesign.timeline._csr import csr_from_sorted_keys, sorted_unique
from twitterdesign.timeline._graph import FollowerGraph

__all__ = ["add_celebrities", "power_law_graph"]

FloatArray = npt.NDArray[np.float64]
_MAX_TOPUP_ROUNDS = 8


def _pareto_weights(n: int, mean: float, exponent: float, gen: np.random.Generator) -> FloatArray:
    """Draw ``n`` Pareto weights (tail ``w^-exponent``) capped at ``n - 1``, mean ``mean``."""
    w = (1.0 - gen.random(n)) ** (-1.0 / (exponent - 1.0))
    cap = float(n - 1)
    # Scaling then capping changes the mean; a few rounds converge (the capped mass is tiny).
    for _ in range(50):
        w *= mean / w.mean()
        if w.max() <= cap * (1 + 1e-12):
            break
        np.minimum(w, cap, out=w)
    return w


def _stubs(
    weights: FloatArray, expected_total: float, gen: np.random.Generator
) -> npt.NDArray[np.int32]:
    """Return user ids repeated Poisson(weight share × expected_total) times."""
    counts = gen.poisson(weights * (expected_total / weights.sum()))
    return np.repeat(np.arange(weights.size, dtype=np.int32), counts)


def _edge_keys(
    w_out: FloatArray,
    w_in: FloatArray,
    one_way: float,
    mutual_pairs: float,
    gen: np.random.Generator,
) -> npt.NDArray[np.int64]:
    """Sample one-way and mutual edges; return their ``follower * n + followee`` keys."""
    n = w_out.size
    src = _stubs(w_out, one_way, gen)
    in_counts = gen.multinomial(src.size, w_in / w_in.sum())
    dst = gen.permutation(np.repeat(np.arange(n, dtype=np.int32), in_counts))
    del in_counts
    ends = gen.permutation(_stubs(w_in, 2.0 * mutual_pairs, gen))
    half = ends.size // 2
    a, b = ends[:half], ends[half : 2 * half]
    del ends
    one_ok, mutual_ok = src != dst, a != b  # no self-follows
    n_one, n_mutual = int(one_ok.sum()), int(mutual_ok.sum())
    # One preallocated key array, filled in place: memory stays near 8 bytes per edge.
    keys = np.empty(n_one + 2 * n_mutual, dtype=np.int64)
    for lo, hi, rows, cols, ok in (
        (0, n_one, src, dst, one_ok),
        (n_one, n_one + n_mutual, a, b, mutual_ok),
        (n_one + n_mutual, keys.size, b, a, mutual_ok),
    ):
        part = keys[lo:hi]
        part[:] = rows[ok]
        part *= n
        part += cols[ok]
    return sorted_unique(keys)


def power_law_graph(
    n_users: int,
    *,
    mean_followees: float = 35.0,
    exponent: float = 2.276,
    reciprocity: float = 0.22,
    rng: RngLike = None,
) -> FollowerGraph:
    """Generate a Twitter-like follower graph with power-law degrees (directed Chung–Lu).

    Every user draws a follower weight and a followee weight from a Pareto law with tail
    exponent ``exponent`` (capped at ``n_users - 1`` and scaled so the mean is
    ``mean_followees``). A fraction ``1 - reciprocity`` of the connected pairs are one-way
    edges whose follower is chosen in proportion to followee weight and whose followee is
    chosen in proportion to follower weight, so the expected number of edges ``u → v`` is
    ``w_out(u) w_in(v) / W`` as in the Chung–Lu model; the other pairs are mutual, with
    both ends chosen by followee weight. Everything is sampled with whole-array numpy
    operations (Poisson stub counts, one permutation, one sort), never a loop per edge.

    Self-follows and repeated edges are dropped and the shortfall is resampled until
    it is below 0.2%, so on sparse graphs with ``exponent > 2`` the mean out-degree
    lands within 0.2% of ``mean_followees`` plus the Poisson noise of the edge count
    (relative size ``1/√edges``). At or below 2 the weights have no finite mean, a few
    hubs hold most of them, and their repeated edges leave the graph short of the
    requested mean. Degrees follow ``P(k) ∝ k^-exponent`` above a few times the
    smallest weight.

    Args:
        n_users: Number of users, at least 2.
        mean_followees: Mean number of accounts a user follows (= mean followers), at
            most half of ``n_users - 1``: Chung–Lu sampling cannot fill denser graphs.
            Default 35, about the mean of the 41.7M-user, 1.47B-edge crawl of Kwak et al.
        exponent: Power-law exponent of the degree distributions, ``> 1``. Default 2.276,
            the exponent Kwak et al. fitted to Twitter's follower counts.
        reciprocity: Fraction of connected pairs that follow each other, in [0, 1).
            Default 0.22 (Kwak et al. measured 22.1%).
        rng: Seed or Generator.

    Returns:
        The graph.

    Raises:
        InvalidParameterError: For ``n_users < 2``, ``exponent ≤ 1``,
            ``mean_followees ≤ 0`` or ``> (n_users - 1) / 2``, or reciprocity outside [0, 1).

    Examples:
        >>> g = power_law_graph(10_000, rng=1)
        >>> round(g.n_edges / g.n_users)
        35
        >>> bool(g.follower_counts.max() > 20 * 35)  # a heavy tail: some accounts are huge
        True

    References:
        H. Kwak, C. Lee, H. Park, S. Moon, "What is Twitter, a social network or a news
        media?", WWW 2010. F. Chung, L. Lu, "Connected components in random graphs with
        given expected degree sequences", Annals of Combinatorics 6, 2002.
    """
    n = check_int("n_users", n_users, minimum=2, maximum=2**31 - 1)
    mean = check_number(
        "mean_followees", mean_followees, minimum=0.0, min_inclusive=False, maximum=(n - 1) / 2
    )
    gamma = check_number("exponent", exponent, minimum=1.0, min_inclusive=False, maximum=10.0)
    recip = check_fraction("reciprocity", reciprocity)
    if recip >= 1.0:
        raise InvalidParameterError("reciprocity", reciprocity, "a fraction in [0, 1)")
    gen = as_generator(rng)

    w_in = _pareto_weights(n, mean, gamma, gen)
    w_out = _pareto_weights(n, mean, gamma, gen)
    target = mean * n
    pairs = target / (1.0 + recip)
    one_way, mutual = (1.0 - recip) * pairs, recip * pairs
    keys = _edge_keys(w_out, w_in, one_way, mutual, gen)
    yield_rate = keys.size / target  # new distinct edges per edge sampled
    for _ in range(_MAX_TOPUP_ROUNDS):
        # Repeats and self-follows were dropped; sample the shortfall again, scaled up by
        # the last round's yield (top-up edges collide with the hubs' existing edges more
        # often than the first round's did).
        deficit = target - keys.size
        if deficit <= 0.002 * target:
            break
        sample = deficit / max(yield_rate, 0.05)
        more_pairs = sample / (1.0 + recip)
        extra = _edge_keys(w_out, w_in, (1.0 - recip) * more_pairs, recip * more_pairs, gen)
        before = keys.size
        merged = np.concatenate((keys, extra))
        del keys, extra
        keys = sorted_unique(merged, kind="stable")  # two sorted runs: timsort merges them
        yield_rate = (keys.size - before) / sample
    return FollowerGraph._from_followee_csr(n, *csr_from_sorted_keys(keys, n))


def add_celebrities(
    graph: FollowerGraph,
    followers: Sequence[int],
    *,
    rng: RngLike = None,
) -> FollowerGraph:
    """Return a copy of ``graph`` with extra accounts that have the given follower counts.

    Celebrity ``i`` gets id ``graph.n_users + i`` and is followed by ``followers[i]``
    existing users drawn uniformly without replacement; celebrities follow nobody. Use
    it to put a 30M-follower account (scaled to your graph) into a synthetic population.

    Args:
        graph: The existing graph.
        followers: Follower count of each new account, each in ``[0, graph.n_users]``.
        rng: Seed or Generator.

    Returns:
        A new graph with ``graph.n_users + len(followers)`` users.

    Raises:
        InvalidParameterError: If a follower count is negative or exceeds the number of
            existing users.

    Examples:
        >>> g = add_celebrities(power_law_graph(1_000, mean_followees=10, rng=2), [900], rng=3)
        >>> g.n_users, g.follower_count(1_000)
        (1001, 900)
    """
    if not isinstance(graph, FollowerGraph):
        raise InvalidParameterError("graph", graph, "a FollowerGraph")
    n = graph.n_users
    counts = [check_int("followers", f, minimum=0, maximum=n) for f in followers]
    gen = as_generator(rng)
    new_n = n + len(counts)
    src, dst = graph.to_edges()
    parts_src = [src.astype(np.int64)]
    parts_dst = [dst.astype(np.int64)]
    for i, count in enumerate(counts):
        parts_src.append(gen.choice(n, size=count, replace=False).astype(np.int64))
        parts_dst.append(np.full(count, n + i, dtype=np.int64))
    keys = np.concatenate(parts_src) * new_n + np.concatenate(parts_dst)
    keys.sort()
    return FollowerGraph._from_followee_csr(new_n, *csr_from_sorted_keys(keys, new_n))
