"""Redis faults under the cluster mode: a served app and a ``twitterdesign worker`` process.

PostgreSQL holds the statuses (a schema of the test's own), Redis the home timelines,
the shared rate limits and the fan-out log (a key prefix of the test's own), and
``fanout_in_app=False``: only the worker pushes. Two faults, on real processes:

* Redis restarts without persistence: every key under the prefix vanishes while the app
  and the worker run (timelines, activity flags, rate-limit windows, the log's stream,
  consumer group, relay cursor and lease). Home timelines are rebuilt on read, with no
  5xx, and the worker goes on delivering new posts, exactly once.
* Redis becomes unreachable (a loopback proxy in front of it is cut; other tests share
  the server, so it is never paused or flushed): reads that need the cache answer a
  clean 503 with ``Retry-After``; posts still succeed (the database and its outbox hold
  them) unless the shared rate limits are on, which fail closed; once the proxy forwards
  again both the app and the worker recover by themselves, the posts made meanwhile
  delivered.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.reference_app._engines import postgres_url
from tests.reference_app._live import register_user, wait_until
from tests.reference_app._proxy import TcpProxy
from tests.reference_app.conftest import make_settings
from tests.reference_app.storage._redis import REDIS_URL, delete_prefix
from twitterdesign.reference_app.server import ServerProcess
from twitterdesign.reference_app.settings import Settings

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def _worker(settings: Settings) -> Iterator[subprocess.Popen[bytes]]:
    """``twitterdesign worker`` with the app's settings; stopped with SIGTERM on exit.

    Its stderr goes to ``worker.log`` in the data directory (pytest shows the path of a
    failing test's ``tmp_path``).
    """
    with (settings.data_dir / "worker.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "twitterdesign", "worker", "--consumer", "w1"],
            cwd=ROOT,
            env={**os.environ, **settings.to_env()},
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class _Users:
    """ada posts, bob follows her and reads his home timeline (an active reader)."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.ada = register_user(client, "ada")
        self.bob = register_user(client, "bob")
        ada_id = client.get("/api/v1/accounts/verify_credentials", headers=self.ada).json()["id"]
        assert client.post(f"/api/v1/accounts/{ada_id}/follow", headers=self.bob).status_code == 200
        assert self.home_reply().status_code == 200

    def post(self, text: str) -> str:
        reply = self.client.post("/api/v1/statuses", headers=self.ada, json={"status": text})
        assert reply.status_code == 200, reply.text
        return str(reply.json()["id"])

    def home_reply(self) -> httpx.Response:
        return self.client.get("/api/v1/timelines/home?limit=40", headers=self.bob)

    def home(self) -> list[str]:
        reply = self.home_reply()
        assert reply.status_code == 200, reply.text
        return [s["id"] for s in reply.json()]


def _settings(tmp_path: Path, schema: str, cache_url: str, *, limits: bool = True) -> Settings:
    return make_settings(
        tmp_path,
        database_url=postgres_url(schema),
        cache_url=cache_url,
        fanout_in_app=False,
        rate_limits_enabled=limits,  # the shared limits live in Redis too
        rate_limit_per_ip=10_000,
        rate_limit_per_token=10_000,
        rate_limit_per_account=10_000,
    )


def test_redis_losing_every_key_under_a_served_cluster_costs_no_5xx_and_no_delivery(
    tmp_path: Path, schema: str, prefix: str
) -> None:
    settings = _settings(tmp_path, schema, f"{REDIS_URL}?prefix={prefix}")
    with (
        ServerProcess(settings) as server,
        _worker(settings) as worker,
        httpx.Client(base_url=server.base_url, timeout=30) as client,
    ):
        users = _Users(client)
        before = [users.post(f"before {i}") for i in range(5)][::-1]
        wait_until(lambda: users.home() == before, "the worker to deliver")

        assert delete_prefix(prefix) > 0  # timelines, flags, limits, the log: all gone

        replies = [users.home_reply() for _ in range(3)]
        assert [r.status_code for r in replies] == [200, 200, 200], replies[-1].text
        assert all([s["id"] for s in r.json()] == before for r in replies)
        after = [users.post(f"after {i}") for i in range(3)][::-1]
        wait_until(lambda: users.home() == [*after, *before], "the worker to deliver again")
        assert worker.poll() is None
        assert server.poll() is None


@pytest.mark.parametrize("limits", [False, True], ids=["limits-off", "limits-on"])
def test_redis_unreachable_answers_503_then_the_app_and_the_worker_recover(
    tmp_path: Path, schema: str, prefix: str, limits: bool
) -> None:
    """Without rate limits only what needs the cache fails; with them, every API call.

    The shared rate limits fail closed: a request that cannot be counted is not served
    (503 with ``Retry-After``, like any other lost backend), so with limits on a post
    fails too while Redis is away. Either way nothing is a 500, nothing hangs, and the
    process recovers without a restart.
    """
    target = urlsplit(REDIS_URL)
    with TcpProxy(target.hostname or "127.0.0.1", target.port or 6379) as proxy:
        proxied = target._replace(netloc=f"127.0.0.1:{proxy.port}").geturl()
        settings = _settings(tmp_path, schema, f"{proxied}?prefix={prefix}", limits=limits)
        with (
            ServerProcess(settings) as server,
            _worker(settings) as worker,
            httpx.Client(base_url=server.base_url, timeout=60) as client,
        ):
            users = _Users(client)
            first = users.post("before the cut")
            wait_until(lambda: users.home() == [first], "the worker to deliver")

            proxy.cut()
            cut_replies = [users.home_reply() for _ in range(3)]
            post = client.post(
                "/api/v1/statuses",
                headers={**users.ada, "Idempotency-Key": "while-away"},
                json={"status": "while the cache is away"},
            )
            if limits:
                cut_replies.append(post)
            else:  # the database and its outbox keep the post
                assert post.status_code == 200, post.text
            for reply in cut_replies:
                assert reply.status_code == 503, reply.text
                assert reply.headers["retry-after"] == "1"
                assert reply.json() == {"error": "the cache is unavailable; retry shortly"}
            assert client.get("/healthz").status_code == 200  # the database still answers

            proxy.restore()
            wait_until(
                lambda: users.home_reply().status_code == 200, "the app to reach Redis again"
            )
            post = client.post(  # the same post again: created once, either way
                "/api/v1/statuses",
                headers={**users.ada, "Idempotency-Key": "while-away"},
                json={"status": "while the cache is away"},
            )
            assert post.status_code == 200, post.text
            meanwhile = str(post.json()["id"])
            later = users.post("after the cut")
            wait_until(
                lambda: users.home() == [later, meanwhile, first], "the worker to deliver again"
            )
            assert worker.poll() is None
            assert server.poll() is None
