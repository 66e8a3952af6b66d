"""Opening a Redis client, masking its URL, and turning connection failures into one error.

Every Redis-backed store takes either a ``redis://`` URL (it then owns the client and its
connection pool, and closes them) or a ready `redis.Redis` client (shared, left open).
Failures to reach the server become `RedisUnavailableError`, whose message names the URL
with its password masked and the reason in one line, not a redis-py traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import redis

from twitterdesign.errors import InvalidParameterError, TwitterDesignError

__all__ = ["RedisConnection", "RedisUnavailableError", "mask_password"]

_SCHEMES = ("redis", "rediss", "unix")


class RedisUnavailableError(TwitterDesignError, ConnectionError):
    """The Redis server cannot be reached (the message names the masked URL)."""


def mask_password(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``.

    Examples:
        >>> mask_password("redis://ada:s3cret@cache:6379/0")
        'redis://ada:***@cache:6379/0'
        >>> mask_password("redis://:s3cret@cache/0")
        'redis://:***@cache/0'
        >>> mask_password("unix:///run/redis.sock?db=0&password=s3cret")
        'unix:///run/redis.sock?db=0&password=***'
        >>> mask_password("redis://127.0.0.1:6379/0")
        'redis://127.0.0.1:6379/0'
    """
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{parts.username or ''}:***@{netloc.rsplit('@', 1)[1]}"
    query = re.sub(r"(?i)(password=)[^&]*", r"\1***", parts.query)
    if (netloc, query) == (parts.netloc, parts.query):
        return url
    # Rebuilt by hand: urlunsplit drops the '//' of an empty netloc (unix:///path).
    rest = f"{parts.path}?{query}" if query else parts.path
    return f"{parts.scheme}://{netloc}{rest}" + (f"#{parts.fragment}" if parts.fragment else "")


def _describe(client: redis.Redis) -> str:
    """Name the server a ready-made client talks to (it has no URL of its own)."""
    kwargs = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"unix://{kwargs['path']}"
    host, port, db = kwargs.get("host", "localhost"), kwargs.get("port", 6379), kwargs.get("db", 0)
    return f"redis://{host}:{port}/{db}"


class RedisConnection:
    """A Redis client, the masked URL to name in errors, and whether this side owns it.

    Args:
        client_or_url: A ``redis://``, ``rediss://`` or ``unix://`` URL, or a client.
        connect_timeout_s: Seconds to wait for a TCP connection (URL only).
        check: Ping the server now, so a wrong URL fails at start-up, not on first use.

    Raises:
        InvalidParameterError: A URL of another scheme, or one redis-py cannot parse.
        RedisUnavailableError: ``check`` is set and the server does not answer.
    """

    def __init__(
        self,
        client_or_url: str | redis.Redis,
        *,
        connect_timeout_s: float = 5.0,
        check: bool = True,
    ) -> None:
        if isinstance(client_or_url, str):
            self.url = mask_password(client_or_url)
            scheme = client_or_url.partition("://")[0].lower()
            if scheme not in _SCHEMES:
                raise InvalidParameterError("url", self.url, "a redis://, rediss:// or unix:// URL")
            try:
                self.client: redis.Redis = redis.Redis.from_url(
                    client_or_url,
                    decode_responses=True,
                    socket_connect_timeout=connect_timeout_s,
                    socket_timeout=max(connect_timeout_s, 10.0),
                    health_check_interval=30,
                )
            except ValueError as exc:
                raise InvalidParameterError("url", self.url, f"a valid Redis URL ({exc})") from None
            self.owned = True
        else:
            self.client = client_or_url
            self.url = _describe(client_or_url)
            self.owned = False
        if check:
            with self.errors():
                self.client.ping()

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Turn redis-py's connection and timeout errors into `RedisUnavailableError`."""
        try:
            yield
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            # No chained redis-py traceback: the message says all a user can act on.
            raise RedisUnavailableError(f"cannot reach Redis at {self.url}: {reason}") from None

    def close(self) -> None:
        """Close the client's connection pool if this side opened it."""
        if self.owned:
            self.client.close()
