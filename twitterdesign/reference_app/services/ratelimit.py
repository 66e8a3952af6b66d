"""Fixed-window rate limits per key (access token or client IP), thread-safe."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["RateLimitDecision", "RateLimiter"]


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
    """Count requests per key in fixed windows of ``window_s`` seconds.

    Args:
        limit: Requests allowed per key per window.
        window_s: Window length in seconds.
        clock_s: Current Unix time in seconds.

    Examples:
        >>> t = [1000.0]
        >>> rl = RateLimiter(2, 60.0, clock_s=lambda: t[0])
        >>> [rl.hit("k").allowed for _ in range(3)]
        [True, True, False]
        >>> t[0] += 60
        >>> rl.hit("k").allowed
        True
    """

    def __init__(self, limit: int, window_s: float, *, clock_s: Callable[[], float]) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock_s
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (window index, count)

    def hit(self, key: str) -> RateLimitDecision:
        """Count one request for ``key`` and say whether it is allowed."""
        now = self._clock()
        window = int(now // self.window_s)
        with self._lock:
            current, count = self._counts.get(key, (window, 0))
            if current != window:
                count = 0
                if len(self._counts) > 100_000:  # forget keys from old windows
                    self._counts = {k: v for k, v in self._counts.items() if v[0] == window}
            count += 1
            self._counts[key] = (window, count)
        reset = (window + 1) * self.window_s
        return RateLimitDecision(count <= self.limit, self.limit, max(self.limit - count, 0), reset)
