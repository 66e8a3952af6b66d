"""The Balancer protocol and the state every policy shares (outstanding counts, health)."""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from twitterdesign._rng import RngLike, as_generator
from twitterdesign._validate import check_int
from twitterdesign.errors import InvalidParameterError, NoBackendAvailable

__all__ = ["Balancer", "Clock"]

Clock = Callable[[], float]
"""A zero-argument callable returning the current time in seconds (monotonic)."""

_RANDOM_BATCH = 2048


@runtime_checkable
class Balancer(Protocol):
    """What a client-side load balancer does: pick a backend, then learn from the result.

    Backends are numbered ``0 .. backends - 1``. A caller calls `pick`, then
    `on_start` when the request is sent and `on_finish` when it completes,
    so the balancer sees exactly what a real client sees: its own outstanding requests
    and the latencies it observed.
    """

    @property
    def backends(self) -> int:
        """The number of backends the balancer chooses among."""
        ...

    def pick(self) -> int:
        """Return the index of the backend for the next request."""
        ...

    def on_start(self, i: int) -> None:
        """Record that a request was sent to backend ``i``."""
        ...

    def on_finish(self, i: int, latency_s: float) -> None:
        """Record that a request to backend ``i`` completed after ``latency_s`` seconds."""
        ...

    def update_backends(self, backends: int) -> None:
        """Change the number of backends (state of the surviving indices is kept)."""
        ...

    def mark_down(self, i: int) -> None:
        """Mark backend ``i`` unhealthy (ejected)."""
        ...

    def mark_up(self, i: int) -> None:
        """Mark backend ``i`` healthy again."""
        ...


class BalancerBase(ABC):
    """Shared state of the policies: outstanding counts, health flags, random numbers.

    Args:
        backends: Number of backends (at least 1).
        max_effort: How many times a randomized policy re-picks when it lands on an
            unhealthy backend before it sends anyway ("panic mode", as in Finagle).
        rng: Random source.

    Raises:
        InvalidParameterError: If ``backends`` or ``max_effort`` is not a positive integer.
    """

    def __init__(self, backends: int, *, max_effort: int = 5, rng: RngLike = None) -> None:
        n = check_int("backends", backends, minimum=1)
        self._max_effort = check_int("max_effort", max_effort, minimum=1)
        self._rng = as_generator(rng)
        self._buf: list[float] = []
        self._n = n
        self._outstanding: list[int] = [0] * n
        self._healthy: list[bool] = [True] * n
        self._n_healthy = n
        self._view: list[float] | None = None

    # -- random numbers, drawn in batches because a numpy call per pick is slow -----------
    def _rand(self) -> float:
        buf = self._buf
        if not buf:
            buf.extend(self._rng.random(_RANDOM_BATCH).tolist())
        return buf.pop()

    def _randint(self, n: int) -> int:
        return min(int(self._rand() * n), n - 1)

    def _pick_two(self, n: int) -> tuple[int, int]:
        """Two distinct uniform indices in [0, n) (n >= 2), drawn without replacement."""
        a = self._randint(n)
        b = self._randint(n - 1)
        if b >= a:
            b += 1
        return a, b

    @abstractmethod
    def pick(self) -> int:
        """Return the index of the backend for the next request.

        Raises:
            NoBackendAvailable: If every backend is marked down.
        """

    # -- public state -------------------------------------------------------------------
    @property
    def backends(self) -> int:
        """The number of backends the balancer chooses among."""
        return self._n

    @property
    def healthy_backends(self) -> int:
        """How many backends are currently marked healthy."""
        return self._n_healthy

    def outstanding(self, i: int) -> int:
        """Return the number of requests this client has in flight to backend ``i``.

        Args:
            i: Backend index.

        Returns:
            The count of started but unfinished requests.

        Raises:
            InvalidParameterError: If ``i`` is not a backend index.
        """
        return self._outstanding[self._index(i)]

    def load(self, i: int) -> float:
        """Return the load the policy compares for backend ``i`` (lower is better).

        By default the number of outstanding requests, or the externally supplied view
        (see `set_load_view`).

        Raises:
            InvalidParameterError: If ``i`` is not a backend index.
        """
        i = self._index(i)
        return self._load(i)

    def _load(self, i: int) -> float:
        view = self._view
        if view is not None:
            return view[i]
        return self._outstanding[i]

    def set_load_view(self, loads: list[float] | None) -> None:
        """Compare the given loads instead of this client's own outstanding counts.

        The simulator uses this to give every client the same, possibly stale, view of
        the servers' queue lengths (the setting in which least-loaded herds). The list
        is used by reference, so whoever owns it can refresh it in place.

        Args:
            loads: One load per backend, or None to go back to the client's own counts.

        Raises:
            InvalidParameterError: If the list does not have one entry per backend.
        """
        if loads is not None and len(loads) != self._n:
            raise InvalidParameterError(
                "loads", f"<{len(loads)} values>", f"one load per backend ({self._n})"
            )
        self._view = loads

    def is_healthy(self, i: int) -> bool:
        """Return whether backend ``i`` is marked healthy."""
        return self._healthy[self._index(i)]

    def on_start(self, i: int) -> None:
        """Record that a request was sent to backend ``i``.

        Raises:
            InvalidParameterError: If ``i`` is not a backend index.
        """
        self._outstanding[self._index(i)] += 1

    def on_finish(self, i: int, latency_s: float) -> None:
        """Record that a request to backend ``i`` completed after ``latency_s`` seconds.

        Raises:
            InvalidParameterError: If ``i`` has no request in flight, or ``latency_s`` is
                negative or not finite.
        """
        i = self._index(i)
        if not (isinstance(latency_s, int | float) and math.isfinite(latency_s)) or latency_s < 0:
            raise InvalidParameterError("latency_s", latency_s, "a finite number >= 0")
        if self._outstanding[i] <= 0:
            raise InvalidParameterError("i", i, "a backend with a request in flight")
        self._outstanding[i] -= 1
        self._observe(i, float(latency_s))

    def _observe(self, i: int, latency_s: float) -> None:
        """Hook for policies that learn from latencies (default: learn nothing)."""
        return

    def mark_down(self, i: int) -> None:
        """Mark backend ``i`` unhealthy: pickers avoid it while a healthy one exists.

        Raises:
            InvalidParameterError: If ``i`` is not a backend index.
        """
        i = self._index(i)
        if self._healthy[i]:
            self._healthy[i] = False
            self._n_healthy -= 1

    def mark_up(self, i: int) -> None:
        """Mark backend ``i`` healthy again.

        Raises:
            InvalidParameterError: If ``i`` is not a backend index.
        """
        i = self._index(i)
        if not self._healthy[i]:
            self._healthy[i] = True
            self._n_healthy += 1

    def update_backends(self, backends: int) -> None:
        """Change the number of backends; indices below the new count keep their state.

        Args:
            backends: The new number of backends (at least 1).

        Raises:
            InvalidParameterError: If ``backends`` is not a positive integer.
        """
        n = check_int("backends", backends, minimum=1)
        old = self._n
        if n < old:
            del self._outstanding[n:]
            del self._healthy[n:]
        else:
            self._outstanding.extend([0] * (n - old))
            self._healthy.extend([True] * (n - old))
        self._n = n
        self._n_healthy = sum(self._healthy)
        self._view = None
        self._resized(old)

    def _resized(self, old: int) -> None:
        """Hook for policies with per-backend state beyond the shared arrays."""
        return

    def _require_healthy(self) -> None:
        if self._n_healthy == 0:
            raise NoBackendAvailable(f"all {self._n} backends are marked down")

    def _first_healthy_from(self, start: int) -> int:
        n = self._n
        healthy = self._healthy
        for k in range(n):
            i = (start + k) % n
            if healthy[i]:
                return i
        raise NoBackendAvailable(f"all {n} backends are marked down")

    def _index(self, i: int) -> int:
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < self._n:
            try:
                ii = int(i)
            except (TypeError, ValueError):
                ii = -1
            if ii != i or not 0 <= ii < self._n or isinstance(i, bool):
                raise InvalidParameterError("i", i, f"a backend index in [0, {self._n - 1}]")
            return ii
        return i

    def _check(self) -> None:
        """Assert the shared invariants (used by tests)."""
        assert len(self._outstanding) == self._n == len(self._healthy)
        assert all(o >= 0 for o in self._outstanding)
        assert self._n_healthy == sum(self._healthy)
        assert self._view is None or len(self._view) == self._n


def default_clock(clock: Clock | None) -> Clock:
    """Return ``clock`` or `time.monotonic`, validating that it is callable."""
    if clock is None:
        return time.monotonic
    if not callable(clock):
        raise InvalidParameterError("clock", clock, "a zero-argument callable returning seconds")
    return clock
