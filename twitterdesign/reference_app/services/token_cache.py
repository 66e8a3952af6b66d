"""A bounded, expiring cache of access-token lookups, emptied across processes on revoke.

Every authenticated request resolves its bearer token. Over a network database that is
one round trip and, in the app, one thread-pool hop before the route body runs — for an
answer that changes only when the token is revoked. `TokenCache` keeps recent answers in
the process, so a hit is a dictionary lookup on the event loop.

What it promises about revocation (tested in ``tests/reference_app/test_token_cache.py``):

- the process that revokes a token forgets it at once, before the revoke answers;
- every other process forgets it when the revoke event arrives over the stream bus
  (Redis pub/sub: milliseconds);
- a process that misses that message (pub/sub is at-most-once: its subscription was
  reconnecting) stops accepting the token at the latest ``ttl_s`` after it cached it.

Only live tokens are cached: an unknown or revoked token is looked up every time (it is
rare, and rate limiting covers guessing).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from twitterdesign._validate import check_int, check_number
from twitterdesign.reference_app.storage import TokenRecord

__all__ = ["TokenCache", "token_key"]


def token_key(token_hash: str) -> int:
    """The 60-bit integer that names a token (by its SHA-256 hex digest) on the stream bus.

    Bus events carry integer ids; a digest prefix is unique in practice, and a collision
    would only make a process forget one more cached token.

    Examples:
        >>> token_key("f" * 64) == 2**60 - 1
        True
    """
    return int(token_hash[:15], 16)


class TokenCache:
    """Recently resolved live tokens, least recently used evicted, each for ``ttl_s``.

    Thread-safe: the event loop reads it, route threads fill it, the bus thread empties it.

    Args:
        ttl_s: Seconds an answer is trusted (0 turns the cache off).
        max_entries: Tokens kept at most.
        clock: Monotonic seconds (tests pass a fake).

    Examples:
        >>> from twitterdesign.reference_app.storage import TokenRecord
        >>> cache = TokenCache(ttl_s=30, max_entries=2)
        >>> cache.put("ab" * 32, TokenRecord("ab" * 32, None, 7, "read", 0))
        >>> cache.get("ab" * 32).account_id
        7
        >>> cache.discard_key(token_key("ab" * 32))
        >>> cache.get("ab" * 32) is None
        True
    """

    def __init__(
        self,
        *,
        ttl_s: float = 30.0,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = check_number("ttl_s", ttl_s, minimum=0)
        self.max_entries = check_int("max_entries", max_entries, minimum=1)
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[TokenRecord, float]] = OrderedDict()
        self._by_key: dict[int, str] = {}
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token_hash: str) -> TokenRecord | None:
        """Return the cached live record, or None (not cached, expired, or cache off)."""
        with self._lock:
            entry = self._entries.get(token_hash)
            if entry is None or entry[1] <= self._clock():
                if entry is not None:
                    self._drop(token_hash)
                self.misses += 1
                return None
            self._entries.move_to_end(token_hash)
            self.hits += 1
            return entry[0]

    def put(self, token_hash: str, record: TokenRecord) -> None:
        """Remember a live record for ``ttl_s`` (nothing happens with the cache off)."""
        if self.ttl_s <= 0:
            return
        with self._lock:
            self._entries[token_hash] = (record, self._clock() + self.ttl_s)
            self._entries.move_to_end(token_hash)
            self._by_key[token_key(token_hash)] = token_hash
            while len(self._entries) > self.max_entries:
                self._drop(next(iter(self._entries)))

    def discard_key(self, key: int) -> None:
        """Forget the token named ``key`` (see `token_key`), if it is cached."""
        with self._lock:
            token_hash = self._by_key.get(key)
            if token_hash is not None:
                self._drop(token_hash)

    def clear(self) -> None:
        """Forget every token."""
        with self._lock:
            self._entries.clear()
            self._by_key.clear()

    def _drop(self, token_hash: str) -> None:
        self._entries.pop(token_hash, None)
        self._by_key.pop(token_key(token_hash), None)
