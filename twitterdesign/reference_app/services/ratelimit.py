"""Fixed-window rate limits per key (access token, account or client IP), thread-safe.

`Limiter` is the seam the gateway calls: ``hit(key)`` counts one request and returns a
`RateLimitDecision`. Two implementations give the same decisions for the same hits:

- `RateLimiter` counts in this process. Memory is bounded: it keeps at most ``capacity``
  keys and forgets the least recently seen one beyond that.
- `SharedRateLimiter` counts in a `WindowCounter` every app instance shares (Redis), so
  N instances behind a balancer enforce one budget, not N.

Both use fixed windows aligned on multiples of ``window_s`` (Unix time), as Mastodon's
rack-attack does. The gateway only creates keys for callers it has identified — a valid
token's account, or the client's address for everyone else — so a flood of random bearer
tokens costs one entry (its IP), not one per token.
"""

from __future__ import annotations

import ipaddress
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from twitterdesign._validate import check_int, check_number
from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app.storage.window_counts import WindowCounter

__all__ = ["Limiter", "RateLimitDecision", "RateLimiter", "SharedRateLimiter", "client_key"]


@dataclass(frozen=True, slots=True)
class RateLimitDecision:
    """The outcome of counting one request against a limit.

    Attributes:
        allowed: Whether the request may proceed.
        limit: Requests allowed per window.
        remaining: Requests left in this window after this one.
        reset_at_s: Unix time (seconds) when the window resets.
    """

    allowed: bool
    limit: int
    remaining: int
    reset_at_s: float

    @classmethod
    def of_count(cls, count: int, *, limit: int, window: int, window_s: float) -> RateLimitDecision:
        """Decide from the count (this hit included) in fixed window number ``window``."""
        return cls(count <= limit, limit, max(limit - count, 0), (window + 1) * window_s)

    def to_dict(self) -> dict[str, object]:
        """Return the fields as a JSON-ready dict."""
        return {
            "allowed": self.allowed,
            "limit": self.limit,
            "remaining": self.remaining,
            "reset_at_s": self.reset_at_s,
        }


@runtime_checkable
class Limiter(Protocol):
    """Counts requests per key in fixed windows and says which may proceed.

    Attributes:
        limit: Requests allowed per key per window.
        window_s: Window length in seconds; windows start at multiples of it.
    """

    limit: int
    window_s: float

    def hit(self, key: str) -> RateLimitDecision:
        """Count one request for ``key`` and say whether it is allowed."""
        ...


class RateLimiter:
    """Count requests per key in fixed windows of ``window_s`` seconds, for at most
    ``capacity`` keys.

    Args:
        limit: Requests allowed per key per window.
        window_s: Window length in seconds.
        clock_s: Current Unix time in seconds.
        capacity: Keys remembered at most; beyond it the least recently seen key is
            forgotten (its count starts again from zero if it comes back).

    Raises:
        InvalidParameterError: If ``limit`` or ``capacity`` is below 1, or ``window_s``
            is not positive.

    Examples:
        >>> t = [1000.0]
        >>> rl = RateLimiter(2, 60.0, clock_s=lambda: t[0], capacity=2)
        >>> [rl.hit("k").allowed for _ in range(3)]
        [True, True, False]
        >>> t[0] += 60
        >>> rl.hit("k").allowed
        True
        >>> _ = rl.hit("a"), rl.hit("b")
        >>> len(rl), "k" in rl
        (2, False)
    """

    def __init__(
        self,
        limit: int,
        window_s: float,
        *,
        clock_s: Callable[[], float],
        capacity: int = 65_536,
    ) -> None:
        self.limit = check_int("limit", limit, minimum=1)
        self.window_s = check_number("window_s", window_s, minimum=0.0, min_inclusive=False)
        self.capacity = check_int("capacity", capacity, minimum=1)
        self._clock = clock_s
        self._lock = threading.Lock()
        # key -> (window index, count), least recently seen first
        self._counts: OrderedDict[str, tuple[int, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._counts)

    def __contains__(self, key: object) -> bool:
        return key in self._counts

    def hit(self, key: str) -> RateLimitDecision:
        """Count one request for ``key`` and say whether it is allowed."""
        window = int(self._clock() // self.window_s)
        with self._lock:
            current = self._counts.pop(key, None)
            count = current[1] + 1 if current is not None and current[0] == window else 1
            self._counts[key] = (window, count)
            if len(self._counts) > self.capacity:
                self._counts.popitem(last=False)
        return RateLimitDecision.of_count(
            count, limit=self.limit, window=window, window_s=self.window_s
        )

    def _check(self) -> None:
        """Assert the invariants: at most ``capacity`` keys, every count at least 1."""
        with self._lock:
            assert len(self._counts) <= self.capacity
            assert all(count >= 1 for _, count in self._counts.values())


class SharedRateLimiter:
    """Count requests per key in fixed windows, in a counter every app instance shares.

    Gives the same decisions as `RateLimiter` for the same hits and clock, but the count
    lives in ``counter`` (e.g. `twitterdesign.reference_app.storage.redis.RedisWindowCounter`),
    so every instance spends one budget. Each window has its own counter key,
    ``<name>:<window number>:<key>``, which expires by itself a window after its end: no
    table to bound, nothing to sweep.

    Args:
        counter: The shared counts (not closed by the limiter; several limiters may share
            one counter).
        limit: Requests allowed per key per window.
        window_s: Window length in seconds.
        clock_s: Current Unix time in seconds. Instances compute the window from their own
            clocks, so clocks skewed by ``d`` seconds may let a key through twice the limit
            during ``d`` seconds around a window's end.
        name: Keeps this limiter's keys apart from others on the same counter
            (``"token"``, ``"account"``, ``"ip"``).

    Raises:
        InvalidParameterError: If ``limit`` is below 1, ``window_s`` is not positive or
            ``name`` is empty.
        RedisUnavailableError: From `hit`, when a Redis counter cannot be reached.

    Examples:
        >>> class Counts:  # a stand-in for a shared counter
        ...     def __init__(self):
        ...         self.n = {}
        ...     def incr(self, key, *, ttl_ms):
        ...         self.n[key] = self.n.get(key, 0) + 1
        ...         return self.n[key]
        ...     def close(self):
        ...         pass
        >>> counts, t = Counts(), [1000.0]
        >>> a = SharedRateLimiter(counts, 2, 60.0, clock_s=lambda: t[0], name="ip")
        >>> b = SharedRateLimiter(counts, 2, 60.0, clock_s=lambda: t[0], name="ip")
        >>> a.hit("k").allowed, b.hit("k").allowed, a.hit("k").allowed
        (True, True, False)
        >>> sorted(counts.n)
        ['ip:16:k']
    """

    def __init__(
        self,
        counter: WindowCounter,
        limit: int,
        window_s: float,
        *,
        clock_s: Callable[[], float],
        name: str,
    ) -> None:
        self.limit = check_int("limit", limit, minimum=1)
        self.window_s = check_number("window_s", window_s, minimum=0.0, min_inclusive=False)
        if not isinstance(name, str) or not name:
            raise InvalidParameterError("name", name, "a non-empty string such as 'ip'")
        self.name = name
        self._counter = counter
        self._clock = clock_s

    def hit(self, key: str) -> RateLimitDecision:
        """Count one request for ``key`` in the shared counter and say whether it is allowed."""
        now = self._clock()
        window = int(now // self.window_s)
        # Live until a whole window past this one's end: another instance whose clock is
        # a little behind still finds the count (the window number keeps windows apart).
        ttl_ms = math.ceil(((window + 2) * self.window_s - now) * 1000)
        count = self._counter.incr(f"{self.name}:{window}:{key}", ttl_ms=max(ttl_ms, 1))
        return RateLimitDecision.of_count(
            count, limit=self.limit, window=window, window_s=self.window_s
        )


def client_key(address: str) -> str:
    """Return the rate-limit key of a client address: IPv6 addresses by their /64.

    One IPv6 host usually holds a whole /64, so limiting single addresses would let it
    spread requests (and limiter entries) over 2**64 of them; Mastodon masks the same way.

    Examples:
        >>> client_key("203.0.113.7")
        '203.0.113.7'
        >>> client_key("2001:db8:1:2:3:4:5:6")
        '2001:db8:1:2::/64'
        >>> client_key("::ffff:192.0.2.1")
        '192.0.2.1'
        >>> client_key("not an address")
        'not an address'
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip), 64), strict=False))
    return address
