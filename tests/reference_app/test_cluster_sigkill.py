"""The cluster mode loses nothing when one app instance is SIGKILLed under write load.

Two app processes (PostgreSQL in a schema of the test's own, Redis timelines under a key
prefix of its own, ``fanout_in_app=False``, worker ids 0 and 1) run behind the real
balancing front (`create_front_app` on uvicorn, supervised by `WorkerSupervisor` as
``serve --workers`` does), and one ``twitterdesign worker`` process relays the outbox and
fans out. Writer threads post through the front, each post with an ``Idempotency-Key``,
and retry a post with the same key on any connection error or 5xx until it is
acknowledged. One app process is SIGKILLed mid-load; the supervisor restarts it.

Asserted: no acknowledged post is lost (readable, in its author's account and home
timelines), none is duplicated (one row per key in the database), each reaches an active
follower's home timeline exactly once once the worker has drained the log (the worker
put it there: the app pushes nothing), and the surviving instance acknowledged posts
while its peer was down.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg import sql

from tests.reference_app._engines import postgres_url
from tests.reference_app._live import register_user, wait_until
from tests.reference_app._threaded import serve_in_thread
from tests.reference_app.conftest import make_settings
from tests.reference_app.storage._redis import REDIS_URL, redis_client
from tests.reference_app.storage_pg._postgres import (
    POSTGRES_URL,
)
from twitterdesign.ids import decode
from twitterdesign.reference_app.front import create_front_app
from twitterdesign.reference_app.log import RedisStreamLog
from twitterdesign.reference_app.server import ServerProcess, stop_all
from twitterdesign.reference_app.settings import Settings
from twitterdesign.reference_app.supervisor import RestartBackoff, WorkerSupervisor

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 4
KILL_AFTER_ACKS = 30  # acknowledged posts before the kill
ACKS_AFTER_RETURN = 20  # acknowledged posts after the killed process is back
LOAD_CAP_S = 30.0  # the load stops by then even if the process never came back
MAX_POSTS = 600  # ... or at this many posts (below the 800 ids a home timeline keeps)
POST_DEADLINE_S = 60.0  # one post may take this long to be acknowledged, retries included


@dataclass
class _Ack:
    status_id: str
    at: float  # time.monotonic() of the 2xx


@dataclass
class _Writer:
    """One author posting through the front until told to stop."""

    base_url: str
    headers: dict[str, str]
    author: int
    stop: threading.Event
    acks: dict[str, _Ack] = field(default_factory=dict)  # text -> ack
    retried: int = 0
    error: str | None = None

    def run(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=10.0) as client:
            i = 0
            while not self.stop.is_set():
                text = f"author {self.author} post {i}"
                try:
                    self.acks[text] = self._post_until_acknowledged(client, text)
                except AssertionError as exc:
                    self.error = str(exc)
                    return
                i += 1

    def _post_until_acknowledged(self, client: httpx.Client, text: str) -> _Ack:
        headers = {**self.headers, "Idempotency-Key": f"key-{text}"}
        deadline = time.monotonic() + POST_DEADLINE_S
        while True:
            try:
                reply = client.post("/api/v1/statuses", headers=headers, json={"status": text})
            except httpx.HTTPError:
                reply = None
            if reply is not None and reply.status_code == 200:
                return _Ack(reply.json()["id"], time.monotonic())
            if reply is not None and reply.status_code < 500:
                raise AssertionError(f"{text}: {reply.status_code} {reply.text[:200]}")
            assert time.monotonic() < deadline, f"{text} was never acknowledged"
            self.retried += 1
            time.sleep(0.05)


def _pages(client: httpx.Client, path: str, headers: dict[str, str]) -> list[str]:
    """Every id of a paginated timeline, newest first (``max_id`` paging)."""
    ids: list[str] = []
    params: dict[str, Any] = {"limit": 40}
    while True:
        reply = client.get(path, headers=headers, params=params)
        assert reply.status_code == 200, reply.text
        page = [s["id"] for s in reply.json()]
        if not page:
            return ids
        ids += page
        params["max_id"] = page[-1]


def _start_apps(settings: Settings) -> tuple[list[ServerProcess], Callable[[int], ServerProcess]]:
    def make_app(i: int) -> ServerProcess:
        return ServerProcess(settings.replace(worker_id=i, trust_forwarded_for=True))

    apps = [make_app(i) for i in range(2)]
    for app in apps:  # both start at once: half the wait on a busy machine
        app.spawn()
    try:
        wait_until(lambda: all(app.is_ready() for app in apps), "the app processes", 60.0)
    except BaseException:
        stop_all(apps)
        raise
    return apps, make_app


def _start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    env = {**os.environ, **settings.to_env()}
    return subprocess.Popen(
        [sys.executable, "-m", "twitterdesign", "worker", "--consumer", "w1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_sigkill_one_app_instance_under_write_load_loses_and_duplicates_nothing(
    tmp_path: Path, schema: str, prefix: str
) -> None:
    settings = make_settings(
        tmp_path,
        database_url=postgres_url(schema),
        cache_url=f"{REDIS_URL}?prefix={prefix}",
        fanout_in_app=False,
        database_pool_size=4,
    )
    apps, make_app = _start_apps(settings)
    front = create_front_app([app.base_url for app in apps])
    supervisor = WorkerSupervisor(
        apps,
        make_worker=make_app,
        on_down=front.transport.mark_down,
        on_up=lambda i, url: front.transport.mark_up(i, url=url),
        backoff=RestartBackoff(initial_s=0.2),
    )
    supervisor.start()
    worker = _start_worker(settings)
    try:
        with (
            serve_in_thread(front) as base_url,
            httpx.Client(base_url=base_url, timeout=30.0) as client,
        ):
            _run_and_check(client, base_url, supervisor, schema, prefix)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        supervisor.close()


def _run_and_check(
    client: httpx.Client, base_url: str, supervisor: WorkerSupervisor, schema: str, prefix: str
) -> None:
    authors = [register_user(client, f"author{a}") for a in range(WRITERS)]
    reader = register_user(client, "reader")
    author_ids = [
        client.get("/api/v1/accounts/verify_credentials", headers=h).json()["id"] for h in authors
    ]
    reader_id = client.get("/api/v1/accounts/verify_credentials", headers=reader).json()["id"]
    for author_id in author_ids:
        reply = client.post(f"/api/v1/accounts/{author_id}/follow", headers=reader)
        assert reply.status_code == 200, reply.text
    for headers in (reader, *authors):  # everyone reads once: active, timelines built
        assert client.get("/api/v1/timelines/home", headers=headers).status_code == 200

    stop = threading.Event()
    writers = [_Writer(base_url, h, a, stop) for a, h in enumerate(authors)]
    threads = [threading.Thread(target=w.run, daemon=True) for w in writers]
    for t in threads:
        t.start()

    def acked() -> int:
        return sum(len(w.acks) for w in writers)

    wait_until(lambda: acked() >= KILL_AFTER_ACKS, "posts before the kill", 60.0)
    victim = supervisor.processes()[0]
    assert victim.pid is not None
    killed_at = time.monotonic()
    os.kill(victim.pid, signal.SIGKILL)
    load_end = killed_at + LOAD_CAP_S
    back_at: float | None = None
    acked_at_return = 0
    while time.monotonic() < load_end and acked() < MAX_POSTS and not any(w.error for w in writers):
        back = supervisor.restarts()[0] >= 1 and supervisor.states()[0] == "running"
        if back_at is None and back:
            back_at, acked_at_return = time.monotonic(), acked()
        if back_at is not None and acked() >= acked_at_return + ACKS_AFTER_RETURN:
            break
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(POST_DEADLINE_S + 10)
    assert [w.error for w in writers] == [None] * WRITERS
    assert not any(t.is_alive() for t in threads)
    assert back_at is not None, "the supervisor did not bring the killed process back"

    acks = {text: ack for w in writers for text, ack in w.acks.items()}
    # The surviving instance (worker id 1) kept acknowledging while its peer was down.
    during = [a for a in acks.values() if killed_at < a.at < back_at]
    assert any(decode(int(a.status_id)).worker_id == 1 for a in during), len(during)

    # No duplicates: one row per Idempotency-Key, and no row nobody was told about.
    with psycopg.connect(POSTGRES_URL) as conn:
        rows = conn.execute(
            sql.SQL("SELECT text, count(*), min(id) FROM {} GROUP BY text").format(
                sql.Identifier(schema, "statuses")
            )
        ).fetchall()
    assert {str(text): (int(n), str(sid)) for text, n, sid in rows} == {
        text: (1, ack.status_id) for text, ack in acks.items()
    }

    # Nothing acknowledged is lost: readable, and in the author's own timelines.
    for text, ack in acks.items():
        got = client.get(f"/api/v1/statuses/{ack.status_id}", headers=reader)
        assert got.status_code == 200, got.text
        assert got.json()["content"] == f"<p>{text}</p>"
    for writer, author_id in zip(writers, author_ids, strict=True):
        own = sorted(a.status_id for a in writer.acks.values())
        posted = _pages(client, f"/api/v1/accounts/{author_id}/statuses", writer.headers)
        assert sorted(posted) == own

    # Delivered exactly once to the active follower, by the worker, once it has drained.
    expected = sorted(a.status_id for a in acks.values())
    key = f"{prefix}tl:{reader_id}"
    wait_until(lambda: redis_client().zcard(key) >= len(expected), "the worker's fan-out", 60.0)
    log = RedisStreamLog(REDIS_URL, prefix=prefix)
    try:
        wait_until(lambda: log.pending() == 0 and log.undelivered() == 0, "the log to drain", 60.0)
    finally:
        log.close()
    assert sorted(str(int(m)) for m in redis_client().zrange(key, 0, -1)) == expected
    home = _pages(client, "/api/v1/timelines/home", reader)
    assert len(home) == len(set(home))
    assert sorted(home) == expected
    for writer in writers:  # the authors' own home timelines hold their posts, once
        own_home = _pages(client, "/api/v1/timelines/home", writer.headers)
        assert sorted(own_home) == sorted(a.status_id for a in writer.acks.values())
