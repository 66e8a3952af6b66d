"""`RedisWindowCounter`: rate-limit counts every app instance shares, expiring by themselves."""

from __future__ import annotations

import redis

from twitterdesign._validate import check_int
from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.storage.redis._connection import RedisConnection

__all__ = ["RedisWindowCounter"]

# KEYS: the counter   ARGV: ttl in ms   Returns: {count, ttl left in ms}
# PEXPIRE only on the first hit, so later hits never extend the window; a key that lost
# its expiry somehow (PERSIST by hand) gets one again instead of counting forever.
_INCR = """
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if n == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
"""


class RedisWindowCounter:
    """Counts in Redis strings under ``prefix``, one ``INCR`` + ``PEXPIRE`` script per hit.

    Implements `twitterdesign.reference_app.storage.window_counts.WindowCounter`. Keys
    are ``<prefix><key>`` (the rate limiter puts its name and the window number in
    ``key``); each expires by itself, so nothing needs sweeping.

    Args:
        client_or_url: A ``redis://`` URL (the counter owns its pool and closes it) or a
            `redis.Redis` client created with ``decode_responses=True`` (left open).
        prefix: Starts every key.

    Raises:
        InvalidParameterError: A bad URL or an empty prefix.
        RedisUnavailableError: The server does not answer (at construction or later).

    Examples:
        >>> import uuid
        >>> counter = RedisWindowCounter(
        ...     "redis://127.0.0.1:6379/0", prefix=f"td_doctest:{uuid.uuid4().hex}:")
        >>> counter.incr("ip:5:203.0.113.7", ttl_ms=1_000), counter.incr(
        ...     "ip:5:203.0.113.7", ttl_ms=1_000)  # the key expires by itself
        (1, 2)
        >>> counter.close()
    """

    def __init__(self, client_or_url: str | redis.Redis, *, prefix: str = "td:rl:") -> None:
        if not isinstance(prefix, str) or not prefix:
            raise InvalidParameterError("prefix", prefix, "a non-empty string such as 'td:rl:'")
        self._conn = RedisConnection(client_or_url)
        self.prefix = prefix
        self._script = self._conn.client.register_script(_INCR)

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "td:rl:") -> RedisWindowCounter:
        """Open a counter on the server ``url`` names."""
        return cls(url, prefix=prefix)

    @property
    def url(self) -> str:
        """The server's URL, password masked."""
        return self._conn.url

    def incr(self, key: str, *, ttl_ms: int) -> int:
        """Add one to ``key``'s count and return it; see `WindowCounter.incr`."""
        ttl = check_int("ttl_ms", ttl_ms, minimum=1)
        with self._conn.errors():
            count, _ttl_left = self._script(keys=[self.prefix + key], args=[ttl])
        return int(count)

    def close(self) -> None:
        """Close the connection pool if the counter opened it from a URL."""
        self._conn.close()
