"""Closed-form and Monte-Carlo analyses: balls into bins, aperture connection plans."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from twitterdesign._rng import RngLike, as_generator
from twitterdesign._validate import check_choice, check_int
from twitterdesign.lb._aperture import Ring, aperture_width

__all__ = [
    "PLAN_KINDS",
    "BallsIntoBins",
    "ConnectionPlan",
    "balls_into_bins",
    "connection_plan",
]

PLAN_KINDS: tuple[str, ...] = ("full-mesh", "random-aperture", "discrete-ring", "continuous-ring")
"""The steps of the lesson's path for session balancing, in order."""


@dataclass(frozen=True, slots=True)
class BallsIntoBins:
    """The outcome of throwing balls into bins.

    Attributes:
        balls: Number of balls thrown.
        bins: Number of bins.
        choices: Bins sampled per ball (the ball goes to the least loaded).
        max_load: Largest bin load.
        mean_load: balls ÷ bins.
        theory: The classical first-order max-load term for ``balls == bins``:
            ``ln n / ln ln n`` for one choice, ``ln ln n / ln d`` for d ≥ 2 choices.
        load_histogram: ``load_histogram[k]`` bins hold exactly k balls.
    """

    balls: int
    bins: int
    choices: int
    max_load: int
    mean_load: float
    theory: float
    load_histogram: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as plain data."""
        return asdict(self)


def balls_into_bins(
    balls: int, bins: int, *, choices: int = 1, rng: RngLike = None
) -> BallsIntoBins:
    """Throw ``balls`` balls into ``bins`` bins, each into the least loaded of ``choices``.

    With one choice the maximum load of n balls in n bins is ``Θ(ln n / ln ln n)``; with
    two or more choices it drops to ``ln ln n / ln d + O(1)`` — the "power of two
    choices" that P2C balancing rests on. Choices are independent uniform draws (with
    replacement, as in the theorem); ties go to the first.

    Args:
        balls: Number of balls (≥ 0).
        bins: Number of bins (≥ 1).
        choices: d, bins sampled per ball (≥ 1).
        rng: Random source.

    Returns:
        The loads and the theory term.

    Raises:
        InvalidParameterError: If an argument is out of range.

    Examples:
        >>> one = balls_into_bins(10_000, 10_000, choices=1, rng=0)
        >>> two = balls_into_bins(10_000, 10_000, choices=2, rng=0)
        >>> two.max_load < one.max_load
        True

    References:
        Y. Azar, A. Broder, A. Karlin, E. Upfal, "Balanced Allocations", SIAM J. Comput.
        29(1), 1999; G. Gonnet, "Expected Length of the Longest Probe Sequence in Hash
        Code Searching", JACM 28(2), 1981.
    """
    m = check_int("balls", balls, minimum=0, maximum=10**9)
    n = check_int("bins", bins, minimum=1, maximum=10**9)
    d = check_int("choices", choices, minimum=1, maximum=64)
    gen = as_generator(rng)
    if d == 1:
        loads = np.bincount(gen.integers(0, n, size=m), minlength=n)
    else:
        loads_list = [0] * n
        chunk = 1 << 16
        for start in range(0, m, chunk):
            size = min(chunk, m - start)
            picks = gen.integers(0, n, size=(size, d)).tolist()
            if d == 2:
                for a, b in picks:
                    if loads_list[a] <= loads_list[b]:
                        loads_list[a] += 1
                    else:
                        loads_list[b] += 1
            else:
                for row in picks:
                    best = min(row, key=loads_list.__getitem__)
                    loads_list[best] += 1
        loads = np.asarray(loads_list, dtype=np.int64)
    if n >= 3:
        lnn = math.log(n)
        theory = lnn / math.log(lnn) if d == 1 else math.log(lnn) / math.log(d)
    else:
        theory = float("nan")
    return BallsIntoBins(
        balls=m,
        bins=n,
        choices=d,
        max_load=int(loads.max()) if n else 0,
        mean_load=m / n,
        theory=theory,
        load_histogram=tuple(int(x) for x in np.bincount(loads)),
    )


@dataclass(frozen=True, slots=True)
class ConnectionPlan:
    """Who connects to whom, and the load each server gets, for one session strategy.

    Every client is assumed to send the same request rate, spread over its servers as
    the strategy says (evenly over a subset, or by ring-overlap weight).

    Attributes:
        kind: One of `PLAN_KINDS`.
        clients: Number of clients.
        servers: Number of servers.
        aperture: Servers per client asked for (the whole set for a full mesh).
        connections_total: Client–server connections.
        connections_per_client_max: Most connections held by one client.
        server_load: Each server's load ÷ the mean load.
        max_over_mean: Largest server load ÷ mean.
        min_over_mean: Smallest server load ÷ mean.
    """

    kind: str
    clients: int
    servers: int
    aperture: int
    connections_total: int
    connections_per_client_max: int
    server_load: tuple[float, ...]
    max_over_mean: float
    min_over_mean: float

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as plain data."""
        return asdict(self)


def connection_plan(
    clients: int,
    servers: int,
    *,
    kind: str = "continuous-ring",
    aperture: int = 12,
    rng: RngLike = None,
) -> ConnectionPlan:
    """Compute connections and per-server load for one step of the lesson's path.

    * ``full-mesh``: every client connects to every server (``C·S`` connections,
      perfectly even load).
    * ``random-aperture``: each client picks ``aperture`` servers at random (random
      subsetting): ``C·A`` connections, but a server's load is the number of clients
      that happened to pick it — binomial, so uneven.
    * ``discrete-ring``: client i takes ``aperture`` consecutive servers from position
      ``⌊i·S/C⌋`` with equal shares — deterministic, but when S is not a multiple of C
      (or the reverse) some servers sit in more windows than others.
    * ``continuous-ring``: Finagle's deterministic aperture — slices of width
      ``ceil(A·C/S)/C`` with per-server weights equal to the covered fraction: every
      server gets exactly the same load.

    Args:
        clients: C, number of clients (≥ 1).
        servers: S, number of servers (≥ 1).
        kind: One of `PLAN_KINDS`.
        aperture: A, servers per client (1 ≤ A ≤ S); ignored for a full mesh.
        rng: Random source (random aperture only).

    Returns:
        The plan.

    Raises:
        InvalidParameterError: If an argument is out of range, including an aperture
            larger than the server set.

    Examples:
        >>> p = connection_plan(300, 300, kind="continuous-ring", aperture=90)
        >>> p.connections_total, round(p.max_over_mean, 9), round(p.min_over_mean, 9)
        (27000, 1.0, 1.0)

    References:
        Beyer et al., *Site Reliability Engineering*, ch. 20 (random subsetting: 300
        clients and backends, subsets of 30%); Twitter Engineering, "Deterministic
        Aperture" (2019).
    """
    c = check_int("clients", clients, minimum=1)
    s = check_int("servers", servers, minimum=1)
    check_choice("kind", kind, PLAN_KINDS)
    a = s if kind == "full-mesh" else check_int("aperture", aperture, minimum=1, maximum=s)
    load = np.zeros(s)
    conns = np.zeros(c, dtype=np.int64)
    if kind == "full-mesh":
        load += c / s
        conns[:] = s
    elif kind == "random-aperture":
        gen = as_generator(rng)
        for _ in range(c):
            subset = gen.choice(s, size=a, replace=False)
            load[subset] += 1.0 / a
        conns[:] = a
    elif kind == "discrete-ring":
        for i in range(c):
            start = (i * s) // c
            idx = (start + np.arange(a)) % s
            load[idx] += 1.0 / a
        conns[:] = a
    else:
        ring = Ring(s)
        width = aperture_width(c, s, a)
        for i in range(c):
            offset = i / c
            members = ring.indices(offset, width)
            w = np.array([ring.weight(m, offset, width) for m in members])
            load[members] += w / w.sum()
            conns[i] = len(members)
    mean = load.mean()
    norm = load / mean
    return ConnectionPlan(
        kind=kind,
        clients=c,
        servers=s,
        aperture=a,
        connections_total=int(conns.sum()),
        connections_per_client_max=int(conns.max()),
        server_load=tuple(float(x) for x in norm),
        max_over_mean=float(norm.max()),
        min_over_mean=float(norm.min()),
    )
