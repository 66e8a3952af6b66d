"""Exact counting: the truth every sketch is measured against."""

from __future__ import annotations

import heapq
import sys
from collections.abc import Iterable
from typing import Any, Self

import numpy as np

from twitterdesign._validate import check_int
from twitterdesign.errors import IncompatibleError
from twitterdesign.topk._base import (
    HeavyHitter,
    Item,
    aggregate,
    as_batch,
    check_item,
    check_weight,
)
from twitterdesign.topk._serial import KIND_EXACT, Reader, Writer, check_loaded

__all__ = ["ExactCounter"]


class ExactCounter:
    """A dict of exact counts with a numpy fast path for integer arrays.

    Memory grows with the number of distinct items — which is exactly why the sketches
    exist — but it answers every query with ``lower == estimate == upper``.

    Examples:
        >>> import numpy as np
        >>> exact = ExactCounter()
        >>> exact.update_many(np.array([5, 5, 9], dtype=np.int64))
        >>> exact.update("#tbt", 2)
        >>> exact.estimate(5), exact.estimate("#tbt"), len(exact)
        (2, 2, 3)
    """

    __slots__ = ("_counts", "_total")

    def __init__(self) -> None:
        self._counts: dict[Item, int] = {}
        self._total = 0

    @property
    def total_weight(self) -> int:
        """Total weight added (N)."""
        return self._total

    @property
    def nbytes(self) -> int:
        """Approximate memory: the dict plus every key and count object."""
        objects = sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in self._counts.items())
        return sys.getsizeof(self._counts) + objects

    def __len__(self) -> int:
        return len(self._counts)

    def __repr__(self) -> str:
        return f"ExactCounter(distinct={len(self)}, N={self._total})"

    def items(self) -> list[tuple[Item, int]]:
        """Return every ``(item, count)`` pair, in insertion order."""
        return list(self._counts.items())

    def update(self, item: Item, weight: int = 1) -> None:
        """Add ``weight`` occurrences of ``item``.

        Args:
            item: An int (64-bit), str or bytes.
            weight: A positive integer.

        Raises:
            InvalidParameterError: For a bad item or a non-positive weight.
        """
        key = check_item(item)
        w = check_weight(weight)
        self._counts[key] = self._counts.get(key, 0) + w
        self._total += w

    def update_many(self, items: Iterable[Any], weights: Iterable[Any] | None = None) -> None:
        """Add a batch; integer arrays are summed with ``np.unique`` first.

        Args:
            items: An int64 array (the fast path) or an iterable of items.
            weights: Positive integer weights, one per item; all ones when None.

        Raises:
            InvalidParameterError: For bad items or weights.
        """
        batch = as_batch(items, weights)
        keys, counts = aggregate(batch)
        table = self._counts
        key_list = keys.tolist() if isinstance(keys, np.ndarray) else keys
        for key, c in zip(key_list, counts.tolist(), strict=True):
            table[key] = table.get(key, 0) + c
        self._total += batch.total

    def estimate(self, item: Item) -> int:
        """Return the exact count of ``item``.

        Args:
            item: The item to look up (an int, str or bytes).

        Returns:
            The point estimate described above.
        """
        return self._counts.get(check_item(item), 0)

    def bounds(self, item: Item) -> tuple[int, int]:
        """Return ``(count, count)``.

        Args:
            item: The item to look up (an int, str or bytes).

        Returns:
            ``(lower, upper)`` bounds on the item's true count.
        """
        c = self.estimate(item)
        return c, c

    def top_k(self, k: int) -> list[HeavyHitter]:
        """Return the ``k`` largest counts, heaviest first (ties: first inserted).

        Raises:
            InvalidParameterError: If ``k`` is not a positive integer.
        """
        k = check_int("k", k, minimum=1)
        best = heapq.nlargest(k, self._counts.items(), key=lambda kv: kv[1])
        return [HeavyHitter(key, c, c, c) for key, c in best]

    def merge(self, other: Self) -> Self:
        """Add ``other``'s counts; return ``self``.

        Raises:
            IncompatibleError: If ``other`` is not an ExactCounter.
        """
        if not isinstance(other, ExactCounter):
            raise IncompatibleError(f"cannot merge {other!r} into an ExactCounter")
        for key, c in list(other._counts.items()):
            self._counts[key] = self._counts.get(key, 0) + c
        self._total += other._total
        return self

    def to_bytes(self) -> bytes:
        """Serialize every item and count (versioned header).

        Returns:
            Bytes for `from_bytes`, which rebuilds an equivalent structure.
        """
        out = Writer(KIND_EXACT)
        out.i64(self._total)
        out.items(list(self._counts))
        out.array(np.fromiter(self._counts.values(), np.int64, len(self._counts)), "i8")
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """Rebuild a counter written by `to_bytes`.

        Raises:
            CorruptDataError: If the bytes are truncated, foreign or inconsistent.
        """
        from twitterdesign.errors import CorruptDataError

        src = Reader(data, KIND_EXACT)
        total = src.i64()
        keys = src.items()
        counts = src.array("i8")
        src.done()
        if len(keys) != len(counts):
            raise CorruptDataError("serialized ExactCounter has inconsistent sizes")
        out = cls()
        out._counts = dict(zip(keys, counts.tolist(), strict=True))
        out._total = total
        check_loaded(out)
        return out

    def _check(self) -> None:
        """Assert every count is positive and they sum to N."""
        if any(c < 1 for c in self._counts.values()):
            raise AssertionError("non-positive count")
        if sum(self._counts.values()) != self._total:
            raise AssertionError("counts do not sum to N")
