"""The front's ASGI app over local backends: what a client sees when an app process dies."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.lb.conftest import Backend, start_backend
from twitterdesign.reference_app.front import create_front_app


@pytest.fixture
def pair() -> Iterator[list[Backend]]:
    """Two local backends; the first one drops every request it reads, as a dying process."""
    started = [start_backend("b0"), start_backend("b1")]
    started[0].drop = True
    yield started
    for b in started:
        b.stop()


def _through_front(
    backends: list[str], method: str, *, headers: dict[str, str] | None = None
) -> list[httpx.Response]:
    """Send ``method /`` with a body through a fresh front, four times."""
    app = create_front_app(backends, policy="round-robin")

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://front") as client:
            return [
                await client.request(method, "/api/v1/statuses", content=b'{"status": "hi"}',
                                     headers=headers or {})
                for _ in range(4)
            ]  # fmt: skip

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("method", "headers"),
    [("GET", {}), ("PUT", {}), ("DELETE", {}), ("POST", {"Idempotency-Key": "abc"})],
)
def test_an_idempotent_request_broken_by_a_dying_process_is_answered_by_another(
    pair: list[Backend], method: str, headers: dict[str, str]
) -> None:
    replies = _through_front([b.url for b in pair], method, headers=headers)
    assert [r.status_code for r in replies] == [200] * 4
    assert {r.headers["x-backend"] for r in replies} == {"b1"}
    assert {r.text for r in replies} == {f'b1 {method} /api/v1/statuses {{"status": "hi"}}'}


def test_a_keyless_post_broken_by_a_dying_process_is_not_repeated_and_says_why(
    pair: list[Backend],
) -> None:
    replies = _through_front([b.url for b in pair], "POST")
    # Round robin: the two that went to the dying process fail, the others are served.
    assert sorted(r.status_code for r in replies) == [200, 200, 502, 502]
    failed = [r for r in replies if r.status_code == 502]
    for r in failed:
        assert r.headers["content-type"] == "application/json"
        message = r.json()["error"]
        assert "not retried" in message
        assert "Idempotency-Key" in message
    assert pair[1].hits == 2  # never sent twice
    assert len(pair[0].bodies) == 2


def test_when_no_process_accepts_connections_the_front_answers_503_json() -> None:
    gone = [start_backend("x"), start_backend("y")]
    urls = [b.url for b in gone]
    for b in gone:
        b.stop()
    replies = _through_front(urls, "GET")
    assert {r.status_code for r in replies} == {503}
    assert all(isinstance(r.json()["error"], str) for r in replies)
    assert {r.headers.get("retry-after") for r in replies} == {"1"}  # a client knows to retry
