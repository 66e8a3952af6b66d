"""Count-Min top-k: a Count-Min sketch plus the items with the largest estimates."""

from __future__ import annotations

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
from twitterdesign.topk._base import require as _require
from twitterdesign.topk._count_min import CountMinSketch
from twitterdesign.topk._serial import KIND_COUNT_MIN_TOPK, Reader, Writer, check_loaded

__all__ = ["CountMinTopK"]


class CountMinTopK:
    """A Count-Min sketch plus the ``k`` items with the largest estimates seen so far.

    After each update the candidates are the ``k`` items with the largest current
    estimates among the previous candidates and the items just added. Estimates and
    bounds are the sketch's: never below the truth, at most ``εN`` above with
    probability ``1 - δ``.

    Args:
        k: Number of candidates kept (positive).
        width: Counters per row.
        depth: Rows.
        conservative: Use conservative update (default True: tighter estimates).
        seed: Hash seed.

    Raises:
        InvalidParameterError: For bad sizes.

    Examples:
        >>> top = CountMinTopK(2, width=64, depth=4)
        >>> top.update_many(["#a"] * 5 + ["#b"] * 3 + ["#c"])
        >>> [h.item for h in top.top_k(2)]
        ['#a', '#b']
    """

    __slots__ = ("_k", "_keys", "_sketch")

    def __init__(
        self,
        k: int,
        *,
        width: int = 2048,
        depth: int = 5,
        conservative: bool = True,
        seed: int = 0,
    ) -> None:
        self._k = check_int("k", k, minimum=1, maximum=2**31)
        self._sketch = CountMinSketch(width, depth, conservative=conservative, seed=seed)
        self._keys: list[Item] = []

    @property
    def k(self) -> int:
        """Number of candidates kept."""
        return self._k

    @property
    def sketch(self) -> CountMinSketch:
        """The underlying Count-Min sketch."""
        return self._sketch

    @property
    def total_weight(self) -> int:
        """Total weight added (N)."""
        return self._sketch.total_weight

    @property
    def nbytes(self) -> int:
        """Memory of the sketch plus the candidate list and keys."""
        keys = sum(sys.getsizeof(x) for x in self._keys)
        return self._sketch.nbytes + sys.getsizeof(self._keys) + keys

    def __repr__(self) -> str:
        return f"CountMinTopK(k={self._k}, sketch={self._sketch!r})"

    def update(self, item: Item, weight: int = 1) -> None:
        """Add ``weight`` occurrences of ``item`` and refresh the candidates."""
        self.update_many([check_item(item)], [check_weight(weight)])

    def update_many(self, items: Iterable[Any], weights: Iterable[Any] | None = None) -> None:
        """Add a batch, then keep the ``k`` best of old candidates and batch items."""
        batch = as_batch(items, weights)
        if not len(batch):
            return
        self._sketch._add_batch(batch)
        keys, _ = aggregate(batch)
        fresh = keys.tolist() if isinstance(keys, np.ndarray) else keys
        self._refresh(fresh)

    def _refresh(self, fresh: list[Item]) -> None:
        pool = list(dict.fromkeys([*self._keys, *fresh]))
        est = self._sketch.estimate_many(pool)
        order = np.lexsort((np.arange(len(pool)), -est))[: self._k]
        self._keys = [pool[i] for i in order.tolist()]

    def estimate(self, item: Item) -> int:
        """Return the sketch's estimate of ``item`` (never below the truth).

        Args:
            item: The item to look up (an int, str or bytes).

        Returns:
            The point estimate described above.
        """
        return self._sketch.estimate(item)

    def bounds(self, item: Item) -> tuple[int, int]:
        """Return the sketch's bounds (see `CountMinSketch.bounds`).

        Args:
            item: The item to look up (an int, str or bytes).

        Returns:
            ``(lower, upper)`` bounds on the item's true count.
        """
        return self._sketch.bounds(item)

    def top_k(self, k: int) -> list[HeavyHitter]:
        """Return up to ``k`` candidates (at most `k`), largest estimate first."""
        return self._sketch.top_k(k, candidates=self._keys)

    def merge(self, other: Self) -> Self:
        """Merge sketches and candidate sets (same k and sketch configuration).

        Raises:
            IncompatibleError: If ``k`` or the sketch configuration differ.
        """
        if not isinstance(other, CountMinTopK) or other._k != self._k:
            raise IncompatibleError(f"cannot merge {other!r} into {self!r}: k must match")
        self._sketch.merge(other._sketch)
        self._refresh(list(other._keys))
        return self

    def to_bytes(self) -> bytes:
        """Serialize the sketch and candidates (versioned header).

        Returns:
            Bytes for `from_bytes`, which rebuilds an equivalent structure.
        """
        out = Writer(KIND_COUNT_MIN_TOPK)
        out.i64(self._k)
        self._sketch._write(out)
        out.items(self._keys)
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """Rebuild from `to_bytes` output.

        Raises:
            CorruptDataError: If the bytes are truncated, foreign or inconsistent.
        """
        src = Reader(data, KIND_COUNT_MIN_TOPK)
        k = src.i64()
        sketch = CountMinSketch._read(src)
        keys = src.items()
        src.done()
        out = cls.__new__(cls)
        out._k, out._sketch, out._keys = k, sketch, keys
        check_loaded(out)
        return out

    def _check(self) -> None:
        """Assert the candidates are distinct, at most k, and the sketch is sound."""
        _require(1 <= self._k <= 2**31, "k outside [1, 2**31]")
        _require(len(self._keys) <= self._k, "too many candidates")
        _require(len(set(self._keys)) == len(self._keys), "duplicate candidates")
        self._sketch._check()
