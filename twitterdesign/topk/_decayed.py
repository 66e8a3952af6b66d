"""Time-decayed top-k: forward exponential decay over a Space-Saving table."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from twitterdesign._validate import check_int, check_number
from twitterdesign.errors import CorruptDataError, IncompatibleError, InvalidParameterError
from twitterdesign.topk._base import (
    Item,
    as_batch,
    check_item,
    check_weight,
    distinct_index,
    index_of,
)
from twitterdesign.topk._base import require as _require
from twitterdesign.topk._serial import KIND_DECAYED, Reader, Writer, check_loaded
from twitterdesign.topk._summary import space_saving_combine

__all__ = ["DecayedHitter", "DecayedTopK"]

# Move the landmark forward once weights grow past 2**_RELANDMARK, long before float64
# overflows (2**1023); rescaling then happens once per ~_RELANDMARK half-lives.
_RELANDMARK = 64.0
# A query time before the landmark scales counts up by 2**exponent; beyond this the
# factor (times the stored weights) would overflow a float.
_MAX_SCALE_EXPONENT = 900.0


@dataclass(frozen=True, slots=True)
class DecayedHitter:
    """An item with its decayed count at the query time and bounds around it.

    Attributes:
        item: The item.
        estimate: Decayed count (an upper bound, as in Space-Saving).
        lower_bound: The decayed true count is at least this.
        upper_bound: The decayed true count is at most this.

    Examples:
        >>> DecayedHitter("#a", 2.0, 1.5, 2.0).to_dict()["estimate"]
        2.0
    """

    item: Item
    estimate: float
    lower_bound: float
    upper_bound: float

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict.

        Returns:
            A dict with ``item``, ``estimate``, ``lower_bound`` and ``upper_bound``; a
            ``bytes`` item is decoded as Latin-1 so the dict is JSON-serializable.
        """
        data = asdict(self)
        if isinstance(self.item, bytes):
            data["item"] = self.item.decode("latin-1")
        return data


class DecayedTopK:
    """Top-k where an event's weight halves every ``half_life_s`` seconds.

    Forward decay: an event of weight ``w`` at time ``t`` is stored as
    ``w · 2**((t - L) / h)`` for a fixed landmark ``L``; a query at ``now`` divides by
    ``2**((now - L) / h)``. So recent events weigh more, yet nothing stored is rescaled
    when time passes (only, rarely, when the landmark moves to keep floats finite).
    The stored weights feed a Space-Saving table, whose guarantees carry over to the
    decayed counts: ``lower <= decayed true count <= upper`` and
    ``upper - lower <= decayed N / capacity`` at any query time.

    Args:
        half_life_s: Half-life in seconds (a finite number > 0).
        capacity: Number of Space-Saving counters, an integer in ``[1, 2**31]``
            (default 1000).
        landmark_s: Initial landmark time ``L`` in seconds (default 0.0). It is also the
            initial `latest_s`, hence the default query time before any event.

    Raises:
        InvalidParameterError: If ``half_life_s`` is not a finite number > 0,
            ``capacity`` is not an integer in ``[1, 2**31]`` or ``landmark_s`` is not a
            finite number.

    Examples:
        >>> hot = DecayedTopK(half_life_s=60, capacity=10)
        >>> hot.update("#old", 8, timestamp_s=0)
        >>> hot.update("#new", 3, timestamp_s=120)
        >>> [(h.item, h.estimate) for h in hot.top_k(2, now_s=120)]
        [('#new', 3.0), ('#old', 2.0)]

    References:
        G. Cormode, V. Shkapenyuk, D. Srivastava, B. Xu, "Forward Decay: A Practical
        Time Decay Model for Streaming Systems", ICDE 2009.
    """

    __slots__ = (
        "_capacity",
        "_floor",
        "_half_life",
        "_keys",
        "_landmark",
        "_latest",
        "_lo",
        "_pos",
        "_total",
        "_up",
    )

    def __init__(self, *, half_life_s: float, capacity: int = 1000, landmark_s: float = 0.0):
        self._half_life = check_number("half_life_s", half_life_s, minimum=0, min_inclusive=False)
        self._capacity = check_int("capacity", capacity, minimum=1, maximum=2**31)
        self._landmark = check_number("landmark_s", landmark_s)
        self._latest = self._landmark
        self._keys: list[Item] = []
        self._pos: dict[Item, int] = {}
        self._up: npt.NDArray[np.float64] = np.zeros(0)
        self._lo: npt.NDArray[np.float64] = np.zeros(0)
        self._floor = 0.0
        self._total = 0.0

    @property
    def half_life_s(self) -> float:
        """Half-life in seconds: an event's weight halves every ``half_life_s`` seconds."""
        return self._half_life

    @property
    def capacity(self) -> int:
        """Number of Space-Saving counters (at most this many items are monitored)."""
        return self._capacity

    @property
    def latest_s(self) -> float:
        """Default query time in seconds, used whenever ``now_s`` is None.

        The largest of the initial ``landmark_s`` and every event timestamp seen so far
        (including those of merged-in structures).
        """
        return self._latest

    @property
    def nbytes(self) -> int:
        """Approximate memory in bytes: bound arrays, key list, index dict and the keys."""
        keys = sum(sys.getsizeof(k) for k in self._keys)
        extra = sys.getsizeof(self._keys) + sys.getsizeof(self._pos) + keys
        return int(self._up.nbytes + self._lo.nbytes + extra)

    def _scale(self, now_s: float | None) -> float:
        now = self._latest if now_s is None else check_number("now_s", now_s)
        exponent = -(now - self._landmark) / self._half_life
        if exponent > _MAX_SCALE_EXPONENT:  # a query long before the landmark
            earliest = self._landmark - _MAX_SCALE_EXPONENT * self._half_life
            raise InvalidParameterError(
                "now_s", now_s, f"a finite time >= {earliest:g} s (decay factor within float range)"
            )
        return float(2.0**exponent)

    def total_weight(self, *, now_s: float | None = None) -> float:
        """Return the decayed total weight of every event counted, at time ``now_s``.

        Each event of weight ``w`` at time ``t`` contributes ``w · 2**((t - now_s) / h)``
        with ``h`` the half-life; the total is tracked exactly (up to float rounding),
        not estimated.

        Args:
            now_s: Query time in seconds (any finite number, also one before the events);
                `latest_s` when None.

        Returns:
            The decayed total weight (``decayed N``); 0.0 before any event.

        Raises:
            InvalidParameterError: If ``now_s`` is not a finite number.
        """
        return self._total * self._scale(now_s)

    def _relandmark(self, t: float) -> None:
        factor = 2.0 ** (-(t - self._landmark) / self._half_life)
        self._up = self._up * factor
        self._lo = self._lo * factor
        self._floor *= factor
        self._total *= factor
        self._landmark = t

    def _stored(self, weights: npt.NDArray[np.float64], times: npt.NDArray[np.float64]) -> Any:
        top = float(times.max())
        if (top - self._landmark) / self._half_life > _RELANDMARK:
            self._relandmark(top)
        self._latest = max(self._latest, top)
        return weights * np.exp2((times - self._landmark) / self._half_life)

    def update(self, item: Item, weight: int = 1, *, timestamp_s: float | None = None) -> None:
        """Count ``weight`` occurrences of ``item`` at time ``timestamp_s``.

        The timestamp may be earlier than previous ones; `latest_s` becomes the largest
        timestamp seen.

        Args:
            item: An int (64-bit), str or bytes.
            weight: A positive integer (at most ``2**53``); 1 by default.
            timestamp_s: Event time in seconds (a finite number); the current wall-clock
                time, ``time.time()``, when None.

        Raises:
            InvalidParameterError: For an unsupported ``item``, a ``weight`` that is not
                an integer in ``[1, 2**53]`` or a non-finite ``timestamp_s``; nothing is
                counted then.
        """
        key = check_item(item)
        w = float(check_weight(weight))
        t = time.time() if timestamp_s is None else check_number("timestamp_s", timestamp_s)
        g = self._stored(np.array([w]), np.array([t]))
        self._absorb([key], g)

    def update_many(
        self,
        items: Iterable[Any],
        weights: Iterable[Any] | None = None,
        *,
        timestamps_s: Any = None,
    ) -> None:
        """Count a batch of items, summed per distinct item, in one vectorized step.

        An empty batch changes nothing (its ``timestamps_s`` is still checked).

        Args:
            items: An int64 array (fast path) or an iterable of items (int, str, bytes).
            weights: Positive integer weights, one per item; all ones when None.
            timestamps_s: Event times in seconds: None for the current wall-clock time
                (one ``time.time()`` reading for the whole batch), a single finite number
                for every item, or an array-like of one finite time per item.

        Raises:
            InvalidParameterError: For an invalid item or weight, a length mismatch
                between ``items`` and ``weights``, a non-finite scalar ``timestamps_s``,
                or a ``timestamps_s`` sequence whose length differs from the batch's or
                that holds a non-finite time.
        """
        batch = as_batch(items, weights)
        n = len(batch)
        if timestamps_s is None:
            times = np.full(n, time.time())
        elif np.ndim(timestamps_s) == 0:
            times = np.full(n, check_number("timestamps_s", timestamps_s))
        else:
            allowed = f"one finite time per item ({n} items)"
            try:
                times = np.asarray(timestamps_s, dtype=np.float64)
            except (TypeError, ValueError):
                raise InvalidParameterError("timestamps_s", timestamps_s, allowed) from None
            if times.shape != (n,) or not np.all(np.isfinite(times)):
                raise InvalidParameterError("timestamps_s", timestamps_s, allowed)
        if not n:
            return
        w = np.ones(n) if batch.weights is None else batch.weights.astype(np.float64)
        g = self._stored(w, times)
        keys, inverse = distinct_index(batch)
        sums: npt.NDArray[np.float64] = np.bincount(inverse, weights=g, minlength=len(keys)).astype(
            np.float64
        )
        self._absorb(keys, sums)

    def _absorb(self, keys: Any, stored: npt.NDArray[np.float64]) -> None:
        new_keys, up, lo, floor = space_saving_combine(
            self._capacity, self._keys, self._pos, self._up, self._lo, self._floor,
            keys, stored, stored, 0.0,
        )  # fmt: skip
        self._keys, self._up, self._lo = new_keys, up.astype(np.float64), lo.astype(np.float64)
        self._pos = index_of(new_keys)
        self._floor = float(floor)
        self._total += float(stored.sum())

    def estimate(self, item: Item, *, now_s: float | None = None) -> float:
        """Return the decayed count of ``item`` at ``now_s`` (an upper bound).

        Args:
            item: An int (64-bit), str or bytes.
            now_s: Query time in seconds; `latest_s` when None.

        Returns:
            The monitored item's decayed count, at least its decayed true count; 0.0 when
            it is not monitored (see `bounds` for its range then).

        Raises:
            InvalidParameterError: For an unsupported ``item`` or a non-finite ``now_s``.
        """
        scale = self._scale(now_s)
        i = self._pos.get(check_item(item))
        return 0.0 if i is None else float(self._up[i]) * scale

    def bounds(self, item: Item, *, now_s: float | None = None) -> tuple[float, float]:
        """Return ``(lower, upper)`` bounds on the decayed true count of ``item`` at ``now_s``.

        The bounds always hold: ``lower <= decayed true count <= upper``, and
        ``upper - lower <= total_weight(now_s=now_s) / capacity``.

        Args:
            item: An int (64-bit), str or bytes.
            now_s: Query time in seconds; `latest_s` when None.

        Returns:
            The stored lower and upper bounds decayed to ``now_s`` for a monitored item;
            ``(0.0, decayed floor)`` otherwise.

        Raises:
            InvalidParameterError: If ``now_s`` is not a finite number or ``item`` is
                unsupported.
        """
        scale = self._scale(now_s)
        i = self._pos.get(check_item(item))
        if i is None:
            return 0.0, self._floor * scale
        return float(self._lo[i]) * scale, float(self._up[i]) * scale

    def top_k(self, k: int, *, now_s: float | None = None) -> list[DecayedHitter]:
        """Return the ``k`` monitored items with the largest decayed counts at ``now_s``.

        Decay scales every count by the same factor, so the order does not depend on
        ``now_s``; only the values do.

        Args:
            k: How many items (positive); at most `capacity` can be returned.
            now_s: Query time in seconds; `latest_s` when None.

        Returns:
            Up to ``k`` `DecayedHitter` items, heaviest first, with
            ``estimate == upper_bound``; ties keep the table's order.

        Raises:
            InvalidParameterError: If ``k`` is not a positive integer or ``now_s`` is not
                a finite number.
        """
        k = check_int("k", k, minimum=1)
        scale = self._scale(now_s)
        order = np.lexsort((np.arange(len(self._keys)), -self._up))[:k].tolist()
        up, lo = (self._up * scale).tolist(), (self._lo * scale).tolist()
        return [DecayedHitter(self._keys[i], up[i], lo[i], up[i]) for i in order]

    def merge(self, other: Self) -> Self:
        """Fold ``other`` (same half-life and capacity) into this structure.

        The landmarks may differ: ``other``'s weights are re-expressed against this
        landmark, which first moves forward to ``other``'s if that one is later.
        `latest_s` becomes the later of the two.

        Args:
            other: Another `DecayedTopK` with the same half-life and capacity (left
                unchanged).

        Returns:
            ``self``, now answering for both streams with the same guarantees.

        Raises:
            IncompatibleError: If ``other`` is not a `DecayedTopK` or its half-life or
                capacity differ.
        """
        if (
            not isinstance(other, DecayedTopK)
            or other._half_life != self._half_life
            or other._capacity != self._capacity
        ):
            raise IncompatibleError(
                f"cannot merge {other!r} into {self!r}: half-life and capacity must match"
            )
        # Express other's stored weights against our landmark (moving ours forward if
        # theirs is later), then combine the two Space-Saving tables.
        if other._landmark > self._landmark:
            self._relandmark(other._landmark)
        factor = 2.0 ** ((other._landmark - self._landmark) / self._half_life)
        self._latest = max(self._latest, other._latest)
        new_keys, up, lo, floor = space_saving_combine(
            self._capacity, self._keys, self._pos, self._up, self._lo, self._floor,
            list(other._keys), other._up * factor, other._lo * factor, other._floor * factor,
        )  # fmt: skip
        self._keys, self._up, self._lo = new_keys, up.astype(np.float64), lo.astype(np.float64)
        self._pos = index_of(new_keys)
        self._floor = float(floor)
        self._total += other._total * factor
        return self

    def __repr__(self) -> str:
        return f"DecayedTopK(half_life_s={self._half_life:g}, capacity={self._capacity})"

    def to_bytes(self) -> bytes:
        """Serialize the structure (versioned header; see `from_bytes`).

        Returns:
            Bytes holding the half-life, landmark, `latest_s`, capacity and the table,
            for `from_bytes`, which rebuilds an equivalent structure.
        """
        out = Writer(KIND_DECAYED)
        for value in (self._half_life, self._landmark, self._latest, self._floor, self._total):
            out.f64(value)
        out.i64(self._capacity)
        out.items(self._keys)
        out.array(self._up, "f8")
        out.array(self._lo, "f8")
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """Rebuild a structure written by `to_bytes`.

        Args:
            data: Serialized bytes.

        Returns:
            A `DecayedTopK` that answers every query as the serialized one.

        Raises:
            CorruptDataError: If the bytes are truncated, of another structure, hold an
                invalid parameter or violate an invariant.
        """
        src = Reader(data, KIND_DECAYED)
        half, landmark, latest, floor, total = (src.f64() for _ in range(5))
        capacity = src.i64()
        keys = src.items()
        up, lo = src.array("f8"), src.array("f8")
        src.done()
        try:
            out = cls(half_life_s=half, capacity=capacity, landmark_s=landmark)
        except InvalidParameterError as exc:
            raise CorruptDataError(f"serialized DecayedTopK is invalid: {exc}") from None
        out._latest, out._floor, out._total = latest, floor, total
        out._keys, out._up, out._lo = keys, up, lo
        out._pos = index_of(keys)
        check_loaded(out)
        return out

    def _check(self) -> None:
        """Assert the Space-Saving invariants on the stored (landmark-scaled) weights."""
        n = len(self._keys)
        tol = 1e-9 * max(1.0, self._total)
        _require(n <= self._capacity and len(self._pos) == n, "bad key table")
        _require(len(self._up) == n == len(self._lo), "array lengths differ")
        _require(all(math.isfinite(v) for v in (self._floor, self._total)), "non-finite")
        _require(self._floor >= 0 and self._total >= 0, "negative floor or total")
        _require(math.isfinite(self._latest), "non-finite latest time")
        _require(self._latest >= self._landmark, "latest time before the landmark")
        _require(bool(np.all(self._lo >= -tol)), "negative lower bound")
        _require(bool(np.all(self._lo <= self._up + tol)), "lower above upper")
        _require(bool(np.all(self._up - self._lo <= self._floor + tol)), "error above floor")
        _require(float(self._up.sum()) <= self._total + tol, "counts above N")
        _require(self._floor * self._capacity <= self._total + tol, "floor above N/capacity")
