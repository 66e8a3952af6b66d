"""Opening a PostgresStore: argument checks, unreachable servers, masked passwords."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from tests.reference_app.storage_pg._postgres import POSTGRES_URL, require_postgres
from twitterdesign.errors import InvalidParameterError, TwitterDesignError
from twitterdesign.reference_app.storage.postgres import (
    DatabaseUnavailableError,
    PostgresStore,
    mask_password,
)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://ada:s3cret@db:5432/app", "postgresql://ada:***@db:5432/app"),
        ("postgresql://ada@db/app", "postgresql://ada@db/app"),
        (
            "postgresql://db/app?password=s3cret&sslmode=require",
            "postgresql://db/app?password=***&sslmode=require",
        ),
        ("host=db password='s e c' dbname=app", "host=db password=*** dbname=app"),
    ],
)
def test_mask_password(url: str, masked: str) -> None:
    assert mask_password(url) == masked


def test_a_malformed_url_is_an_invalid_parameter() -> None:
    with pytest.raises(InvalidParameterError, match="url"):
        PostgresStore("not a url at all")


def test_an_unreachable_server_names_the_url_without_its_password() -> None:
    url = "postgresql://ada:s3cret@127.0.0.1:1/test"
    with pytest.raises(DatabaseUnavailableError) as info:
        PostgresStore(url, connect_timeout_s=2)
    assert isinstance(info.value, TwitterDesignError)
    assert "postgresql://ada:***@127.0.0.1:1/test" in str(info.value)
    assert "s3cret" not in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"schema": "bad-name"}, "schema"),
        ({"schema": "x; DROP TABLE accounts"}, "schema"),
        ({"min_size": 0}, "min_size"),
        ({"min_size": 3, "max_size": 2}, "max_size"),
    ],
)
def test_bad_arguments_are_refused_before_connecting(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(InvalidParameterError, match=name):
        PostgresStore(POSTGRES_URL, **kwargs)  # type: ignore[arg-type]


def test_a_store_without_its_own_schema_refuses_to_drop_one(schema: str) -> None:
    require_postgres()
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    # schema=None: the server's search_path decides (here, through the URL's options).
    joiner = "&" if "?" in POSTGRES_URL else "?"
    store = PostgresStore(f"{POSTGRES_URL}{joiner}options=-csearch_path%3D{schema}")
    try:
        assert store.count_accounts() == 0
        with pytest.raises(InvalidParameterError, match="schema"):
            store.drop_schema()
    finally:
        store.close()


def test_schemas_isolate_stores(store: PostgresStore, store_factory: object) -> None:
    from tests.reference_app.storage_pg._postgres import (
        drop_schema,
        make_postgres_store,
        new_schema_name,
    )

    store.create_user(1, "ada", "a@x.org", "h", 0)
    other_schema = new_schema_name()
    other = make_postgres_store(other_schema)
    try:
        assert other.count_accounts() == 0
        other.create_user(1, "ada", "a@x.org", "h", 0)  # no clash across schemas
    finally:
        other.close()
        drop_schema(other_schema)


def test_close_releases_the_pool(schema: str) -> None:
    from tests.reference_app.storage_pg._postgres import make_postgres_store

    store = make_postgres_store(schema)
    store.close()
    with pytest.raises(Exception, match="closed"):
        store.count_accounts()
