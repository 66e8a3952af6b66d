"""One factory from settings URLs to the stores behind the services.

`Services` calls these for whatever was not injected; a cluster mode adds its schemes
here (one entry per scheme) and nowhere else. This version supports:

========================  ==================  ====================================
setting                   scheme              store
========================  ==================  ====================================
``database_url``          ``sqlite:///path``  `SQLiteStore` (WAL file)
``database_url``          ``postgresql://…``  `PostgresStore` (also ``postgres://``)
``cache_url``             ``memory://``       `InProcessTimelineStore`, in-process limits
``cache_url``             ``redis://…``       `RedisTimelineStore`, shared rate limits
``blob_url``              ``file://path``     `FileBlobStore` (``ab/cd/<sha256>``)
``blob_url``              ``memory://``       `InMemoryBlobStore` (tests)
========================  ==================  ====================================
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.services.ratelimit import (
    Limiter,
    RateLimiter,
    SharedRateLimiter,
)
from twitterdesign.reference_app.settings import Settings
from twitterdesign.reference_app.storage import (
    BlobStore,
    FileBlobStore,
    InMemoryBlobStore,
    InProcessTimelineStore,
    SQLiteStore,
    Store,
    TimelineStore,
)
from twitterdesign.reference_app.storage.rankings import InMemoryRankings, RankingStore
from twitterdesign.reference_app.storage.stream_bus import InProcessStreamBus, StreamBus

if TYPE_CHECKING:
    from twitterdesign.reference_app.storage.redis import RedisStatusCounters

__all__ = [
    "SUPPORTED_SCHEMES",
    "RateLimiters",
    "check_settings_urls",
    "counters_deferred",
    "open_blob_store",
    "open_rankings",
    "open_rate_limiters",
    "open_status_counters",
    "open_store",
    "open_stream_bus",
    "open_timeline_store",
    "postgres_schema_of",
    "redis_prefix_of",
    "url_scheme",
]

SUPPORTED_SCHEMES: dict[str, tuple[str, ...]] = {
    "database_url": ("sqlite", "postgresql", "postgres"),
    "cache_url": ("memory", "redis", "rediss", "unix"),
    "blob_url": ("file", "memory"),
}
"""The URL schemes this version opens, per setting."""

# Schemes a later cluster mode brings, named in the error so nobody hunts for a typo.
_CLUSTER_ONLY = {
    "blob_url": "s3",
}


def url_scheme(url: str) -> str:
    """Return the lowercased scheme of ``url`` ('' if it has none).

    Examples:
        >>> url_scheme("SQLite:///tmp/x.db"), url_scheme("/tmp/x")
        ('sqlite', '')
    """
    scheme, sep, _ = url.partition("://")
    return scheme.lower() if sep else ""


def _redact(url: str) -> str:
    """Hide a password in ``scheme://user:password@host`` before it goes into a message."""
    return re.sub(r"^([a-zA-Z][\w+.-]*://[^/:@]*):[^/@]*@", r"\1:***@", url)


def _unsupported(setting: str, url: str, kind: str) -> InvalidParameterError:
    supported = SUPPORTED_SCHEMES[kind]
    allowed = " or ".join(f"a {s}:// URL" for s in supported)
    later = _CLUSTER_ONLY.get(kind)
    others = f"{later}:// and other schemes" if later else "other schemes"
    return InvalidParameterError(
        setting, _redact(url), f"{allowed} ({others} are not supported by this version)"
    )


def _pop_query(url: str, name: str) -> tuple[str, str | None]:
    """Split one query parameter of ours off a URL; the rest stays for the driver."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    values = [v for k, v in pairs if k == name]
    if not values:
        return url, None
    rest = urlencode([(k, v) for k, v in pairs if k != name])
    return urlunsplit(parts._replace(query=rest)), values[-1] or None


def postgres_schema_of(url: str) -> tuple[str, str | None]:
    """Split our ``schema=`` query parameter off a PostgreSQL URL.

    libpq does not know ``schema``; every other query parameter (``sslmode``,
    ``application_name``, ``options``…) stays in the URL and goes to libpq.

    Returns:
        The URL without ``schema=``, and the schema (None when not given).

    Examples:
        >>> postgres_schema_of("postgresql://db/app?schema=tw&sslmode=require")
        ('postgresql://db/app?sslmode=require', 'tw')
        >>> postgres_schema_of("postgres://db/app")
        ('postgres://db/app', None)
    """
    return _pop_query(url, "schema")


def redis_prefix_of(url: str) -> tuple[str, str]:
    """Split our ``prefix=`` query parameter off a Redis URL (default ``td:``).

    Every key the app writes starts with the prefix, so several apps (or tests) can share
    one Redis; every other query parameter goes to redis-py.

    Examples:
        >>> redis_prefix_of("redis://cache:6379/0?prefix=tw:&socket_timeout=2")
        ('redis://cache:6379/0?socket_timeout=2', 'tw:')
        >>> redis_prefix_of("redis://cache:6379/0")
        ('redis://cache:6379/0', 'td:')
    """
    rest, prefix = _pop_query(url, "prefix")
    return rest, prefix or "td:"


def open_store(
    url: str,
    *,
    synchronous: str = "FULL",
    pool_size: int = 10,
    setting: str = "database_url",
    deferred_counters: bool = False,
) -> Store:
    """Open the database a ``database_url`` names.

    Args:
        url: ``sqlite:///<path>`` (everything after ``sqlite:///`` is the file's path),
            or ``postgresql://user:password@host:port/dbname`` (``postgres://`` too), whose
            optional ``schema=<name>`` query parameter keeps every table in that schema
            (created if missing); other query parameters go to libpq.
        synchronous: SQLite's ``synchronous`` pragma (``"FULL"`` or ``"NORMAL"``).
        pool_size: Most PostgreSQL connections (one per concurrent request).
        setting: The setting's name, for the error message.
        deferred_counters: PostgreSQL only: log counter changes to the counter outbox
            instead of updating the status row (see `counters_deferred`).

    Raises:
        InvalidParameterError: For any other scheme, or an empty path.
        DatabaseUnavailableError: PostgreSQL cannot be reached; the message names the
            URL with its password masked.
    """
    scheme = url_scheme(url)
    if scheme in ("postgresql", "postgres"):
        # Imported here: psycopg is an optional dependency (the ``cluster`` extra).
        from twitterdesign.reference_app.storage.postgres import PostgresStore

        libpq_url, schema = postgres_schema_of(url)
        return PostgresStore(
            libpq_url,
            schema=schema,
            min_size=1,
            max_size=pool_size,
            deferred_counters=deferred_counters,
        )
    if scheme != "sqlite":
        raise _unsupported(setting, url, "database_url")
    path = url.partition("://")[2].removeprefix("/")
    if not path:
        raise InvalidParameterError(setting, url, "sqlite:///<path to a database file>")
    return SQLiteStore(Path(path), synchronous=synchronous)


def open_timeline_store(
    url: str,
    *,
    capacity: int,
    inactive_after_s: float | None,
    setting: str = "cache_url",
) -> TimelineStore:
    """Open the home-timeline store a ``cache_url`` names.

    Args:
        url: ``memory://`` (this process's memory) or ``redis://host:port/db`` (also
            ``rediss://``, ``unix://``; ``?prefix=`` sets the key prefix, ``td:``).
        capacity: Ids kept per user.
        inactive_after_s: Users not active for this long get no pushes.
        setting: The setting's name, for the error message.

    Raises:
        InvalidParameterError: For any other scheme.
    """
    scheme = url_scheme(url)
    if scheme == "memory":
        return InProcessTimelineStore(capacity, inactive_after_s=inactive_after_s)
    if scheme not in SUPPORTED_SCHEMES["cache_url"]:
        raise _unsupported(setting, url, "cache_url")
    from twitterdesign.reference_app.storage.redis import RedisTimelineStore

    rest, prefix = redis_prefix_of(url)
    return RedisTimelineStore.from_url(
        rest, prefix=prefix, capacity=capacity, inactive_after_s=inactive_after_s
    )


def counters_deferred(settings: Settings) -> bool:
    """Return whether ``settings`` select the deferred (sharded, Redis) counters.

    ``counter_mode="auto"`` picks them exactly when the database is PostgreSQL and the
    cache is Redis (the cluster); ``"deferred"`` insists on them.

    Raises:
        InvalidParameterError: ``"deferred"`` without a PostgreSQL database and a Redis
            cache.

    Examples:
        >>> counters_deferred(Settings(data_dir="/tmp/x"))
        False
        >>> counters_deferred(Settings(database_url="postgresql://db/tw",
        ...                            cache_url="redis://cache:6379/0"))
        True
    """
    possible = url_scheme(settings.resolved_database_url) in ("postgresql", "postgres") and (
        url_scheme(settings.resolved_cache_url) in ("redis", "rediss", "unix")
    )
    if settings.counter_mode == "deferred" and not possible:
        raise InvalidParameterError(
            "counter_mode",
            "deferred",
            "'inline' or 'auto' unless database_url is PostgreSQL and cache_url is Redis",
        )
    return possible and settings.counter_mode != "inline"


def open_status_counters(url: str) -> RedisStatusCounters:
    """Open the sharded status counters in the Redis a ``cache_url`` names.

    Keys go under the URL's ``?prefix=`` (``td:``) then ``{cnt}:``, beside the timelines.
    """
    from twitterdesign.reference_app.storage.redis import RedisStatusCounters

    rest, prefix = redis_prefix_of(url)
    return RedisStatusCounters(rest, prefix=prefix)


@dataclass(frozen=True, slots=True)
class RateLimiters:
    """The three limits of the gateway and what closes their shared counter, if any."""

    token: Limiter
    account: Limiter
    ip: Limiter
    close: Callable[[], None]


def open_rate_limiters(settings: Settings, *, clock_s: Callable[[], float]) -> RateLimiters:
    """Open the per-token, per-account and per-IP limits for ``settings.cache_url``.

    With ``memory://`` each process counts alone (``serve --workers N`` splits the limits
    evenly); with Redis every app instance counts against one shared budget.
    """
    url = settings.resolved_cache_url
    limits = (
        ("token", settings.rate_limit_per_token),
        ("account", settings.rate_limit_per_account),
        ("ip", settings.rate_limit_per_ip),
    )
    window_s = settings.rate_limit_window_s
    if url_scheme(url) == "memory":
        alone = [RateLimiter(n, window_s, clock_s=clock_s) for _, n in limits]
        return RateLimiters(alone[0], alone[1], alone[2], close=lambda: None)
    from twitterdesign.reference_app.storage.redis import RedisWindowCounter

    rest, prefix = redis_prefix_of(url)
    counter = RedisWindowCounter.from_url(rest, prefix=f"{prefix}rl:")
    shared = [
        SharedRateLimiter(counter, n, window_s, clock_s=clock_s, name=name) for name, n in limits
    ]
    return RateLimiters(shared[0], shared[1], shared[2], close=counter.close)


def open_rankings(url: str) -> RankingStore:
    """Open where ranked home timelines keep their snapshots between pages.

    ``memory://``: in this process (the next page must come back to it, as it does in
    the embedded mode). Redis: on the cache's server, so any instance serves the next page.
    """
    if url_scheme(url) in ("", "memory"):
        return InMemoryRankings()
    from twitterdesign.reference_app.storage.redis import RedisRankings

    rest, prefix = redis_prefix_of(url)
    return RedisRankings(rest, prefix=f"{prefix}rank:")


def open_stream_bus(url: str) -> StreamBus:
    """Open the streaming API's event bus for a ``cache_url``.

    ``memory://``: within this process (the embedded mode; with ``serve --workers N``
    each process hears the statuses it fans out itself, but not another's deletes or
    notifications). Redis: pub/sub on the cache's server, shared by every app instance
    and fan-out worker of a cluster.
    """
    if url_scheme(url) in ("", "memory"):
        return InProcessStreamBus()
    from twitterdesign.reference_app.storage.redis import RedisStreamBus

    rest, prefix = redis_prefix_of(url)
    return RedisStreamBus(rest, prefix=prefix)


def open_blob_store(url: str, *, setting: str = "blob_url") -> BlobStore:
    """Open the media blob store a ``blob_url`` names.

    Args:
        url: ``file://<directory>`` (everything after ``file://`` is the path; the
            directory is created if missing) or ``memory://``.
        setting: The setting's name, for the error message.

    Raises:
        InvalidParameterError: For any other scheme, or an empty path.
    """
    scheme = url_scheme(url)
    if scheme == "memory":
        return InMemoryBlobStore()
    if scheme != "file":
        raise _unsupported(setting, url, "blob_url")
    path = url.partition("://")[2]
    if not path:
        raise InvalidParameterError(setting, url, "file://<path to a directory>")
    return FileBlobStore(path)


def check_settings_urls(settings: Settings) -> None:
    """Raise for the first settings URL whose scheme this version cannot open.

    Raises:
        InvalidParameterError: Naming the setting, its value and the supported schemes.
    """
    urls = {
        "database_url": settings.resolved_database_url,
        "cache_url": settings.resolved_cache_url,
        "blob_url": settings.resolved_blob_url,
    }
    for setting, url in urls.items():
        if url_scheme(url) not in SUPPORTED_SCHEMES[setting]:
            raise _unsupported(setting, url, setting)
