"""BalancedTransport against real local HTTP servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from tests.lb.conftest import Backend
from twitterdesign.errors import InvalidParameterError, NoBackendAvailable
from twitterdesign.lb import PeakEwma, PowerOfTwoChoices, RoundRobin
from twitterdesign.lb.transport import BalancedTransport


def _client(transport: BalancedTransport) -> httpx.Client:
    return httpx.Client(transport=transport, base_url="http://service.internal", timeout=5.0)


def test_requests_reach_every_backend_with_path_query_and_body(backends: list[Backend]) -> None:
    transport = BalancedTransport([b.url for b in backends], balancer=RoundRobin(3, rng=0))
    with _client(transport) as client:
        seen = set()
        for _ in range(6):
            r = client.post("/api/v1/statuses?x=1", content=b"hello")
            assert r.status_code == 200
            name, method, path, body = r.text.split(" ")
            assert (method, path, body) == ("POST", "/api/v1/statuses?x=1", "hello")
            seen.add(name)
    assert seen == {"b0", "b1", "b2"}
    assert transport.stats().requests == (2, 2, 2)


def test_backend_path_prefix_is_kept(backends: list[Backend]) -> None:
    transport = BalancedTransport([backends[0].url + "/prefix"])
    with _client(transport) as client:
        assert client.get("/a").text.split(" ")[2] == "/prefix/a"


def test_peak_ewma_sends_less_to_the_slow_backend(backends: list[Backend]) -> None:
    backends[2].delay_s = 0.2  # far above any scheduling hiccup of the fast ones
    n = 60
    transport = BalancedTransport([b.url for b in backends], balancer=PeakEwma(3, rng=1))
    with _client(transport) as client:
        for _ in range(n):
            assert client.get("/").status_code == 200
    slow_share = backends[2].hits / n
    # Round robin would give it exactly 1/3; peak EWMA only probes it (about 5% when the
    # machine is idle). The latencies are real, so on a loaded machine a fast backend's
    # scheduling stall raises its peak and buys the slow one extra probes: 0.15 was
    # reached on a shared CI box. Assert the behaviour the name claims, well under 1/3.
    assert slow_share < 0.25
    baseline = BalancedTransport([b.url for b in backends], balancer=RoundRobin(3, rng=1))
    before = backends[2].hits
    with _client(baseline) as client:
        for _ in range(9):
            client.get("/")
    assert backends[2].hits - before == 3


def test_no_request_lost_when_a_backend_dies(backends: list[Backend]) -> None:
    transport = BalancedTransport(
        [b.url for b in backends], balancer=RoundRobin(3, rng=0), eject_after=2, probe_after_s=60
    )
    with _client(transport) as client:
        for k in range(40):
            if k == 10:
                backends[1].stop()
                served_before = backends[1].hits
            assert client.get(f"/{k}").status_code == 200
    stats = transport.stats()
    assert stats.ejections[1] == 1
    assert stats.failures[1] == 2
    assert stats.retries == 2
    assert backends[0].hits + backends[2].hits + served_before == 40


def test_retry_status_is_retried_for_get_but_not_post(backends: list[Backend]) -> None:
    backends[0].status = 503
    transport = BalancedTransport(
        [backends[0].url, backends[1].url], balancer=RoundRobin(2, rng=0), eject_after=100
    )
    with _client(transport) as client:
        gets = [client.get("/").status_code for _ in range(10)]
        posts = [client.post("/", content=b"x").status_code for _ in range(10)]
    assert gets == [200] * 10
    assert posts.count(503) == 5


def test_ejected_backend_is_probed_back(backends: list[Backend]) -> None:
    now = [0.0]
    transport = BalancedTransport(
        [backends[0].url, backends[1].url],
        balancer=RoundRobin(2, rng=0),
        eject_after=1,
        probe_after_s=10.0,
        clock=lambda: now[0],
    )
    backends[0].status = 503
    with _client(transport) as client:
        for _ in range(4):
            client.get("/")
        assert not transport.balancer.is_healthy(0)  # type: ignore[attr-defined]
        hits = backends[0].hits
        for _ in range(4):
            client.get("/")
        assert backends[0].hits == hits  # ejected: no traffic
        backends[0].status = 200
        now[0] = 11.0
        for _ in range(4):
            client.get("/")
        assert backends[0].hits > hits  # probed and back
        assert transport.balancer.is_healthy(0)  # type: ignore[attr-defined]


def test_all_backends_down_raises_no_backend_available(backends: list[Backend]) -> None:
    urls = [b.url for b in backends[:2]]
    for b in backends[:2]:
        b.stop()
    transport = BalancedTransport(urls, eject_after=1, probe_after_s=60, retries=1)
    with _client(transport) as client:
        with pytest.raises(httpx.ConnectError):
            client.get("/")
        with pytest.raises(NoBackendAvailable):
            client.get("/")


def test_async_path_balances_concurrent_requests(backends: list[Backend]) -> None:
    backends[0].delay_s = 0.01
    transport = BalancedTransport([b.url for b in backends], balancer=PowerOfTwoChoices(3, rng=3))

    async def run() -> list[int]:
        async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
            responses = await asyncio.gather(*(client.get(f"/{k}") for k in range(30)))
        return [r.status_code for r in responses]

    assert asyncio.run(run()) == [200] * 30
    stats = transport.stats()
    assert sum(stats.requests) == 30
    assert all(r > 0 for r in stats.requests)
    assert transport.balancer.outstanding(0) == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"backends": []},
        {"backends": ["not a url"]},
        {"backends": ["ftp://x"]},
        {"backends": ["http://a", "http://b"], "balancer": RoundRobin(3)},
        {"backends": ["http://a"], "retries": -1},
        {"backends": ["http://a"], "eject_after": 0},
        {"backends": ["http://a"], "probe_after_s": float("nan")},
    ],
)
def test_bad_arguments_are_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidParameterError):
        BalancedTransport(**kwargs)  # type: ignore[arg-type]


def test_importing_lb_does_not_import_httpx() -> None:
    import subprocess
    import sys

    code = "import sys, twitterdesign.lb; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- retries after a backend died, and a supervisor's mark_down / mark_up ----------------
class _Sticky(RoundRobin):
    """A policy that always prefers backend 0 (as peak EWMA prefers a fast-failing one)."""

    def pick(self) -> int:
        return 0


def _send(
    transport: BalancedTransport, method: str, *, path: str = "/", **kwargs: object
) -> httpx.Response:
    """One request through ``transport``, on its sync or its async path."""
    if kwargs.pop("use_async", False):

        async def run() -> httpx.Response:
            async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
                return await client.request(method, path, **kwargs)  # type: ignore[arg-type]

        return asyncio.run(run())
    with _client(transport) as client:
        return client.request(method, path, **kwargs)  # type: ignore[arg-type]


paths = pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])


@paths
def test_a_request_that_died_with_its_backend_is_retried_when_idempotent(
    backends: list[Backend], use_async: bool
) -> None:
    backends[0].drop = True  # reads the request, then the connection closes unanswered
    urls = [backends[0].url, backends[1].url]
    for method, headers in [("GET", {}), ("DELETE", {}), ("POST", {"Idempotency-Key": "k1"})]:
        transport = BalancedTransport(urls, balancer=_Sticky(2), eject_after=100)
        r = _send(transport, method, content=b"payload", headers=headers, use_async=use_async)
        assert r.status_code == 200, method
        # The second backend got the same request and the same body.
        assert r.text == f"b1 {method} / payload"
        assert transport.stats().retries == 1
    assert backends[0].bodies == [b"payload"] * 3


@paths
def test_a_post_without_idempotency_key_that_reached_a_dying_backend_is_not_retried(
    backends: list[Backend], use_async: bool
) -> None:
    backends[0].drop = True
    transport = BalancedTransport(
        [backends[0].url, backends[1].url], balancer=_Sticky(2), eject_after=100
    )
    with pytest.raises(httpx.RemoteProtocolError):
        _send(transport, "POST", content=b"once", use_async=use_async)
    assert backends[0].bodies == [b"once"]
    assert backends[1].hits == 0  # it may have acted: never sent twice


@paths
def test_a_retry_goes_to_another_backend_even_if_the_policy_keeps_picking_the_dead_one(
    backends: list[Backend], use_async: bool
) -> None:
    dead = backends[0].url
    backends[0].stop()  # connection refused
    transport = BalancedTransport([dead, backends[1].url], balancer=_Sticky(2), retries=1)
    for _ in range(3):
        assert _send(transport, "POST", content=b"x", use_async=use_async).text == "b1 POST / x"
    assert transport.stats().requests == (3, 3)


@paths
def test_a_streamed_body_is_replayed_whole_on_the_retry(
    backends: list[Backend], use_async: bool
) -> None:
    backends[0].drop = True
    transport = BalancedTransport(
        [backends[0].url, backends[1].url], balancer=_Sticky(2), eject_after=100
    )
    parts = [b"a" * 1000, b"b" * 1000, b"c"]
    if use_async:

        async def chunks() -> AsyncIterator[bytes]:
            for p in parts:
                yield p

        content: object = chunks()
    else:
        content = iter(parts)
    r = _send(transport, "PUT", content=content, use_async=use_async)
    assert r.status_code == 200
    assert r.text == "b1 PUT / " + b"".join(parts).decode()
    assert backends[0].bodies == [b"".join(parts)]


def test_retries_are_bounded(backends: list[Backend]) -> None:
    for b in backends:
        b.drop = True
    transport = BalancedTransport([b.url for b in backends], retries=2, eject_after=100)
    with pytest.raises(httpx.RemoteProtocolError):
        _send(transport, "GET")
    assert sum(b.hits for b in backends) == 3
    assert [b.hits for b in backends] == [1, 1, 1]  # each attempt on a backend not yet tried


def test_a_backend_marked_down_gets_no_traffic_until_marked_up_at_its_new_address(
    backends: list[Backend],
) -> None:
    now = [0.0]
    transport = BalancedTransport(
        [backends[0].url, backends[1].url],
        balancer=RoundRobin(2, rng=0),
        probe_after_s=1.0,
        clock=lambda: now[0],
    )
    with _client(transport) as client:
        transport.mark_down(0)
        assert transport.is_marked_down(0)
        for _ in range(4):
            assert client.get("/").headers["x-backend"] == "b1"
        now[0] = 100.0  # long past any probe delay: marked down is not ejected
        for _ in range(4):
            assert client.get("/").headers["x-backend"] == "b1"
        transport.mark_down(1)
        with pytest.raises(NoBackendAvailable):
            client.get("/")
        transport.mark_up(1)
        # The process behind backend 0 came back on another port (b2's).
        transport.mark_up(0, url=backends[2].url)
        assert not transport.is_marked_down(0)
        seen = {client.get("/").headers["x-backend"] for _ in range(4)}
    assert seen == {"b1", "b2"}
    assert backends[0].hits == 0
    assert transport.stats().backends == (backends[2].url, backends[1].url)


@pytest.mark.parametrize(
    "call",
    [
        lambda t: t.mark_down(2),
        lambda t: t.mark_down(-1),
        lambda t: t.mark_up(True),
        lambda t: t.mark_up(0, url="not a url"),
        lambda t: t.is_marked_down(5),
    ],
)
def test_mark_down_and_up_reject_bad_arguments(call: Callable[[BalancedTransport], object]) -> None:
    transport = BalancedTransport(["http://a", "http://b"])
    with pytest.raises(InvalidParameterError):
        call(transport)
    assert transport.stats().backends == ("http://a", "http://b")
