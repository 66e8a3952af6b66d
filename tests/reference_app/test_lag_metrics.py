"""``/metrics``: the outbox head, the fan-out log's lag and the timeline hit counters."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tests.reference_app._live import register_user
from tests.reference_app.conftest import make_settings
from tests.reference_app.storage._redis import (
    REDIS_URL,
    redis_client,
)
from twitterdesign.reference_app import create_app
from twitterdesign.reference_app.log import RedisStreamLog
from twitterdesign.reference_app.services import Services
from twitterdesign.reference_app.services.log_worker import LogWorker


def _samples(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    reply = client.get("/metrics")
    assert reply.status_code == 200, reply.text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(reply.text)
        for s in family.samples
    }


def _value(client: TestClient, name: str, **labels: str) -> float:
    return _samples(client)[(name, tuple(sorted(labels.items())))]


def test_the_outbox_head_grows_after_a_post(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        ada = register_user(client, "ada")
        before = _value(client, "twitterdesign_outbox_head")
        assert client.post("/api/v1/statuses", headers=ada, json={"status": "hi"}).is_success
        assert _value(client, "twitterdesign_outbox_head") > before
        # No Redis cache, so no log to read: the log gauges are absent.
        assert not any(name.startswith("twitterdesign_log_") for name, _ in _samples(client))


def test_a_first_home_read_rebuilds_and_the_second_hits(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        bob = register_user(client, "bob")
        reads = "twitterdesign_timeline_reads_total"
        assert _value(client, reads, result="rebuild") == 0
        assert client.get("/api/v1/timelines/home", headers=bob).is_success
        assert _value(client, reads, result="rebuild") == 1
        assert _value(client, reads, result="hit") == 0
        assert client.get("/api/v1/timelines/home", headers=bob).is_success
        assert _value(client, reads, result="rebuild") == 1
        assert _value(client, reads, result="hit") == 1


def test_the_log_gauges_fall_to_zero_once_a_worker_steps(tmp_path: Path, prefix: str) -> None:
    settings = make_settings(
        tmp_path, cache_url=f"{REDIS_URL}?prefix={prefix}", fanout_in_app=False
    )
    services = Services(settings)
    with TestClient(create_app(services=services)) as client:
        ada = register_user(client, "ada")
        # No worker has created the stream yet: everything reads 0, nothing is created.
        assert _value(client, "twitterdesign_log_undelivered") == 0
        assert not redis_client().exists(f"{prefix}{{fanout}}:log")
        assert client.post("/api/v1/statuses", headers=ada, json={"status": "hi"}).is_success
        assert _value(client, "twitterdesign_log_unrelayed") > 0

        log = RedisStreamLog(REDIS_URL, prefix=prefix)  # the worker's log, same keys
        try:
            worker = LogWorker(
                services.store,
                services.timeline_store,
                log,
                policy=services.timelines.policy,
                consumer="w1",
                block_ms=0,
            )
            assert worker.relay.step() > 0  # relayed, not consumed: entries wait
            assert _value(client, "twitterdesign_log_unrelayed") == 0
            assert _value(client, "twitterdesign_log_undelivered") > 0
            while worker.step() or worker.lag().to_dict()["unrelayed"]:
                pass
            assert _value(client, "twitterdesign_log_unrelayed") == 0
            assert _value(client, "twitterdesign_log_undelivered") == 0
            # Everything acknowledged: no consumer has a pending entry left.
            pending = [
                v for (n, _), v in _samples(client).items() if n == "twitterdesign_log_pending"
            ]
            assert sum(pending) == 0
        finally:
            log.close()


def test_a_redis_error_reads_as_nan_and_metrics_still_answers(
    tmp_path: Path, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    services = Services(make_settings(tmp_path, cache_url=f"{REDIS_URL}?prefix={prefix}"))
    # Nothing listens on port 1: every read of the log fails to connect.
    services._log_reader = RedisStreamLog(
        "redis://127.0.0.1:1/0", prefix=prefix, connect_timeout_s=0.5, create_group=False
    )
    with TestClient(create_app(services=services)) as client:
        assert math.isnan(_value(client, "twitterdesign_log_unrelayed"))
        assert math.isnan(_value(client, "twitterdesign_log_undelivered"))
        assert client.get("/metrics").status_code == 200
    # Logged once, not on every scrape.
    warned = [r for r in caplog.records if "lag could not be read" in r.getMessage()]
    assert len(warned) == 1
