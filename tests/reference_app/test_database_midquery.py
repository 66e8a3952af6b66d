"""PostgreSQL drops a connection *while a query runs on it*: 503, then recovery in place.

`test_database_unavailable` kills idle pooled connections, which the pool's check hides
(a dead idle connection is replaced before it is lent). Here a query is in flight when
its backend dies: the test takes ``ACCESS EXCLUSIVE`` locks on the served app's
``statuses`` and ``fanout_log`` tables in a connection of its own, so a home-timeline
read, a status post and the in-app fan-out thread all block *inside* a query; then it
terminates every backend of the app (found by its ``application_name``) and releases the
locks.

What the app does, and what is asserted: each blocked request answers a clean 503 JSON
error with ``Retry-After: 1`` (no automatic retry, not even for the read: the client
decides), the post was rolled back with its connection, so its retry with the same
``Idempotency-Key`` creates exactly one status; the very next requests succeed without a
restart, and the fan-out thread, whose poll died the same way, still delivers new posts.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql

from tests.reference_app._engines import postgres_url
from tests.reference_app._live import register_user
from tests.reference_app.conftest import make_settings
from tests.reference_app.storage_pg._postgres import (
    POSTGRES_URL,
    drop_schema,
    new_schema_name,
    require_postgres,
)
from twitterdesign.reference_app.server import ServerProcess

pytestmark = pytest.mark.slow


def _wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _blocked_queries(conn: psycopg.Connection[tuple[object, ...]], app: str) -> list[str]:
    """The queries of the app's backends that wait on a lock now."""
    rows = conn.execute(
        "SELECT query FROM pg_stat_activity WHERE application_name = %s "
        "AND wait_event_type = 'Lock'",
        (app,),
    ).fetchall()
    return [str(r[0]) for r in rows]


def _terminate(conn: psycopg.Connection[tuple[object, ...]], app: str) -> int:
    rows = conn.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE application_name = %s AND pid <> pg_backend_pid()",
        (app,),
    ).fetchall()
    return sum(bool(r[0]) for r in rows)


class _Request(threading.Thread):
    """One HTTP request on a thread of its own (it will block inside the app)."""

    def __init__(self, send: Callable[[], httpx.Response]) -> None:
        super().__init__(daemon=True)
        self._send = send
        self.reply: httpx.Response | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.reply = self._send()
        except BaseException as exc:  # reported by the test
            self.error = exc


@pytest.fixture
def schema() -> Iterator[str]:
    require_postgres()
    name = new_schema_name()
    yield name
    drop_schema(name)


def test_a_query_in_flight_when_its_backend_dies_answers_503_then_the_app_recovers(
    tmp_path: Path, schema: str
) -> None:
    app_name = f"td_midq_{uuid.uuid4().hex[:12]}"
    settings = make_settings(
        tmp_path,
        database_url=postgres_url(schema, application_name=app_name),
        database_pool_size=4,
    )
    with (
        ServerProcess(settings) as server,
        httpx.Client(base_url=server.base_url, timeout=60) as client,
        psycopg.connect(POSTGRES_URL, autocommit=True, application_name="td_test_admin") as admin,
    ):
        ada = register_user(client, "ada")
        bob = register_user(client, "bob")
        ada_id = client.get("/api/v1/accounts/verify_credentials", headers=ada).json()["id"]
        assert client.post(f"/api/v1/accounts/{ada_id}/follow", headers=bob).status_code == 200
        assert client.get("/api/v1/timelines/home", headers=bob).status_code == 200  # active
        first = client.post("/api/v1/statuses", headers=ada, json={"status": "first"}).json()

        def home() -> list[str]:
            reply = client.get("/api/v1/timelines/home", headers=bob)
            assert reply.status_code == 200, reply.text
            return [s["id"] for s in reply.json()]

        _wait_for(lambda: home() == [first["id"]], "the first post in bob's home timeline")

        key = {"Idempotency-Key": "during-the-drop"}
        post_body = {"status": "posted while the database dropped"}
        with psycopg.connect(POSTGRES_URL, application_name="td_test_locker") as locker:
            locker.execute(
                sql.SQL("LOCK TABLE {}, {} IN ACCESS EXCLUSIVE MODE").format(
                    sql.Identifier(schema, "statuses"), sql.Identifier(schema, "fanout_log")
                )
            )
            read = _Request(lambda: client.get("/api/v1/timelines/home", headers=bob))
            write = _Request(
                lambda: client.post("/api/v1/statuses", headers={**ada, **key}, json=post_body)
            )
            read.start()
            write.start()

            def all_blocked() -> bool:
                queries = _blocked_queries(admin, app_name)
                return (
                    any("INSERT INTO statuses" in q for q in queries)  # the post
                    and any(q.startswith("SELECT") and "statuses" in q for q in queries)  # read
                    and any("fanout_log" in q for q in queries)  # the fan-out thread's poll
                )

            _wait_for(all_blocked, "the read, the write and the fan-out poll to block")
            assert read.reply is None
            assert write.reply is None
            assert _terminate(admin, app_name) >= 3
            locker.rollback()  # release the locks
        read.join(30)
        write.join(30)
        assert not read.is_alive(), "the read hung"
        assert not write.is_alive(), "the write hung"
        for request in (read, write):
            assert request.error is None, request.error
            assert request.reply is not None
            assert request.reply.status_code == 503, request.reply.text
            assert request.reply.headers["retry-after"] == "1"
            assert request.reply.json() == {"error": "the database is unavailable; retry shortly"}

        # Recovery in place: the same process answers the very next requests.
        assert client.get("/healthz").status_code == 200
        assert home() == [first["id"]]
        retried = client.post("/api/v1/statuses", headers={**ada, **key}, json=post_body)
        assert retried.status_code == 200, retried.text
        again = client.post("/api/v1/statuses", headers={**ada, **key}, json=post_body)
        assert again.json()["id"] == retried.json()["id"]
        count = admin.execute(
            sql.SQL("SELECT count(*) FROM {} WHERE text = %s").format(
                sql.Identifier(schema, "statuses")
            ),
            (post_body["status"],),
        ).fetchone()
        assert count == (1,)
        # The in-app fan-out thread lost its connection mid-poll too, and still delivers.
        later = client.post("/api/v1/statuses", headers=ada, json={"status": "later"}).json()
        expected = [later["id"], retried.json()["id"], first["id"]]
        _wait_for(lambda: home() == expected, "fan-out to deliver after the drop")
        assert server.poll() is None
