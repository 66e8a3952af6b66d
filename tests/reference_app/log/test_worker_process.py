"""Worker processes: SIGKILL with un-acknowledged entries, and the ``worker`` command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from tests.reference_app.log._services import REDIS_URL, Graph, populate
from twitterdesign.reference_app.log import RedisStreamLog
from twitterdesign.reference_app.storage import SQLiteStore, Store

ROOT = Path(__file__).resolve().parents[3]


def _wait_for(condition: Callable[[], bool], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for the workers")
        time.sleep(0.05)


@pytest.fixture
def spawn() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []

    def _spawn(*args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.reference_app.log._worker_proc", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(proc)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        return proc

    yield _spawn
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


@pytest.mark.slow
def test_sigkill_mid_batch_then_another_worker_claims_every_pending_entry(
    pg_store: Store,
    schema: str,
    prefix: str,
    redis_log: RedisStreamLog,
    spawn: Callable[..., subprocess.Popen[str]],
) -> None:
    graph = populate(pg_store, posts_per_author=5)
    graph = Graph(graph.follows, graph.posts, active=set(range(10, 40)))  # all active here
    head = pg_store.event_head()
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    pushes = f"{prefix}pushes"

    doomed = spawn(schema, prefix, "doomed", "0.02", "500")
    _wait_for(lambda: client.hlen(pushes) >= 40)  # some statuses pushed ...
    assert redis_log.pending_by_consumer().get("doomed", 0) > 0  # ... none acknowledged
    doomed.send_signal(signal.SIGKILL)
    assert doomed.wait(10) == -signal.SIGKILL
    left_pending = redis_log.pending()
    assert left_pending > 0

    survivor = spawn(schema, prefix, "survivor", "0", "500")
    _wait_for(
        lambda: (
            redis_log.relayed_cursor() == head
            and redis_log.undelivered() == 0
            and redis_log.pending() == 0
        )
    )
    survivor.send_signal(signal.SIGTERM)
    assert survivor.wait(20) == 0

    for user, expected in graph.expected().items():
        got = [int(s) for s in client.zrange(f"{prefix}tl:{user}", 0, -1)]
        assert sorted(got) == sorted(expected), f"user {user}"
    counts = [int(n) for n in client.hvals(pushes)]
    assert max(counts) >= 2  # the killed batch was redelivered: pushed twice, held once
    assert client.smembers(f"{prefix}pulled") == {"4"}
    holder = redis_log.relay_lease_holder()  # the survivor gave its lease up, if it took it
    assert holder is None or holder.startswith("doomed/")
    client.close()


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "twitterdesign", "worker", *args],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def test_worker_command_names_an_unreachable_log_url(tmp_path: Path) -> None:
    proc = _cli("--database-url", f"sqlite:///{tmp_path}/db", "--log-url", "redis://127.0.0.1:1/0")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert err.count("\n") == 1
    assert "redis://127.0.0.1:1/0" in err
    assert "Traceback" not in err


def test_worker_command_needs_a_redis_log(tmp_path: Path) -> None:
    proc = _cli("--database-url", f"sqlite:///{tmp_path}/db", "--cache-url", "memory://")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "--log-url" in err
    assert err.count("\n") == 1


@pytest.mark.slow
@pytest.mark.parametrize("prefix_from", ["--log-prefix", "cache-url"])
def test_worker_command_relays_consumes_and_stops_cleanly_on_sigterm(
    tmp_path: Path, prefix: str, prefix_from: str
) -> None:
    db = tmp_path / "tw.sqlite3"
    store = SQLiteStore(db)
    populate(store, posts_per_author=2)
    head = store.event_head()
    store.close()
    env = {"TWITTERDESIGN_DATABASE_URL": f"sqlite:///{db}"}
    if prefix_from == "--log-prefix":
        args = ["--log-prefix", prefix]
        env["TWITTERDESIGN_LOG_URL"] = REDIS_URL
    else:  # the app's /metrics reads the log under the cache URL's prefix: the default
        args = []
        env["TWITTERDESIGN_CACHE_URL"] = f"{REDIS_URL}?prefix={prefix}"
    proc = _cli("--consumer", "cli", *args, env=env)
    log = RedisStreamLog(REDIS_URL, prefix=prefix)
    try:
        _wait_for(lambda: _log_done(log, head))
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        log.close()
    assert proc.returncode == 0, err
    assert f"relayed {head}, acknowledged {head}" in err
    assert "Traceback" not in err


def _log_done(log: RedisStreamLog, head: int) -> bool:
    return log.relayed_cursor() == head and log.undelivered() == 0 and log.pending() == 0
