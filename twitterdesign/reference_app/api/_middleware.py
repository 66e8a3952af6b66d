"""One pure-ASGI middleware for the cross-cutting work every request needs.

It strips a trailing slash (Mastodon clients call ``/api/v1/instance/``), refuses
oversized bodies with 413, sends ``X-Content-Type-Options: nosniff`` on every response,
applies the rate limits (per token and account for requests
with a valid token, per client IP for the others) with ``X-RateLimit-*`` headers and 429,
and records Prometheus metrics per route template.
A pure ASGI middleware (not ``BaseHTTPMiddleware``) keeps the per-request cost low.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool

from twitterdesign.reference_app._asgi import (
    ASGIApp,
    Message,
    Receive,
    Scope,
    Send,
    send_json_error,
)
from twitterdesign.reference_app.api._deps import RESOLVED_TOKEN
from twitterdesign.reference_app.errors import PayloadTooLarge
from twitterdesign.reference_app.services import (
    RateLimitDecision,
    Services,
    client_key,
)

__all__ = ["AppMetrics", "GatewayMiddleware"]


_log = logging.getLogger(__name__)
_LIMITED_PREFIXES = ("/api/", "/oauth/", "/lesson/")
# Every response declares its type; no browser may sniff a JSON body or an image as HTML.
_NOSNIFF = (b"x-content-type-options", b"nosniff")


class AppMetrics:
    """The app's Prometheus metrics, in a registry of its own (one per app instance)."""

    def __init__(self, services: Services) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "twitterdesign_http_requests",
            "HTTP requests by route template, method and status code.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "twitterdesign_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["route", "method"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "twitterdesign_rate_limited_requests",
            "Requests refused with 429.",
            ["limit"],
            registry=self.registry,
        )
        queue = Gauge(
            "twitterdesign_fanout_queue_depth",
            "Statuses waiting for the fan-out worker.",
            registry=self.registry,
        )
        queue.set_function(lambda: services.timelines.queue_depth)
        caches = Gauge(
            "twitterdesign_timeline_caches",
            "Home timeline caches held in memory (active users).",
            registry=self.registry,
        )
        caches.set_function(lambda: services.timelines.stats().active_caches)
        deliveries = Gauge(
            "twitterdesign_fanout_deliveries",
            "Status ids pushed into followers' timeline caches since start.",
            registry=self.registry,
        )
        deliveries.set_function(lambda: services.timelines.stats().deliveries)
        pushed = Gauge(
            "twitterdesign_fanout_statuses_pushed",
            "Statuses fanned out on write (author at or below the threshold).",
            registry=self.registry,
        )
        pushed.set_function(lambda: services.timelines.stats().statuses_pushed)
        pulled = Gauge(
            "twitterdesign_fanout_statuses_pulled",
            "Statuses left for read-time merge (celebrity authors).",
            registry=self.registry,
        )
        pulled.set_function(lambda: services.timelines.stats().statuses_pulled)
        sketch = Gauge(
            "twitterdesign_sketch_bytes",
            "Memory held by trend and view-count sketches.",
            registry=self.registry,
        )
        sketch.set_function(lambda: services.trends.nbytes)
        head = Gauge(
            "twitterdesign_outbox_head",
            "Position of the newest outbox event (a consumer's lag = head - its cursor).",
            registry=self.registry,
        )
        head.set_function(lambda: _or_nan(services.outbox_head))
        if services.counts.deferred:
            waiting = Gauge(
                "twitterdesign_counter_events_waiting",
                "Like, reblog and reply counter events no worker has applied to Redis yet.",
                registry=self.registry,
            )
            waiting.set_function(lambda: _or_nan(services.counter_events_waiting))
        self.registry.register(_TimelineReads(services))
        if services.log_reader() is not None:
            self.registry.register(_LogLagCollector(services))


def _or_nan(read: Callable[[], float]) -> float:
    try:
        return read()
    except Exception:  # a scrape must answer even when a backend does not
        _log.warning("a /metrics gauge could not be read", exc_info=True)
        return math.nan


class _TimelineReads(Collector):
    """``twitterdesign_timeline_reads_total{result="hit"|"rebuild"}`` from the service."""

    def __init__(self, services: Services) -> None:
        self._timelines = services.timelines

    def collect(self) -> Iterator[Metric]:
        hits, rebuilds = self._timelines.read_counts
        family = CounterMetricFamily(
            "twitterdesign_timeline_reads",
            "Home timeline reads: served from a built timeline (hit) or rebuilt first.",
            labels=["result"],
        )
        family.add_metric(["hit"], hits)
        family.add_metric(["rebuild"], rebuilds)
        yield family


class _LogLagCollector(Collector):
    """The fan-out log's lag gauges, read (never written) on each scrape.

    A missing stream or group (no worker has started yet) reads as 0; a Redis error as
    NaN, logged once until the next good read, so ``/metrics`` always answers.
    """

    def __init__(self, services: Services) -> None:
        self._services = services
        self._warned = False

    def collect(self) -> Iterator[Metric]:
        unrelayed: float
        undelivered: float
        try:
            lag = self._services.fanout_log_lag()
            if lag is None:
                return
            unrelayed, undelivered, pending = lag
            self._warned = False
        except Exception as exc:  # never raise into a scrape
            if not self._warned:
                _log.warning("the fan-out log's lag could not be read: %s", exc)
                self._warned = True
            unrelayed = undelivered = math.nan
            pending = {}
        yield GaugeMetricFamily(
            "twitterdesign_log_unrelayed",
            "Outbox events not yet relayed into the fan-out log.",
            value=unrelayed,
        )
        yield GaugeMetricFamily(
            "twitterdesign_log_undelivered",
            "Fan-out log entries not yet read by the worker group.",
            value=undelivered,
        )
        family = GaugeMetricFamily(
            "twitterdesign_log_pending",
            "Fan-out log entries read but not yet acknowledged, per consumer.",
            labels=["consumer"],
        )
        for consumer, count in sorted(pending.items()):
            family.add_metric([consumer], count)
        yield family


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _bearer(scope: Scope) -> str | None:
    """Return the access token as the routes read it: the header, else ``?access_token=``."""
    for key, value in scope.get("headers", []):
        if key == b"authorization":
            text = value.decode("latin-1")
            if text[:7].lower() == "bearer ":
                return text[7:].strip() or None
    query: bytes = scope.get("query_string", b"")
    if b"access_token=" not in query:
        return None
    found = [v for k, v in parse_qsl(query.decode("latin-1")) if k == "access_token"]
    return found[-1] if found and found[-1] else None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class GatewayMiddleware:
    """Path normalization, body limit, rate limits and metrics around the app."""

    def __init__(self, app: ASGIApp, services: Services, metrics: AppMetrics) -> None:
        self.app = app
        self.services = services
        self.metrics = metrics
        self.blocking_io = services.blocking_io

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if len(path) > 1 and path.endswith("/"):
            scope = dict(scope)
            scope["path"] = path.rstrip("/") or "/"
            scope["raw_path"] = scope["path"].encode()
            path = scope["path"]
        start = time.perf_counter()
        status_holder = [500]
        settings = self.services.settings

        length = _header(scope, b"content-length")
        if length is not None and (
            not (length.isascii() and length.isdigit()) or int(length) > settings.max_request_bytes
        ):
            await send_json_error(send, 413, "request body is too large", [_NOSNIFF])
            self._observe(scope, 413, start)
            return

        limit_headers: list[tuple[bytes, bytes]] = []
        if settings.rate_limits_enabled and path.startswith(_LIMITED_PREFIXES):
            # The token lookup is a store read: in a thread for a network store (one hop,
            # which also leaves the record for the route's auth dependency), inline else.
            if self.blocking_io:
                decisions = await run_in_threadpool(self._count, scope)
            else:
                decisions = self._count(scope)
            # Report the tighter limit, as a client can only act on one set of headers.
            kind, tight = min(decisions, key=lambda d: (d[1].allowed, d[1].remaining))
            reset = datetime.fromtimestamp(tight.reset_at_s, tz=UTC).isoformat()
            limit_headers = [
                (b"x-ratelimit-limit", str(tight.limit).encode()),
                (b"x-ratelimit-remaining", str(tight.remaining).encode()),
                (b"x-ratelimit-reset", reset.replace("+00:00", "Z").encode()),
            ]
            if not tight.allowed:
                retry = max(1, int(tight.reset_at_s - time.time()) + 1)
                self.metrics.rate_limited.labels(kind).inc()
                await send_json_error(
                    send,
                    429,
                    "Too many requests",
                    [_NOSNIFF, *limit_headers, (b"retry-after", str(retry).encode())],
                )
                self._observe(scope, 429, start)
                return

        received = 0
        max_bytes = settings.max_request_bytes

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise PayloadTooLarge
            return message

        async def wrapped_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = int(message["status"])
                headers = list(message.get("headers", []))
                if not any(k.lower() == _NOSNIFF[0] for k, _ in headers):
                    headers.append(_NOSNIFF)
                message["headers"] = [*headers, *limit_headers]
            await send(message)

        try:
            await self.app(scope, limited_receive, wrapped_send)
        except PayloadTooLarge:
            await send_json_error(
                send, 413, "request body is too large", [_NOSNIFF, *limit_headers]
            )
            status_holder[0] = 413
        self._observe(scope, status_holder[0], start)

    def _count(self, scope: Scope) -> list[tuple[str, RateLimitDecision]]:
        """Count a request against its token and account, or else its client address.

        Only a token that authenticates gets limiter entries of its own (its record is
        left in the scope for the route, which then need not look it up again). Anonymous
        requests and made-up tokens count against the client address, so a flood of
        random tokens neither escapes the per-IP limit nor grows the token table.
        """
        s = self.services
        token = _bearer(scope)
        if token is None:
            return [("ip", s.ip_limiter.hit(client_key(_client_ip(scope))))]
        record = s.accounts.resolve_token(token)
        scope[RESOLVED_TOKEN] = (token, record)  # an invalid token too: the route says 401
        if record is None:
            return [("ip", s.ip_limiter.hit(client_key(_client_ip(scope))))]
        decisions = [("token", s.token_limiter.hit(record.token_hash))]
        if record.account_id is not None:
            decisions.append(("account", s.account_limiter.hit(str(record.account_id))))
        return decisions

    def _observe(self, scope: Scope, status: int, start: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = str(scope.get("method", "GET"))
        self.metrics.requests.labels(template, method, str(status)).inc()
        self.metrics.latency.labels(template, method).observe(time.perf_counter() - start)
