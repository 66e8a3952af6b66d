"""``cache_url=redis://…``: the factory puts timelines and rate limits in Redis.

The Redis stores themselves have their contract suites (``storage/``); these tests check
the wiring a user gets from one setting: the stores opened, the key prefix, the shared
rate-limit budget, the thread pool, and a lost cache answering 503 instead of 500.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from tests.reference_app._live import register_user
from tests.reference_app.conftest import make_settings
from tests.reference_app.storage._redis import (
    REDIS_URL,
    delete_prefix,
    redis_client,
)
from twitterdesign.reference_app import create_app
from twitterdesign.reference_app.api._errors import http_status, unavailable_error
from twitterdesign.reference_app.services import Services, SharedRateLimiter
from twitterdesign.reference_app.storage import InProcessTimelineStore
from twitterdesign.reference_app.storage.redis import RedisTimelineStore, RedisUnavailableError


def _cache_url(prefix: str) -> str:
    return f"{REDIS_URL}?prefix={prefix}"


def test_a_redis_cache_url_opens_redis_timelines_and_shared_limits(
    tmp_path: Path, prefix: str
) -> None:
    services = Services(make_settings(tmp_path, cache_url=_cache_url(prefix)))
    try:
        assert isinstance(services.timeline_store, RedisTimelineStore)
        assert services.timeline_store.prefix == prefix
        assert isinstance(services.ip_limiter, SharedRateLimiter)
        # Redis is across a network: the app runs store work off the event loop.
        assert services.blocking_io
    finally:
        services.close()


def test_the_embedded_default_stays_in_process_and_on_the_loop(tmp_path: Path) -> None:
    services = Services(make_settings(tmp_path))
    try:
        assert isinstance(services.timeline_store, InProcessTimelineStore)
        assert not isinstance(services.ip_limiter, SharedRateLimiter)
        assert not services.blocking_io
    finally:
        services.close()


def test_home_timelines_are_served_from_redis_keys_under_the_prefix(
    tmp_path: Path, prefix: str
) -> None:
    settings = make_settings(tmp_path, cache_url=_cache_url(prefix))
    with TestClient(create_app(settings)) as client:
        ada = register_user(client, "ada")
        bob = register_user(client, "bob")
        ada_id = client.get("/api/v1/accounts/verify_credentials", headers=ada).json()["id"]
        assert client.post(f"/api/v1/accounts/{ada_id}/follow", headers=bob).status_code == 200
        assert client.get("/api/v1/timelines/home", headers=bob).json() == []
        posted = client.post("/api/v1/statuses", headers=ada, json={"status": "hi"}).json()
        client.app.state.services.timelines.wait_idle()  # type: ignore[attr-defined]
        home = client.get("/api/v1/timelines/home", headers=bob).json()
        assert [s["id"] for s in home] == [posted["id"]]
    keys = set(redis_client().scan_iter(match=prefix + "*"))
    assert any(k.startswith(f"{prefix}tl:") for k in keys), keys


def test_two_instances_share_one_rate_limit_budget(tmp_path: Path, prefix: str) -> None:
    url = _cache_url(prefix)
    one = Services(make_settings(tmp_path / "a", cache_url=url, rate_limit_per_ip=3))
    two = Services(make_settings(tmp_path / "b", cache_url=url, rate_limit_per_ip=3))
    try:
        allowed = [s.ip_limiter.hit("192.0.2.7").allowed for s in (one, two, one, two)]
        assert allowed == [True, True, True, False]
    finally:
        one.close()
        two.close()


class _LostCache(InProcessTimelineStore):
    """A timeline store whose reads fail as a Redis that went away does."""

    blocking_io = True

    def __init__(self, error: Exception) -> None:
        super().__init__(800)
        self.error = error

    def read(self, *args: Any, **kwargs: Any) -> list[int]:
        raise self.error

    def claim_rebuild(self, *args: Any, **kwargs: Any) -> bool:
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
        redis.TimeoutError("Timeout reading from socket"),
        RedisUnavailableError("cannot reach Redis at redis://127.0.0.1:6379/0"),
    ],
    ids=["connection", "timeout", "unavailable"],
)
def test_a_lost_cache_answers_503_with_retry_after(tmp_path: Path, error: Exception) -> None:
    assert unavailable_error(error) is not None
    assert http_status(unavailable_error(error)) == 503  # type: ignore[arg-type]
    settings = make_settings(tmp_path)
    services = Services(settings, timeline_store=_LostCache(error))
    with TestClient(create_app(settings, services=services)) as client:
        bob = register_user(client, "bob")
        reply = client.get("/api/v1/timelines/home", headers=bob)
    assert reply.status_code == 503
    assert reply.headers["retry-after"] == "1"
    assert "cache" in reply.json()["error"]


def test_with_fanout_in_workers_the_app_pushes_nothing_and_a_worker_delivers(
    tmp_path: Path,
) -> None:
    from twitterdesign.reference_app.log import InMemoryFanoutLog
    from twitterdesign.reference_app.services.log_worker import LogWorker

    settings = make_settings(tmp_path, fanout_in_app=False)
    services = Services(settings)
    services.start()
    try:
        assert not services.fanout.running
        ada = services.accounts.register("ada", "ada@example.org", "correct horse")
        bob = services.accounts.register("bob", "bob@example.org", "correct horse")
        services.graph.follow(bob.id, ada.id)
        services.timeline_store.touch(bob.id)  # bob is an active reader
        assert services.timeline_store.claim_rebuild(bob.id)  # ... with a built timeline
        posted = services.statuses.create(ada.id, "hello")
        assert services.timeline_store.read(bob.id, limit=5) == []  # the app pushed nothing
        worker = LogWorker(
            services.store,
            services.timeline_store,
            InMemoryFanoutLog(),
            policy=services.timelines.policy,
            consumer="w1",
            block_ms=0,
        )
        while worker.step() or worker.lag().to_dict()["unrelayed"]:
            pass
        assert services.timeline_store.read(bob.id, limit=5) == [posted.id]
    finally:
        services.close()


def test_redis_losing_every_key_under_the_app_costs_no_5xx_and_no_status(
    tmp_path: Path, prefix: str
) -> None:
    """A Redis restart without persistence: every timeline is rebuilt from the database."""
    settings = make_settings(tmp_path, cache_url=_cache_url(prefix), rate_limits_enabled=True)
    with TestClient(create_app(settings)) as client:
        ada = register_user(client, "ada")
        bob = register_user(client, "bob")
        ada_id = client.get("/api/v1/accounts/verify_credentials", headers=ada).json()["id"]
        client.post(f"/api/v1/accounts/{ada_id}/follow", headers=bob)
        client.get("/api/v1/timelines/home", headers=bob)  # bob is an active reader
        posted = [
            client.post("/api/v1/statuses", headers=ada, json={"status": f"s{i}"}).json()["id"]
            for i in range(5)
        ]
        client.app.state.services.timelines.wait_idle()  # type: ignore[attr-defined]
        before = [s["id"] for s in client.get("/api/v1/timelines/home", headers=bob).json()]
        assert before == posted[::-1]

        assert delete_prefix(prefix) > 0  # timelines, flags, rate-limit windows: all gone

        replies = [client.get("/api/v1/timelines/home", headers=bob) for _ in range(3)]
        assert [r.status_code for r in replies] == [200, 200, 200]
        assert all([s["id"] for s in r.json()] == before for r in replies)
        late = client.post("/api/v1/statuses", headers=ada, json={"status": "after"}).json()
        client.app.state.services.timelines.wait_idle()  # type: ignore[attr-defined]
        home = [s["id"] for s in client.get("/api/v1/timelines/home", headers=bob).json()]
        assert home == [late["id"], *before]
