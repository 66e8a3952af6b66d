"""An unexpected error is a logged 500 JSON response on a keep-alive connection that lives on.

Before the fix, Starlette re-raised the error after sending the 500, and uvicorn then
closed the connection without ``Connection: close``: a keep-alive client's next request
went into a closed socket. These tests run a real uvicorn server on 127.0.0.1 and one
persistent httpx client, and check that the request after a 500 travels on the same
connection.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reference_app._threaded import local_port, serve_in_thread
from tests.reference_app.conftest import make_settings
from twitterdesign.reference_app import create_app


class _Injected(RuntimeError):
    """The failure a test plants in a service."""


def _fail(*_args: Any, **_kwargs: Any) -> Any:
    raise _Injected("planted by the test")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Any, httpx.Client, list[int | None]]]:
    """A live app, a keep-alive client on it, and the local port of each response."""
    app = create_app(make_settings(tmp_path, rate_limits_enabled=True))
    ports: list[int | None] = []
    with (
        serve_in_thread(app) as url,
        httpx.Client(
            base_url=url,
            timeout=30,
            limits=httpx.Limits(max_connections=1),
            event_hooks={"response": [lambda r: ports.append(local_port(r))]},
        ) as client,
    ):
        yield app, client, ports


def _assert_500(reply: httpx.Response) -> None:
    assert reply.status_code == 500
    assert reply.json() == {"error": "internal server error"}
    assert reply.headers.get("connection", "").lower() != "close"


def test_the_request_after_a_500_reuses_the_connection(
    served: tuple[Any, httpx.Client, list[int | None]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, client, ports = served
    assert client.get("/healthz").status_code == 200
    services = app.state.services
    with monkeypatch.context() as patch, caplog.at_level(logging.ERROR):
        patch.setattr(services.store, "count_accounts", _fail)
        _assert_500(client.get("/healthz"))
        patch.setattr(services.statuses, "public", _fail)
        _assert_500(client.get("/api/v1/timelines/public"))
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/timelines/public").status_code == 200
    assert None not in ports
    assert len(set(ports)) == 1, ports  # one connection throughout
    # The error is not swallowed: it is logged with its traceback.
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is _Injected]
    assert len(logged) == 2


def test_a_failure_in_the_gateway_itself_keeps_the_connection(
    served: tuple[Any, httpx.Client, list[int | None]], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, client, ports = served
    assert client.get("/api/v1/timelines/public").status_code == 200
    monkeypatch.setattr(app.state.services.ip_limiter, "hit", _fail)
    _assert_500(client.get("/api/v1/timelines/public"))
    monkeypatch.undo()
    assert client.get("/api/v1/timelines/public").status_code == 200
    assert None not in ports
    assert len(set(ports)) == 1, ports


def test_metrics_count_the_500(
    served: tuple[Any, httpx.Client, list[int | None]], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, client, _ports = served
    monkeypatch.setattr(app.state.services.statuses, "public", _fail)
    _assert_500(client.get("/api/v1/timelines/public"))
    monkeypatch.undo()
    metrics = client.get("/metrics").text
    assert (
        'twitterdesign_http_requests_total{method="GET",route="/api/v1/timelines/public",'
        'status="500"} 1.0'
    ) in metrics
