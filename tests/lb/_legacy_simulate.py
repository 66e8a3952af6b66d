"""The simulator's event loop as it was before it was split into named parts (issue 19).

Kept verbatim as a test oracle: `tests/lb/test_simulate_refactor.py` checks that the
refactored simulator gives equal results for the same seed. Delete this file together
with that test once nobody needs the comparison.
"""
# ruff: noqa

from __future__ import annotations

import heapq
from collections import deque

import numpy as np

from twitterdesign.errors import InvalidParameterError, NoBackendAvailable
from twitterdesign.lb._base import Balancer
from twitterdesign.lb._factory import make_balancer
from twitterdesign.lb._scenario import Scenario
from twitterdesign.lb._events import (
    _DONE,
    _KLL_CHUNK,
    _REFUSED,
    _REVIVE,
    _SAMPLES,
    _TIMEOUT,
    _set_view,
)
from twitterdesign.lb._simulate import _CDF_POINTS, _QUANTILES, PolicyFactory, SimulationResult


def legacy_run(
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
