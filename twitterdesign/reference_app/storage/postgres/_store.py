"""`PostgresStore`: every area mixin on one connection pool, plus lifecycle and checks."""

from __future__ import annotations

from twitterdesign.reference_app.storage.postgres._accounts import AccountsMixin
from twitterdesign.reference_app.storage.postgres._auth import AuthMixin
from twitterdesign.reference_app.storage.postgres._bulk import PostgresBulk
from twitterdesign.reference_app.storage.postgres._connection import open_pool, run_migrations
from twitterdesign.reference_app.storage.postgres._curation import CurationMixin
from twitterdesign.reference_app.storage.postgres._edits import StatusEditsMixin
from twitterdesign.reference_app.storage.postgres._engagement import EngagementMixin
from twitterdesign.reference_app.storage.postgres._filters import FiltersMixin
from twitterdesign.reference_app.storage.postgres._graph import GraphMixin
from twitterdesign.reference_app.storage.postgres._media import MediaMixin
from twitterdesign.reference_app.storage.postgres._notifications import NotificationsMixin
from twitterdesign.reference_app.storage.postgres._relations import BlocksMutesMixin
from twitterdesign.reference_app.storage.postgres._search import SearchMixin
from twitterdesign.reference_app.storage.postgres._sketches import SketchesMixin
from twitterdesign.reference_app.storage.postgres._statuses import StatusesMixin
from twitterdesign.reference_app.storage.postgres._timelines import TimelinesMixin

__all__ = ["PostgresStore"]

# Each check names a broken invariant and counts the rows that break it (0 = healthy).
_CHECKS: tuple[tuple[str, str], ...] = (
    (
        "accounts.followers_count differs from the follow edges",
        "SELECT count(*) FROM accounts a WHERE a.followers_count <> "
        "(SELECT count(*) FROM follows f WHERE f.followee_id = a.id)",
    ),
    (
        "accounts.following_count differs from the follow edges",
        "SELECT count(*) FROM accounts a WHERE a.following_count <> "
        "(SELECT count(*) FROM follows f WHERE f.follower_id = a.id)",
    ),
    (
        "accounts.statuses_count differs from the statuses",
        "SELECT count(*) FROM accounts a WHERE a.statuses_count <> "
        "(SELECT count(*) FROM statuses s WHERE s.account_id = a.id)",
    ),
    (
        "statuses.favourites_count differs from the favourites",
        "SELECT count(*) FROM statuses s WHERE s.favourites_count <> "
        "(SELECT count(*) FROM favourites f WHERE f.status_id = s.id)",
    ),
    (
        "statuses.reblogs_count differs from the reblogs",
        "SELECT count(*) FROM statuses s WHERE s.reblogs_count <> "
        "(SELECT count(*) FROM statuses r WHERE r.reblog_of_id = s.id)",
    ),
    (
        "statuses.replies_count differs from the public and unlisted replies",
        "SELECT count(*) FROM statuses s WHERE s.replies_count <> "
        "(SELECT count(*) FROM statuses r WHERE r.in_reply_to_id = s.id "
        "AND r.visibility IN ('public', 'unlisted'))",
    ),
    (
        "a status's author does not exist",
        "SELECT count(*) FROM statuses s WHERE NOT EXISTS "
        "(SELECT 1 FROM accounts a WHERE a.id = s.account_id)",
    ),
    (
        "a login has no account",
        "SELECT count(*) FROM users u WHERE NOT EXISTS "
        "(SELECT 1 FROM accounts a WHERE a.id = u.account_id)",
    ),
    (
        "an account has no login",
        "SELECT count(*) FROM accounts a WHERE NOT EXISTS "
        "(SELECT 1 FROM users u WHERE u.account_id = a.id)",
    ),
    (
        "a media record is attached to a status that does not exist",
        "SELECT count(*) FROM media m WHERE m.status_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM statuses s WHERE s.id = m.status_id)",
    ),
    (
        "a tag or mention belongs to a status that does not exist",
        "SELECT (SELECT count(*) FROM status_tags t WHERE NOT EXISTS "
        "(SELECT 1 FROM statuses s WHERE s.id = t.status_id)) + "
        "(SELECT count(*) FROM mentions m WHERE NOT EXISTS "
        "(SELECT 1 FROM statuses s WHERE s.id = m.status_id))",
    ),
    (
        "the search vector is stale",
        "SELECT count(*) FROM statuses s WHERE s.search IS DISTINCT FROM "
        "to_tsvector('simple', s.text)",
    ),
    (
        "a bookmark points at a status that does not exist",
        "SELECT count(*) FROM bookmarks b WHERE NOT EXISTS "
        "(SELECT 1 FROM statuses s WHERE s.id = b.status_id)",
    ),
    (
        "a list holds an account its owner does not follow",
        "SELECT count(*) FROM list_accounts m JOIN lists l ON l.id = m.list_id "
        "WHERE m.account_id <> l.account_id AND NOT EXISTS (SELECT 1 FROM follows f "
        "WHERE f.follower_id = l.account_id AND f.followee_id = m.account_id)",
    ),
    (
        "a fan-out position is ahead of its sequence",
        "SELECT count(*) FROM fanout_log WHERE pos > "
        "(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM fanout_pos)",
    ),
)


class PostgresStore(
    AccountsMixin,
    AuthMixin,
    BlocksMutesMixin,
    FiltersMixin,
    GraphMixin,
    StatusesMixin,
    StatusEditsMixin,
    EngagementMixin,
    TimelinesMixin,
    SearchMixin,
    NotificationsMixin,
    MediaMixin,
    SketchesMixin,
    CurationMixin,
    PostgresBulk,
):
    """A `Store` on PostgreSQL (psycopg 3, a connection pool), for several app processes.

    Same records, orders and semantics as `SQLiteStore`; every unit of work is one
    transaction at READ COMMITTED. Migrations run on open, once even if several
    instances start together (advisory lock).

    Args:
        url: A libpq URL or conninfo, e.g. ``postgresql://user@host:5432/db``.
        schema: Keep every table in this schema (created if missing) by pinning
            ``search_path``; None uses the server's default (``public``).
        min_size: Connections the pool keeps open.
        max_size: Most connections the pool opens (one per concurrent request).
        connect_timeout_s: How long to wait for the server when opening, and for each
            new connection the pool opens later.
        pool_timeout_s: How long a unit of work waits for a pooled connection before it
            fails with ``PoolTimeout`` (an ``OperationalError``: the API answers 503).
            While the server is unreachable no connection can be lent at all, so this is
            how long each request takes to fail then; psycopg's default is 30 s.
        deferred_counters: Log favourite, reblog and reply counter changes to the counter
            outbox instead of updating the status row in the writer's transaction (no
            row lock shared by every like of a hot status); a worker applies them through
            Redis shards and flushes them back in batches (`DeferredCounterStore`,
            ``_counters.py``). Off by default: the columns are then exact at every commit.

    Raises:
        InvalidParameterError: A malformed URL, schema name or pool size.
        DatabaseUnavailableError: The server cannot be reached; the message names the URL
            with its password masked.

    Examples:
        >>> import os, uuid
        >>> url = os.environ.get(
        ...     "TWITTERDESIGN_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
        ... )
        >>> schema = "td_doc_" + uuid.uuid4().hex
        >>> try:
        ...     store = PostgresStore(url, schema=schema)
        ... except Exception:  # no server here: nothing to show
        ...     store = None
        >>> if store is not None:
        ...     assert store.create_user(1, "ada", "ada@example.org", "h", 0).username == "ada"
        ...     assert store.account_by_username("ADA").id == 1
        ...     assert store.integrity_ok()
        ...     store.drop_schema()
        ...     store.close()
    """

    blocking_io: bool = True
    """A network engine: each call waits for a round trip; callers run it off the event loop."""

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        min_size: int = 1,
        max_size: int = 10,
        connect_timeout_s: float = 10.0,
        pool_timeout_s: float = 5.0,
        deferred_counters: bool = False,
    ) -> None:
        self._schema = schema
        self.deferred_counters = deferred_counters
        self._pool = open_pool(
            url,
            schema=schema,
            min_size=min_size,
            max_size=max_size,
            connect_timeout_s=connect_timeout_s,
            pool_timeout_s=pool_timeout_s,
        )
        try:
            self._version = run_migrations(self._pool, schema)
        except BaseException:
            self._pool.close()
            raise

    def schema_version(self) -> int:
        """Return the number of migrations applied."""
        return int(self._q("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")[0][0])

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.close()

    def drop_schema(self) -> None:
        """Drop this store's schema and everything in it (tests; needs ``schema=``).

        Raises:
            InvalidParameterError: The store was opened without a schema of its own.
        """
        from psycopg import sql

        from twitterdesign.errors import InvalidParameterError

        if self._schema is None:
            raise InvalidParameterError("schema", None, "a store opened with schema=...")
        with self._tx() as conn:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self._schema))
            )

    def integrity_problems(self) -> list[str]:
        """Return every broken invariant (empty when consistent): the store's ``_check()``.

        Denormalized counters equal the rows they count, every status has its author,
        every account its login, links point at live statuses, the search vector matches
        the text, and the fan-out positions never ran ahead of their sequence. Runs in
        one REPEATABLE READ transaction so all checks see the same snapshot.
        """
        problems: list[str] = []
        with self._pool.connection() as conn:
            conn.isolation_level = None
            with conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                for what, query in _CHECKS:
                    row = conn.execute(query).fetchone()
                    n = int(row[0]) if row else 0
                    if n:
                        problems.append(f"{what} ({n} rows)")
        return problems

    def _check(self) -> None:
        """Raise AssertionError naming every broken invariant (for tests)."""
        problems = self.integrity_problems()
        if problems:
            raise AssertionError("; ".join(problems))

    def integrity_ok(self) -> bool:
        """Return True if `integrity_problems` finds nothing."""
        return not self.integrity_problems()

    def max_id(self) -> int | None:
        """Return the largest Snowflake id in any table (to seed the id generator)."""
        row = self._q(
            "SELECT GREATEST((SELECT MAX(id) FROM accounts), (SELECT MAX(id) FROM statuses), "
            "(SELECT MAX(id) FROM notifications), (SELECT MAX(id) FROM media), "
            "(SELECT MAX(id) FROM follows), (SELECT MAX(id) FROM favourites), "
            "(SELECT MAX(id) FROM apps), (SELECT MAX(id) FROM bookmarks), "
            "(SELECT MAX(id) FROM lists), (SELECT MAX(id) FROM list_accounts), "
            "(SELECT MAX(id) FROM tag_follows))"
        )
        return None if row[0][0] is None else int(row[0][0])
