"""``BalancedTransport``: balance real HTTP calls with any `Balancer`.

This is the only module of `twitterdesign.lb` that imports httpx (an optional
dependency, in the ``app`` extra); ``import twitterdesign.lb`` stays free of it.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import httpx

from twitterdesign._validate import check_int, check_number
from twitterdesign.errors import InvalidParameterError, NoBackendAvailable
from twitterdesign.lb._base import Balancer, Clock, default_clock
from twitterdesign.lb._policies import PowerOfTwoChoices

__all__ = ["IDEMPOTENCY_KEY_HEADER", "IDEMPOTENT_METHODS", "BalancedTransport", "TransportStats"]

IDEMPOTENT_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
"""Methods RFC 9110 defines as idempotent; only these (and requests that carry an
``Idempotency-Key``) are retried after they were sent."""

_FRAMING_HEADERS = frozenset({b"host", b"content-length", b"transfer-encoding"})

IDEMPOTENCY_KEY_HEADER = "idempotency-key"
"""The header (IETF draft-ietf-httpapi-idempotency-key-header) that makes a request safe to
repeat: the server answers a repeated key with the first result."""


@dataclass(frozen=True, slots=True)
class TransportStats:
    """Counters of a `BalancedTransport`, per backend in the order given.

    Attributes:
        backends: The backend base URLs.
        requests: Attempts sent to each backend (retries included).
        failures: Attempts that failed (connection error, timeout or a retry status).
        ejections: How many times each backend was ejected.
        retries: Attempts beyond the first, over all requests.
    """

    backends: tuple[str, ...]
    requests: tuple[int, ...]
    failures: tuple[int, ...]
    ejections: tuple[int, ...]
    retries: int

    def to_dict(self) -> dict[str, Any]:
        """Return the counters as plain JSON-ready data."""
        return asdict(self)


class BalancedTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """An httpx transport (sync and async) that spreads requests over several backends.

    The request's own scheme, host and port are replaced by those of the backend the
    balancer picks (a backend URL may carry a path prefix); path, query, headers and
    body are kept. The balancer is told when each attempt starts and how long it took,
    so latency-aware policies such as `PeakEwma` steer away
    from slow backends. A backend that fails ``eject_after`` times in a row is marked
    down; after ``probe_after_s`` it is marked up again and the next request to it is a
    probe (one more failure ejects it again).

    Failed attempts are retried on another backend (up to ``retries`` more attempts,
    each on a backend this request has not failed on while there is one) when that is
    safe: always for a connection that could not be opened (the request never left),
    and for idempotent requests also after timeouts, broken connections (a backend
    that died mid-request) and the ``retry_statuses`` responses. A request is
    idempotent if its method is (GET, HEAD, OPTIONS, PUT, DELETE, TRACE, RFC 9110
    §9.2.2) or if it carries an ``Idempotency-Key`` header, with which the server
    answers a repeat with the first result instead of acting twice. The body is read
    once and replayed on every attempt. Responses are read fully before the transport
    returns them, so the latency the balancer learns includes the body.

    A supervisor that knows a backend is down (its process died) takes it out with
    `mark_down` and puts it back, possibly at a new address, with `mark_up`; unlike an
    ejection, a backend marked down is not probed.

    Args:
        backends: Base URLs such as ``"http://127.0.0.1:8001"``, at least one.
        balancer: The policy (default `PowerOfTwoChoices`);
            it must have one backend per URL.
        retries: Extra attempts per request (0 disables retries).
        eject_after: Consecutive failures that eject a backend.
        probe_after_s: Seconds an ejected backend stays out before it is probed.
        retry_statuses: Response codes that count as failures and are retried.
        transport: The inner sync transport (default ``httpx.HTTPTransport()``).
        async_transport: The inner async transport (default
            ``httpx.AsyncHTTPTransport()``).
        clock: Time source in seconds (default ``time.monotonic``).

    Raises:
        InvalidParameterError: If a URL or argument is invalid.
        NoBackendAvailable: From a request, when every backend is ejected.

    Examples:
        >>> import httpx
        >>> from twitterdesign.lb import PeakEwma
        >>> from twitterdesign.lb.transport import BalancedTransport
        >>> urls = ["http://10.0.0.1:8000", "http://10.0.0.2:8000"]
        >>> transport = BalancedTransport(urls, balancer=PeakEwma(2, rng=0))
        >>> client = httpx.Client(transport=transport, base_url="http://users-service")
        >>> transport.stats().requests
        (0, 0)
        >>> client.close()
    """

    def __init__(
        self,
        backends: Sequence[str],
        *,
        balancer: Balancer | None = None,
        retries: int = 2,
        eject_after: int = 5,
        probe_after_s: float = 5.0,
        retry_statuses: Collection[int] = (502, 503, 504),
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
    ) -> None:
        urls = list(backends) if not isinstance(backends, str) else [backends]
        if not urls:
            raise InvalidParameterError("backends", backends, "at least one base URL")
        self._urls: list[httpx.URL] = [self._check_url(u) for u in urls]
        self._names = tuple(str(u) for u in urls)
        if balancer is None:
            balancer = PowerOfTwoChoices(len(urls))
        if not isinstance(balancer, Balancer) or balancer.backends != len(urls):
            raise InvalidParameterError(
                "balancer", balancer, f"a Balancer over {len(urls)} backends (one per URL)"
            )
        self._balancer = balancer
        self._retries = check_int("retries", retries, minimum=0)
        self._eject_after = check_int("eject_after", eject_after, minimum=1)
        self._probe_after = check_number("probe_after_s", probe_after_s, minimum=0.0)
        self._retry_statuses = frozenset(int(s) for s in retry_statuses)
        self._transport = transport
        self._async_transport = async_transport
        self._clock = default_clock(clock)
        self._lock = threading.Lock()
        n = len(urls)
        self._consecutive = [0] * n
        self._down_until: list[float | None] = [None] * n
        self._marked_down = [False] * n
        self._requests = [0] * n
        self._failures = [0] * n
        self._ejections = [0] * n
        self._retried = 0

    @staticmethod
    def _check_url(url: str) -> httpx.URL:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise InvalidParameterError("backends", url, "absolute http(s) URLs") from exc
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise InvalidParameterError("backends", url, "absolute http(s) URLs")
        return parsed

    @property
    def balancer(self) -> Balancer:
        """The policy choosing among the backends."""
        return self._balancer

    def stats(self) -> TransportStats:
        """Return a snapshot of the per-backend counters."""
        with self._lock:
            return TransportStats(
                backends=self._names,
                requests=tuple(self._requests),
                failures=tuple(self._failures),
                ejections=tuple(self._ejections),
                retries=self._retried,
            )

    # -- bookkeeping shared by the sync and async paths --------------------------------
    def _choose(self, tried: set[int]) -> int:
        with self._lock:
            now = self._clock()
            for i, until in enumerate(self._down_until):
                if until is not None and now >= until:
                    # Probe: eligible again, one more failure ejects it at once.
                    self._down_until[i] = None
                    self._consecutive[i] = self._eject_after - 1
                    if not self._marked_down[i]:
                        self._balancer.mark_up(i)
            usable = [
                j
                for j in range(len(self._urls))
                if self._down_until[j] is None and not self._marked_down[j]
            ]
            if not usable:
                raise NoBackendAvailable(
                    f"all {len(self._urls)} backends are ejected after repeated failures "
                    "or marked down"
                )
            # Prefer a backend this request has not failed on yet. A policy may keep
            # choosing the failed one (peak EWMA finds a refused connection fast) or, in
            # its panic mode, an ejected one: after a few picks take the first suitable.
            preferred = [j for j in usable if j not in tried] or usable
            i = self._balancer.pick()
            if i not in preferred:
                for _ in range(2 * len(self._urls)):
                    i = self._balancer.pick()
                    if i in preferred:
                        break
                else:
                    i = preferred[0]
            self._balancer.on_start(i)
            self._requests[i] += 1
            return i

    def _finish(self, i: int, started: float, ok: bool) -> None:
        with self._lock:
            self._balancer.on_finish(i, max(self._clock() - started, 0.0))
            if ok:
                self._consecutive[i] = 0
                return
            self._failures[i] += 1
            self._consecutive[i] += 1
            if self._consecutive[i] >= self._eject_after and self._down_until[i] is None:
                self._down_until[i] = self._clock() + self._probe_after
                self._ejections[i] += 1
                self._balancer.mark_down(i)

    def _check_index(self, i: int) -> int:
        return check_int("i", i, minimum=0, maximum=len(self._urls) - 1)

    def mark_down(self, i: int) -> None:
        """Take backend ``i`` out of rotation until `mark_up` (e.g. its process died).

        Requests already sent to it finish or fail (and are retried where safe); new
        requests go elsewhere. While every backend is marked down or ejected, requests
        raise `NoBackendAvailable`.

        Args:
            i: Backend index, in the order the URLs were given.

        Raises:
            InvalidParameterError: If ``i`` is not a backend index.
        """
        i = self._check_index(i)
        with self._lock:
            self._marked_down[i] = True
            self._balancer.mark_down(i)

    def mark_up(self, i: int, *, url: str | None = None) -> None:
        """Put backend ``i`` back into rotation, at a new base URL if given.

        Its failure streak and any ejection are forgotten: the caller vouches that it
        answers (e.g. it passed its health check).

        Args:
            i: Backend index, in the order the URLs were given.
            url: The backend's new base URL (a restarted process on another port).

        Raises:
            InvalidParameterError: If ``i`` is not a backend index or ``url`` is not an
                absolute http(s) URL.
        """
        i = self._check_index(i)
        parsed = self._check_url(url) if url is not None else None
        with self._lock:
            if parsed is not None:
                self._urls[i] = parsed
                names = list(self._names)
                names[i] = str(url)
                self._names = tuple(names)
            self._marked_down[i] = False
            self._down_until[i] = None
            self._consecutive[i] = 0
            self._balancer.mark_up(i)

    def is_marked_down(self, i: int) -> bool:
        """Return whether backend ``i`` is marked down (see `mark_down`)."""
        i = self._check_index(i)
        with self._lock:
            return self._marked_down[i]

    def _backend_request(self, request: httpx.Request, i: int) -> httpx.Request:
        with self._lock:
            base = self._urls[i]
        prefix = base.path.rstrip("/")
        url = request.url.copy_with(
            scheme=base.scheme, host=base.host, port=base.port, path=prefix + request.url.path
        )
        # The body is sent as the bytes read once (replayable): httpx frames it with a
        # Content-Length of its own, so the caller's framing (chunked for a stream) goes.
        headers = [(k, v) for k, v in request.headers.raw if k.lower() not in _FRAMING_HEADERS]
        return httpx.Request(
            request.method,
            url,
            headers=headers,
            content=request.content,
            extensions=request.extensions,
        )

    def _attempts(self, request: httpx.Request) -> tuple[int, bool]:
        method = request.method.upper()
        idempotent = method in IDEMPOTENT_METHODS or IDEMPOTENCY_KEY_HEADER in request.headers
        return 1 + self._retries, idempotent

    # -- httpx.BaseTransport ------------------------------------------------------------
    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` to a balanced backend, retrying where safe (sync path)."""
        if self._transport is None:
            self._transport = httpx.HTTPTransport()
        request.read()
        attempts, idempotent = self._attempts(request)
        tried: set[int] = set()
        last_error: Exception | None = None
        for attempt in range(attempts):
            if attempt:
                with self._lock:
                    self._retried += 1
            i = self._choose(tried)
            tried.add(i)
            started = self._clock()
            try:
                response = self._transport.handle_request(self._backend_request(request, i))
                response.read()
            except httpx.ConnectError as exc:
                self._finish(i, started, ok=False)
                last_error = exc
                continue
            except httpx.TransportError as exc:
                self._finish(i, started, ok=False)
                last_error = exc
                if idempotent:
                    continue
                raise
            failed = response.status_code in self._retry_statuses
            self._finish(i, started, ok=not failed)
            if failed and idempotent and attempt + 1 < attempts:
                response.close()
                continue
            return response
        assert last_error is not None
        raise last_error

    def close(self) -> None:
        """Close the inner sync transport."""
        if self._transport is not None:
            self._transport.close()

    # -- httpx.AsyncBaseTransport -------------------------------------------------------
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` to a balanced backend, retrying where safe (async path)."""
        if self._async_transport is None:
            self._async_transport = httpx.AsyncHTTPTransport()
        await request.aread()
        attempts, idempotent = self._attempts(request)
        tried: set[int] = set()
        last_error: Exception | None = None
        for attempt in range(attempts):
            if attempt:
                with self._lock:
                    self._retried += 1
            i = self._choose(tried)
            tried.add(i)
            started = self._clock()
            try:
                response = await self._async_transport.handle_async_request(
                    self._backend_request(request, i)
                )
                await response.aread()
            except httpx.ConnectError as exc:
                self._finish(i, started, ok=False)
                last_error = exc
                continue
            except httpx.TransportError as exc:
                self._finish(i, started, ok=False)
                last_error = exc
                if idempotent:
                    continue
                raise
            failed = response.status_code in self._retry_statuses
            self._finish(i, started, ok=not failed)
            if failed and idempotent and attempt + 1 < attempts:
                await response.aclose()
                continue
            return response
        assert last_error is not None
        raise last_error

    async def aclose(self) -> None:
        """Close the inner async transport."""
        if self._async_transport is not None:
            await self._async_transport.aclose()
