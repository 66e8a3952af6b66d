"""``database_url=postgresql://…``: the factory opens PostgreSQL, or fails with a clear error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.reference_app._engines import postgres_url
from tests.reference_app._live import free_port
from tests.reference_app.conftest import make_settings
from tests.reference_app.storage_pg._postgres import (
    POSTGRES_URL,
    drop_schema,
    new_schema_name,
    require_postgres,
)
from twitterdesign.reference_app.services import Services
from twitterdesign.reference_app.services._factory import open_store, postgres_schema_of
from twitterdesign.reference_app.storage.postgres import DatabaseUnavailableError, PostgresStore


def test_schema_parameter_is_ours_and_the_rest_goes_to_libpq() -> None:
    url, schema = postgres_schema_of(
        "postgresql://u:p@db:5432/tw?sslmode=disable&schema=tw_app&application_name=x"
    )
    assert schema == "tw_app"
    assert url == "postgresql://u:p@db:5432/tw?sslmode=disable&application_name=x"
    assert postgres_schema_of("postgresql://db/tw?schema=") == ("postgresql://db/tw", None)


def _tables_in(schema: str) -> set[str]:
    with psycopg.connect(POSTGRES_URL) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,),
        ).fetchall()
    return {str(r[0]) for r in rows}


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_a_postgresql_url_opens_a_postgres_store_in_its_schema(scheme: str) -> None:
    require_postgres()
    schema = new_schema_name()
    url = postgres_url(schema).replace("postgresql://", f"{scheme}://", 1)
    try:
        store = open_store(url, pool_size=3)
        try:
            assert isinstance(store, PostgresStore)
            assert store.blocking_io is True
            assert store._pool.max_size == 3
        finally:
            store.close()
        assert {"statuses", "accounts"} <= _tables_in(schema)
    finally:
        drop_schema(schema)


def test_services_on_postgres_are_blocking_and_sized_by_settings(tmp_path: Path) -> None:
    require_postgres()
    schema = new_schema_name()
    settings = make_settings(tmp_path, database_url=postgres_url(schema), database_pool_size=5)
    try:
        services = Services(settings)
        try:
            assert services.blocking_io is True
            assert services.store._pool.max_size == 5  # type: ignore[attr-defined]
        finally:
            services.close()
    finally:
        drop_schema(schema)


def test_an_unreachable_server_names_the_url_with_the_password_masked(tmp_path: Path) -> None:
    url = f"postgresql://tw:hunter2@127.0.0.1:{free_port()}/tw"
    with pytest.raises(DatabaseUnavailableError) as caught:
        Services(make_settings(tmp_path, database_url=url))
    message = str(caught.value)
    assert "postgresql://tw:***@127.0.0.1" in message
    assert "hunter2" not in message


def test_serve_exits_with_one_line_when_the_database_is_unreachable(tmp_path: Path) -> None:
    url = f"postgresql://tw:hunter2@127.0.0.1:{free_port()}/tw"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "twitterdesign", "serve", "--port", "0"),
            *("--data-dir", str(tmp_path), "--database-url", url),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "cannot connect to PostgreSQL at postgresql://tw:***@127.0.0.1" in done.stderr
    assert "Traceback" not in done.stderr
    assert "hunter2" not in done.stderr + done.stdout
