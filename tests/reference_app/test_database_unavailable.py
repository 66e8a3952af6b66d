"""A lost database connection answers 503 with Retry-After, and the app recovers by itself."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.reference_app._engines import postgres_url
from tests.reference_app.conftest import Api, make_settings
from tests.reference_app.storage_pg._postgres import (
    POSTGRES_URL,
    drop_schema,
    new_schema_name,
    require_postgres,
)
from twitterdesign.reference_app import create_app
from twitterdesign.reference_app.api._errors import http_status, unavailable_error
from twitterdesign.reference_app.errors import ServiceUnavailable
from twitterdesign.reference_app.services import Services
from twitterdesign.reference_app.storage import SQLiteStore
from twitterdesign.reference_app.storage.postgres import DatabaseUnavailableError


class FlakyStore:
    """A SQLite store whose reads fail like a dropped PostgreSQL connection while ``down``."""

    def __init__(self, store: SQLiteStore, error: Exception) -> None:
        self._store = store
        self.error = error
        self.down = False
        self.blocking_io = True

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._store, name)
        if not callable(target) or name not in {"get_statuses", "public_status_ids", "get_token"}:
            return target

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                raise self.error
            return target(*args, **kwargs)

        return call


@pytest.mark.parametrize(
    "error",
    [
        psycopg.OperationalError("server closed the connection unexpectedly"),
        DatabaseUnavailableError("cannot connect to PostgreSQL at postgresql://db/tw"),
    ],
    ids=["operational-error", "database-unavailable"],
)
@pytest.mark.parametrize("rate_limits", [False, True], ids=["limits-off", "limits-on"])
def test_a_lost_database_answers_503_with_retry_after(
    tmp_path: Path, error: Exception, rate_limits: bool
) -> None:
    settings = make_settings(tmp_path, rate_limits_enabled=rate_limits)
    store = FlakyStore(SQLiteStore(tmp_path / "db.sqlite3"), error)
    services = Services(settings, store=store)  # type: ignore[arg-type]
    with TestClient(create_app(settings, services=services)) as client:
        api = Api(client)
        ada = api.register("ada")
        store.down = True
        for path, headers in (
            ("/api/v1/timelines/public", {}),  # the route's own read fails
            ("/api/v1/timelines/home", ada.headers),  # the token lookup fails
        ):
            reply = client.get(path, headers=headers)
            assert reply.status_code == 503, reply.text
            assert reply.headers["retry-after"] == "1"
            assert reply.json() == {"error": "the database is unavailable; retry shortly"}
        store.down = False
        assert client.get("/api/v1/timelines/home", headers=ada.headers).status_code == 200


def test_the_error_table_maps_unavailable_to_503() -> None:
    assert http_status(ServiceUnavailable()) == 503
    assert isinstance(unavailable_error(psycopg.OperationalError("x")), ServiceUnavailable)
    assert unavailable_error(psycopg.IntegrityError("x")) is None  # a bug, not an outage
    assert unavailable_error(RuntimeError("x")) is None


def _terminate(application_name: str) -> int:
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND application_name = %s",
            (application_name,),
        ).fetchall()
    return len(rows)


def test_the_app_recovers_after_its_connections_are_killed(tmp_path: Path) -> None:
    require_postgres()
    schema = new_schema_name()
    name = f"td_kill_{uuid.uuid4().hex[:12]}"
    url = postgres_url(schema, application_name=name)
    settings = make_settings(tmp_path, database_url=url, database_pool_size=4)
    try:
        with TestClient(create_app(settings)) as client:
            api = Api(client)
            ada = api.register("ada")
            api.post(ada, "before the restart")
            assert _terminate(name) >= 1  # only this app's connections
            # The next requests fail cleanly or succeed (the pool checks a connection
            # before lending it, so a killed idle one is usually replaced unseen).
            for _ in range(8):
                reply = client.get("/api/v1/timelines/public", headers=ada.headers)
                assert reply.status_code in (200, 503), reply.text
                if reply.status_code == 503:
                    assert reply.headers["retry-after"] == "1"
            deadline = time.monotonic() + 10
            while True:  # and shortly after, every request succeeds again
                replies = [
                    client.get("/api/v1/timelines/public", headers=ada.headers),
                    client.post("/api/v1/statuses", headers=ada.headers, json={"status": "after"}),
                ]
                if all(r.status_code == 200 for r in replies):
                    break
                assert time.monotonic() < deadline, [r.text for r in replies]
                time.sleep(0.2)
            texts = [s["content"] for s in client.get("/api/v1/timelines/public").json()]
            assert any("before the restart" in t for t in texts)
    finally:
        drop_schema(schema)
