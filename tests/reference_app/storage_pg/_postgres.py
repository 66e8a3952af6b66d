"""Opening and dropping throwaway PostgreSQL stores for tests (reusable by contract suites).

``make_postgres_store(schema)`` opens a `PostgresStore` in its own schema (created on
open); ``drop_schema(schema)`` removes it. The server is the one named by
``TWITTERDESIGN_TEST_POSTGRES_URL`` (default: a local ``test`` database); when it cannot
be reached, `require_postgres` skips the calling test with the reason and the URL.
"""

from __future__ import annotations

import functools
import os
import uuid

import psycopg
import pytest
from psycopg import sql

from twitterdesign.reference_app.storage.postgres import PostgresStore, mask_password

__all__ = [
    "POSTGRES_URL",
    "drop_schema",
    "make_postgres_store",
    "new_schema_name",
    "require_postgres",
    "truncate_all",
]

POSTGRES_URL = os.environ.get(
    "TWITTERDESIGN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@functools.cache
def _unreachable_reason() -> str | None:
    try:
        psycopg.connect(POSTGRES_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return (
            f"PostgreSQL is not reachable at {mask_password(POSTGRES_URL)} "
            f"(set TWITTERDESIGN_TEST_POSTGRES_URL): {first_line}"
        )
    return None


def require_postgres() -> None:
    """Skip the calling test when the test server cannot be reached."""
    reason = _unreachable_reason()
    if reason is not None:
        pytest.skip(reason)


def new_schema_name() -> str:
    """Return a fresh schema name, ``td_test_<uuid hex>``."""
    return f"td_test_{uuid.uuid4().hex}"


def make_postgres_store(schema: str, **kwargs: object) -> PostgresStore:
    """Open a `PostgresStore` in ``schema`` on the test server (skips if unreachable)."""
    require_postgres()
    return PostgresStore(POSTGRES_URL, schema=schema, **kwargs)  # type: ignore[arg-type]


def drop_schema(schema: str) -> None:
    """Drop ``schema`` and everything in it (a no-op when it does not exist)."""
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def truncate_all(schema: str) -> None:
    """Empty every table of ``schema`` (a reset between hypothesis examples).

    DELETE, not TRUNCATE: on a few rows it is several times faster (TRUNCATE swaps
    every table's files).
    """
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s "
                "AND tablename <> 'schema_migrations'",
                (schema,),
            ).fetchall()
        ]
        with conn.transaction():
            for table in sorted(tables, key=lambda t: t == "accounts"):  # FKs point at it
                conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
            conn.execute("ALTER SEQUENCE fanout_pos RESTART")
            conn.execute("ALTER TABLE fanout_log ALTER COLUMN seq RESTART")
