"""The connection pool, one transaction per unit of work, and the migrations runner.

Every pooled connection is in autocommit mode: a single read is its own implicit
transaction, and a unit of work that writes opens an explicit one with `Connected._tx`
(READ COMMITTED, PostgreSQL's default). ``schema`` pins ``search_path`` on every connection,
so tests (or several apps sharing one database) isolate themselves in their own schema.
"""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool

from twitterdesign._validate import check_int, check_number
from twitterdesign.errors import InvalidParameterError, TwitterDesignError
from twitterdesign.reference_app.storage import _sql
from twitterdesign.reference_app.storage._records import Page
from twitterdesign.reference_app.storage.postgres._migrations import MIGRATIONS

__all__ = [
    "Connected",
    "DatabaseUnavailableError",
    "has_nul",
    "mask_password",
    "open_pool",
    "page_sql",
    "run_migrations",
]

T = TypeVar("T")
_RETRIES = 4  # attempts of a unit of work that PostgreSQL aborted as a deadlock victim
_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
# Advisory-lock namespace for migrations: two app instances starting together take the
# same lock (per schema), so exactly one applies each version and the other sees it done.
_MIGRATION_LOCK = "twitterdesign.migrate:"


class DatabaseUnavailableError(TwitterDesignError, ConnectionError):
    """The PostgreSQL server cannot be reached (the message names the masked URL)."""


def mask_password(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``.

    Examples:
        >>> mask_password("postgresql://ada:s3cret@db:5432/app")
        'postgresql://ada:***@db:5432/app'
        >>> mask_password("host=db password=s3cret dbname=app")
        'host=db password=*** dbname=app'
    """
    if "://" in url:
        parts = urlsplit(url)
        if parts.password is not None:
            host = parts.netloc.rsplit("@", 1)[1]
            user = parts.username or ""
            parts = parts._replace(netloc=f"{user}:***@{host}")
        query = re.sub(r"(?i)(password=)[^&]*", r"\1***", parts.query)
        return urlunsplit(parts._replace(query=query))
    return re.sub(r"(?i)(password\s*=\s*)('[^']*'|\S+)", r"\1***", url)


def _configure(schema: str | None) -> Any:
    def configure(conn: psycopg.Connection[Any]) -> None:
        if schema is not None:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))

    return configure


FRESH_S = 2.0
"""A pooled connection returned this recently is handed out again without a ping."""


class _FreshnessCheck:
    """The pool's check on checkout: ping only a connection that has been idle a while.

    psycopg_pool's `ConnectionPool.check_connection` costs a round trip on *every*
    checkout, and a request makes several (one per read): a home timeline page paid five
    pings for five queries. A connection back in the pool for less than `FRESH_S` was
    just used successfully, so it is handed out as is; one idle for longer — long enough
    to have been closed by a server restart or an idle-session timeout — is pinged, and
    replaced if it does not answer. A connection killed within `FRESH_S` of its last use
    fails its next query instead, which the app answers with 503 and ``Retry-After``
    while the pool replaces the connection.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._returned_at: weakref.WeakKeyDictionary[psycopg.Connection[Any], float] = (
            weakref.WeakKeyDictionary()
        )

    def returned(self, conn: psycopg.Connection[Any]) -> None:
        """The pool's ``reset`` callback: remember when ``conn`` came back."""
        self._returned_at[conn] = self._clock()

    def check(self, conn: psycopg.Connection[Any]) -> None:
        """The pool's ``check`` callback: raise if an idle connection does not answer."""
        returned = self._returned_at.get(conn)
        if returned is not None and self._clock() - returned < FRESH_S:
            return
        ConnectionPool.check_connection(conn)


def open_pool(
    url: str,
    *,
    schema: str | None,
    min_size: int,
    max_size: int,
    connect_timeout_s: float,
    pool_timeout_s: float = 5.0,
) -> ConnectionPool[psycopg.Connection[Any]]:
    """Validate the arguments, check the server answers, and open a pool.

    ``pool_timeout_s`` bounds how long a caller waits for a connection (psycopg's default,
    30 s, would hold every request that long while the server is down), and
    ``connect_timeout_s`` each connection attempt the pool makes in the background.

    Raises:
        InvalidParameterError: A malformed URL, schema name or pool size.
        DatabaseUnavailableError: The server cannot be reached or refuses the login.
    """
    masked = mask_password(url)
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError as exc:
        raise InvalidParameterError("url", masked, "a PostgreSQL URL or conninfo") from exc
    if schema is not None and not _SCHEMA_NAME.fullmatch(schema):
        raise InvalidParameterError("schema", schema, "an identifier matching [A-Za-z_]\\w{0,62}")
    check_int("min_size", min_size, minimum=1)
    check_int("max_size", max_size, minimum=min_size)
    check_number("pool_timeout_s", pool_timeout_s, minimum=0.0, min_inclusive=False)
    try:
        # One direct connection first: libpq's own message ("connection refused",
        # "password authentication failed") is clearer than a pool timeout.
        psycopg.connect(url, connect_timeout=max(1, round(connect_timeout_s))).close()
    except psycopg.Error as exc:
        reason = str(exc).strip().replace(url, masked)
        raise DatabaseUnavailableError(
            f"cannot connect to PostgreSQL at {masked}: {reason}"
        ) from exc
    freshness = _FreshnessCheck()
    kwargs: dict[str, Any] = {"autocommit": True}
    if "connect_timeout" not in params:  # a URL's own value wins
        kwargs["connect_timeout"] = max(1, round(connect_timeout_s))
    pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        kwargs=kwargs,
        configure=_configure(schema),
        timeout=pool_timeout_s,
        check=freshness.check,
        reset=freshness.returned,
        open=False,
        name=f"twitterdesign:{schema or 'public'}",
    )
    pool.open(wait=True, timeout=connect_timeout_s)
    return pool


def run_migrations(pool: ConnectionPool[psycopg.Connection[Any]], schema: str | None) -> int:
    """Create the schema if needed and apply every missing migration; return the version.

    Everything runs in one transaction holding a transaction-level advisory lock keyed on
    the schema: a second app instance starting at the same moment blocks on the lock, then
    finds every version recorded and applies nothing.
    """
    with pool.connection() as conn, conn.transaction():
        target = schema
        if target is None:  # the server's search_path decides
            row = conn.execute("SELECT current_schema()").fetchone()
            target = str(row[0]) if row and row[0] is not None else "public"
        conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (_MIGRATION_LOCK + target,)
        )
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(target)))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        done = {int(r[0]) for r in conn.execute("SELECT version FROM schema_migrations")}
        for version, statements in enumerate(MIGRATIONS, start=1):
            if version in done:
                continue
            for statement in statements:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations(version) VALUES (%s)", (version,))
        return len(MIGRATIONS)


def page_sql(page: Page, column: str) -> tuple[str, list[Any], bool]:
    """Return (where-and-order-limit SQL, params, ascending) for a Mastodon page."""
    return _sql.page_sql(page, column, mark="%s")


def has_nul(*values: str | None) -> bool:
    """Return True if any value holds a NUL character (PostgreSQL text cannot store one)."""
    return any(v is not None and "\x00" in v for v in values)


class Connected:
    """The pool and the two ways to use it; every area mixin builds on this."""

    _pool: ConnectionPool[psycopg.Connection[Any]]

    @contextmanager
    def _tx(self) -> Iterator[psycopg.Connection[Any]]:
        """One unit of work: a pooled connection inside one transaction."""
        with self._pool.connection() as conn, conn.transaction():
            yield conn

    def _q(
        self, query: str, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[tuple[Any, ...]]:
        """Run one read on a pooled connection (its own implicit transaction)."""
        with self._pool.connection() as conn:
            return conn.execute(query, params).fetchall()

    def _retry(self, unit: Callable[[], T]) -> T:
        """Run a unit of work, again if PostgreSQL chose it as a deadlock victim.

        Units lock rows in a fixed order where they can (counters of the parent before
        the new row, accounts by id), but two units touching the same rows from different
        ends (a reply and the deletion of its parent) can still deadlock; the victim's
        transaction was rolled back entirely, so running it again is safe.
        """
        for attempt in range(1, _RETRIES + 1):
            try:
                return unit()
            except (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure):
                if attempt == _RETRIES:
                    raise
                time.sleep(0.005 * attempt)
        raise AssertionError("unreachable")  # pragma: no cover
