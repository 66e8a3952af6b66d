"""The simulator's engine: explicit client, server and request state, an event loop, and
one handler per event kind.

How it runs: arrivals are drawn up front (times, clients, service times) and walked in
order; before each arrival, every queued event due by then is popped from a binary heap
and handed to its kind's handler. An event is a ``(time, code)`` pair; the code packs
``(request, attempt, server)`` (or ``(client, server)`` for a revival) above
``_KIND_BITS`` bits of event kind, so the heap holds small tuples and ties break the same
way on every run.

Adding an event kind (a hedged request, a deadline, a retry budget refill):

1. give it the next number below ``2 ** _KIND_BITS`` (widen ``_KIND_BITS`` when the
   kinds run out);
2. write ``_Simulation._on_<kind>(self, t, rest)`` (``rest`` is the code above the kind
   bits) and list it in ``_Simulation._handlers`` (its slot is its kind number);
3. push ``(time, code)`` on ``self.heap`` from whichever handler causes it;
4. add one test in ``tests/lb/test_simulate.py`` that a scenario exercising it behaves
   as the event promises.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from twitterdesign.errors import InvalidParameterError, NoBackendAvailable
from twitterdesign.lb._base import Balancer, Clock
from twitterdesign.lb._factory import make_balancer
from twitterdesign.lb._scenario import Scenario

__all__ = ["Latencies", "PolicyFactory", "run_events"]

PolicyFactory = Callable[[int, Clock, np.random.Generator], Balancer]
"""Builds one client's balancer from ``(client_index, clock, rng)``."""

# Event kinds, in the low _KIND_BITS bits of an event code.
_KIND_BITS = 2
_KIND_MASK = (1 << _KIND_BITS) - 1
_DONE, _TIMEOUT, _REFUSED, _REVIVE = 0, 1, 2, 3
_KLL_CHUNK = 65536
_push = heapq.heappush
_SAMPLES = 100


class _Servers:
    """Per-server state: what each server holds and how it behaves."""

    __slots__ = (
        "any_down",
        "any_slow",
        "busy",
        "concurrency",
        "down_by",
        "load",
        "queues",
        "requests",
        "slow_by",
        "speed",
    )

    def __init__(self, sc: Scenario) -> None:
        n = sc.servers
        self.concurrency = sc.concurrency  # requests run at once (None: unlimited)
        self.load = [0] * n  # requests in each server, queued + running
        self.busy = [0] * n  # requests running (only tracked with a concurrency limit)
        self.queues: list[deque[tuple[int, float]]] = [deque() for _ in range(n)]
        self.requests = [0] * n  # attempts sent to each server
        self.speed = [sc.speed(i) for i in range(n)]
        self.slow_by = [
            [(p.start_s, p.end_s, p.latency_s) for p in sc.slow if p.server == i] for i in range(n)
        ]
        self.any_slow, self.any_down = bool(sc.slow), bool(sc.outages)
        self.down_by = [
            [(o.start_s, o.end_s) for o in sc.outages if o.server == i] for i in range(n)
        ]


class _Clients:
    """Per-client state: each client's balancer and what it learned about the servers."""

    __slots__ = ("balancers", "ejected", "fails", "used")

    def __init__(self, balancers: list[Balancer], n_servers: int) -> None:
        n = len(balancers)
        self.balancers = balancers
        self.used = [bytearray(n_servers) for _ in range(n)]  # servers it talked to
        self.fails = [[0] * n_servers for _ in range(n)]  # consecutive failures
        self.ejected = [bytearray(n_servers) for _ in range(n)]  # marked down by it


class _Requests:
    """Per-request state: the workload drawn up front and each request's progress."""

    __slots__ = ("arrival", "attempt", "client", "sent", "server", "service")

    def __init__(self, arrival: list[float], client: list[int], service: list[float]) -> None:
        n = len(arrival)
        self.arrival = arrival  # arrival time
        self.client = client  # issuing client
        self.service = service  # service time of attempt a: service[rid * attempts + a]
        self.attempt = [0] * n  # current attempt; -1 once settled
        self.sent = [0.0] * n  # when the current attempt was sent
        self.server = [0] * n  # where it was sent


class Latencies:
    """Latencies of succeeded requests: every value, or a KLL sketch for big runs."""

    __slots__ = ("kll", "values")

    def __init__(self, method: str) -> None:
        self.values: list[float] = []
        self.kll: Any = None
        if method == "kll":
            from datasketches import kll_doubles_sketch

            self.kll = kll_doubles_sketch(200)

    def flush(self) -> None:
        """Move the kept values into the sketch (when there is one)."""
        if self.kll is not None and self.values:
            self.kll.update(np.asarray(self.values))
            self.values.clear()


class _Tally:
    """Counts over the whole run."""

    __slots__ = ("events", "failed", "retries", "succeeded", "timeouts")

    def __init__(self) -> None:
        self.succeeded = self.failed = self.retries = self.timeouts = self.events = 0


class _Simulation:
    """One run: the state above, the event loop and one handler per event kind."""

    __slots__ = (
        "_handlers",
        "_last_refresh",
        "_next_sample",
        "_sample_every",
        "clients",
        "end",
        "err_lat",
        "heap",
        "latencies",
        "max_attempts",
        "n_srv",
        "now",
        "requests",
        "samples",
        "sc",
        "servers",
        "tally",
        "timeout",
        "views",
    )

    def __init__(
        self,
        sc: Scenario,
        policy: str | PolicyFactory,
        aperture: int | None,
        method: str,
        gen: np.random.Generator,
    ) -> None:
        self.sc = sc
        self.n_srv = sc.servers
        self.now = 0.0
        # The draws happen in this order (balancer seeds, arrivals, clients, service
        # times), so a seed gives the same run as before the engine was split up.
        self.clients = _Clients(_make_balancers(sc, policy, aperture, self.clock, gen), sc.servers)
        arrival = sc.arrival_times(gen).tolist()
        client = gen.integers(0, sc.clients, size=sc.requests).tolist()
        self.max_attempts = 1 + sc.retries
        service = sc.service.sample(sc.requests * self.max_attempts, gen).tolist()
        self.requests = _Requests(arrival, client, service)
        self.servers = _Servers(sc)
        self.views = _load_views(sc, self.clients.balancers)
        self.timeout = sc.timeout_s
        self.err_lat = sc.error_latency_s
        self.tally = _Tally()
        self.latencies = Latencies(method)
        self.heap: list[tuple[float, int]] = []
        self.samples: tuple[list[float], list[tuple[int, ...]]] = ([], [])
        self._sample_every = max(arrival[-1] / _SAMPLES, 1e-12)
        self._next_sample = 0.0
        self._last_refresh = -float("inf")
        self.end = arrival[-1]
        # Slot k handles event kind k.
        self._handlers: tuple[Callable[[float, int], None], ...] = (
            self._on_done,
            self._on_timeout,
            self._on_refused,
            self._on_revive,
        )

    def clock(self) -> float:
        """The simulated time (the balancers' clock)."""
        return self.now

    # -- the event loop -------------------------------------------------------------------
    def run(self) -> None:
        """Walk the arrivals in order, handling the events due before each one; then
        drain the heap (revivals are dropped: nothing is left to send)."""
        heap, pop, handlers = self.heap, heapq.heappop, self._handlers
        arrival = self.requests.arrival
        handled = 0  # counted here, not per handler: this loop is the hot path
        for rid in range(len(arrival)):
            t = arrival[rid]
            while heap and heap[0][0] <= t:
                et, code = pop(heap)
                self.now = et
                handled += 1
                handlers[code & _KIND_MASK](et, code >> _KIND_BITS)
            self.now = t
            self._on_arrival(rid, t)
        while heap:
            et, code = pop(heap)
            if code & _KIND_MASK == _REVIVE:
                continue
            self.now = self.end = et
            handled += 1
            handlers[code & _KIND_MASK](et, code >> _KIND_BITS)
        self.tally.events += handled + len(arrival)

    # -- arrivals -------------------------------------------------------------------------
    def _on_arrival(self, rid: int, t: float) -> None:
        """A request arrives: refresh stale load views and sample loads when due, send it."""
        if self.views and t - self._last_refresh >= self.sc.staleness_s:
            self._last_refresh = t
            self._refresh_views()
        if t >= self._next_sample:
            self._next_sample = t + self._sample_every
            self.samples[0].append(t)
            self.samples[1].append(tuple(self.servers.load))
        self._dispatch(rid, t, 0)

    def _refresh_views(self) -> None:
        """Copy the load the policies compare into their (possibly stale) views."""
        if self.sc.load_view == "global":
            self.views[0][:] = self.servers.load
            return
        n = self.n_srv
        for b, view in zip(self.clients.balancers, self.views, strict=True):
            own = b.outstanding  # type: ignore[attr-defined]
            view[:] = [own(k) for k in range(n)]

    def _dispatch(self, rid: int, t: float, attempt: int) -> None:
        """Send attempt ``attempt`` of request ``rid`` to the server its client picks."""
        req, srv = self.requests, self.servers
        c = req.client[rid]
        b = self.clients.balancers[c]
        try:
            i = b.pick()
            if attempt:
                # A retry goes elsewhere when it can, as real clients do.
                prev = req.server[rid]
                for _ in range(3):
                    if i != prev:
                        break
                    i = b.pick()
        except NoBackendAvailable:
            req.attempt[rid] = -1
            self.tally.failed += 1
            return
        b.on_start(i)
        self.clients.used[c][i] = 1
        srv.requests[i] += 1
        req.sent[rid] = t
        req.server[rid] = i
        base = (((rid << 3) + attempt) * self.n_srv + i) << _KIND_BITS
        if srv.any_down and any(s <= t < e for s, e in srv.down_by[i]):
            _push(self.heap, (t + self.err_lat, base + _REFUSED))
            return
        service = req.service[rid * self.max_attempts + attempt] / srv.speed[i]
        if srv.any_slow:
            for s, e, latency in srv.slow_by[i]:
                if s <= t < e:
                    service = latency
        srv.load[i] += 1
        conc = srv.concurrency
        if conc is None or srv.busy[i] < conc:
            if conc is not None:
                srv.busy[i] += 1
            _push(self.heap, (t + service, base + _DONE))
        else:
            srv.queues[i].append((base + _DONE, service))
        if self.timeout is not None:
            _push(self.heap, (t + self.timeout, base + _TIMEOUT))

    # -- one handler per event kind -------------------------------------------------------
    def _on_done(self, t: float, rest: int) -> None:
        """A server finished an attempt: start its next queued one; answer the client
        unless that attempt was already given up on."""
        ra, i = divmod(rest, self.n_srv)
        rid, attempt = ra >> 3, ra & 7
        srv, req = self.servers, self.requests
        srv.load[i] -= 1
        if srv.concurrency is not None:
            q = srv.queues[i]
            if q:
                nxt, service = q.popleft()
                _push(self.heap, (t + service, nxt))
            else:
                srv.busy[i] -= 1
        if req.attempt[rid] != attempt:
            return  # this attempt timed out earlier; the server finished anyway
        c = req.client[rid]
        self.clients.balancers[c].on_finish(i, t - req.sent[rid])
        self.clients.fails[c][i] = 0
        req.attempt[rid] = -1
        self.tally.succeeded += 1
        lat = self.latencies
        lat.values.append(t - req.arrival[rid])
        if lat.kll is not None and len(lat.values) >= _KLL_CHUNK:
            lat.flush()

    def _on_timeout(self, t: float, rest: int) -> None:
        """The client stopped waiting for an attempt that is still pending."""
        ra, i = divmod(rest, self.n_srv)
        rid, attempt = ra >> 3, ra & 7
        if self.requests.attempt[rid] == attempt:
            self.tally.timeouts += 1
            self._fail_attempt(rid, attempt, i, t)

    def _on_refused(self, t: float, rest: int) -> None:
        """A down server refused the connection of a still-pending attempt."""
        ra, i = divmod(rest, self.n_srv)
        rid, attempt = ra >> 3, ra & 7
        if self.requests.attempt[rid] == attempt:
            self._fail_attempt(rid, attempt, i, t)

    def _on_revive(self, t: float, rest: int) -> None:
        """A client's ejection of a server ran out: it may pick the server again."""
        c, i = divmod(rest, self.n_srv)
        self.clients.fails[c][i] = self.sc.eject_after - 1  # one more failure ejects again
        self.clients.ejected[c][i] = 0
        self.clients.balancers[c].mark_up(i)

    def _fail_attempt(self, rid: int, attempt: int, i: int, t: float) -> None:
        """Tell the client, eject the server after enough failures, retry or give up."""
        req, cl = self.requests, self.clients
        c = req.client[rid]
        cl.balancers[c].on_finish(i, t - req.sent[rid])
        row = cl.fails[c]
        row[i] += 1
        if row[i] >= self.sc.eject_after and not cl.ejected[c][i]:
            cl.ejected[c][i] = 1
            cl.balancers[c].mark_down(i)
            revive = ((c * self.n_srv + i) << _KIND_BITS) + _REVIVE
            _push(self.heap, (t + self.sc.probe_after_s, revive))
        if attempt + 1 < self.max_attempts:
            self.tally.retries += 1
            req.attempt[rid] = attempt + 1
            self._dispatch(rid, t, attempt + 1)
        else:
            req.attempt[rid] = -1
            self.tally.failed += 1


def _make_balancers(
    sc: Scenario,
    policy: str | PolicyFactory,
    aperture: int | None,
    clock: Clock,
    gen: np.random.Generator,
) -> list[Balancer]:
    """One balancer per client, each with its own child random stream."""
    n_cli, n_srv = sc.clients, sc.servers
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
    return balancers


def _load_views(sc: Scenario, balancers: list[Balancer]) -> list[list[float]]:
    """The load lists the policies compare instead of their own counts, if any."""
    n = sc.servers
    views: list[list[float]] = []
    if sc.load_view == "global":
        shared = [0.0] * n
        views = [shared]
        for b in balancers:
            _set_view(b, shared)
    elif sc.staleness_s > 0:
        for b in balancers:
            v = [0.0] * n
            views.append(v)
            _set_view(b, v)
    return views


def _set_view(b: Balancer, view: list[float]) -> None:
    setter = getattr(b, "set_load_view", None)
    if setter is None:
        raise InvalidParameterError(
            "policy", b, "a balancer with set_load_view() for load_view/staleness scenarios"
        )
    setter(view)


def run_events(
    sc: Scenario,
    policy: str | PolicyFactory,
    aperture: int | None,
    method: str,
    gen: np.random.Generator,
) -> _Simulation:
    """Build the run's state, process every event, and return the finished simulation."""
    sim = _Simulation(sc, policy, aperture, method, gen)
    sim.run()
    sim.latencies.flush()
    return sim
