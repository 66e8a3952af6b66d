"""Fixed-window rate limits per key (access token, account or client IP), thread-safe.

Memory is bounded: each limiter keeps at most ``capacity`` keys and forgets the least
recently seen one beyond that. The gateway only creates keys for callers it has
identified — a valid token's account, or the client's address for everyone else — so a
flood of random bearer tokens costs one entry (its IP), not one per token.
"""

from __future__ import annotations

import ipaddress
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from twitterdesign._validate import check_int, check_number

__all__ = ["RateLimitDecision", "RateLimiter", "client_key"]


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
        reset = (window + 1) * self.window_s
        return RateLimitDecision(count <= self.limit, self.limit, max(self.limit - count, 0), reset)

    def _check(self) -> None:
        """Assert the invariants: at most ``capacity`` keys, every count at least 1."""
        with self._lock:
            assert len(self._counts) <= self.capacity
            assert all(count >= 1 for _, count in self._counts.values())


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
