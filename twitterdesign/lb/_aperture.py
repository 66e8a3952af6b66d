"""Aperture policies: each client talks to a subset of the servers.

``RandomAperture`` orders the servers randomly per client and uses the first k, with a
load-band controller that widens or narrows k. ``DeterministicAperture`` places clients
and servers on the same unit ring so every server is covered by the same amount of
client "width" — even load with few connections.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import mmh3

from twitterdesign._rng import RngLike
from twitterdesign._validate import check_int, check_number
from twitterdesign.errors import InvalidParameterError
from twitterdesign.lb._base import BalancerBase, Clock, default_clock

__all__ = ["DeterministicAperture", "RandomAperture", "Ring", "aperture_width"]

_EPSILON = 1e-6


def aperture_width(client_count: int, servers: int, aperture: int) -> float:
    """Return the ring width of a client's slice under deterministic aperture.

    The smallest whole number of client slices (each ``1/client_count`` wide) that
    covers ``aperture`` server slices (each ``1/servers`` wide), capped at the whole
    ring: ``min(1, ceil(aperture·client_count/servers)/client_count)``. Because it is a
    whole number of client slices, every point of the ring is covered by the same
    number of clients.

    Args:
        client_count: Number of clients in the peer group (at least 1).
        servers: Number of servers (at least 1).
        aperture: The logical aperture, servers per client (1 ..= servers).

    Returns:
        The width in (0, 1].

    Raises:
        InvalidParameterError: If an argument is out of range.

    Examples:
        >>> aperture_width(10, 100, 12)   # 2 client slices of 0.1
        0.2
    """
    c = check_int("client_count", client_count, minimum=1)
    s = check_int("servers", servers, minimum=1)
    a = check_int("aperture", aperture, minimum=1, maximum=s)
    units = -(-a * c // s)  # integer ceil, free of float error
    return min(1.0, units / c)


class Ring:
    """Indices ``0 .. size-1`` laid uniformly on the unit ring ``[0, 1)``.

    A port of Finagle's ``aperture/Ring.scala``: index ``i`` covers
    ``[i/size, (i+1)/size)``; queries take a range ``[offset, offset + width)`` that may
    wrap around 1.0.

    Args:
        size: Number of indices (at least 1).

    Raises:
        InvalidParameterError: If ``size`` is not a positive integer.

    Examples:
        >>> ring = Ring(4)
        >>> ring.indices(0.9, 0.5)
        [3, 0, 1]
        >>> [round(ring.weight(i, 0.9, 0.5), 2) for i in (3, 0, 1)]
        [0.4, 1.0, 0.6]
    """

    def __init__(self, size: int) -> None:
        self.size = check_int("size", size, minimum=1)
        self.unit_width = 1.0 / self.size

    def index(self, offset: float) -> int:
        """Return the index that position ``offset`` in [0, 1) falls in."""
        # A nudge of 1e-9 slices keeps i/C·S from landing a hair below a slice edge
        # through float rounding, which would add a member with zero weight.
        return math.floor(offset * self.size + 1e-9) % self.size

    def range(self, offset: float, width: float) -> int:
        """Return how many indices ``[offset, offset + width)`` intersects."""
        if 1.0 - width <= _EPSILON:
            return self.size
        ab = self.index(offset)
        ae = self.index(((offset + width) * (1 - _EPSILON)) % 1.0)
        if ae == ab and width > self.unit_width:
            return self.size  # starts and ends in one slice only by wrapping the ring
        return (ae - ab) % self.size + 1

    def indices(self, offset: float, width: float) -> list[int]:
        """Return the indices ``[offset, offset + width)`` intersects, in ring order."""
        start = self.index(offset)
        return [(start + k) % self.size for k in range(self.range(offset, width))]

    def weight(self, index: int, offset: float, width: float) -> float:
        """Return the fraction of ``index``'s slice covered by ``[offset, offset + width)``."""
        ab = index * self.unit_width
        ae = ab + self.unit_width
        end = offset + width
        # The range may wrap past 1.0, so the slice can be met at ab or at ab + 1 (or
        # both, when the range covers nearly the whole ring).
        covered = _intersect(ab, ae, offset, end) + _intersect(ab + 1, ae + 1, offset, end)
        return min(1.0, covered / self.unit_width)

    def pick(self, offset: float, width: float, u: float) -> int:
        """Return the index at a uniform position ``u`` (in [0, 1)) of the range."""
        return self.index((offset + u * width) % 1.0)

    def try_pick_second(
        self, a: int, offset: float, width: float, rand: Callable[[], float]
    ) -> int:
        """Return an index of the range other than ``a`` when the range allows it.

        The position is drawn uniformly from the range minus ``a``'s slice (by
        rejection), so the two picks are uniform without replacement over the covered
        width; ``rand`` returns uniform floats in [0, 1).
        """
        uncovered = width - self.weight(a, offset, width) * self.unit_width
        if uncovered <= _EPSILON:
            return a
        for _ in range(64):
            b = self.index((offset + rand() * width) % 1.0)
            if b != a:
                return b
        return a


def _intersect(b0: float, e0: float, b1: float, e1: float) -> float:
    return max(0.0, min(e0, e1) - max(b0, b1))


class RandomAperture(BalancerBase):
    """P2C over the first k servers of a per-client random order, k steered by load.

    Each client shuffles the servers once and balances (least-loaded P2C) over the first
    ``k``. A load-band controller keeps an exponentially smoothed count of this client's
    outstanding requests; when the average per server in the aperture reaches
    ``high_load`` it widens ``k`` by one, when it falls to ``low_load`` it narrows by
    one (Finagle's ``LoadBand``). Connections fall to about k per client, but random
    subsets overlap unevenly, so some servers carry far more clients than others.

    Args:
        backends: Number of servers (at least 1).
        aperture: Initial k (default ``min_aperture``); at most ``backends``.
        min_aperture: Smallest k the controller may choose.
        max_aperture: Largest k (default ``backends``).
        low_load: Narrow when smoothed outstanding per aperture server ≤ this.
        high_load: Widen when it is ≥ this (must exceed ``low_load``).
        smooth_window_s: Time constant of the smoothing, seconds.
        adaptive: Set False to keep k fixed (the "random subsetting" of the SRE book).
        max_effort: Re-picks before panic mode.
        clock: Zero-argument callable returning seconds (default ``time.monotonic``).
        rng: Random source (the server order and the picks).

    Raises:
        InvalidParameterError: If an argument is out of range, including an aperture
            larger than the server set.

    Examples:
        >>> ra = RandomAperture(10, aperture=3, adaptive=False, rng=7)
        >>> picks = {ra.pick() for _ in range(200)}
        >>> len(picks), picks == set(ra.members())
        (3, True)

    References:
        Finagle ``loadbalancer/aperture/LoadBand.scala`` and ``RandomAperture.scala``;
        Beyer et al., *Site Reliability Engineering* (O'Reilly 2016), ch. 20 "subsetting".
    """

    def __init__(
        self,
        backends: int,
        *,
        aperture: int | None = None,
        min_aperture: int = 1,
        max_aperture: int | None = None,
        low_load: float = 0.875,
        high_load: float = 2.0,
        smooth_window_s: float = 5.0,
        adaptive: bool = True,
        max_effort: int = 5,
        clock: Clock | None = None,
        rng: RngLike = None,
    ) -> None:
        super().__init__(backends, max_effort=max_effort, rng=rng)
        n = self._n
        self._min = check_int("min_aperture", min_aperture, minimum=1, maximum=n)
        hi = n if max_aperture is None else max_aperture
        self._max = check_int("max_aperture", hi, minimum=self._min, maximum=n)
        k = self._min if aperture is None else aperture
        self._k = check_int("aperture", k, minimum=self._min, maximum=self._max)
        self._low = check_number("low_load", low_load, minimum=0.0)
        self._high = check_number("high_load", high_load, minimum=self._low, min_inclusive=False)
        self._window = check_number("smooth_window_s", smooth_window_s, minimum=0.0)
        self._adaptive = bool(adaptive)
        self._clock = default_clock(clock)
        self._order: list[int] = self._rng.permutation(n).tolist()
        self._total = 0
        self._ema = 0.0
        self._ema_stamp: float | None = None

    @property
    def aperture(self) -> int:
        """The current number of servers this client balances over."""
        return self._k

    def members(self) -> tuple[int, ...]:
        """Return the backend indices inside the current aperture."""
        return tuple(self._order[: self._k])

    def pick(self) -> int:
        """Return the less loaded of two random servers inside the aperture.

        Raises:
            NoBackendAvailable: If every backend is marked down.
        """
        self._require_healthy()
        k = self._k
        order = self._order
        healthy = self._healthy
        if k == 1:
            i = order[0]
            return i if healthy[i] else self._fallback()
        load = self._load
        for _ in range(self._max_effort):
            a, b = self._pick_two(k)
            ia, ib = order[a], order[b]
            if healthy[ia] != healthy[ib]:
                winner = ia if healthy[ia] else ib
            else:
                winner = ia if load(ia) < load(ib) else ib
            if healthy[winner]:
                return winner
        return self._fallback()

    def _fallback(self) -> int:
        # Nothing healthy inside the aperture: use the first healthy server in this
        # client's order rather than failing while healthy servers exist.
        for i in self._order:
            if self._healthy[i]:
                return i
        return self._order[0]  # pragma: no cover - _require_healthy ran first

    def _adjust(self, delta: int) -> None:
        self._total += delta
        if not self._adaptive:
            return
        now = self._clock()
        if self._ema_stamp is None or self._window == 0.0:
            self._ema = float(self._total)
        else:
            w = math.exp(-max(now - self._ema_stamp, 0.0) / self._window)
            self._ema = self._total * (1.0 - w) + self._ema * w
        self._ema_stamp = now
        avg = self._ema / self._k
        if avg >= self._high and self._k < self._max:
            self._k += 1
        elif avg <= self._low and self._k > self._min:
            self._k -= 1

    def on_start(self, i: int) -> None:
        super().on_start(i)
        self._adjust(1)

    def _observe(self, i: int, latency_s: float) -> None:
        self._adjust(-1)

    def _resized(self, old: int) -> None:
        n = self._n
        self._order = self._rng.permutation(n).tolist()
        self._min = min(self._min, n)
        self._max = min(self._max, n) if self._max < old else n
        self._k = max(self._min, min(self._k, self._max))

    def _check(self) -> None:
        super()._check()
        assert sorted(self._order) == list(range(self._n))
        assert 1 <= self._min <= self._k <= self._max <= self._n
        assert self._total == sum(self._outstanding)


class DeterministicAperture(BalancerBase):
    """P2C inside this client's slice of a ring shared by every client and server.

    Client ``i`` of ``C`` sits at offset ``i/C`` on the unit ring; the ``S`` servers are
    laid on the same ring in an order every client agrees on (sorted by a hash of their
    addresses when given, else by index). The logical aperture is
    ``A = min(min_aperture, S)`` and the slice width is
    ``min(1, ceil(A·C/S)/C)`` — a whole number of client slices — so every point of the
    ring is covered by exactly the same number of clients. Inside the slice the policy
    draws two distinct positions uniformly and compares ``load / weight``, where the
    weight is the fraction of a server's ring segment the slice covers: a server at the
    edge of a slice gets proportionally less from this client, and the sum over
    clients is the same for every server.

    Args:
        backends: Number of servers (at least 1).
        client_index: This client's position in its peer group, 0 ..< client_count.
        client_count: Number of clients in the peer group.
        min_aperture: Logical aperture (Finagle's default minimum is 12), capped at the
            number of servers.
        addresses: Optional server addresses (one per backend); the ring order is the
            order of their 32-bit MurmurHash3 values, so clients that list servers in
            different orders still agree on the ring.
        max_effort: Re-picks before panic mode.
        rng: Random source for the picks.

    Raises:
        InvalidParameterError: If an argument is out of range.

    Examples:
        >>> da = DeterministicAperture(6, client_index=1, client_count=4, min_aperture=2)
        >>> da.width              # ceil(2·4/6) = 2 client slices of 1/4
        0.5
        >>> da.members()          # [0.25, 0.75) covers servers 1..4 (segments of 1/6)
        (1, 2, 3, 4)
        >>> [round(w, 2) for w in da.weights()]
        [0.5, 1.0, 1.0, 0.5]

    References:
        Finagle ``loadbalancer/aperture/DeterministicAperture.scala``, ``Ring.scala``,
        ``ProcessCoordinate.scala``, ``WeightedP2CPick.scala``; Twitter Engineering,
        "Deterministic Aperture: A distributed, load balancing algorithm" (2019).
    """

    def __init__(
        self,
        backends: int,
        *,
        client_index: int = 0,
        client_count: int = 1,
        min_aperture: int = 12,
        addresses: Sequence[str] | None = None,
        max_effort: int = 5,
        rng: RngLike = None,
    ) -> None:
        super().__init__(backends, max_effort=max_effort, rng=rng)
        self._count = check_int("client_count", client_count, minimum=1)
        self._client = check_int("client_index", client_index, minimum=0, maximum=self._count - 1)
        self._min_aperture = check_int("min_aperture", min_aperture, minimum=1)
        self._addresses: list[str] | None = None
        if addresses is not None:
            self._addresses = self._check_addresses(addresses, self._n)
        self._rebuild()

    @staticmethod
    def _check_addresses(addresses: Sequence[str], n: int) -> list[str]:
        addrs = list(addresses)
        if len(addrs) != n or not all(isinstance(a, str) for a in addrs):
            raise InvalidParameterError(
                "addresses", f"<{len(addrs)} values>", f"{n} address strings, one per backend"
            )
        if len(set(addrs)) != n:
            raise InvalidParameterError("addresses", addrs, "distinct addresses")
        return addrs

    def _rebuild(self) -> None:
        n = self._n
        if self._addresses is None:
            self._ring_order = list(range(n))
        else:
            addrs = self._addresses
            self._ring_order = sorted(
                range(n), key=lambda i: (mmh3.hash(addrs[i], signed=False), i)
            )
        self._ring = Ring(n)
        self._offset = self._client / self._count
        self._logical = min(self._min_aperture, n)
        self._width = aperture_width(self._count, n, self._logical)
        self._positions = self._ring.indices(self._offset, self._width)
        self._weights = {
            p: self._ring.weight(p, self._offset, self._width) for p in self._positions
        }

    @property
    def aperture(self) -> int:
        """The logical aperture ``min(min_aperture, servers)``."""
        return self._logical

    @property
    def width(self) -> float:
        """The ring width of this client's slice."""
        return self._width

    @property
    def offset(self) -> float:
        """This client's coordinate on the ring, ``client_index / client_count``."""
        return self._offset

    def members(self) -> tuple[int, ...]:
        """Return the backend indices this client connects to (its physical aperture)."""
        return tuple(self._ring_order[p] for p in self._positions)

    def weights(self) -> tuple[float, ...]:
        """Return the covered fraction of each member's ring segment, in member order."""
        return tuple(self._weights[p] for p in self._positions)

    def pick(self) -> int:
        """Return the better of two weighted picks inside the slice.

        Raises:
            NoBackendAvailable: If every backend is marked down.
        """
        self._require_healthy()
        ring, off, width = self._ring, self._offset, self._width
        order, healthy, weights, load = self._ring_order, self._healthy, self._weights, self._load
        for _ in range(self._max_effort):
            pa = ring.pick(off, width, self._rand())
            pb = ring.try_pick_second(pa, off, width, self._rand)
            a, b = order[pa], order[pb]
            if healthy[a] != healthy[b]:
                winner = a if healthy[a] else b
            else:
                wa = weights.get(pa) or 1.0
                wb = weights.get(pb) or 1.0
                if abs(wa - wb) < 1e-4:
                    winner = a if load(a) <= load(b) else b
                else:
                    winner = a if load(a) / wa <= load(b) / wb else b
            if healthy[winner]:
                return winner
        return self._fallback()

    def _fallback(self) -> int:
        members = self.members()
        for i in members:
            if self._healthy[i]:
                return i
        # The slice is entirely down: walk on round the ring to the next healthy server.
        last = self._positions[-1]
        for k in range(1, self._n + 1):
            i = self._ring_order[(last + k) % self._n]
            if self._healthy[i]:
                return i
        return members[0]  # pragma: no cover - _require_healthy ran first

    def update_backends(self, backends: int, *, addresses: Sequence[str] | None = None) -> None:
        """Change the server set and rebuild the ring.

        Args:
            backends: The new number of servers.
            addresses: The new addresses (required if the balancer was built with
                addresses).

        Raises:
            InvalidParameterError: If the count or the addresses are invalid.
        """
        n = check_int("backends", backends, minimum=1)
        if addresses is not None:
            new_addresses: list[str] | None = self._check_addresses(addresses, n)
        elif self._addresses is not None:
            raise InvalidParameterError("addresses", None, f"{n} address strings")
        else:
            new_addresses = None
        super().update_backends(n)
        self._addresses = new_addresses
        self._rebuild()

    def _check(self) -> None:
        super()._check()
        assert sorted(self._ring_order) == list(range(self._n))
        assert 0.0 < self._width <= 1.0
        assert len(self._positions) == self._ring.range(self._offset, self._width)
        covered = sum(self._weights.values()) * self._ring.unit_width
        assert abs(covered - self._width) < 1e-9
