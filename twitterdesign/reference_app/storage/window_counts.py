"""The shared-counter seam behind rate limits: counts that expire by themselves.

`WindowCounter` is the one thing a fixed-window rate limit needs from storage: add one to
a key's count and read the new value, atomically, with the key forgotten some time after
its first hit. `twitterdesign.reference_app.services.ratelimit.SharedRateLimiter` holds
the rule (which window, how many hits are allowed); a counter shared by every app
instance — `twitterdesign.reference_app.storage.redis.RedisWindowCounter` — makes the
budget one for the whole cluster instead of one per process.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["WindowCounter"]


@runtime_checkable
class WindowCounter(Protocol):
    """Counts per key that expire a fixed time after their first hit."""

    def incr(self, key: str, *, ttl_ms: int) -> int:
        """Add one to ``key``'s count and return the new count.

        Atomic across every client of the same counter: of ``n`` concurrent calls on a
        fresh key, the returned counts are exactly ``1..n``. The first hit (count 1)
        starts the key's lifetime of ``ttl_ms`` milliseconds; later hits do not extend
        it. After it the key counts from 1 again.
        """
        ...

    def close(self) -> None:
        """Release connections (a counter opened from a URL owns its pool)."""
        ...
