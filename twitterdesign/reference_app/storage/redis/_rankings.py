"""`RedisRankings`: ranked home-timeline snapshots that any app instance can page through."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import redis

from twitterdesign._validate import check_int, check_number
from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.storage.redis._connection import RedisConnection

__all__ = ["RedisRankings"]


class RedisRankings:
    """Snapshots as Redis strings of comma-separated ids, each expiring after ``ttl_s``.

    Implements `twitterdesign.reference_app.storage.rankings.RankingStore`. A key is
    ``<prefix><owner>:<token>``; a snapshot of 200 ids is about 4 KB and goes away by
    itself, so nothing needs sweeping.

    Args:
        client_or_url: A ``redis://`` URL (owned and closed here) or a client created
            with ``decode_responses=True`` (left open).
        prefix: Starts every key.
        ttl_s: Seconds a snapshot lives.

    Raises:
        InvalidParameterError: A bad URL, an empty prefix or a ttl that is not > 0.
        RedisUnavailableError: The server does not answer.

    Examples:
        >>> import uuid
        >>> rankings = RedisRankings(
        ...     "redis://127.0.0.1:6379/0", prefix=f"td_doctest:{uuid.uuid4().hex}:rank:")
        >>> rankings.save(7, "t1", [30, 10, 20])
        >>> rankings.load(7, "t1"), rankings.load(7, "t2")
        ([30, 10, 20], None)
        >>> rankings.close()
    """

    def __init__(
        self, client_or_url: str | redis.Redis, *, prefix: str = "td:rank:", ttl_s: float = 900.0
    ) -> None:
        if not isinstance(prefix, str) or not prefix:
            raise InvalidParameterError("prefix", prefix, "a non-empty string such as 'td:rank:'")
        ttl = check_number("ttl_s", ttl_s, minimum=0.0, min_inclusive=False)
        self.ttl_ms = max(1, int(ttl * 1000))
        self._conn = RedisConnection(client_or_url)
        self.prefix = prefix

    def _key(self, owner: int, token: str) -> str:
        return f"{self.prefix}{check_int('owner', owner, minimum=0)}:{token}"

    def save(self, owner: int, token: str, ids: Sequence[int]) -> None:
        """Keep ``ids`` under the token; see `RankingStore.save`."""
        with self._conn.errors():
            self._conn.client.set(
                self._key(owner, token), ",".join(str(int(i)) for i in ids), px=self.ttl_ms
            )

    def load(self, owner: int, token: str) -> list[int] | None:
        """Return the snapshot, or None; see `RankingStore.load`."""
        with self._conn.errors():
            raw = cast("str | None", self._conn.client.get(self._key(owner, token)))
        if raw is None:
            return None
        return [int(i) for i in raw.split(",")] if raw else []

    def close(self) -> None:
        """Close the connection pool if this store opened it from a URL."""
        self._conn.close()
