"""Space-Saving: ``capacity`` counters, every heavy hitter kept, error at most N/capacity."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from twitterdesign._validate import check_int
from twitterdesign.errors import IncompatibleError
from twitterdesign.topk._base import (
    HeavyHitter,
    Item,
    as_batch,
    check_item,
    check_weight,
    index_of,
    summarize,
)
from twitterdesign.topk._base import require as _require
from twitterdesign.topk._serial import KIND_SPACE_SAVING, Reader, Writer, check_loaded
from twitterdesign.topk._summary import space_saving_combine

__all__ = ["SpaceSaving"]

_FEW = 8
"""Batches with at most this many distinct items are applied one item at a time."""


class SpaceSaving:
    """Space-Saving heavy hitters with ``capacity`` monitored items (mergeable form).

    Each monitored item has a count (an upper bound on its true weight) and an error
    (count minus error is a lower bound). A ``floor`` (never above the smallest count)
    bounds the weight of every item that is not monitored. When the table is full, an
    unmonitored item arriving with weight ``w`` is worth at most ``floor + w``: if that
    beats the smallest count, it replaces that item (error ``floor``) and the floor rises
    to the evicted count; otherwise it is not admitted and the floor rises by ``w``. With
    the floor equal to the smallest count this is exactly Metwally et al.'s rule; a lower
    floor only tightens the bounds.

    Guarantees, for a total weight N (`total_weight`):

    * ``lower_bound <= true count <= upper_bound`` for every item;
    * ``upper_bound - lower_bound <= N / capacity``;
    * every item whose true count exceeds ``N / capacity`` is monitored, so it is in
      ``top_k(capacity)``.

    ``update_many`` sums the batch per distinct item (``np.unique`` for integer arrays)
    and combines that exact summary with the table in one vectorized step; ``merge``
    combines two tables the same way. Both keep the guarantees: any ``capacity`` candidates
    have summed upper bounds at most N, so the evicted ones — and the new floor — stay
    at most N / capacity.

    Args:
        capacity: Number of counters (``m`` in the paper); at least 1.

    Raises:
        InvalidParameterError: If ``capacity`` is not a positive integer.

    Examples:
        >>> ss = SpaceSaving(capacity=2)
        >>> ss.update_many(["#a", "#b", "#a", "#c", "#a"])
        >>> top = ss.top_k(1)[0]
        >>> top.item, top.lower_bound <= 3 <= top.upper_bound
        ('#a', True)

    References:
        A. Metwally, D. Agrawal, A. El Abbadi, "Efficient Computation of Frequent and
        Top-k Elements in Data Streams", ICDT 2005.
        P. K. Agarwal et al., "Mergeable Summaries", PODS 2012.
    """

    __slots__ = ("_capacity", "_counts", "_errors", "_floor", "_keys", "_pos", "_total")

    def __init__(self, capacity: int) -> None:
        self._capacity = check_int("capacity", capacity, minimum=1, maximum=2**31)
        self._keys: list[Item] = []
        self._pos: dict[Item, int] = {}
        self._counts: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._errors: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._floor = 0
        self._total = 0

    @property
    def capacity(self) -> int:
        """Number of counters."""
        return self._capacity

    @property
    def total_weight(self) -> int:
        """Total weight added (N)."""
        return self._total

    @property
    def floor(self) -> int:
        """Upper bound on the true count of any item that is not monitored."""
        return self._floor

    @property
    def nbytes(self) -> int:
        """Approximate memory: counter arrays, the key list, the index dict and keys."""
        keys = sum(sys.getsizeof(k) for k in self._keys)
        return int(
            self._counts.nbytes
            + self._errors.nbytes
            + sys.getsizeof(self._keys)
            + sys.getsizeof(self._pos)
            + keys
        )

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"SpaceSaving(capacity={self._capacity}, monitored={len(self)}, N={self._total})"

    def update(self, item: Item, weight: int = 1) -> None:
        """Add ``weight`` occurrences of ``item``.

        Args:
            item: An int (64-bit), str or bytes.
            weight: A positive integer.

        Raises:
            InvalidParameterError: For an unsupported item or a non-positive weight.
        """
        self._add(check_item(item), check_weight(weight))

    def _add(self, key: Item, w: int) -> None:
        """`update` for a validated key and weight."""
        i = self._pos.get(key)
        self._total += w
        if i is not None:
            self._counts[i] += w
            return
        n = len(self._keys)
        if n < self._capacity:
            self._pos[key] = n
            self._keys.append(key)
            self._counts = np.append(self._counts, np.int64(w))
            self._errors = np.append(self._errors, np.int64(self._floor))
            return
        # Same rule as the batch combine: the smallest upper bound leaves (ties: the
        # newcomer first, then the last-placed minimum), and the floor rises to it.
        j = n - 1 - int(np.argmin(self._counts[::-1]))
        smallest = int(self._counts[j])
        if self._floor + w <= smallest:
            self._floor += w
            return
        del self._pos[self._keys[j]]
        self._keys[j] = key
        self._pos[key] = j
        self._counts[j] = self._floor + w
        self._errors[j] = self._floor
        self._floor = max(self._floor, smallest)

    def update_many(self, items: Iterable[Any], weights: Iterable[Any] | None = None) -> None:
        """Add a batch: sum it per distinct item, then combine in one vectorized step.

        Args:
            items: An int64 array (fast path) or an iterable of items.
            weights: Positive integer weights, one per item; all ones when None.

        Raises:
            InvalidParameterError: For an invalid item or weight.
        """
        batch = as_batch(items, weights)
        if not len(batch):
            return
        keys, counts = summarize(batch)
        if len(counts) <= _FEW:
            # A handful of items: one O(1) update each costs less than a table combine
            # (each is itself a combine with a one-item batch, so the bounds are kept).
            few = keys if isinstance(keys, list) else keys.tolist()
            for key, count in zip(few, counts.tolist(), strict=True):
                self._add(key, count)
            return
        self._absorb(keys, counts, counts, 0, batch.total)

    def _absorb(self, keys: Any, up: Any, lo: Any, floor: int, total: int) -> None:
        n = len(self._keys)
        new_keys, ups, los, new_floor = space_saving_combine(
            self._capacity,
            self._keys,
            self._pos,
            self._counts[:n],
            self._counts[:n] - self._errors[:n],
            self._floor,
            keys,
            up,
            lo,
            floor,
        )
        self._keys = new_keys
        self._pos = index_of(new_keys)
        self._counts = ups.astype(np.int64)
        self._errors = (ups - los).astype(np.int64)
        self._floor = int(new_floor)
        self._total += int(total)

    def estimate(self, item: Item) -> int:
        """Return the count of ``item`` (an upper bound), or 0 if it is not monitored.

        Args:
            item: An int (64-bit), str or bytes.

        Returns:
            The monitored count, which is at least the true count; 0 when unmonitored
            (see `bounds` for the true count's range then).

        Raises:
            InvalidParameterError: For an unsupported item.
        """
        i = self._pos.get(check_item(item))
        return 0 if i is None else int(self._counts[i])

    def bounds(self, item: Item) -> tuple[int, int]:
        """Return ``(lower, upper)`` bounds on the true count of ``item`` (always hold).

        Args:
            item: An int (64-bit), str or bytes.

        Returns:
            ``(count - error, count)`` for a monitored item, ``(0, floor)`` otherwise.

        Raises:
            InvalidParameterError: For an unsupported item.
        """
        i = self._pos.get(check_item(item))
        if i is None:
            return 0, self._floor
        return int(self._counts[i] - self._errors[i]), int(self._counts[i])

    def top_k(self, k: int) -> list[HeavyHitter]:
        """Return the ``k`` monitored items with the largest counts, heaviest first.

        Args:
            k: How many items (positive); at most `capacity` can be returned.

        Returns:
            `HeavyHitter` items with ``estimate == upper_bound`` and the lower
            bound; ties keep the table's order.

        Raises:
            InvalidParameterError: If ``k`` is not a positive integer.
        """
        k = check_int("k", k, minimum=1)
        n = len(self._keys)
        order = np.lexsort((np.arange(n), -self._counts[:n]))[:k]
        return [
            HeavyHitter(
                self._keys[i],
                int(self._counts[i]),
                int(self._counts[i] - self._errors[i]),
                int(self._counts[i]),
            )
            for i in order.tolist()
        ]

    def merge(self, other: Self) -> Self:
        """Fold ``other`` (same capacity) into this table and return ``self``.

        Args:
            other: Another SpaceSaving with the same capacity (left unchanged).

        Returns:
            ``self``, now answering for both streams with the same guarantees.

        Raises:
            IncompatibleError: If ``other`` is not a SpaceSaving of the same capacity.
        """
        if not isinstance(other, SpaceSaving) or other._capacity != self._capacity:
            raise IncompatibleError(
                f"cannot merge {other!r} into {self!r}: both must be SpaceSaving "
                "with the same capacity"
            )
        if other is self:
            other = type(self).from_bytes(other.to_bytes())
        n = len(other._keys)
        self._absorb(
            list(other._keys),
            other._counts[:n],
            other._counts[:n] - other._errors[:n],
            other._floor,
            other._total,
        )
        return self

    def to_bytes(self) -> bytes:
        """Serialize the table (versioned header; see `from_bytes`).

        Returns:
            Bytes that `from_bytes` turns back into an identical table.
        """
        out = Writer(KIND_SPACE_SAVING)
        out.i64(self._capacity)
        out.i64(self._total)
        out.i64(self._floor)
        out.items(self._keys)
        out.array(self._counts, "i8")
        out.array(self._errors, "i8")
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """Rebuild a table written by `to_bytes`.

        Args:
            data: Serialized bytes.

        Returns:
            A table that answers every query exactly as the serialized one.

        Raises:
            CorruptDataError: If the bytes are truncated, of another structure or violate
                an invariant.
        """
        src = Reader(data, KIND_SPACE_SAVING)
        capacity, total, floor = src.i64(), src.i64(), src.i64()
        keys = src.items()
        counts, errors = src.array("i8"), src.array("i8")
        src.done()
        sketch = cls.__new__(cls)
        sketch._capacity = capacity
        sketch._total, sketch._floor = total, floor
        sketch._keys, sketch._counts, sketch._errors = keys, counts, errors
        sketch._pos = index_of(keys)
        check_loaded(sketch)
        return sketch

    def _check(self) -> None:
        """Assert every invariant the guarantees rest on."""
        n = len(self._keys)
        _require(1 <= self._capacity <= 2**31, "capacity outside [1, 2**31]")
        _require(n <= self._capacity, "more keys than counters")
        _require(len(self._pos) == n, "duplicate keys or stale index")
        _require(all(self._pos[k] == i for i, k in enumerate(self._keys)), "bad index")
        _require(len(self._counts) == n == len(self._errors), "array lengths differ")
        _require(bool(np.all(self._errors >= 0)), "negative error")
        _require(bool(np.all(self._counts - self._errors >= 0)), "negative lower bound")
        _require(bool(np.all(self._counts >= 1)), "non-positive count")
        _require(bool(np.all(self._errors <= self._floor)), "error above the floor")
        _require(int(self._counts.sum()) <= self._total, "counts sum above N")
        _require(self._floor * self._capacity <= self._total, "floor above N / capacity")
        if n < self._capacity:
            _require(self._floor == 0, "a table with free counters has a floor")
        elif n:
            _require(self._floor <= int(self._counts.min()), "floor above the minimum count")
