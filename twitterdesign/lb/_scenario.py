"""What the simulator simulates: servers, clients, service times, arrivals, faults."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from twitterdesign._validate import check_choice, check_int, check_number
from twitterdesign.errors import InvalidParameterError
from twitterdesign.units import format_bytes

__all__ = ["DEFAULT_MAX_MEMORY_BYTES", "Outage", "Scenario", "ServiceTime", "SlowPeriod"]

#: Memory `simulate` may use by default (4 GB); pass ``max_memory_bytes`` to change it.
DEFAULT_MAX_MEMORY_BYTES = 4_000_000_000

# Hard limits on a scenario's sizes, whatever the memory: the simulator is a Python
# event loop (about a million events a second), so even these take hours.
_MAX_CLIENTS = 10**7
_MAX_SERVERS = 10**7
_MAX_REQUESTS = 10**9

# Bytes the simulator holds, measured with tracemalloc on CPython 3.11-3.13 and rounded
# up: per request (arrival, client, bookkeeping, queue and heap entries when every
# request waits) plus per attempt (a service time), per server (queue, fault lists,
# counters), per client (its balancer, generator and batch of 2,048 random numbers)
# and per (client, server) pair (connection flags, failure counts, load views).
_BYTES_PER_REQUEST = 300
_BYTES_PER_ATTEMPT = 40
_BYTES_PER_SERVER = 1_200
_BYTES_PER_CLIENT = 70_000
_BYTES_PER_PAIR = 64

_KINDS = ("exponential", "lognormal", "bimodal", "constant")


def _bytes_text(n: float) -> str:
    return format_bytes(n) if n < 1e21 else f"{n:.3g} B"


@dataclass(frozen=True, slots=True)
class ServiceTime:
    """A distribution of per-request service time in seconds.

    Build one with `exponential`, `lognormal`, `bimodal` or
    `constant` rather than the constructor.

    Attributes:
        kind: ``"exponential"``, ``"lognormal"``, ``"bimodal"`` or ``"constant"``.
        mean_s: Mean (exponential), median (lognormal), fast mode (bimodal) or value.
        sigma: Lognormal shape (standard deviation of the log).
        slow_s: The slow mode of a bimodal distribution.
        slow_fraction: Probability of the slow mode.

    Examples:
        >>> st = ServiceTime.bimodal(fast_s=0.01, slow_s=0.1, slow_fraction=0.1)
        >>> round(st.mean(), 3)
        0.019
    """

    kind: str = "exponential"
    mean_s: float = 0.01
    sigma: float = 0.0
    slow_s: float = 0.0
    slow_fraction: float = 0.0

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, _KINDS)
        check_number("mean_s", self.mean_s, minimum=0.0, min_inclusive=False)
        check_number("sigma", self.sigma, minimum=0.0, maximum=5.0)
        check_number("slow_s", self.slow_s, minimum=0.0)
        check_number("slow_fraction", self.slow_fraction, minimum=0.0, maximum=1.0)

    @classmethod
    def exponential(cls, mean_s: float) -> ServiceTime:
        """Exponential service times with the given mean (an M/M/c server)."""
        return cls("exponential", mean_s)

    @classmethod
    def lognormal(cls, median_s: float, sigma: float = 0.5) -> ServiceTime:
        """Lognormal service times: ``median_s · exp(sigma · Z)`` — a long right tail."""
        return cls("lognormal", median_s, sigma=sigma)

    @classmethod
    def bimodal(cls, fast_s: float, slow_s: float, slow_fraction: float) -> ServiceTime:
        """``fast_s`` most of the time, ``slow_s`` with probability ``slow_fraction``."""
        return cls("bimodal", fast_s, slow_s=slow_s, slow_fraction=slow_fraction)

    @classmethod
    def constant(cls, value_s: float) -> ServiceTime:
        """Every request takes exactly ``value_s``."""
        return cls("constant", value_s)

    def mean(self) -> float:
        """Return the distribution's mean in seconds."""
        if self.kind == "exponential" or self.kind == "constant":
            return self.mean_s
        if self.kind == "lognormal":
            return self.mean_s * math.exp(self.sigma**2 / 2)
        return self.mean_s * (1 - self.slow_fraction) + self.slow_s * self.slow_fraction

    def sample(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """Return ``size`` independent service times (float64 seconds)."""
        if self.kind == "exponential":
            return rng.exponential(self.mean_s, size)
        if self.kind == "lognormal":
            return self.mean_s * np.exp(self.sigma * rng.standard_normal(size))
        if self.kind == "bimodal":
            slow = rng.random(size) < self.slow_fraction
            return np.where(slow, self.slow_s, self.mean_s)
        return np.full(size, self.mean_s)

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as plain data."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class SlowPeriod:
    """A server that answers every request in ``latency_s`` during ``[start_s, end_s)``.

    Attributes:
        server: Server index.
        start_s: Start of the period (simulated seconds).
        end_s: End of the period.
        latency_s: Service time of each request started in the period.
    """

    server: int
    start_s: float
    end_s: float
    latency_s: float

    def __post_init__(self) -> None:
        check_int("server", self.server, minimum=0)
        check_number("start_s", self.start_s, minimum=0.0)
        check_number("end_s", self.end_s, minimum=self.start_s)
        check_number("latency_s", self.latency_s, minimum=0.0)

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as plain data."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Outage:
    """A server that refuses connections during ``[start_s, end_s)`` and then comes back.

    Attributes:
        server: Server index.
        start_s: When it fails (simulated seconds).
        end_s: When it is back.
    """

    server: int
    start_s: float
    end_s: float

    def __post_init__(self) -> None:
        check_int("server", self.server, minimum=0)
        check_number("start_s", self.start_s, minimum=0.0)
        check_number("end_s", self.end_s, minimum=self.start_s)

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as plain data."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Scenario:
    """A fleet of clients sending requests to a set of servers.

    Requests arrive as one stream (Poisson, or bursty: a Poisson process whose rate
    jumps by ``burst_factor`` in a ``burst_fraction`` of ``burst_period_s`` slots, with
    the same mean) and each is issued by a uniformly random client. A server runs
    ``concurrency`` requests at a time in FIFO order (``None``: unlimited, a pure delay
    such as a remote service with plenty of threads); a request's service time is a
    draw from ``service`` divided by the server's speed.

    Attributes:
        clients: Number of clients, each with its own balancer.
        servers: Number of servers.
        requests: Requests to simulate.
        rate_per_s: Total arrival rate over all clients.
        service: Service-time distribution.
        concurrency: Requests a server runs at once (None: unlimited).
        speeds: Relative speed per server (empty: all 1.0).
        slow: Periods in which a server answers slowly.
        outages: Periods in which a server refuses connections.
        arrivals: ``"poisson"`` or ``"bursty"``.
        burst_factor: Rate multiplier in a burst.
        burst_fraction: Share of slots that are bursts.
        burst_period_s: Slot length of the bursty process.
        timeout_s: Client-side timeout per attempt (None: wait forever).
        retries: Extra attempts after an error or timeout (at most 7).
        error_latency_s: Time for a client to see a refused connection.
        eject_after: Consecutive failures after which a client marks a server down.
        probe_after_s: Seconds before an ejected server is tried again.
        load_view: ``"local"`` — a client compares its own outstanding counts (what a
            real client knows); ``"global"`` — every client sees the servers' true
            queue lengths, refreshed every ``staleness_s``.
        staleness_s: Age of the load information a policy sees (0: always fresh).

    Raises:
        InvalidParameterError: If a field is out of range (zero servers, a negative or
            NaN rate, a fault naming a server that does not exist, more than 10 million
            clients or servers or a billion requests, ...).

    Examples:
        >>> s = Scenario(clients=4, servers=3, requests=1000, rate_per_s=100.0)
        >>> s.offered_load()   # rate × mean service time ÷ (servers × concurrency)
        0.3333333333333333
    """

    clients: int = 10
    servers: int = 10
    requests: int = 100_000
    rate_per_s: float = 800.0
    service: ServiceTime = field(default_factory=lambda: ServiceTime.exponential(0.01))
    concurrency: int | None = 1
    speeds: tuple[float, ...] = ()
    slow: tuple[SlowPeriod, ...] = ()
    outages: tuple[Outage, ...] = ()
    arrivals: Literal["poisson", "bursty"] = "poisson"
    burst_factor: float = 4.0
    burst_fraction: float = 0.1
    burst_period_s: float = 0.05
    timeout_s: float | None = None
    retries: int = 0
    error_latency_s: float = 0.001
    eject_after: int = 5
    probe_after_s: float = 5.0
    load_view: Literal["local", "global"] = "local"
    staleness_s: float = 0.0

    def __post_init__(self) -> None:
        check_int("clients", self.clients, minimum=1)
        servers = check_int("servers", self.servers, minimum=1)
        check_int("requests", self.requests, minimum=1)
        check_int("retries", self.retries, minimum=0, maximum=7)
        for name, cap in (
            ("clients", _MAX_CLIENTS),
            ("servers", _MAX_SERVERS),
            ("requests", _MAX_REQUESTS),
        ):
            if getattr(self, name) > cap:
                raise InvalidParameterError(
                    name,
                    getattr(self, name),
                    f"an integer in [1, {cap:,}] (the simulator would need about "
                    f"{_bytes_text(self.memory_bytes())} for this scenario)",
                )
        check_number("rate_per_s", self.rate_per_s, minimum=0.0, min_inclusive=False)
        if not isinstance(self.service, ServiceTime):
            raise InvalidParameterError("service", self.service, "a ServiceTime")
        if self.concurrency is not None:
            check_int("concurrency", self.concurrency, minimum=1)
        if self.speeds and len(self.speeds) != servers:
            raise InvalidParameterError("speeds", self.speeds, f"{servers} speeds (one per server)")
        for s in self.speeds:
            check_number("speeds", s, minimum=0.0, min_inclusive=False)
        for fault in (*self.slow, *self.outages):
            if not isinstance(fault, SlowPeriod | Outage) or fault.server >= servers:
                raise InvalidParameterError(
                    "slow/outages", fault, f"SlowPeriod/Outage of a server in [0, {servers - 1}]"
                )
        check_choice("arrivals", self.arrivals, ("poisson", "bursty"))
        check_number("burst_factor", self.burst_factor, minimum=1.0)
        check_number("burst_fraction", self.burst_fraction, minimum=0.0, maximum=1.0)
        check_number("burst_period_s", self.burst_period_s, minimum=0.0, min_inclusive=False)
        if self.timeout_s is not None:
            check_number("timeout_s", self.timeout_s, minimum=0.0, min_inclusive=False)
        check_number("error_latency_s", self.error_latency_s, minimum=0.0)
        check_int("eject_after", self.eject_after, minimum=1)
        check_number("probe_after_s", self.probe_after_s, minimum=0.0)
        check_choice("load_view", self.load_view, ("local", "global"))
        check_number("staleness_s", self.staleness_s, minimum=0.0)

    def speed(self, server: int) -> float:
        """Return the relative speed of ``server`` (1.0 unless ``speeds`` says otherwise)."""
        return self.speeds[server] if self.speeds else 1.0

    def offered_load(self) -> float:
        """Return utilisation: arrival rate × mean service ÷ total capacity (0 if unlimited)."""
        if self.concurrency is None:
            return 0.0
        capacity = (sum(self.speeds) if self.speeds else self.servers) * self.concurrency
        return self.rate_per_s * self.service.mean() / capacity

    def memory_bytes(self) -> int:
        """Return an upper estimate of the memory `simulate` needs for this scenario.

        The simulator keeps a few Python objects per request and per attempt (a
        service time is drawn for every possible retry), one balancer per client and
        a few flags per (client, server) pair; the estimate adds them up with the
        sizes measured on CPython and rounds up, for any policy.

        Returns:
            Bytes, about ``340 × requests`` (no retries) ``+ 70 KB × clients
            + 1.2 KB × servers + 64 × clients × servers``.

        Examples:
            >>> Scenario(clients=100, servers=20, requests=200_000).memory_bytes()
            75152000
        """
        return (
            self.requests * (_BYTES_PER_REQUEST + _BYTES_PER_ATTEMPT * (1 + self.retries))
            + self.servers * _BYTES_PER_SERVER
            + self.clients * _BYTES_PER_CLIENT
            + self.clients * self.servers * _BYTES_PER_PAIR
        )

    def check_memory(self, max_memory_bytes: int = DEFAULT_MAX_MEMORY_BYTES) -> int:
        """Return `memory_bytes`, or raise if it is above ``max_memory_bytes``.

        Args:
            max_memory_bytes: The most memory the simulation may take.

        Returns:
            The estimated bytes.

        Raises:
            InvalidParameterError: If the estimate is above ``max_memory_bytes``. The
                error names the size that takes the most memory (``requests``,
                ``clients`` or ``servers``), its value, the limit and the estimate.

        Examples:
            >>> Scenario(requests=10**8).check_memory()  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            twitterdesign.errors.InvalidParameterError: invalid requests=100000000: ...
        """
        limit = check_int("max_memory_bytes", max_memory_bytes, minimum=1)
        need = self.memory_bytes()
        if need <= limit:
            return need
        pairs = self.clients * self.servers * _BYTES_PER_PAIR
        by_clients = self.clients * _BYTES_PER_CLIENT
        by_servers = self.servers * _BYTES_PER_SERVER
        # Name the size that takes the most; the pairs count for the larger side.
        shares = {
            "requests": need - by_clients - by_servers - pairs,
            "clients": by_clients + (pairs if self.clients >= self.servers else 0),
            "servers": by_servers + (pairs if self.clients < self.servers else 0),
        }
        name = max(shares, key=lambda k: shares[k])
        raise InvalidParameterError(
            name,
            getattr(self, name),
            f"a scenario that fits in max_memory_bytes={format_bytes(limit)}: with "
            f"{self.clients:,} clients, {self.servers:,} servers and {self.requests:,} "
            f"requests the simulator would need about {_bytes_text(need)}",
        )

    def arrival_times(self, rng: np.random.Generator) -> np.ndarray:
        """Return the sorted arrival times (seconds) of all requests."""
        n = self.requests
        if self.arrivals == "poisson" or self.burst_fraction in (0.0, 1.0):
            return np.cumsum(rng.exponential(1.0 / self.rate_per_s, n))
        # Piecewise-constant rate: quiet slots at r0 and burst slots at r0·factor with
        # (1 - f)·r0 + f·factor·r0 = rate, so the mean rate is unchanged.
        f, k = self.burst_fraction, self.burst_factor
        r0 = self.rate_per_s / ((1 - f) + f * k)
        dt = self.burst_period_s
        times: list[np.ndarray] = []
        total, t0 = 0, 0.0
        while total < n:
            slots = max(16, int(1.5 * (n - total) / (self.rate_per_s * dt)) + 1)
            rates = np.where(rng.random(slots) < f, r0 * k, r0)
            counts = rng.poisson(rates * dt)
            starts = t0 + dt * np.arange(slots)
            t = np.repeat(starts, counts) + dt * rng.random(int(counts.sum()))
            t.sort()
            times.append(t)
            total += t.size
            t0 += slots * dt
        return np.concatenate(times)[:n]

    def to_dict(self) -> dict[str, Any]:
        """Return the scenario as plain data."""
        return asdict(self)

    @classmethod
    def linkerd_2016(cls, *, duration_s: float = 60.0, timeout_s: float | None = None) -> Scenario:
        """Return Linkerd's 2016 experiment: 11 backends, one stuck at 2 s for half the run.

        One client sends 1,000 requests/s for ``duration_s``; backends answer after a
        lognormal delay with a 167 ms median (unlimited concurrency); backend 0 takes
        2 s per request during the middle half of the run. Ejection is off so the
        numbers show the balancing policy alone.

        Args:
            duration_s: Length of the run in seconds (60 in the original).
            timeout_s: Client timeout (the original reports success with 1 s).

        Returns:
            The scenario.

        References:
            S. Jain (Buoyant), "Beyond Round Robin: Load Balancing for Latency", 2016.
        """
        d = check_number("duration_s", duration_s, minimum=0.0, min_inclusive=False)
        return cls(
            clients=1,
            servers=11,
            requests=max(1, round(1000 * d)),
            rate_per_s=1000.0,
            service=ServiceTime.lognormal(0.167, 0.25),
            concurrency=None,
            slow=(SlowPeriod(0, d / 4, 3 * d / 4, 2.0),),
            timeout_s=timeout_s,
            eject_after=2**31,  # the experiment measured balancing alone, no ejection
        )
