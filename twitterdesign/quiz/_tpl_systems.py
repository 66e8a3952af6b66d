"""Parametric questions on fan-out, Count-Min sizing and client-side load balancing.

Answers come from `twitterdesign.timeline`, `twitterdesign.topk` and
`twitterdesign.lb`; the prompt and explanation quote the numbers they returned.
"""

from __future__ import annotations

import numpy as np

from twitterdesign.quiz._template_base import Draft, pick

__all__ = [
    "aperture_connections",
    "aperture_width_question",
    "balls_into_bins_question",
    "cms_depth",
    "cms_width",
    "hybrid_fanout",
]


# --- storage, timelines and fan-out ---------------------------------------------------


def hybrid_fanout(gen: np.random.Generator) -> Draft:
    from twitterdesign.timeline import Activity, FollowerGraph, HybridThreshold, evaluate_policy

    threshold = int(pick(gen, (1_000, 5_000, 10_000)))
    counts = [int(pick(gen, (150, 400, 900, 2_500, 7_000))) for _ in range(3)]
    counts.append(int(pick(gen, (20_000, 40_000, 60_000))))  # the celebrity
    tweets_per_day = float(pick(gen, (2, 3, 5, 10)))
    followers: list[int] = []
    followees: list[int] = []
    next_id = len(counts)  # authors are users 0..3; their followers come after them
    for author, count in enumerate(counts):
        followers.extend(range(next_id, next_id + count))
        followees.extend([author] * count)
        next_id += count
    graph = FollowerGraph.from_edges(followers, followees, n_users=next_id)
    activity = Activity.uniform(next_id, tweets_per_day=tweets_per_day, reads_per_day=0.0)
    cost = evaluate_policy(graph, activity, HybridThreshold(threshold))
    writes_per_day = cost.push_writes_per_s * 86_400
    listing = ", ".join(f"{c:,}" for c in counts)
    pushed = [c for c in counts if c <= threshold]
    return Draft(
        parameters=(
            ("threshold", threshold),
            ("tweets_per_day", tweets_per_day),
            *((f"followers[{i}]", c) for i, c in enumerate(counts)),
        ),
        prompt=f"Four accounts with {listing} followers each tweet {tweets_per_day:g} times a "
        f"day. Timelines use hybrid fan-out: tweets of accounts with at most {threshold:,} "
        "followers are pushed into every follower's cached timeline; the others are pulled "
        "at read time. How many timeline-cache writes does that cost per day?",
        value=writes_per_day,
        dimension="count",
        unit="writes",
        tolerance=0.01,
        explanation=f"Only accounts at or under the threshold are pushed: "
        f"({' + '.join(f'{c:,}' for c in pushed) or '0'}) followers × {tweets_per_day:g} "
        f"tweets = {writes_per_day:,.0f} writes a day. Pushing everyone would cost "
        f"{sum(counts) * tweets_per_day:,.0f}; the celebrity's followers instead fetch its "
        "few tweets when they read, which is cheaper than writing to every one of them.",
    )


# --- top-k -----------------------------------------------------------------------------

_EPSILONS = (0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005)
_DELTAS = (0.1, 0.05, 0.01, 0.001, 0.0001)


def cms_width(gen: np.random.Generator) -> Draft:
    from twitterdesign.topk import CountMinSketch

    eps, delta = float(pick(gen, _EPSILONS)), float(pick(gen, _DELTAS))
    sketch = CountMinSketch.from_error(eps, delta)
    return Draft(
        parameters=(("epsilon", eps), ("delta", delta)),
        prompt=f"A Count-Min sketch must overestimate any count by at most ε = {eps:g} of the "
        f"stream's total, with probability 1 − δ = {1 - delta:g}. How many counters wide is "
        "each row?",
        value=sketch.width,
        dimension="count",
        unit="counters",
        tolerance=0.0,
        explanation=f"Width w = ⌈e/ε⌉ = ⌈2.71828… / {eps:g}⌉ = {sketch.width:,}; the depth "
        f"d = ⌈ln(1/δ)⌉ = {sketch.depth} rows sets the probability, not the width. Using "
        "1/ε instead of e/ε gives a sketch that misses the stated bound.",
    )


def cms_depth(gen: np.random.Generator) -> Draft:
    from twitterdesign.topk import CountMinSketch

    eps, delta = float(pick(gen, _EPSILONS)), float(pick(gen, _DELTAS))
    sketch = CountMinSketch.from_error(eps, delta)
    return Draft(
        parameters=(("epsilon", eps), ("delta", delta)),
        prompt=f"A Count-Min sketch sized for ε = {eps:g} and δ = {delta:g} (error at most "
        "εN with probability 1 − δ). How many rows (hash functions) does it need?",
        value=sketch.depth,
        dimension="count",
        unit="rows",
        tolerance=0.0,
        explanation=f"Depth d = ⌈ln(1/δ)⌉ = ⌈ln {1 / delta:g}⌉ = {sketch.depth}: each extra "
        "row makes it exponentially less likely that every row collides badly. ε sets the "
        f"width instead (⌈e/ε⌉ = {sketch.width:,}).",
    )


# --- load balancing --------------------------------------------------------------------


def aperture_connections(gen: np.random.Generator) -> Draft:
    from twitterdesign.lb import aperture_width, connection_plan

    clients = int(pick(gen, (20, 40, 60, 100, 150)))
    servers = int(pick(gen, (10, 24, 30, 50, 80)))
    aperture = int(pick(gen, (3, 4, 6, 8, 12)))
    aperture = min(aperture, servers)
    width = aperture_width(clients, servers, aperture)
    plan = connection_plan(clients, servers, kind="continuous-ring", aperture=aperture)
    connections = plan.connections_total
    return Draft(
        parameters=(("clients", clients), ("servers", servers), ("aperture", aperture)),
        prompt=f"{clients} clients talk to {servers} servers with deterministic aperture "
        f"(aperture {aperture}). Each client's slice is a whole number of client slices "
        "of the ring covering at least the aperture. About how many connections are open "
        f"in total? (A full mesh would need {clients * servers:,}.)",
        value=connections,
        dimension="count",
        unit="connections",
        tolerance=0.15,
        explanation=f"Slice width min(1, ⌈{aperture}·{clients}/{servers}⌉/{clients}) = "
        f"{width:.3g} of the ring, about {width * servers:.3g} servers per client, plus one "
        "where a slice edge cuts a server's segment: "
        f"{connections:,} connections in total, against {clients * servers:,} for a full "
        "mesh — while every server stays covered by the same number of clients.",
    )


def aperture_width_question(gen: np.random.Generator) -> Draft:
    from twitterdesign.lb import aperture_width

    clients = int(pick(gen, (5, 8, 10, 20, 40, 50)))
    servers = int(pick(gen, (12, 20, 30, 50, 100)))
    aperture = min(int(pick(gen, (2, 3, 4, 6, 12))), servers)
    width = aperture_width(clients, servers, aperture)
    return Draft(
        parameters=(("clients", clients), ("servers", servers), ("aperture", aperture)),
        prompt=f"Deterministic aperture with {clients} clients, {servers} servers and an "
        f"aperture of {aperture}. What fraction of the ring does each client's slice cover? "
        "(A decimal, e.g. 0.35.)",
        value=width,
        dimension="count",
        unit=None,
        tolerance=0.01,
        explanation=f"The slice is the smallest whole number of client slices (1/{clients} "
        f"each) that covers {aperture} server slices (1/{servers} each): "
        f"min(1, ⌈{aperture}·{clients}/{servers}⌉/{clients}) = {width:.4g}. Using "
        f"{aperture}/{servers} directly would leave ring points covered by different "
        "numbers of clients.",
    )


def balls_into_bins_question(gen: np.random.Generator) -> Draft:
    from twitterdesign.lb import balls_into_bins

    n = int(pick(gen, (1_000, 5_000, 10_000, 20_000)))  # small enough to simulate fast
    d = int(pick(gen, (1, 2, 3)))
    seed = int(gen.integers(0, 2**31 - 1))
    one = balls_into_bins(n, n, choices=1, rng=seed)
    result = one if d == 1 else balls_into_bins(n, n, choices=d, rng=seed)
    how = "a server picked at random" if d == 1 else f"the least loaded of {d} random servers"
    formula = "ln n / ln ln n" if d == 1 else f"ln ln n / ln {d}"
    return Draft(
        parameters=(("n", n), ("choices", d)),
        prompt=f"{n:,} requests go to {n:,} servers, each to {how}. Balls-into-bins theory "
        f"says the busiest server's load grows like {formula}. What is that term for "
        f"n = {n:,}? (A decimal.)",
        value=result.theory,
        dimension="count",
        unit=None,
        tolerance=0.02,
        explanation=f"{formula} = {result.theory:.3g} for n = {n:,}. A simulation of this "
        f"case gave a busiest server of {result.max_load} requests with "
        f"{'one random choice' if d == 1 else f'{d} choices'}"
        + ("" if d == 1 else f", against {one.max_load} with one random choice")
        + ". With two choices the maximum drops from about ln n / ln ln n to ln ln n / ln 2 "
        "— an exponential improvement — while more than two choices gain only a constant "
        "factor; that is why P2C asks for exactly two.",
    )
