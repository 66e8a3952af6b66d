"""Misra-Gries frequent items: k counters, undercount at most N/(k+1), mergeable."""

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
from twitterdesign.topk._serial import KIND_MISRA_GRIES, Reader, Writer, check_loaded
from twitterdesign.topk._summary import misra_gries_combine

__all__ = ["MisraGries"]


class MisraGries:
    """Misra-Gries summary with ``k`` counters.

    A counter is a lower bound on its item's count. When a new item finds no free
    counter, every counter (the new item's included) is reduced by the smallest among
    them and zeros are dropped; the running sum of these reductions, `decrement`,
    bounds every item's undercount. Each reduction removes weight from ``k + 1``
    counters, so ``decrement <= N / (k + 1)``:

    * ``estimate <= true count <= estimate + decrement <= estimate + N/(k+1)``.

    Batches are summed per distinct item and merged in one step, and two summaries merge
    by adding counters and subtracting the (k+1)-th largest (Agarwal et al.), which keeps
    the same bound for the concatenated stream.

    Args:
        k: Number of counters (positive).

    Raises:
        InvalidParameterError: If ``k`` is not a positive integer.

    Examples:
        >>> mg = MisraGries(k=2)
        >>> mg.update_many(["#a", "#b", "#a", "#c", "#a", "#a"])
        >>> lo, hi = mg.bounds("#a")
        >>> lo <= 4 <= hi, hi - lo <= mg.total_weight // 3
        (True, True)

    References:
        J. Misra, D. Gries, "Finding Repeated Elements", Science of Computer
        Programming 2(2), 1982.
        P. K. Agarwal et al., "Mergeable Summaries", PODS 2012.
    """

    __slots__ = ("_counts", "_decrement", "_k", "_keys", "_pos", "_total")

    def __init__(self, k: int) -> None:
        self._k = check_int("k", k, minimum=1, maximum=2**31)
        self._keys: list[Item] = []
        self._pos: dict[Item, int] = {}
        self._counts: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._decrement = 0
        self._total = 0

    @property
    def k(self) -> int:
        """Number of counters."""
        return self._k

    @property
    def decrement(self) -> int:
        """Total amount subtracted from counters; bounds every item's undercount."""
        return self._decrement

    @property
    def total_weight(self) -> int:
        """Total weight added (N)."""
        return self._total

    @property
    def nbytes(self) -> int:
        """Approximate memory: the counter array, key list, index dict and keys."""
        keys = sum(sys.getsizeof(x) for x in self._keys)
        return int(
            self._counts.nbytes + sys.getsizeof(self._keys) + sys.getsizeof(self._pos) + keys
        )

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"MisraGries(k={self._k}, monitored={len(self)}, N={self._total})"

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
        i = self._pos.get(key)
        if i is not None:
            self._counts[i] += w
            self._total += w
            return
        if len(self._keys) < self._k:
            self._pos[key] = len(self._keys)
            self._keys.append(key)
            self._counts = np.append(self._counts, np.int64(w))
            self._total += w
            return
        self._absorb([key], np.array([w], dtype=np.int64), w)

    def update_many(self, items: Iterable[Any], weights: Iterable[Any] | None = None) -> None:
        """Add a batch: sum it per distinct item, then merge in one vectorized step.

        Args:
            items: An int64 array (the fast path) or an iterable of items.
            weights: Positive integer weights, one per item; all ones when None.

        Raises:
            InvalidParameterError: For bad items or weights.
        """
        batch = as_batch(items, weights)
        if not len(batch):
            return
        keys, counts = summarize(batch)
        self._absorb(keys, counts, batch.total)

    def _absorb(self, keys: Any, counts: Any, total: int) -> None:
        new_keys, new_counts, delta = misra_gries_combine(
            self._k, self._keys, self._pos, self._counts, keys, counts
        )
        self._keys = new_keys
        self._pos = index_of(new_keys)
        self._counts = new_counts.astype(np.int64)
        self._decrement += delta
        self._total += int(total)

    def estimate(self, item: Item) -> int:
        """Return the counter of ``item`` (a lower bound; 0 if not monitored).

        Args:
            item: The item to look up (an int, str or bytes).

        Returns:
            The point estimate described above.
        """
        i = self._pos.get(check_item(item))
        return 0 if i is None else int(self._counts[i])

    def bounds(self, item: Item) -> tuple[int, int]:
        """Return ``(counter, counter + decrement)``; both always hold.

        Args:
            item: The item to look up (an int, str or bytes).

        Returns:
            ``(lower, upper)`` bounds on the item's true count.
        """
        c = self.estimate(item)
        return c, c + self._decrement

    def top_k(self, k: int) -> list[HeavyHitter]:
        """Return the ``k`` largest counters, heaviest first.

        Raises:
            InvalidParameterError: If ``k`` is not a positive integer.
        """
        k = check_int("k", k, minimum=1)
        n = len(self._keys)
        order = np.lexsort((np.arange(n), -self._counts))[:k]
        d = self._decrement
        return [
            HeavyHitter(self._keys[i], int(c), int(c), int(c) + d)
            for i, c in zip(order.tolist(), self._counts[order].tolist(), strict=True)
        ]

    def merge(self, other: Self) -> Self:
        """Fold ``other`` (same k) in; the bound holds for the combined stream.

        Raises:
            IncompatibleError: If ``other`` is not a MisraGries with the same ``k``.
        """
        if not isinstance(other, MisraGries) or other._k != self._k:
            raise IncompatibleError(
                f"cannot merge {other!r} into {self!r}: both must be MisraGries with the same k"
            )
        keys, counts = list(other._keys), other._counts.copy()
        self._decrement += other._decrement
        self._absorb(keys, counts, other._total)
        return self

    def to_bytes(self) -> bytes:
        """Serialize (versioned header).

        Returns:
            Bytes for `from_bytes`, which rebuilds an equivalent structure.
        """
        out = Writer(KIND_MISRA_GRIES)
        out.i64(self._k)
        out.i64(self._total)
        out.i64(self._decrement)
        out.items(self._keys)
        out.array(self._counts, "i8")
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """Rebuild a summary written by `to_bytes`.

        Raises:
            CorruptDataError: If the bytes are truncated, foreign or inconsistent.
        """
        src = Reader(data, KIND_MISRA_GRIES)
        k, total, decrement = src.i64(), src.i64(), src.i64()
        keys = src.items()
        counts = src.array("i8")
        src.done()
        out = cls.__new__(cls)
        out._k, out._total, out._decrement = k, total, decrement
        out._keys, out._counts = keys, counts
        out._pos = index_of(keys)
        check_loaded(out)
        return out

    def _check(self) -> None:
        """Assert the counters and the decrement respect ``sum + (k+1)·D <= N``."""
        n = len(self._keys)
        _require(1 <= self._k <= 2**31, "k outside [1, 2**31]")
        _require(n <= self._k and len(self._counts) == n, "too many counters")
        _require(len(self._pos) == n, "duplicate keys")
        _require(all(self._pos[x] == i for i, x in enumerate(self._keys)), "bad index")
        _require(bool(np.all(self._counts >= 1)), "non-positive counter")
        _require(self._decrement >= 0, "negative decrement")
        used = int(self._counts.sum()) + (self._k + 1) * self._decrement
        _require(used <= self._total, "counters plus decrements exceed N")
