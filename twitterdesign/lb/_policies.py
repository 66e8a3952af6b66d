"""Request-level policies: round robin, random, least loaded, P2C and peak EWMA."""

from __future__ import annotations

import math

from twitterdesign._rng import RngLike
from twitterdesign._validate import check_number
from twitterdesign.lb._base import BalancerBase, Clock, default_clock

__all__ = ["LeastLoaded", "PeakEwma", "PowerOfTwoChoices", "RandomChoice", "RoundRobin"]


class RoundRobin(BalancerBase):
    """Send requests to the backends in turn, skipping the ones marked down.

    Args:
        backends: Number of backends (at least 1).
        rng: Random source for the starting position (clients start at different places
            so a fleet of clients does not march in step).

    Raises:
        InvalidParameterError: If ``backends`` is not a positive integer.

    Examples:
        >>> rr = RoundRobin(3, rng=0)
        >>> first = rr.pick()
        >>> [(first + k) % 3 == rr.pick() for k in range(1, 4)]
        [True, True, True]
    """

    def __init__(self, backends: int, *, rng: RngLike = None) -> None:
        super().__init__(backends, rng=rng)
        self._next = self._randint(self._n)

    def pick(self) -> int:
        """Return the next healthy backend in cyclic order.

        Raises:
            NoBackendAvailable: If every backend is marked down.
        """
        self._require_healthy()
        i = self._first_healthy_from(self._next % self._n)
        self._next = i + 1
        return i


class RandomChoice(BalancerBase):
    """Pick a uniformly random healthy backend.

    Args:
        backends: Number of backends (at least 1).
        max_effort: Re-picks when the pick is unhealthy before sending anyway.
        rng: Random source.

    Raises:
        InvalidParameterError: If an argument is out of range.

    Examples:
        >>> rc = RandomChoice(4, rng=1)
        >>> picks = [rc.pick() for _ in range(1000)]
        >>> sorted(set(picks))
        [0, 1, 2, 3]
    """

    def pick(self) -> int:
        """Return a uniformly random backend, preferring healthy ones.

        Raises:
            NoBackendAvailable: If every backend is marked down.
        """
        self._require_healthy()
        healthy = self._healthy
        i = self._randint(self._n)
        effort = 1
        while not healthy[i] and effort < self._max_effort:
            i = self._randint(self._n)
            effort += 1
        return i


class LeastLoaded(BalancerBase):
    """Pick the healthy backend with the fewest outstanding requests (ties at random).

    The idealised baseline: it scans every backend on every pick (O(n)), and with a
    stale view of load shared by many clients it herds onto the same backend.

    Args:
        backends: Number of backends (at least 1).
        rng: Random source for breaking ties.

    Raises:
        InvalidParameterError: If ``backends`` is not a positive integer.

    Examples:
        >>> ll = LeastLoaded(3, rng=0)
        >>> ll.on_start(0); ll.on_start(1)
        >>> ll.pick()
        2
    """

    def pick(self) -> int:
        """Return the least-loaded healthy backend.

        Raises:
            NoBackendAvailable: If every backend is marked down.
        """
        self._require_healthy()
        healthy = self._healthy
        load = self._load
        best = -1
        best_load = math.inf
        ties = 0
        for i in range(self._n):
            if healthy[i]:
                li = load(i)
                if li < best_load:
                    best, best_load, ties = i, li, 1
                elif li == best_load:
                    # Reservoir sampling: each tied backend ends up chosen with prob 1/ties.
                    ties += 1
                    if self._rand() * ties < 1.0:
                        best = i
        return best


class PowerOfTwoChoices(BalancerBase):
    """Least-loaded of two distinct random picks (Finagle's ``P2CLeastLoaded``).

    Two backends are drawn uniformly without replacement; the healthy one wins, and
    between two of equal health the one with fewer outstanding requests. If the winner
    is unhealthy the pick is repeated up to ``max_effort`` times, after which the
    request is sent anyway ("panic mode"): a balancer that refuses to send when most
    backends look down turns a partial outage into a total one.

    Args:
        backends: Number of backends (at least 1).
        max_effort: Re-picks before panic mode (Finagle's default is 5).
        rng: Random source.

    Raises:
        InvalidParameterError: If an argument is out of range.

    Examples:
        >>> p2c = PowerOfTwoChoices(2, rng=0)
        >>> p2c.on_start(0)
        >>> p2c.pick()   # with two backends both are compared, and 1 has no load
        1

    References:
        M. Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing", IEEE
        TPDS 12(10), 2001. Finagle ``loadbalancer/p2c/P2CPick.scala``.
    """

    def pick(self) -> int:
        """Return the better of two random backends.

        Raises:
            NoBackendAvailable: If every backend is marked down.
        """
        self._require_healthy()
        n = self._n
        if n == 1:
            return 0
        healthy = self._healthy
        load = self._load
        effort = 0
        while True:
            a, b = self._pick_two(n)
            ha, hb = healthy[a], healthy[b]
            if ha != hb:  # noqa: SIM108 - health first, then load, as Finagle reads
                winner = a if ha else b
            else:
                winner = a if load(a) < load(b) else b
            effort += 1
            if healthy[winner] or effort >= self._max_effort:
                return winner


class PeakEwma(PowerOfTwoChoices):
    """P2C comparing a latency cost that jumps up on slow responses and decays slowly.

    Per backend the balancer keeps ``cost``, an exponentially weighted moving average
    of observed latency over irregularly spaced observations: with ``Δt`` the time
    since the previous observation, ``w = exp(-Δt/τ)`` and
    ``cost = cost·w + rtt·(1-w)``, except that an observation slower than ``cost``
    replaces it at once (the "peak"). The load P2C compares is
    ``cost × (outstanding + 1)``; a backend with requests in flight but no latency
    history yet gets a large penalty so a new backend is probed one request at a time.

    Args:
        backends: Number of backends (at least 1).
        decay_s: τ, the mean lifetime of the cost in seconds (Finagle's default 10 s).
        max_effort: Re-picks before panic mode.
        clock: Zero-argument callable returning seconds (default ``time.monotonic``;
            the simulator passes its virtual clock).
        rng: Random source.

    Raises:
        InvalidParameterError: If an argument is out of range.

    Examples:
        >>> now = [0.0]
        >>> ewma = PeakEwma(2, decay_s=10.0, clock=lambda: now[0], rng=0)
        >>> ewma.on_start(0); ewma.on_finish(0, 2.0)     # backend 0 answered in 2 s
        >>> ewma.on_start(1); ewma.on_finish(1, 0.1)     # backend 1 in 100 ms
        >>> ewma.pick()
        1
        >>> round(ewma.cost(0), 3)
        2.0

    References:
        Finagle ``loadbalancer/PeakEwma.scala``; A. Eckner, "Algorithms for Unevenly
        Spaced Time Series", 2019 (EWMA with time-dependent weights).
    """

    PENALTY = float(2**47)
    """Load of a backend with requests in flight and no latency history (Finagle: 2^63 >> 16)."""

    def __init__(
        self,
        backends: int,
        *,
        decay_s: float = 10.0,
        max_effort: int = 5,
        clock: Clock | None = None,
        rng: RngLike = None,
    ) -> None:
        super().__init__(backends, max_effort=max_effort, rng=rng)
        self._tau = check_number("decay_s", decay_s, minimum=0.0, min_inclusive=False)
        self._clock = default_clock(clock)
        now = self._clock()
        self._cost: list[float] = [0.0] * self._n
        self._stamp: list[float] = [now] * self._n

    def _decay(self, i: int, rtt: float) -> None:
        now = self._clock()
        td = now - self._stamp[i]
        if td < 0.0:
            td = 0.0
        cost = self._cost[i]
        if rtt > cost:
            self._cost[i] = rtt
        else:
            w = math.exp(-td / self._tau)
            self._cost[i] = cost * w + rtt * (1.0 - w)
        self._stamp[i] = now

    def cost(self, i: int) -> float:
        """Return backend ``i``'s current peak-EWMA latency cost in seconds.

        Raises:
            InvalidParameterError: If ``i`` is not a backend index.
        """
        i = self._index(i)
        self._decay(i, 0.0)
        return self._cost[i]

    def _load(self, i: int) -> float:
        self._decay(i, 0.0)
        cost = self._cost[i]
        pending = self._outstanding[i]
        if cost == 0.0 and pending != 0:
            return self.PENALTY + pending
        return cost * (pending + 1)

    def _observe(self, i: int, latency_s: float) -> None:
        self._decay(i, latency_s)

    def _resized(self, old: int) -> None:
        n = self._n
        now = self._clock()
        if n < old:
            del self._cost[n:]
            del self._stamp[n:]
        else:
            self._cost.extend([0.0] * (n - old))
            self._stamp.extend([now] * (n - old))

    def _check(self) -> None:
        super()._check()
        assert len(self._cost) == len(self._stamp) == self._n
        assert all(c >= 0.0 and math.isfinite(c) for c in self._cost)
