"""Adapter over Apache DataSketches' frequent items sketch, with this module's protocol."""

from __future__ import annotations

import struct
import sys
from collections.abc import Iterable
from typing import Any, Self

import datasketches
import numpy as np

from twitterdesign._validate import check_int
from twitterdesign.errors import CorruptDataError, IncompatibleError
from twitterdesign.topk._base import (
    HeavyHitter,
    Item,
    aggregate,
    as_batch,
    check_item,
    check_weight,
)
from twitterdesign.topk._packed import from_utf8, utf8
from twitterdesign.topk._serial import KIND_FREQUENT_ITEMS, Reader, Writer, check_loaded

__all__ = ["FrequentItems"]


class _ItemSerDe(datasketches.PyObjectSerDe):  # type: ignore[misc]
    """Tagged encoding of int / str / bytes items for the DataSketches serializer."""

    def get_size(self, item: Any) -> int:
        return len(self.to_bytes(item))

    def to_bytes(self, item: Any) -> bytes:
        if isinstance(item, int):
            return struct.pack("<Bq", 0, item)
        raw = utf8(item) if isinstance(item, str) else bytes(item)
        return struct.pack("<BI", 1 if isinstance(item, str) else 2, len(raw)) + raw

    def from_bytes(self, data: bytes, offset: int) -> tuple[Any, int]:
        tag = data[offset]
        if tag == 0:
            return struct.unpack_from("<q", data, offset + 1)[0], 9
        (n,) = struct.unpack_from("<I", data, offset + 1)
        raw = bytes(data[offset + 5 : offset + 5 + n])
        if len(raw) != n or tag not in (1, 2):
            raise ValueError("corrupt item")
        return (from_utf8(raw) if tag == 1 else raw), 5 + n


def _drained(sketch: Any) -> tuple[int, int]:
    """The total weight and error offset of a sketch whose purges left no counters.

    DataSketches (C++ 5.x) calls such a sketch empty, so `serialize` writes the empty
    image and `merge` skips it, and both drop its weight and error
    (apache/datasketches-cpp#527). We keep them ourselves instead. Returns ``(0, 0)`` for
    any other sketch.
    """
    if sketch.is_empty() and sketch.total_weight > 0:
        # With no counters, every item's upper bound is the sketch's error offset.
        return int(sketch.total_weight), int(sketch.get_upper_bound(0))
    return 0, 0


def _order(item: Item) -> tuple[int, Any]:
    """A total order over mixed item types, so ties rank the same after a round trip."""
    return (0 if isinstance(item, int) else 1 if isinstance(item, str) else 2), item


class FrequentItems:
    """DataSketches' frequent items sketch (a Misra-Gries / Space-Saving hybrid).

    The sketch keeps at most ``0.75 · 2**lg_max_map_size`` items and purges the smaller
    counters when full. Its bounds are its own ``get_lower_bound`` / ``get_upper_bound``:
    they always bracket the true count, and their gap is at most ``ε·N`` with
    ``ε = 3.5 / 2**lg_max_map_size`` (the sketch's a-priori error).

    Args:
        lg_max_map_size: Base-2 log of the largest hash map, 3 to 26.

    Raises:
        InvalidParameterError: If ``lg_max_map_size`` is out of range.

    Examples:
        >>> fi = FrequentItems(lg_max_map_size=4)
        >>> fi.update_many([1, 1, 1, 2, 3])
        >>> fi.top_k(1)[0].item, fi.bounds(1)
        (1, (3, 3))

    References:
        D. Anderson et al., "A High-Performance Algorithm for Identifying Frequent Items
        in Data Streams", IMC 2017; https://datasketches.apache.org/
    """

    __slots__ = ("_carry_error", "_carry_weight", "_lg", "_sketch")

    def __init__(self, lg_max_map_size: int = 10) -> None:
        self._lg = check_int("lg_max_map_size", lg_max_map_size, minimum=3, maximum=26)
        self._sketch = datasketches.frequent_items_sketch(self._lg)
        # Weight and error of purged states that DataSketches would drop (see `_drain`).
        self._carry_weight = 0
        self._carry_error = 0

    @property
    def lg_max_map_size(self) -> int:
        """Base-2 log of the largest hash map."""
        return self._lg

    @property
    def epsilon(self) -> float:
        """A-priori relative error of the bounds."""
        return float(self._sketch.get_epsilon_for_lg_size(self._lg))

    @property
    def total_weight(self) -> int:
        """Total weight added (N)."""
        return int(self._sketch.total_weight) + self._carry_weight

    @property
    def nbytes(self) -> int:
        """Approximate memory: the map's key, count and state arrays plus live keys."""
        keys = sum(sys.getsizeof(row[0]) for row in self._rows())
        return int((8 + 8 + 2) * 2**self._lg + keys)

    def __repr__(self) -> str:
        return f"FrequentItems(lg_max_map_size={self._lg}, N={self.total_weight})"

    def _rows(self) -> list[tuple[Any, int, int, int]]:
        nfn = datasketches.frequent_items_error_type.NO_FALSE_NEGATIVES
        rows = self._sketch.get_frequent_items(nfn, 0)
        extra = self._carry_error
        return [(item, est + extra, lo, hi + extra) for item, est, lo, hi in rows]

    def update(self, item: Item, weight: int = 1) -> None:
        """Add ``weight`` occurrences of ``item``.

        Args:
            item: An int (64-bit), str or bytes.
            weight: A positive integer.

        Raises:
            InvalidParameterError: For a bad item or a non-positive weight.
        """
        self._sketch.update(check_item(item), check_weight(weight))

    def update_many(self, items: Iterable[Any], weights: Iterable[Any] | None = None) -> None:
        """Sum the batch per distinct item, then add each sum with one sketch update.

        Args:
            items: An int64 array (the fast path) or an iterable of items.
            weights: Positive integer weights, one per item; all ones when None.

        Raises:
            InvalidParameterError: For bad items or weights.
        """
        batch = as_batch(items, weights)
        if not len(batch):
            return
        keys, counts = aggregate(batch)
        key_list = keys.tolist() if isinstance(keys, np.ndarray) else keys
        update = self._sketch.update
        for key, c in zip(key_list, counts.tolist(), strict=True):
            update(key, c)

    def estimate(self, item: Item) -> int:
        """Return the sketch's estimate of ``item``.

        Args:
            item: The item to look up (an int, str or bytes).

        Returns:
            The point estimate described above.
        """
        estimate = int(self._sketch.get_estimate(check_item(item)))
        return estimate + self._carry_error if estimate else 0

    def bounds(self, item: Item) -> tuple[int, int]:
        """Return the sketch's ``(lower, upper)`` bounds; both always hold.

        Args:
            item: The item to look up (an int, str or bytes).

        Returns:
            ``(lower, upper)`` bounds on the item's true count.
        """
        key = check_item(item)
        upper = int(self._sketch.get_upper_bound(key)) + self._carry_error
        return int(self._sketch.get_lower_bound(key)), upper

    def top_k(self, k: int) -> list[HeavyHitter]:
        """Return up to ``k`` tracked items by estimate, heaviest first (ties by item).

        Raises:
            InvalidParameterError: If ``k`` is not a positive integer.
        """
        k = check_int("k", k, minimum=1)
        rows = sorted(self._rows(), key=lambda r: (-r[1], _order(r[0])))[:k]
        return [HeavyHitter(r[0], int(r[1]), int(r[2]), int(r[3])) for r in rows]

    def merge(self, other: Self) -> Self:
        """Merge ``other`` (same map size) into this sketch; return ``self``.

        Raises:
            IncompatibleError: If ``other`` is not a FrequentItems of the same size.
        """
        if not isinstance(other, FrequentItems) or other._lg != self._lg:
            raise IncompatibleError(
                f"cannot merge {other!r} into {self!r}: lg_max_map_size must match"
            )
        weight, error = _drained(other._sketch)
        self._sketch.merge(other._sketch)  # a no-op when DataSketches thinks it empty
        self._carry_weight += other._carry_weight + weight
        self._carry_error += other._carry_error + error
        return self

    def _drain(self) -> None:
        """Move a counterless sketch's weight and error into the carry; start afresh."""
        weight, error = _drained(self._sketch)
        if weight:
            self._carry_weight += weight
            self._carry_error += error
            self._sketch = datasketches.frequent_items_sketch(self._lg)

    def to_bytes(self) -> bytes:
        """Serialize: our versioned header around the DataSketches image.

        Returns:
            Bytes for `from_bytes`, which rebuilds an equivalent structure.
        """
        out = Writer(KIND_FREQUENT_ITEMS)
        self._drain()
        out.i64(self._lg)
        out.i64(self._carry_weight)
        out.i64(self._carry_error)
        out.blob(self._sketch.serialize(_ItemSerDe()))
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """Rebuild from `to_bytes` output.

        Raises:
            CorruptDataError: If the bytes are truncated, foreign or inconsistent.
        """
        src = Reader(data, KIND_FREQUENT_ITEMS)
        lg = src.i64()
        carry_weight, carry_error = src.i64(), src.i64()
        blob = src.blob()
        src.done()
        if not 3 <= lg <= 26:
            raise CorruptDataError(f"serialized FrequentItems has lg_max_map_size={lg}")
        if not 0 <= carry_error <= carry_weight:
            raise CorruptDataError("serialized FrequentItems has inconsistent carried weight")
        try:
            sketch = datasketches.frequent_items_sketch.deserialize(blob, _ItemSerDe())
        except Exception as exc:  # the binding raises plain RuntimeError/ValueError
            raise CorruptDataError(f"serialized FrequentItems is corrupt: {exc}") from None
        out = cls(lg)
        out._sketch = sketch
        out._carry_weight, out._carry_error = carry_weight, carry_error
        check_loaded(out)
        return out

    def _check(self) -> None:
        """Assert every tracked item's bounds bracket its estimate within N."""
        n = self.total_weight
        if not 0 <= self._carry_error <= self._carry_weight:
            raise AssertionError("carried error above carried weight")
        for _item, est, lo, hi in self._rows():
            if not 0 <= lo <= est <= hi <= n:
                raise AssertionError("bounds out of order")
