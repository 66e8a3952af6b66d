"""Fixtures: a PostgreSQL schema and a Redis key prefix of each test's own, both removed."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from tests.reference_app.log._services import (
    REDIS_URL,
)
from tests.reference_app.storage_pg._postgres import (
    drop_schema,
    make_postgres_store,
    new_schema_name,
)
from twitterdesign.reference_app.log import RedisStreamLog
from twitterdesign.reference_app.storage.postgres import PostgresStore


@pytest.fixture
def schema() -> Iterator[str]:
    """A fresh PostgreSQL schema name, dropped after the test."""
    name = new_schema_name()
    yield name
    with contextlib.suppress(Exception):
        drop_schema(name)


@pytest.fixture
def pg_store(schema: str) -> Iterator[PostgresStore]:
    """A migrated `PostgresStore` in the test's schema (skips without PostgreSQL)."""
    s = make_postgres_store(schema, max_size=8)
    yield s
    s.close()


@pytest.fixture
def redis_log(prefix: str) -> Iterator[RedisStreamLog]:
    """A `RedisStreamLog` under the test's prefix."""
    log = RedisStreamLog(REDIS_URL, prefix=prefix)
    yield log
    log.close()
