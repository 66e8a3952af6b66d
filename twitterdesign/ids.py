"""Snowflake ids: the lesson's *sequencer*, 64-bit, time-ordered and unique per worker.

A Snowflake id packs three fields into a non-negative 63-bit integer, most significant first:

=========  ====  ==========================================================
field      bits  meaning
=========  ====  ==========================================================
timestamp  41    milliseconds since a custom epoch (about 69.7 years of ids)
worker     10    which generator made it (0..1023), so workers never collide
sequence   12    a counter within one millisecond (0..4095)
=========  ====  ==========================================================

Ids from one `Snowflake` strictly increase. When the 4,096 ids of a millisecond are
used up the generator waits for the next millisecond. When the wall clock steps backwards
(an NTP correction, a VM migration) the generator never reissues an id: a small step
(``max_backward_ms`` or less) is waited out, a larger one raises
`ClockMovedBackwardsError`. Because ids order by time, an id is also a cursor: the
reference app paginates with ``max_id``/``since_id`` exactly as Mastodon does.

Examples:
    >>> gen = Snowflake(worker_id=7)
    >>> a, b = gen.next_id(), gen.next_id()
    >>> a < b
    True
    >>> parts = decode(b)
    >>> (parts.worker_id, parts.sequence >= 0)
    (7, True)

References:
    Twitter Engineering, "Announcing Snowflake" (2010),
    https://blog.twitter.com/engineering/en_us/a/2010/announcing-snowflake
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from twitterdesign._validate import check_int
from twitterdesign.errors import InvalidParameterError, TwitterDesignError

__all__ = [
    "DEFAULT_EPOCH_MS",
    "MAX_SEQUENCE",
    "MAX_TIMESTAMP_MS",
    "MAX_WORKER_ID",
    "ClockMovedBackwardsError",
    "Snowflake",
    "SnowflakeParts",
    "decode",
    "first_id_at",
]

TIMESTAMP_BITS = 41
WORKER_BITS = 10
SEQUENCE_BITS = 12

MAX_TIMESTAMP_MS = (1 << TIMESTAMP_BITS) - 1
"""The largest timestamp field (ms after the epoch) an id can hold."""
MAX_WORKER_ID = (1 << WORKER_BITS) - 1
"""The largest worker id (1023)."""
MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1
"""The largest per-millisecond sequence number (4095)."""

DEFAULT_EPOCH_MS = 1_577_836_800_000
"""2020-01-01T00:00:00Z in Unix milliseconds; ids run out in 2089."""

_WORKER_SHIFT = SEQUENCE_BITS
_TIMESTAMP_SHIFT = SEQUENCE_BITS + WORKER_BITS
_MAX_ID = (1 << (TIMESTAMP_BITS + WORKER_BITS + SEQUENCE_BITS)) - 1


class ClockMovedBackwardsError(TwitterDesignError, RuntimeError):
    """The wall clock stepped back further than a generator is willing to wait out."""


@dataclass(frozen=True, slots=True)
class SnowflakeParts:
    """The three fields of a Snowflake id.

    Attributes:
        timestamp_ms: Unix time in milliseconds when the id was made.
        worker_id: The generator that made it (0..1023).
        sequence: Its position within that millisecond (0..4095).
    """

    timestamp_ms: int
    worker_id: int
    sequence: int

    @property
    def datetime(self) -> datetime:
        """The timestamp as an aware UTC `datetime`."""
        return datetime.fromtimestamp(self.timestamp_ms / 1000, tz=UTC)

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict."""
        return {
            "timestamp_ms": self.timestamp_ms,
            "worker_id": self.worker_id,
            "sequence": self.sequence,
        }


def decode(snowflake_id: int, *, epoch_ms: int = DEFAULT_EPOCH_MS) -> SnowflakeParts:
    """Split an id into its timestamp, worker and sequence.

    Args:
        snowflake_id: An id made by a `Snowflake` with the same ``epoch_ms``.
        epoch_ms: The epoch the generator used (Unix milliseconds).

    Returns:
        The decoded `SnowflakeParts`; ``timestamp_ms`` is Unix milliseconds.

    Raises:
        InvalidParameterError: If the id is not an integer in ``[0, 2**63 - 1]``.

    Examples:
        >>> decode((1000 << 22) | (3 << 12) | 5, epoch_ms=0)
        SnowflakeParts(timestamp_ms=1000, worker_id=3, sequence=5)
    """
    value = check_int("snowflake_id", snowflake_id, minimum=0, maximum=_MAX_ID)
    return SnowflakeParts(
        timestamp_ms=(value >> _TIMESTAMP_SHIFT) + epoch_ms,
        worker_id=(value >> _WORKER_SHIFT) & MAX_WORKER_ID,
        sequence=value & MAX_SEQUENCE,
    )


def first_id_at(timestamp_ms: int, *, epoch_ms: int = DEFAULT_EPOCH_MS) -> int:
    """Return the smallest id any worker can make at ``timestamp_ms``.

    Useful as a time cursor: every id made at or after that millisecond is ``>=`` it.

    Args:
        timestamp_ms: Unix time in milliseconds, not before ``epoch_ms``.
        epoch_ms: The generators' epoch.

    Returns:
        The id with that timestamp, worker 0 and sequence 0.

    Raises:
        InvalidParameterError: If the time is before the epoch or past the last id.

    Examples:
        >>> first_id_at(1000, epoch_ms=0) == 1000 << 22
        True
    """
    ts = check_int(
        "timestamp_ms", timestamp_ms, minimum=epoch_ms, maximum=epoch_ms + MAX_TIMESTAMP_MS
    )
    return (ts - epoch_ms) << _TIMESTAMP_SHIFT


def _wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class Snowflake:
    """A thread-safe generator of strictly increasing 64-bit ids for one worker.

    Args:
        worker_id: This generator's id, 0..1023; two generators with different worker
            ids never produce the same id.
        epoch_ms: The custom epoch in Unix milliseconds (default 2020-01-01 UTC).
        max_backward_ms: How far back the clock may step before `next_id` raises
            instead of waiting for it to catch up.
        after: An id this generator must never go below or repeat, e.g. the largest id
            already stored before a restart (only its timestamp matters).
        clock: Returns the current Unix time in milliseconds; the wall clock by default.
            Tests pass a fake clock.
        sleep: Called with seconds to pause while waiting for the clock to advance.

    Raises:
        InvalidParameterError: For a worker id, epoch or limit out of range.

    Examples:
        >>> ticks = iter(range(10_000, 20_000))
        >>> gen = Snowflake(worker_id=1, epoch_ms=0, clock=lambda: next(ticks))
        >>> decode(gen.next_id(), epoch_ms=0)
        SnowflakeParts(timestamp_ms=10000, worker_id=1, sequence=0)
    """

    def __init__(
        self,
        worker_id: int = 0,
        *,
        epoch_ms: int = DEFAULT_EPOCH_MS,
        max_backward_ms: int = 2_000,
        after: int | None = None,
        clock: Callable[[], int] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._worker_id = check_int("worker_id", worker_id, minimum=0, maximum=MAX_WORKER_ID)
        self._epoch_ms = check_int("epoch_ms", epoch_ms, minimum=0)
        self._max_backward_ms = check_int("max_backward_ms", max_backward_ms, minimum=0)
        self._clock = clock if clock is not None else _wall_clock_ms
        self._sleep = sleep if sleep is not None else time.sleep
        self._lock = threading.Lock()
        self._last_ms = -1  # ms since epoch of the last id issued
        self._sequence = 0
        if after is not None:
            self._last_ms = decode(after, epoch_ms=self._epoch_ms).timestamp_ms - self._epoch_ms
            # Never reuse any sequence of the millisecond of `after`: move past it.
            self._sequence = MAX_SEQUENCE

    @property
    def worker_id(self) -> int:
        """This generator's worker id."""
        return self._worker_id

    @property
    def epoch_ms(self) -> int:
        """The epoch (Unix milliseconds) the ids count from."""
        return self._epoch_ms

    def next_id(self) -> int:
        """Return a new id, larger than every id this generator returned before.

        Returns:
            A non-negative integer below ``2**63``.

        Raises:
            ClockMovedBackwardsError: If the clock is more than ``max_backward_ms``
                behind the last id's timestamp.
            InvalidParameterError: If the clock is before the epoch or past the 41-bit
                range.
        """
        with self._lock:
            now = self._now()
            if now < self._last_ms:
                behind = self._last_ms - now
                if behind > self._max_backward_ms:
                    raise ClockMovedBackwardsError(
                        f"clock moved backwards by {behind} ms (more than max_backward_ms="
                        f"{self._max_backward_ms}); refusing to issue ids that could repeat"
                    )
                now = self._wait_until(self._last_ms)
            if now == self._last_ms:
                if self._sequence >= MAX_SEQUENCE:
                    now = self._wait_until(self._last_ms + 1)
                    self._sequence = 0
                else:
                    self._sequence += 1
            else:
                self._sequence = 0
            self._last_ms = now
            return (now << _TIMESTAMP_SHIFT) | (self._worker_id << _WORKER_SHIFT) | self._sequence

    def decode(self, snowflake_id: int) -> SnowflakeParts:
        """Decode an id with this generator's epoch (see `decode`)."""
        return decode(snowflake_id, epoch_ms=self._epoch_ms)

    def _now(self) -> int:
        now = int(self._clock()) - self._epoch_ms
        if now < 0 or now > MAX_TIMESTAMP_MS:
            raise InvalidParameterError(
                "clock", now + self._epoch_ms, "a time within 41 bits of milliseconds after epoch"
            )
        return now

    def _wait_until(self, target_ms: int) -> int:
        """Poll the clock until it reaches ``target_ms`` (epoch-relative) and return it."""
        now = self._now()
        while now < target_ms:
            self._sleep(min(0.001 * (target_ms - now), 0.05))
            now = self._now()
        return now
