"""A discrete-event simulator of clients balancing requests over servers."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from twitterdesign._rng import RngLike, as_generator
from twitterdesign._validate import check_choice
from twitterdesign.errors import InvalidParameterError
from twitterdesign.lb._events import Latencies, PolicyFactory, run_events
from twitterdesign.lb._factory import POLICY_NAMES
from twitterdesign.lb._scenario import DEFAULT_MAX_MEMORY_BYTES, Scenario

__all__ = ["PolicyFactory", "SimulationResult", "simulate"]


_QUANTILES = (0.5, 0.9, 0.99, 0.999)
_CDF_POINTS = 201


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """What a simulation measured.

    Attributes:
        policy: The policy's name.
        requests: Requests issued.
        succeeded: Requests answered (possibly after retries) within the timeout.
        failed: Requests that failed after all attempts.
        retries: Attempts beyond the first.
        timeouts: Attempts that hit the client timeout.
        events: Events processed (arrivals, completions, timeouts, refusals, revivals).
        duration_s: Simulated time from the first arrival to the last event.
        latency_p50_s: Median latency of succeeded requests (arrival to answer).
        latency_p90_s: 90th percentile.
        latency_p99_s: 99th percentile.
        latency_p999_s: 99.9th percentile.
        latency_mean_s: Mean latency.
        latency_max_s: Largest latency.
        quantile_method: ``"exact"`` or ``"kll"`` (datasketches KLL sketch, big runs).
        latency_cdf_s: Latency at 201 evenly spaced quantiles 0..1 (for CDF plots).
        server_requests: Attempts sent to each server.
        load_max_over_mean: Largest per-server attempt count ÷ the mean.
        load_min_over_mean: Smallest per-server attempt count ÷ the mean.
        connections_total: Distinct (client, server) pairs that carried traffic.
        connections_per_client_max: Most servers any one client talked to.
        sample_times_s: Times at which ``outstanding_per_server`` was sampled.
        outstanding_per_server: Requests in each server (queued + running) per sample.
    """

    policy: str
    requests: int
    succeeded: int
    failed: int
    retries: int
    timeouts: int
    events: int
    duration_s: float
    latency_p50_s: float
    latency_p90_s: float
    latency_p99_s: float
    latency_p999_s: float
    latency_mean_s: float
    latency_max_s: float
    quantile_method: str
    latency_cdf_s: tuple[float, ...]
    server_requests: tuple[int, ...]
    load_max_over_mean: float
    load_min_over_mean: float
    connections_total: int
    connections_per_client_max: int
    sample_times_s: tuple[float, ...]
    outstanding_per_server: tuple[tuple[int, ...], ...]

    @property
    def success_rate(self) -> float:
        """Share of requests that succeeded."""
        return self.succeeded / self.requests

    @property
    def load_share(self) -> tuple[float, ...]:
        """Each server's share of all attempts."""
        total = sum(self.server_requests) or 1
        return tuple(r / total for r in self.server_requests)

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON-ready data (with the derived fields)."""
        data = asdict(self)
        data["success_rate"] = self.success_rate
        data["load_share"] = list(self.load_share)
        return data


def simulate(
    scenario: Scenario,
    policy: str | PolicyFactory,
    *,
    aperture: int | None = None,
    quantiles: str = "auto",
    max_memory_bytes: int = DEFAULT_MAX_MEMORY_BYTES,
    rng: RngLike = None,
) -> SimulationResult:
    """Simulate ``scenario`` with every client balancing by ``policy``.

    Each client has its own balancer and tells it, as a real client would, when each
    request starts and how long it took; the policy therefore sees its own
    outstanding counts and observed latencies (or, with ``load_view="global"``, the
    servers' queue lengths as of ``staleness_s`` ago). Failed attempts (refused
    connections, timeouts) are retried on a fresh pick up to ``scenario.retries``
    times; ``eject_after`` consecutive failures make a client mark that server down
    for ``probe_after_s``. Requests already in a server when it fails still complete.

    Args:
        scenario: The fleet and workload.
        policy: A name from `POLICY_NAMES`, or a callable
            ``(client_index, clock, rng) -> Balancer`` building one client's balancer
            over ``scenario.servers`` backends.
        aperture: Aperture size for the aperture policies (see
            `make_balancer`).
        quantiles: ``"exact"`` (keep every latency), ``"kll"`` (a datasketches KLL
            sketch in bounded memory, rank error about 1.3%) or ``"auto"`` (exact up to
            2 million requests).
        max_memory_bytes: Refuse scenarios whose `Scenario.memory_bytes` estimate is
            above this (default 4 GB) before allocating anything.
        rng: Random source; the same seed gives the same result.

    Returns:
        The measurements.

    Raises:
        InvalidParameterError: If the policy name or an argument is invalid, or the
            scenario would need more than ``max_memory_bytes`` (the error names the
            size to lower, the limit and the estimate).

    Examples:
        >>> s = Scenario(clients=5, servers=4, requests=2000, rate_per_s=200.0)
        >>> r = simulate(s, "p2c", rng=1)
        >>> r.succeeded, r.connections_total
        (2000, 20)
        >>> r.latency_p50_s < r.latency_p99_s
        True

    References:
        M. Mitzenmacher, "How Useful Is Old Information?", IEEE TPDS 11(1), 2000 (herd
        behaviour under stale load information).
    """
    if not isinstance(scenario, Scenario):
        raise InvalidParameterError("scenario", scenario, "a Scenario")
    check_choice("quantiles", quantiles, ("auto", "exact", "kll"))
    scenario.check_memory(max_memory_bytes)
    if isinstance(policy, str):
        check_choice("policy", policy, POLICY_NAMES)
    elif not callable(policy):
        raise InvalidParameterError("policy", policy, "a policy name or a factory callable")
    gen = as_generator(rng)
    method = (
        quantiles if quantiles != "auto" else ("exact" if scenario.requests <= 2_000_000 else "kll")
    )
    return _run(scenario, policy, aperture, method, gen)


def _run(
    sc: Scenario,
    policy: str | PolicyFactory,
    aperture: int | None,
    method: str,
    gen: np.random.Generator,
) -> SimulationResult:
    sim = run_events(sc, policy, aperture, method, gen)
    qs, cdf, mean, mx = _latency_summary(sim.latencies)
    server_requests = sim.servers.requests
    mean_load = sum(server_requests) / sc.servers
    conn = [sum(u) for u in sim.clients.used]
    tally, arrival = sim.tally, sim.requests.arrival
    return SimulationResult(
        policy=policy if isinstance(policy, str) else getattr(policy, "__name__", "custom"),
        requests=sc.requests,
        succeeded=tally.succeeded,
        failed=tally.failed,
        retries=tally.retries,
        timeouts=tally.timeouts,
        events=tally.events,
        duration_s=sim.end - arrival[0],
        latency_p50_s=qs[0],
        latency_p90_s=qs[1],
        latency_p99_s=qs[2],
        latency_p999_s=qs[3],
        latency_mean_s=mean,
        latency_max_s=mx,
        quantile_method=method,
        latency_cdf_s=tuple(cdf),
        server_requests=tuple(server_requests),
        load_max_over_mean=max(server_requests) / mean_load if mean_load else 0.0,
        load_min_over_mean=min(server_requests) / mean_load if mean_load else 0.0,
        connections_total=sum(conn),
        connections_per_client_max=max(conn),
        sample_times_s=tuple(sim.samples[0]),
        outstanding_per_server=tuple(sim.samples[1]),
    )


def _latency_summary(lat: Latencies) -> tuple[list[float], list[float], float, float]:
    """Quantiles, CDF grid, mean and max of the succeeded requests' latencies."""
    nan = float("nan")
    kll = lat.kll
    if kll is not None:
        if kll.is_empty():
            return [nan] * len(_QUANTILES), [nan] * _CDF_POINTS, nan, nan
        qs = [float(x) for x in kll.get_quantiles(list(_QUANTILES))]
        grid = np.linspace(0.0, 1.0, _CDF_POINTS)
        cdf = [float(x) for x in kll.get_quantiles(grid.tolist())]
        # KLL keeps no sum; the mean of its weighted quantile grid is close enough.
        mean = float(np.mean(kll.get_quantiles(np.linspace(0.0005, 0.9995, 1000).tolist())))
        return qs, cdf, mean, float(kll.get_max_value())
    if not lat.values:
        return [nan] * len(_QUANTILES), [nan] * _CDF_POINTS, nan, nan
    arr = np.asarray(lat.values)
    qs = [float(x) for x in np.quantile(arr, _QUANTILES)]
    cdf = [float(x) for x in np.quantile(arr, np.linspace(0.0, 1.0, _CDF_POINTS))]
    return qs, cdf, float(arr.mean()), float(arr.max())
