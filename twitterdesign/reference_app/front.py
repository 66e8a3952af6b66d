"""Multi-process mode: N app processes behind a front that balances like a Finagle client.

``twitterdesign serve --workers N`` starts N ordinary server processes (Snowflake worker
ids 0..N-1, one shared SQLite database) on free loopback ports and runs this front on the
public address. The front forwards every request through an httpx client whose transport
is `twitterdesign.lb.transport.BalancedTransport` — the lesson's client-side load
balancing (power of two choices, or peak EWMA), for real: it picks a backend per request,
learns each backend's latency, retries idempotent requests elsewhere and ejects a backend
that keeps failing.

The processes stay consistent through the database: statuses and follow changes go
through the fan-out log every process tails, trend sketches are merged across processes,
view counts are added up in storage.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from twitterdesign._validate import check_choice, check_int
from twitterdesign.reference_app.settings import Settings

__all__ = ["FRONT_POLICIES", "create_front_app", "run_multiprocess"]

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

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def _json_error(send: Send, status: int, message: str) -> None:
    body = ('{"error": "' + message.replace('"', "'") + '"}').encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_front_app(
    backends: Sequence[str],
    *,
    policy: str = "p2c",
    max_body_bytes: int = 10_000_000,
    timeout_s: float = 30.0,
) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """Return an ASGI app that forwards every request to one of ``backends``.

    Args:
        backends: Base URLs of the app processes, e.g. ``["http://127.0.0.1:8001"]``.
        policy: One of `FRONT_POLICIES`.
        max_body_bytes: Larger request bodies are refused with 413 at the front.
        timeout_s: Per-attempt timeout towards a backend.

    Returns:
        The ASGI application (run it with uvicorn).

    Raises:
        InvalidParameterError: For an unknown policy or an empty backend list.

    Examples:
        >>> app = create_front_app(["http://127.0.0.1:8001", "http://127.0.0.1:8002"])
        >>> callable(app)
        True
    """
    import httpx

    from twitterdesign.errors import NoBackendAvailable
    from twitterdesign.lb import make_balancer
    from twitterdesign.lb.transport import BalancedTransport

    check_choice("policy", policy, FRONT_POLICIES)
    check_int("backends", len(backends), minimum=1)
    transport = BalancedTransport(list(backends), balancer=make_balancer(policy, len(backends)))
    client = httpx.AsyncClient(
        transport=transport, base_url="http://backend", timeout=timeout_s, follow_redirects=False
    )

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await client.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > max_body_bytes:
                await _json_error(send, 413, "request body is too large")
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
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
        try:
            reply = await client.request(
                scope["method"], url, headers=headers, content=b"".join(chunks)
            )
        except NoBackendAvailable:
            await _json_error(send, 503, "no backend available")
            return
        except httpx.HTTPError as exc:
            await _json_error(send, 502, f"backend error: {type(exc).__name__}")
            return
        body = reply.content
        out_headers = [
            (k.encode("latin-1"), v.encode("latin-1"))
            for k, v in reply.headers.multi_items()
            if k.lower() not in _HOP_BY_HOP and k.lower() != "content-encoding"
        ]
        out_headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": reply.status_code,
                    "headers": out_headers})  # fmt: skip
        await send({"type": "http.response.body", "body": body})

    return app


def run_multiprocess(
    settings: Settings,
    *,
    workers: int,
    host: str = "127.0.0.1",
    port: int = 8000,
    policy: str = "p2c",
    log_level: str = "warning",
) -> None:
    """Run ``workers`` app processes and a balancing front on ``host:port`` (blocking).

    Each process gets worker id ``i``, the front's address for the links it writes, and an
    equal share of the per-IP and per-token rate
    limits (so the limits hold for the whole service when the front spreads requests
    evenly); they trust the front's ``X-Forwarded-For`` to see client addresses.

    Args:
        settings: Settings shared by every process (same data directory).
        workers: Number of app processes (2..64).
        host: Public interface of the front.
        port: Public port of the front.
        policy: Balancing policy, one of `FRONT_POLICIES`.
        log_level: uvicorn's log level for the front.
    """
    import signal

    import uvicorn

    from twitterdesign.reference_app.server import ServerProcess, stop_all

    def _exit_on_sigterm(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    # uvicorn re-raises the SIGTERM it caught once it has shut down; with the default
    # action the process would die on the spot and orphan its app processes. A Python
    # handler turns it into SystemExit, so the `finally` below stops them.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)

    n = check_int("workers", workers, minimum=2, maximum=64)
    check_choice("policy", policy, FRONT_POLICIES)
    children: list[ServerProcess] = []
    # Backends see the front's requests on their own port: tell them the public address
    # for the links they put in responses (unless bound to every interface).
    public_url = settings.public_url
    if public_url is None and host not in ("0.0.0.0", "::", ""):
        public_url = f"http://{host}:{port}"
    try:
        for i in range(n):
            child = ServerProcess(
                settings.replace(
                    worker_id=i,
                    trust_forwarded_for=True,
                    public_url=public_url,
                    rate_limit_per_ip=max(1, math.ceil(settings.rate_limit_per_ip / n)),
                    rate_limit_per_token=max(1, math.ceil(settings.rate_limit_per_token / n)),
                    rate_limit_per_account=max(1, math.ceil(settings.rate_limit_per_account / n)),
                )
            )
            child.start()
            children.append(child)
        front = create_front_app(
            [c.base_url for c in children],
            policy=policy,
            max_body_bytes=settings.max_request_bytes,
        )
        uvicorn.run(front, host=host, port=port, log_level=log_level, access_log=False)
    finally:
        stop_all(children)
