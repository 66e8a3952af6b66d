"""Which database engines the client-facing suites run against: SQLite and PostgreSQL.

``TWITTERDESIGN_TEST_ENGINES`` (default ``sqlite,postgres``) names them. A module opts in
with ``pytestmark = pytest.mark.all_engines`` (the ``api`` / ``app_factory`` fixtures) or
by parametrizing a fixture of its own with `engine_params` and `database_url_for`. The
PostgreSQL variant gets a fresh schema per test (per module for module-scoped servers),
dropped afterwards, and is skipped with the reason when the server is unreachable.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.reference_app.storage_pg._postgres import (
    POSTGRES_URL,
    drop_schema,
    new_schema_name,
    require_postgres,
)

__all__ = ["ENGINES", "database_url_for", "engine_params", "postgres_url"]

_KNOWN = ("sqlite", "postgres")

ENGINES: tuple[str, ...] = tuple(
    e.strip()
    for e in os.environ.get("TWITTERDESIGN_TEST_ENGINES", "sqlite,postgres").split(",")
    if e.strip()
)
for _engine in ENGINES:
    if _engine not in _KNOWN:
        raise ValueError(f"TWITTERDESIGN_TEST_ENGINES: unknown engine {_engine!r}; use {_KNOWN}")


def engine_params() -> list[Any]:
    """Return one ``pytest.param`` per selected engine, with the engine as its id."""
    return [pytest.param(e, id=e) for e in ENGINES]


def postgres_url(schema: str, *, application_name: str | None = None) -> str:
    """Return the test server's URL with our ``schema=`` (and an ``application_name``)."""
    sep = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{sep}schema={schema}"
    if application_name is not None:
        url += f"&application_name={application_name}"
    return url


@contextmanager
def database_url_for(engine: str) -> Iterator[str | None]:
    """Yield a database URL for ``engine`` (None: SQLite in the data directory).

    For PostgreSQL: a fresh schema, dropped on exit; skips when the server is unreachable.
    """
    if engine == "sqlite":
        yield None
        return
    require_postgres()
    schema = new_schema_name()
    try:
        yield postgres_url(schema)
    finally:
        drop_schema(schema)
