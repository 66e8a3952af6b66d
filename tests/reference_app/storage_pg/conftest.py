"""Fixtures: a `PostgresStore` in a schema of its own per test, dropped afterwards."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest

from tests.reference_app.storage_pg._postgres import (
    drop_schema,
    make_postgres_store,
    new_schema_name,
)
from twitterdesign.reference_app.storage.postgres import PostgresStore


@pytest.fixture
def schema() -> Iterator[str]:
    """A fresh schema name, dropped (with everything in it) after the test."""
    name = new_schema_name()
    yield name
    with contextlib.suppress(Exception):  # server gone: nothing to clean
        drop_schema(name)


@pytest.fixture
def store(schema: str) -> Iterator[PostgresStore]:
    """A migrated `PostgresStore` in its own schema."""
    s = make_postgres_store(schema, max_size=16)
    yield s
    s.close()


@pytest.fixture(scope="module")
def module_schema() -> Iterator[str]:
    """One schema shared by a module's hypothesis tests, dropped after the module."""
    name = new_schema_name()
    yield name
    with contextlib.suppress(Exception):
        drop_schema(name)


@pytest.fixture(scope="module")
def module_store(module_schema: str) -> Iterator[PostgresStore]:
    """One store shared by a module's hypothesis tests (examples use fresh ids or
    `truncate_all`)."""
    s = make_postgres_store(module_schema)
    yield s
    s.close()


@pytest.fixture
def store_factory(schema: str) -> Iterator[Callable[[], PostgresStore]]:
    """Open more stores on the same schema (closed after the test)."""
    opened: list[PostgresStore] = []

    def factory() -> PostgresStore:
        s = make_postgres_store(schema)
        opened.append(s)
        return s

    yield factory
    for s in opened:
        s.close()
