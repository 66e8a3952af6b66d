"""Multi-process mode: N app processes behind a front that balances like a Finagle client.

``twitterdesign serve --workers N`` starts N ordinary server processes (Snowflake worker
ids 0..N-1, one shared SQLite database) on free loopback ports and runs this front on the
public address. The front forwards every request through an httpx client whose transport
is `twitterdesign.lb.transport.BalancedTransport` — the lesson's client-side load
balancing (power of two choices, or peak EWMA), for real: it picks a backend per request,
learns each backend's latency, retries idempotent requests elsewhere and ejects a backend
that keeps failing. A `WorkerSupervisor` restarts a process that dies (with backoff) and
keeps it out of the balancer until it answers its health check again.

The processes stay consistent through the database: statuses and follow changes go
through the fan-out log every process tails, trend sketches are merged across processes,
view counts are added up in storage.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from twitterdesign._validate import check_choice, check_int
from twitterdesign.reference_app._asgi import Receive, Scope, Send, send_json_error
from twitterdesign.reference_app._front_streams import (
    STREAMING_PREFIX,
    proxy_event_stream,
    proxy_websocket,
)
from twitterdesign.reference_app.settings import Settings

if TYPE_CHECKING:
    from twitterdesign.lb.transport import BalancedTransport
    from twitterdesign.reference_app.supervisor import RestartBackoff

__all__ = ["FRONT_POLICIES", "FrontApp", "create_front_app", "run_multiprocess"]

FRONT_POLICIES = ("p2c", "peak-ewma", "round-robin", "least-loaded")
"""Balancing policies the front accepts (from `twitterdesign.lb`)."""

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
}


_RETRY = ((b"retry-after", b"1"),)  # the supervisor restarts a process within seconds


class FrontApp:
    """The front's ASGI application: forwards every request through a `BalancedTransport`.

    Built by `create_front_app`; `transport` is exposed so that a supervisor can take a
    dead app process out of rotation and put its replacement back.
    """

    def __init__(
        self, transport: BalancedTransport, *, max_body_bytes: int, timeout_s: float
    ) -> None:
        import httpx

        self._transport = transport
        self._max_body_bytes = max_body_bytes
        self._client = httpx.AsyncClient(
            transport=transport, base_url="http://backend", timeout=timeout_s,
            follow_redirects=False,
        )  # fmt: skip
        # Streams (SSE) bypass the balancing transport, which reads answers whole: they
        # may stay open for hours, so there is no read timeout.
        self._streams = httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=None))
        self._next_stream = 0

    @property
    def transport(self) -> BalancedTransport:
        """The balancing transport (one backend per app process)."""
        return self._transport

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection (lifespan, HTTP or websocket)."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._forward(scope, receive, send)
        elif scope["type"] == "websocket":
            backend = self._stream_backend()
            if backend is None:
                await send({"type": "websocket.close", "code": 1013})
                return
            await proxy_websocket(backend, scope, receive, send)

    def _stream_backend(self) -> str | None:
        """Pick an app process that is up for a long-lived stream (round robin)."""
        names = self._transport.stats().backends
        up = [n for i, n in enumerate(names) if not self._transport.is_marked_down(i)]
        if not up:
            return None
        self._next_stream += 1
        return up[self._next_stream % len(up)]

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._client.aclose()
                await self._streams.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _read_body(self, receive: Receive, send: Send) -> bytes | None:
        """Read the whole request body (so a retry can replay it); None if answered."""
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max_body_bytes:
                await send_json_error(send, 413, "request body is too large")
                return None
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        return b"".join(chunks)

    async def _forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        import httpx

        from twitterdesign.errors import NoBackendAvailable

        body = await self._read_body(receive, send)
        if body is None:
            return
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in scope.get("headers", [])
            if k.decode("latin-1").lower() not in _HOP_BY_HOP
        ]
        client_addr = scope.get("client")
        if client_addr:
            headers.append(("x-forwarded-for", str(client_addr[0])))
        path = scope.get("raw_path") or scope["path"].encode()
        url = path.decode("latin-1")
        if scope.get("query_string"):
            url += "?" + scope["query_string"].decode("latin-1")
        method = scope["method"]
        if method == "GET" and scope["path"].startswith(STREAMING_PREFIX):
            backend = self._stream_backend()
            if backend is None:
                await send_json_error(
                    send, 503, "no app process is available; try again shortly", _RETRY
                )
                return
            await proxy_event_stream(self._streams, backend + url, headers, receive, send)
            return
        try:
            reply = await self._client.request(method, url, headers=headers, content=body)
        except NoBackendAvailable:
            await send_json_error(
                send, 503, "no app process is available; try again shortly", _RETRY
            )
            return
        except httpx.ConnectError:
            await send_json_error(send, 503, "no app process accepted the connection", _RETRY)
            return
        except httpx.TimeoutException:
            await send_json_error(send, 504, "the app process did not answer in time")
            return
        except httpx.HTTPError as exc:
            await send_json_error(send, 502, _broken_message(method, headers, exc))
            return
        out_headers = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in reply.headers.multi_items()
            if k.lower() not in _HOP_BY_HOP and k.lower() != "content-encoding"
        ]
        out_headers.append((b"content-length", str(len(reply.content)).encode()))
        await send({"type": "http.response.start", "status": reply.status_code,
                    "headers": out_headers})  # fmt: skip
        await send({"type": "http.response.body", "body": reply.content})


def _broken_message(method: str, headers: list[tuple[str, str]], exc: Exception) -> str:
    """Explain a request that broke on its app process and was not (or no more) retried."""
    from twitterdesign.lb.transport import IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_METHODS

    keyed = any(k.lower() == IDEMPOTENCY_KEY_HEADER for k, _ in headers)
    if method.upper() in IDEMPOTENT_METHODS or keyed:
        return f"the app processes failed this request on every retry ({type(exc).__name__})"
    return (
        f"the app process handling this {method} request failed before it answered "
        f"({type(exc).__name__}); it was not retried because it may have taken effect. "
        "Check before repeating it, or send an Idempotency-Key header to make it safe to retry"
    )


def create_front_app(
    backends: Sequence[str],
    *,
    policy: str = "p2c",
    max_body_bytes: int = 10_000_000,
    timeout_s: float = 30.0,
) -> FrontApp:
    """Return an ASGI app that forwards every request to one of ``backends``.

    A request that fails on a backend is retried on another one, in at most
    ``max(2, len(backends))`` attempts in all, when that is safe: when the connection
    could not be opened, and otherwise for idempotent methods (GET, HEAD, OPTIONS, PUT,
    DELETE) and requests with an ``Idempotency-Key`` header. A non-idempotent request
    without a key that broke on its backend may have taken effect and is answered 502
    with an explanation instead.

    Args:
        backends: Base URLs of the app processes, e.g. ``["http://127.0.0.1:8001"]``.
        policy: One of `FRONT_POLICIES`.
        max_body_bytes: Larger request bodies are refused with 413 at the front.
        timeout_s: Per-attempt timeout towards a backend.

    Returns:
        The ASGI application (run it with uvicorn); its ``transport`` is the
        `BalancedTransport` over ``backends``.

    Raises:
        InvalidParameterError: For an unknown policy or an empty backend list.

    Examples:
        >>> app = create_front_app(["http://127.0.0.1:8001", "http://127.0.0.1:8002"])
        >>> callable(app)
        True
        >>> app.transport.stats().backends
        ('http://127.0.0.1:8001', 'http://127.0.0.1:8002')
    """
    from twitterdesign.lb import make_balancer
    from twitterdesign.lb.transport import BalancedTransport

    check_choice("policy", policy, FRONT_POLICIES)
    n = check_int("backends", len(backends), minimum=1)
    transport = BalancedTransport(
        list(backends), balancer=make_balancer(policy, n), retries=max(1, n - 1)
    )
    return FrontApp(transport, max_body_bytes=max_body_bytes, timeout_s=timeout_s)


def run_multiprocess(
    settings: Settings,
    *,
    workers: int,
    host: str = "127.0.0.1",
    port: int = 8000,
    policy: str = "p2c",
    log_level: str = "warning",
    backoff: RestartBackoff | None = None,
    fanout_workers: int = 0,
) -> None:
    """Run ``workers`` app processes and a balancing front on ``host:port`` (blocking).

    Each process gets worker id ``i``, the front's address for the links it writes, and an
    equal share of the per-IP and per-token rate
    limits (so the limits hold for the whole service when the front spreads requests
    evenly); they trust the front's ``X-Forwarded-For`` to see client addresses.

    The processes are supervised (`WorkerSupervisor`): one that dies is reaped, taken
    out of the balancer, restarted with the same worker id after a `RestartBackoff`
    delay, and put back once it answers ``/healthz``; restarts are logged. Requests
    that broke on it are retried on the others where that is safe (see
    `create_front_app`). On exit every process is stopped.

    With ``fanout_workers`` > 0 this is the cluster of `twitterdesign.reference_app.
    cluster`: the app processes push nothing (``fanout_in_app=False``) and that many
    ``twitterdesign worker`` processes (`WorkerProcess`, consumers ``fanout-0``, ...) do
    the fan-out from the log, supervised the same way.

    Args:
        settings: Settings shared by every process (same data directory, or the same
            database and cache URLs).
        workers: Number of app processes (2..64; 1..64 with fan-out workers).
        host: Public interface of the front.
        port: Public port of the front.
        policy: Balancing policy, one of `FRONT_POLICIES`.
        log_level: uvicorn's log level for the front (also the supervisor's).
        backoff: Restart delays of a crashing process (default `RestartBackoff()`).
        fanout_workers: Fan-out worker processes (0..64); 0 lets every app process fan
            out into its own timelines (the embedded mode).
    """
    import signal

    import uvicorn

    from twitterdesign.reference_app.cluster import WorkerProcess
    from twitterdesign.reference_app.server import ChildProcess, ServerProcess, stop_all
    from twitterdesign.reference_app.supervisor import WorkerSupervisor

    def _exit_on_sigterm(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    # uvicorn re-raises the SIGTERM it caught once it has shut down; with the default
    # action the process would die on the spot and orphan its app processes. A Python
    # handler turns it into SystemExit, so the `finally` below stops them.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)

    m = check_int("fanout_workers", fanout_workers, minimum=0, maximum=64)
    n = check_int("workers", workers, minimum=1 if m else 2, maximum=64)
    check_choice("policy", policy, FRONT_POLICIES)
    if m:
        settings = settings.replace(fanout_in_app=False)
    _log_to_stderr(log_level)
    # Backends see the front's requests on their own port: tell them the public address
    # for the links they put in responses (unless bound to every interface).
    public_url = settings.public_url
    if public_url is None and host not in ("0.0.0.0", "::", ""):
        public_url = f"http://{host}:{port}"

    def make_worker(i: int) -> ServerProcess:
        # A restarted process keeps its worker id (so Snowflake ids never collide) and
        # takes a port that is free now (the dead one's may have been taken since); the
        # front learns the new address when the supervisor marks it up.
        return ServerProcess(
            settings.replace(
                worker_id=i,
                trust_forwarded_for=True,
                public_url=public_url,
                rate_limit_per_ip=max(1, math.ceil(settings.rate_limit_per_ip / n)),
                rate_limit_per_token=max(1, math.ceil(settings.rate_limit_per_token / n)),
                rate_limit_per_account=max(1, math.ceil(settings.rate_limit_per_account / n)),
            )
        )

    def make_fanout_worker(j: int) -> WorkerProcess:
        return WorkerProcess(settings, consumer=f"fanout-{j}")

    def nothing(*args: object) -> None:
        return None

    children: list[ChildProcess] = []
    supervisors: list[WorkerSupervisor] = []
    try:
        for j in range(m):
            # Before the apps: they then start against a log that has its group.
            fanout_worker = make_fanout_worker(j)
            fanout_worker.start()
            children.append(fanout_worker)
        if m:
            supervisors.append(
                WorkerSupervisor(
                    children[:m],
                    make_worker=make_fanout_worker,
                    on_down=nothing,
                    on_up=nothing,
                    backoff=backoff,
                    label="fan-out worker",
                )
            )
        apps: list[ServerProcess] = []
        for i in range(n):
            child = make_worker(i)
            child.start()
            children.append(child)
            apps.append(child)
        front = create_front_app(
            [c.base_url for c in apps],
            policy=policy,
            max_body_bytes=settings.max_request_bytes,
        )
        supervisors.append(
            WorkerSupervisor(
                apps,
                make_worker=make_worker,
                on_down=front.transport.mark_down,
                on_up=lambda i, url: front.transport.mark_up(i, url=url),
                backoff=backoff,
            )
        )
        for supervisor in supervisors:
            supervisor.start()
        uvicorn.run(front, host=host, port=port, log_level=log_level, access_log=False)
    finally:
        for supervisor in supervisors:
            supervisor.stop_supervising()
        if len(supervisors) == (2 if m else 1):  # they may have replaced dead processes
            children = [cast(ChildProcess, p) for s in supervisors for p in s.processes()]
        # Every process at once: SIGTERM to all, then SIGKILL after the shared timeout.
        stop_all(children)


def _log_to_stderr(log_level: str) -> None:
    """Send the supervisor's log lines to stderr, formatted as uvicorn's own."""
    import logging

    logger = logging.getLogger("twitterdesign.front")
    level = logging.getLevelName(log_level.upper())
    logger.setLevel(level if isinstance(level, int) else logging.INFO)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     [front] %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
