"""The lesson's design as processes on one machine: app instances, fan-out workers, a front.

``twitterdesign cluster --apps N --workers M`` runs the high-level design of the lesson
on loopback, each block a real process over real shared state:

- **Load balancer**: the front on the public port forwards every request through
  `twitterdesign.lb.transport.BalancedTransport` (power of two choices or peak EWMA, as a
  Finagle client balances) to one of the app instances;
- **App servers**: N stateless ``twitterdesign serve`` processes (Snowflake worker ids
  0..N-1) over one PostgreSQL database and one Redis; none of them fans out
  (``fanout_in_app=False``);
- **Pub-sub and fan-out**: M ``twitterdesign worker`` processes relay the database's
  outbox into the Redis stream (one relay at a time holds a lease) and push every new
  status into the followers' Redis home timelines as consumers of one group;
- **Supervision**: a process of either kind that dies is reaped and restarted with
  backoff (`WorkerSupervisor`); an app instance rejoins the balancer once it answers
  ``/healthz``. Ctrl-C (or SIGTERM) stops them all.

`WorkerProcess` is one fan-out worker as a child process; `ClusterProcess` is the whole
cluster as one child process (what ``demo --cluster`` and the tests start);
`check_cluster_urls` tells a user up front, in one line, what is wrong with the URLs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from twitterdesign.errors import InvalidParameterError, TwitterDesignError
from twitterdesign.reference_app.server import ChildProcess, ServerProcess
from twitterdesign.reference_app.settings import Settings

__all__ = [
    "ClusterProcess",
    "WorkerProcess",
    "check_cluster_urls",
    "check_reachable",
    "scratch_state",
]

_DATABASES = ("postgresql", "postgres")
_CACHES = ("redis", "rediss", "unix")


def check_cluster_urls(settings: Settings) -> None:
    """Check that the settings name a shared database and cache, and that both answer.

    The instances of a cluster share state only through them: SQLite (one file on one
    machine) and ``memory://`` (one process) cannot be shared.

    Args:
        settings: The cluster's settings.

    Raises:
        InvalidParameterError: If the database is not PostgreSQL or the cache not Redis.
        TwitterDesignError: If either cannot be reached (the message names the URL with
            its password masked, never a traceback).

    Examples:
        >>> check_cluster_urls(Settings())
        Traceback (most recent call last):
        ...
        twitterdesign.errors.InvalidParameterError: invalid database_url=None: expected a ...
    """
    from twitterdesign.reference_app.services._factory import url_scheme

    if settings.database_url is None or url_scheme(settings.database_url) not in _DATABASES:
        raise InvalidParameterError(
            "database_url",
            settings.database_url,
            "a postgresql:// URL shared by every app instance (--database-url)",
        )
    if url_scheme(settings.resolved_cache_url) not in _CACHES:
        raise InvalidParameterError(
            "cache_url",
            settings.resolved_cache_url,
            "a redis:// URL shared by every app instance and worker (--cache-url)",
        )
    check_reachable(settings)


def check_reachable(settings: Settings) -> None:
    """Open the network database and cache the settings name, once, or say which fails.

    Opening the database also applies its migrations (once, before several processes
    start). SQLite and ``memory://`` are not checked: there is nothing to reach.

    Args:
        settings: The settings whose ``database_url`` and ``cache_url`` are checked.

    Raises:
        TwitterDesignError: If one cannot be reached; the message names the option and
            the URL (password masked), in one line.

    Examples:
        >>> check_reachable(Settings(data_dir="/tmp/td-doc"))  # embedded: nothing to reach
    """
    from twitterdesign.reference_app.services._factory import (
        open_store,
        open_timeline_store,
        url_scheme,
    )

    db_url, cache_url = settings.resolved_database_url, settings.resolved_cache_url
    networked = url_scheme(db_url) in _DATABASES, url_scheme(cache_url) in _CACHES
    if not any(networked):
        return  # embedded: nothing to reach (and the cluster extra may not be installed)
    from twitterdesign.reference_app.storage.postgres import mask_password

    opened: Any = None
    flag, url = "--database-url", mask_password(db_url)
    try:
        if networked[0]:
            opened = open_store(db_url, pool_size=1)
            opened.close()
        flag, url = "--cache-url", mask_password(cache_url)
        if networked[1]:
            opened = open_timeline_store(cache_url, capacity=1, inactive_after_s=None)
            opened.count_users()  # one round trip: a Redis that does not answer raises
            opened.close()
    except Exception as exc:
        text = str(exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        where = "" if url in first else f" cannot reach {url}:"
        raise TwitterDesignError(f"{flag}:{where} {first}") from None


class WorkerProcess(ChildProcess):
    """One ``twitterdesign worker`` (outbox relay + fan-out consumer) as a child process.

    Ready once it has said it started (its database, cache and log are open). It has no
    address; `base_url` names it for the supervisor's log lines.

    Args:
        settings: The cluster's settings (database and cache URLs).
        consumer: Its name in the log's consumer group; keep it stable across restarts
            so that a restarted worker takes back its own unacknowledged entries.
        startup_timeout_s: How long `start` waits for it.
    """

    def __init__(
        self, settings: Settings, *, consumer: str, startup_timeout_s: float = 30.0
    ) -> None:
        super().__init__(settings, startup_timeout_s=startup_timeout_s)
        self.consumer = consumer

    @property
    def base_url(self) -> str:
        """``worker:<consumer>`` (a worker serves nothing)."""
        return f"worker:{self.consumer}"

    def argv(self) -> list[str]:
        """``worker --consumer <name>``."""
        return ["worker", "--consumer", self.consumer]

    def is_ready(self) -> bool:
        """Return whether the worker has opened everything and started its loop."""
        return f"{self.consumer} started" in self.log_text()


class ClusterProcess(ServerProcess):
    """``twitterdesign cluster`` as a child process: a whole cluster behind one URL.

    Ready when the front answers ``/healthz`` (forwarded to an app instance, which reads
    the database). On exit the cluster gets SIGTERM and stops every process it started.

    Args:
        settings: The cluster's settings (PostgreSQL ``database_url``, Redis ``cache_url``).
        apps: App instances behind the front.
        workers: Fan-out worker processes.
        policy: The front's balancing policy (see `FRONT_POLICIES`).
        host: Interface of the front.
        port: Port of the front; a free one when None.
        startup_timeout_s: How long to wait for the whole cluster.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        apps: int = 2,
        workers: int = 1,
        policy: str = "p2c",
        host: str = "127.0.0.1",
        port: int | None = None,
        startup_timeout_s: float = 90.0,
    ) -> None:
        super().__init__(settings, host=host, port=port, startup_timeout_s=startup_timeout_s)
        self.apps = apps
        self.workers = workers
        self.policy = policy

    def argv(self) -> list[str]:
        """``cluster`` with this shape on this host and port."""
        return [
            "cluster",
            "--apps",
            str(self.apps),
            "--workers",
            str(self.workers),
            "--balancer",
            self.policy,
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--log-level",
            "warning",
        ]


@contextmanager
def scratch_state(database_url: str, cache_url: str) -> Iterator[tuple[str, str]]:
    """Yield the two URLs narrowed to a fresh PostgreSQL schema and Redis key prefix.

    Both are random (``td_scratch_<hex>``) and removed on exit: the schema is dropped and
    every key under the prefix deleted. For demos and tests that share a server with
    other data; nothing outside the new schema and prefix is read or written.

    Args:
        database_url: A ``postgresql://`` URL (without ``schema=``).
        cache_url: A ``redis://`` URL (without ``prefix=``).

    Yields:
        ``(database_url, cache_url)`` with ``schema=`` and ``prefix=`` set.
    """
    import secrets

    from twitterdesign.reference_app.services._factory import open_store, redis_prefix_of

    name = f"td_scratch_{secrets.token_hex(4)}"
    sep = "&" if "?" in database_url else "?"
    db = f"{database_url}{sep}schema={name}"
    sep = "&" if "?" in cache_url else "?"
    cache = f"{cache_url}{sep}prefix={name}:"
    try:
        yield db, cache
    finally:
        with suppress(Exception):  # unreachable by now: nothing of ours to drop
            store = open_store(db, pool_size=1)
            try:
                store.drop_schema()  # type: ignore[attr-defined]
            finally:
                store.close()
        with suppress(Exception):
            import redis

            rest, prefix = redis_prefix_of(cache)
            client = redis.Redis.from_url(rest)
            try:
                batch = list(client.scan_iter(match=f"{prefix}*", count=1000))
                for i in range(0, len(batch), 1000):
                    client.unlink(*batch[i : i + 1000])
            finally:
                client.close()
