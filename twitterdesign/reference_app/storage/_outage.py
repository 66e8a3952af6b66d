"""Which exceptions mean "the database or the cache went away" (not a bug).

The API answers those 503 with ``Retry-After``; background loops (the in-app fan-out)
keep their place and try again instead of skipping work. Both drivers are optional: if
one was never imported, no exception can come from it, so nothing is imported here.
"""

from __future__ import annotations

import sys

__all__ = ["outage_kind"]


def outage_kind(exc: BaseException) -> str | None:
    """Return ``"database"`` or ``"cache"`` if ``exc`` means that server went away, else None.

    A database outage is PostgreSQL's `DatabaseUnavailableError` or psycopg's
    ``OperationalError`` (a connection dropped by a server restart or
    ``pg_terminate_backend``, a pool timeout); a cache outage is `RedisUnavailableError`
    or redis-py's connection and timeout errors. The pools replace broken connections, so
    the work can simply be tried again.

    Examples:
        >>> outage_kind(ValueError("no")) is None
        True
    """
    if "psycopg" in sys.modules:
        import psycopg

        from twitterdesign.reference_app.storage.postgres import DatabaseUnavailableError

        if isinstance(exc, DatabaseUnavailableError | psycopg.OperationalError):
            return "database"
    if "redis" in sys.modules:
        import redis

        from twitterdesign.reference_app.storage.redis import RedisUnavailableError

        if isinstance(exc, RedisUnavailableError | redis.ConnectionError | redis.TimeoutError):
            return "cache"
    return None
