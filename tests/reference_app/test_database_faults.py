"""PostgreSQL faults under a served app: a backend killed mid-query, and the server gone.

`test_database_unavailable` kills idle pooled connections, which the pool's check hides
(a dead idle connection is replaced before it is lent). Here a query is in flight when
its backend dies: the test takes locks on the served app's ``statuses`` and
``fanout_log`` tables in a connection of its own, so a home-timeline read, a status post,
the view-count flush and the in-app fan-out thread all block *inside* a query; then it
terminates every backend of the app (found by its ``application_name``) and releases the
locks. The second test cuts a loopback proxy between the app and PostgreSQL, so no
connection can be opened at all for a while.

What the app does, and what is asserted: each request answers a clean 503 JSON error
with ``Retry-After: 1`` (no automatic retry, not even for a read: the client decides),
in bounded time; a post whose connection died was rolled back with it, so its retry
with the same ``Idempotency-Key`` creates exactly one status; the next requests succeed
without a restart; and the background threads, whose queries died the same way, carry
on: fan-out delivers new posts and the buffered views are stored after all.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from psycopg import sql

from tests.reference_app._engines import postgres_url
from tests.reference_app._live import register_user, wait_until
from tests.reference_app._proxy import TcpProxy
from tests.reference_app.conftest import make_settings
from tests.reference_app.storage_pg._postgres import (
    POSTGRES_URL,
)
from twitterdesign.reference_app.server import ServerProcess

pytestmark = pytest.mark.slow


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


def _stored_views(admin: psycopg.Connection[tuple[object, ...]], schema: str, sid: str) -> int:
    row = admin.execute(
        sql.SQL("SELECT views_count FROM {} WHERE id = %s").format(
            sql.Identifier(schema, "statuses")
        ),
        (int(sid),),
    ).fetchone()
    assert row is not None
    return int(str(row[0]))


def test_a_query_in_flight_when_its_backend_dies_answers_503_then_the_app_recovers(
    tmp_path: Path, schema: str
) -> None:
    app_name = f"td_midq_{uuid.uuid4().hex[:12]}"
    settings = make_settings(
        tmp_path,
        database_url=postgres_url(schema, application_name=app_name),
        database_pool_size=4,
        view_flush_interval_s=0.2,
        sketch_persist_interval_s=0.2,
    )
    with (
        ServerProcess(settings) as server,
        httpx.Client(base_url=server.base_url, timeout=60) as client,
        psycopg.connect(POSTGRES_URL, autocommit=True, application_name="td_test_admin") as admin,
    ):
        ada = register_user(client, "ada")
        bob = register_user(client, "bob")
        cy = register_user(client, "cy")  # bob does not follow cy: only GETs view her post
        ada_id = client.get("/api/v1/accounts/verify_credentials", headers=ada).json()["id"]
        assert client.post(f"/api/v1/accounts/{ada_id}/follow", headers=bob).status_code == 200
        assert client.get("/api/v1/timelines/home", headers=bob).status_code == 200  # active
        first = client.post("/api/v1/statuses", headers=ada, json={"status": "first"}).json()
        viewed = client.post("/api/v1/statuses", headers=cy, json={"status": "viewed"}).json()

        def home() -> list[str]:
            reply = client.get("/api/v1/timelines/home", headers=bob)
            assert reply.status_code == 200, reply.text
            return [s["id"] for s in reply.json()]

        wait_until(lambda: home() == [first["id"]], "the first post in bob's home timeline")
        # Rendering the new status counted one view; wait until it is stored.
        wait_until(lambda: _stored_views(admin, schema, viewed["id"]) == 1, "the first view")

        key = {"Idempotency-Key": "during-the-drop"}
        post_body = {"status": "posted while the database dropped"}
        with psycopg.connect(POSTGRES_URL, application_name="td_test_locker") as locker:
            # EXCLUSIVE lets plain reads through but stops writes and FOR UPDATE: three
            # views are served and buffered, and their flush blocks inside its query.
            locker.execute(
                sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(
                    sql.Identifier(schema, "statuses")
                )
            )
            for _ in range(3):
                got = client.get(f"/api/v1/statuses/{viewed['id']}", headers=bob)
                assert got.status_code == 200, got.text
            # Now nothing gets through, not even the read and the fan-out thread's poll.
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
                    and any(q.startswith("SELECT") and "FROM statuses" in q for q in queries)
                    and any("FOR UPDATE" in q for q in queries)  # the views' flush
                    and any("fanout_log" in q for q in queries)  # the fan-out thread's poll
                )

            wait_until(all_blocked, "the read, the write, the flush and the fan-out to block")
            assert read.reply is None
            assert write.reply is None
            assert _terminate(admin, app_name) >= 4
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
        # The background threads lost their connections mid-query too, and carry on: the
        # fan-out delivers new posts, and the views whose flush died are stored after all.
        later = client.post("/api/v1/statuses", headers=ada, json={"status": "later"}).json()
        expected = [later["id"], retried.json()["id"], first["id"]]
        wait_until(lambda: home() == expected, "fan-out to deliver after the drop")
        wait_until(lambda: _stored_views(admin, schema, viewed["id"]) == 4, "the buffered views")
        assert server.poll() is None


def test_an_unreachable_database_answers_503_in_bounded_time_then_the_app_recovers(
    tmp_path: Path, schema: str
) -> None:
    """PostgreSQL goes away (a proxy in front of it is cut), then comes back.

    Every connection drops and no new one can be opened, so the pool has nothing to
    lend: a request waits for the pool's timeout (5 s, not psycopg's 30 s default, hence
    the client's 20 s budget: beyond that a request counts as hung), then answers 503.
    """
    target = urlsplit(POSTGRES_URL)
    with TcpProxy(target.hostname or "127.0.0.1", target.port or 5432) as proxy:
        credentials, at, _ = target.netloc.rpartition("@")
        url = target._replace(netloc=f"{credentials}{at}127.0.0.1:{proxy.port}").geturl()
        sep = "&" if "?" in url else "?"
        settings = make_settings(
            tmp_path, database_url=f"{url}{sep}schema={schema}", database_pool_size=4
        )
        with (
            ServerProcess(settings) as server,
            httpx.Client(base_url=server.base_url, timeout=20) as client,
            psycopg.connect(POSTGRES_URL, autocommit=True) as admin,  # not through the proxy
        ):
            ada = register_user(client, "ada")
            bob = register_user(client, "bob")
            ada_id = client.get("/api/v1/accounts/verify_credentials", headers=ada).json()["id"]
            assert client.post(f"/api/v1/accounts/{ada_id}/follow", headers=bob).status_code == 200
            first = client.post("/api/v1/statuses", headers=ada, json={"status": "first"}).json()

            def home() -> list[str]:
                reply = client.get("/api/v1/timelines/home", headers=bob)
                assert reply.status_code == 200, reply.text
                return [s["id"] for s in reply.json()]

            wait_until(lambda: home() == [first["id"]], "the first post in bob's home timeline")

            key = {"Idempotency-Key": "while-away"}
            post_body = {"status": "posted while the database was away"}
            assert proxy.cut() >= 1
            requests = [
                _Request(lambda: client.get("/api/v1/timelines/home", headers=bob)),
                _Request(
                    lambda: client.post("/api/v1/statuses", headers={**ada, **key}, json=post_body)
                ),
                _Request(lambda: client.get("/healthz")),  # a load balancer sees it down
            ]
            for request in requests:
                request.start()
            for request in requests:
                request.join(30)
                assert request.error is None, request.error  # a timeout: the request hung
                assert request.reply is not None
                assert request.reply.status_code == 503, request.reply.text
                assert request.reply.headers["retry-after"] == "1"
                assert request.reply.json() == {
                    "error": "the database is unavailable; retry shortly"
                }

            proxy.restore()
            wait_until(lambda: client.get("/healthz").status_code == 200, "the database again")
            retried = client.post("/api/v1/statuses", headers={**ada, **key}, json=post_body)
            assert retried.status_code == 200, retried.text
            count = admin.execute(
                sql.SQL("SELECT count(*) FROM {} WHERE text = %s").format(
                    sql.Identifier(schema, "statuses")
                ),
                (post_body["status"],),
            ).fetchone()
            assert count == (1,)
            later = client.post("/api/v1/statuses", headers=ada, json={"status": "later"}).json()
            expected = [later["id"], retried.json()["id"], first["id"]]
            wait_until(lambda: home() == expected, "fan-out to deliver after the outage")
            assert server.poll() is None
