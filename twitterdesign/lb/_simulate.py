"""A discrete-event simulator of clients balancing requests over servers."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from twitterdesign._rng import RngLike, as_generator
from twitterdesign._validate import check_choice
from twitterdesign.errors import InvalidParameterError, NoBackendAvailable
from twitterdesign.lb._base import Balancer, Clock
from twitterdesign.lb._factory import POLICY_NAMES, make_balancer
from twitterdesign.lb._scenario import DEFAULT_MAX_MEMORY_BYTES, Scenario

__all__ = ["PolicyFactory", "SimulationResult", "simulate"]

PolicyFactory = Callable[[int, Clock, np.random.Generator], Balancer]
"""Builds one client's balancer from ``(client_index, clock, rng)``."""

_QUANTILES = (0.5, 0.9, 0.99, 0.999)
_CDF_POINTS = 201
_SAMPLES = 100
_KLL_CHUNK = 65536

# Event kinds, in the low two bits of an event code.
_DONE, _TIMEOUT, _REFUSED, _REVIVE = 0, 1, 2, 3


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
    n_req, n_srv, n_cli = sc.requests, sc.servers, sc.clients
    now = [0.0]

    def clock() -> float:
        return now[0]

    seeds = gen.integers(0, 2**63 - 1, size=n_cli)
    balancers: list[Balancer] = []
    for c in range(n_cli):
        child = np.random.default_rng(int(seeds[c]))
        if isinstance(policy, str):
            b: Balancer = make_balancer(
                policy,
                n_srv,
                client_index=c,
                client_count=n_cli,
                aperture=aperture,
                clock=clock,
                rng=child,
            )
        else:
            b = policy(c, clock, child)
            if not isinstance(b, Balancer) or b.backends != n_srv:
                raise InvalidParameterError(
                    "policy", policy, f"a factory returning a Balancer over {n_srv} backends"
                )
        balancers.append(b)
    name = policy if isinstance(policy, str) else getattr(policy, "__name__", "custom")

    arr_t = sc.arrival_times(gen).tolist()
    arr_c = gen.integers(0, n_cli, size=n_req).tolist()
    max_attempts = 1 + sc.retries
    svc = sc.service.sample(n_req * max_attempts, gen).tolist()
    speed = [sc.speed(i) for i in range(n_srv)]
    slow_by = [
        [(p.start_s, p.end_s, p.latency_s) for p in sc.slow if p.server == i] for i in range(n_srv)
    ]
    down_by = [[(o.start_s, o.end_s) for o in sc.outages if o.server == i] for i in range(n_srv)]
    any_slow, any_down = bool(sc.slow), bool(sc.outages)
    conc = sc.concurrency
    timeout = sc.timeout_s
    err_lat = sc.error_latency_s

    # Load information the policies compare.
    server_load = [0] * n_srv  # requests in each server (queued + running)
    views: list[list[float]] = []
    if sc.load_view == "global":
        shared = [0.0] * n_srv
        views = [shared]
        for b in balancers:
            _set_view(b, shared)
    elif sc.staleness_s > 0:
        for b in balancers:
            v = [0.0] * n_srv
            views.append(v)
            _set_view(b, v)
    stale = sc.staleness_s
    last_refresh = -float("inf")

    busy = [0] * n_srv
    queues: list[deque[tuple[int, float]]] = [deque() for _ in range(n_srv)]
    used = [bytearray(n_srv) for _ in range(n_cli)]
    server_requests = [0] * n_srv
    fails = [[0] * n_srv for _ in range(n_cli)]
    ejected = [bytearray(n_srv) for _ in range(n_cli)]
    eject_after, probe_after = sc.eject_after, sc.probe_after_s

    req_attempt = [0] * n_req  # current attempt number; -1 once settled
    req_sent = [0.0] * n_req
    req_server = [0] * n_req
    lat: list[float] = []
    kll = None
    if method == "kll":
        from datasketches import kll_doubles_sketch

        kll = kll_doubles_sketch(200)
    succeeded = failed = retries = timeouts = events = 0
    sample_every = max(arr_t[-1] / _SAMPLES, 1e-12)
    next_sample = 0.0
    sample_t: list[float] = []
    samples: list[tuple[int, ...]] = []
    heap: list[tuple[float, int]] = []
    push, pop = heapq.heappush, heapq.heappop

    def dispatch(rid: int, t: float, attempt: int) -> None:
        nonlocal failed
        c = arr_c[rid]
        b = balancers[c]
        try:
            i = b.pick()
            if attempt:
                # A retry goes elsewhere when it can, as real clients do.
                prev = req_server[rid]
                for _ in range(3):
                    if i != prev:
                        break
                    i = b.pick()
        except NoBackendAvailable:
            req_attempt[rid] = -1
            failed += 1
            return
        b.on_start(i)
        used[c][i] = 1
        server_requests[i] += 1
        req_sent[rid] = t
        req_server[rid] = i
        base = ((rid * 8 + attempt) * n_srv + i) * 4
        if any_down and any(s <= t < e for s, e in down_by[i]):
            push(heap, (t + err_lat, base + _REFUSED))
            return
        service = svc[rid * max_attempts + attempt] / speed[i]
        if any_slow:
            for s, e, latency in slow_by[i]:
                if s <= t < e:
                    service = latency
        server_load[i] += 1
        if conc is None or busy[i] < conc:
            if conc is not None:
                busy[i] += 1
            push(heap, (t + service, base + _DONE))
        else:
            queues[i].append((base + _DONE, service))
        if timeout is not None:
            push(heap, (t + timeout, base + _TIMEOUT))

    def settle_failure(rid: int, attempt: int, i: int, t: float, latency: float) -> None:
        nonlocal failed, retries
        c = arr_c[rid]
        b = balancers[c]
        b.on_finish(i, latency)
        row = fails[c]
        row[i] += 1
        if row[i] >= eject_after and not ejected[c][i]:
            ejected[c][i] = 1
            b.mark_down(i)
            push(heap, (t + probe_after, (c * n_srv + i) * 4 + _REVIVE))
        if attempt + 1 < max_attempts:
            retries += 1
            req_attempt[rid] = attempt + 1
            dispatch(rid, t, attempt + 1)
        else:
            req_attempt[rid] = -1
            failed += 1

    def handle(t: float, code: int) -> None:
        nonlocal succeeded, timeouts, events
        events += 1
        kind = code & 3
        rest = code >> 2
        if kind == _REVIVE:
            c, i = divmod(rest, n_srv)
            fails[c][i] = eject_after - 1  # one more failure ejects it again
            ejected[c][i] = 0
            balancers[c].mark_up(i)
            return
        ra, i = divmod(rest, n_srv)
        rid, attempt = ra >> 3, ra & 7
        if kind == _DONE:
            server_load[i] -= 1
            if conc is not None:
                q = queues[i]
                if q:
                    nxt, service = q.popleft()
                    push(heap, (t + service, nxt))
                else:
                    busy[i] -= 1
            if req_attempt[rid] != attempt:
                return  # this attempt timed out earlier; the server finished anyway
            c = arr_c[rid]
            balancers[c].on_finish(i, t - req_sent[rid])
            fails[c][i] = 0
            req_attempt[rid] = -1
            succeeded += 1
            lat.append(t - arr_t[rid])
            if kll is not None and len(lat) >= _KLL_CHUNK:
                kll.update(np.asarray(lat))
                lat.clear()
        elif req_attempt[rid] == attempt:  # refused or timed out, still pending
            if kind == _TIMEOUT:
                timeouts += 1
            settle_failure(rid, attempt, i, t, t - req_sent[rid])

    for rid in range(n_req):
        t = arr_t[rid]
        while heap and heap[0][0] <= t:
            et, code = pop(heap)
            now[0] = et
            handle(et, code)
        now[0] = t
        events += 1
        if views and t - last_refresh >= stale:
            last_refresh = t
            if sc.load_view == "global":
                views[0][:] = server_load
            else:
                for c, v in enumerate(views):
                    own = balancers[c].outstanding  # type: ignore[attr-defined]
                    v[:] = [own(k) for k in range(n_srv)]
        if t >= next_sample:
            next_sample = t + sample_every
            sample_t.append(t)
            samples.append(tuple(server_load))
        dispatch(rid, t, 0)
    end = arr_t[-1]
    while heap:
        et, code = pop(heap)
        if code & 3 == _REVIVE:
            continue  # nothing left to send; revivals no longer matter
        now[0] = end = et
        handle(et, code)

    if kll is not None:
        if lat:
            kll.update(np.asarray(lat))
        if kll.is_empty():
            qs = [float("nan")] * len(_QUANTILES)
            cdf = [float("nan")] * _CDF_POINTS
            mean = mx = float("nan")
        else:
            qs = [float(x) for x in kll.get_quantiles(list(_QUANTILES))]
            grid = np.linspace(0.0, 1.0, _CDF_POINTS)
            cdf = [float(x) for x in kll.get_quantiles(grid.tolist())]
            mx = float(kll.get_max_value())
            # KLL keeps no sum; the mean of its weighted quantile grid is close enough.
            mean = float(np.mean(kll.get_quantiles(np.linspace(0.0005, 0.9995, 1000).tolist())))
    elif lat:
        arr = np.asarray(lat)
        qs = [float(x) for x in np.quantile(arr, _QUANTILES)]
        cdf = [float(x) for x in np.quantile(arr, np.linspace(0.0, 1.0, _CDF_POINTS))]
        mean, mx = float(arr.mean()), float(arr.max())
    else:
        qs = [float("nan")] * len(_QUANTILES)
        cdf = [float("nan")] * _CDF_POINTS
        mean = mx = float("nan")
    mean_load = sum(server_requests) / n_srv
    conn = [sum(u) for u in used]
    return SimulationResult(
        policy=name,
        requests=n_req,
        succeeded=succeeded,
        failed=failed,
        retries=retries,
        timeouts=timeouts,
        events=events,
        duration_s=end - arr_t[0],
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
        sample_times_s=tuple(sample_t),
        outstanding_per_server=tuple(samples),
    )


def _set_view(b: Balancer, view: list[float]) -> None:
    setter = getattr(b, "set_load_view", None)
    if setter is None:
        raise InvalidParameterError(
            "policy", b, "a balancer with set_load_view() for load_view/staleness scenarios"
        )
    setter(view)
