"""Shared pieces of the top-k module: items, weights, batches, results and the protocol."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Protocol, Self, TypeAlias, runtime_checkable

import numpy as np
import numpy.typing as npt

from twitterdesign._validate import check_int
from twitterdesign.errors import InvalidParameterError
from twitterdesign.topk import _packed
from twitterdesign.topk._arrow import ArrowItems, columnar_keys, columnar_weights, is_columnar
from twitterdesign.topk._packed import (
    Distinct,
    Packed,
    content_keys,
    first_events,
    group,
    key_digest,
    murmur3_h1,
    pack,
    take_items,
)

__all__ = [
    "MAX_WEIGHT",
    "Batch",
    "FrequencySketch",
    "HeavyHitter",
    "Item",
    "aggregate",
    "as_batch",
    "check_item",
    "check_weight",
    "summarize",
]

Item: TypeAlias = int | str | bytes
"""What a sketch counts: a 64-bit signed integer (a tweet id), a string or bytes."""

IntArray: TypeAlias = npt.NDArray[np.int64]

MAX_WEIGHT = 2**53
"""Largest single weight accepted (sums of weights stay exact in int64 and float64)."""

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_ITEM_ALLOWED = "an int in the signed 64-bit range, a str or bytes"


@dataclass(frozen=True, slots=True)
class HeavyHitter:
    """One reported item with its estimated count and the bounds around the true count.

    Attributes:
        item: The item (tweet id, hashtag, ...).
        estimate: The sketch's point estimate of the item's total weight.
        lower_bound: The true count is at least this (see each sketch for how sure).
        upper_bound: The true count is at most this.

    Examples:
        >>> HeavyHitter("#tbt", 10, 8, 12).to_dict()
        {'item': '#tbt', 'estimate': 10, 'lower_bound': 8, 'upper_bound': 12}
    """

    item: Item
    estimate: int
    lower_bound: int
    upper_bound: int

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict (bytes items become latin-1 text).

        Returns:
            A dict with the keys ``item``, ``estimate``, ``lower_bound``, ``upper_bound``.
        """
        data = asdict(self)
        if isinstance(self.item, bytes):
            data["item"] = self.item.decode("latin-1")
        return data


@runtime_checkable
class FrequencySketch(Protocol):
    """What every counter in `twitterdesign.topk` offers.

    ``update`` and ``update_many`` add weight; ``estimate`` and ``bounds`` answer a point
    query; ``top_k`` lists the heaviest items; ``merge`` folds another sketch of the same
    configuration in place; ``to_bytes`` / ``from_bytes`` ship it between processes.
    """

    def update(self, item: Item, weight: int = 1) -> None:
        """Add ``weight`` occurrences of ``item``."""

    def update_many(self, items: Iterable[Any], weights: Iterable[Any] | None = None) -> None:
        """Add a batch of items (the fast path)."""

    def estimate(self, item: Item) -> int:
        """Return the estimated count of ``item``.

        Args:
            item: The item to look up (an int, str or bytes).

        Returns:
            The point estimate described above.
        """
        ...

    def bounds(self, item: Item) -> tuple[int, int]:
        """Return ``(lower, upper)`` bounds on the true count of ``item``.

        Args:
            item: The item to look up (an int, str or bytes).

        Returns:
            ``(lower, upper)`` bounds on the item's true count.
        """
        ...

    def top_k(self, k: int) -> list[HeavyHitter]:
        """Return up to ``k`` heaviest items, heaviest first."""
        ...

    def merge(self, other: Self) -> Self:
        """Fold ``other`` into this sketch and return it."""
        ...

    def to_bytes(self) -> bytes:
        """Serialize the sketch.

        Returns:
            Bytes for `from_bytes`, which rebuilds an equivalent structure.
        """
        ...

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """Rebuild a sketch from `to_bytes` output."""
        ...

    @property
    def total_weight(self) -> int:
        """Total weight added so far."""
        ...

    @property
    def nbytes(self) -> int:
        """Approximate memory held by the sketch, in bytes."""
        ...


def require(condition: bool, message: str) -> None:
    """Raise AssertionError with ``message`` unless ``condition`` holds (used by ``_check``).

    Unlike ``assert``, it still runs under ``python -O``.
    """
    if not condition:
        raise AssertionError(message)


def row_sums(matrix: npt.NDArray[np.int64]) -> list[int]:
    """Exact sums of the rows of a non-negative int64 matrix (no int64 wrap-around)."""
    if not matrix.size:
        return [0] * len(matrix)
    if int(matrix.max()) * matrix.shape[1] < 2**63:
        return [int(x) for x in matrix.sum(axis=1)]
    return [sum(row.tolist()) for row in matrix]


def index_of(keys: list[Item]) -> dict[Item, int]:
    """Map each of ``keys`` (distinct) to its position (one C-level pass)."""
    return dict(zip(keys, range(len(keys)), strict=True))


def check_item(item: Any) -> Item:
    """Return ``item`` in canonical form (numpy integers become ``int``), or raise.

    Args:
        item: A candidate item.

    Returns:
        The item as ``int``, ``str`` or ``bytes``.

    Raises:
        InvalidParameterError: If the item is of another type (floats, tuples, lists,
            booleans...) or an integer outside the signed 64-bit range.
    """
    if isinstance(item, str):
        return item
    if isinstance(item, bool):
        raise InvalidParameterError("item", item, _ITEM_ALLOWED)
    if isinstance(item, int | np.integer):
        value = int(item)
        if _INT64_MIN <= value <= _INT64_MAX:
            return value
        raise InvalidParameterError("item", item, _ITEM_ALLOWED)
    if isinstance(item, bytes | bytearray | memoryview):
        return bytes(item)
    if isinstance(item, np.str_):
        return str(item)
    raise InvalidParameterError("item", item, _ITEM_ALLOWED)


def check_weight(weight: Any) -> int:
    """Return ``weight`` as a positive int, or raise.

    Raises:
        InvalidParameterError: If the weight is not an integer in ``[1, 2**53]``.
    """
    return check_int("weight", weight, minimum=1, maximum=MAX_WEIGHT)


@dataclass(frozen=True, slots=True)
class Batch:
    """A validated batch: either an int64 array or a list of items, with int64 weights.

    Attributes:
        keys: ``int64`` array (the fast path), a list of canonical items, or a string or
            binary Arrow column (`ArrowItems`).
        weights: ``int64`` array of the same length, or None for all-ones.
        packed: For a large list of only strings (or only bytes), the same items
            packed into one buffer for the vectorized hash and grouping; else None (an
            Arrow column packs itself from its buffers).
    """

    keys: IntArray | list[Item] | ArrowItems
    weights: IntArray | None
    packed: Packed | None = None

    def fingerprints(self) -> npt.NDArray[np.uint64] | None:
        """The 64-bit fingerprint of every packed item, or None if the batch is not packed."""
        if isinstance(self.keys, ArrowItems):
            return murmur3_h1(self.keys.packed)
        return None if self.packed is None else murmur3_h1(self.packed)

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def total(self) -> int:
        """Total weight of the batch."""
        if self.weights is None:
            return len(self.keys)
        return int(self.weights.sum())


def as_batch(items: Iterable[Any], weights: Iterable[Any] | None = None) -> Batch:
    """Validate a batch of items and weights.

    Integer numpy arrays (and lists of plain ints) take the vectorized path; Arrow
    arrays and pandas Series are read from their buffers (nulls skipped, with their
    weights; see `twitterdesign.topk._arrow`); anything else becomes a list of
    canonical items.

    Raises:
        InvalidParameterError: For an invalid item, a weight that is not a positive
            integer (floats, NaN, zero, negatives) or a length mismatch.
    """
    keys: IntArray | list[Item]
    packed: Packed | None = None
    if isinstance(items, ArrowItems):
        return Batch(items, _as_weights(weights, len(items)))
    if is_columnar(items):
        return _columnar_batch(items, weights)
    if isinstance(items, np.ndarray):
        if items.ndim != 1:
            raise InvalidParameterError("items", items, "a one-dimensional array or iterable")
        if np.issubdtype(items.dtype, np.integer) and items.dtype != np.bool_:
            if items.dtype == np.uint64 and items.size and int(items.max()) > _INT64_MAX:
                raise InvalidParameterError("items", items, _ITEM_ALLOWED)
            keys = items.astype(np.int64, copy=False)
        elif items.dtype.kind in "USO":
            keys, packed = _list_keys(items.tolist())
        else:
            raise InvalidParameterError("items", items, "an array of integers or strings")
    elif isinstance(items, str | bytes):
        raise InvalidParameterError("items", items, "an iterable of items, not one str/bytes")
    else:
        try:
            raw = items if type(items) is list else list(items)
        except TypeError:
            raise InvalidParameterError("items", items, "an iterable of items") from None
        keys, packed = _list_keys(raw)
    return Batch(keys, _as_weights(weights, len(keys)), packed)


def _columnar_batch(items: Any, weights: Iterable[Any] | None) -> Batch:
    """`as_batch` for an Arrow array or pandas Series: nulls and their weights dropped."""
    keys, valid = columnar_keys(items)
    w = _as_weights(weights, len(keys) if valid is None else len(valid))
    if valid is not None and w is not None:
        w = w[valid]
    if isinstance(keys, ArrowItems):
        return Batch(keys, w)  # hashed from its buffers on demand (`Batch.fingerprints`)
    return as_batch(keys, w)


def _list_keys(raw: list[Any]) -> tuple[IntArray | list[Item], Packed | None]:
    """Canonical keys for a list of items, and the packed form of a large string batch."""
    # A large batch of strings packs with one join, which also proves every item a str.
    packed = pack(raw) if len(raw) >= _packed.MIN_PACKED else None
    if packed is not None:
        return raw, packed
    kinds = set(map(type, raw))
    if kinds == {int}:
        try:
            return np.asarray(raw, dtype=np.int64), None
        except OverflowError:
            pass
    elif kinds and all(issubclass(k, np.signedinteger) for k in kinds):
        return np.asarray(raw, dtype=np.int64), None  # a list of numpy int64 tweet ids
    elif kinds <= {str}:
        return raw, None  # already canonical: skip the per-item check
    return [check_item(x) for x in raw], None


def _as_weights(weights: Iterable[Any] | None, n: int) -> IntArray | None:
    if weights is None:
        return None
    weights = columnar_weights(weights)
    if isinstance(weights, np.ndarray):
        arr = weights
    else:
        try:
            raw = list(weights)
        except TypeError:
            raise InvalidParameterError("weights", weights, "an iterable of integers") from None
        if any(isinstance(w, bool) or not isinstance(w, int | np.integer) for w in raw):
            raise InvalidParameterError("weights", weights, "positive integers")
        try:
            arr = np.asarray(raw, dtype=np.int64)
        except OverflowError:
            raise InvalidParameterError("weights", weights, f"integers <= {MAX_WEIGHT}") from None
    if arr.ndim != 1 or len(arr) != n:
        raise InvalidParameterError("weights", weights, f"one weight per item ({n} items)")
    if not np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_:
        raise InvalidParameterError(
            "weights", weights, "positive integers (an integer dtype; no floats or NaN)"
        )
    if arr.size and (int(arr.min()) < 1 or int(arr.max()) > MAX_WEIGHT):
        raise InvalidParameterError("weights", weights, f"integers in [1, {MAX_WEIGHT}]")
    return arr.astype(np.int64, copy=False)


def aggregate(batch: Batch, *, first_seen: bool = False) -> tuple[IntArray | list[Item], IntArray]:
    """Sum a batch per distinct item.

    Args:
        batch: A validated batch.
        first_seen: Return integer keys in order of first occurrence even when they
            would fit a counting sort.

    Returns:
        ``(keys, counts)``: a list of items in order of first occurrence, or for an int
        array the distinct keys, in order of first occurrence if ``first_seen`` and
        otherwise in ascending order or (for large, sparse batches) order of first
        occurrence.
    """
    if isinstance(batch.keys, np.ndarray):
        if not len(batch.keys):
            return batch.keys, np.zeros(0, dtype=np.int64)
        if not first_seen:
            dense = _dense_counts(batch)
            if dense is not None:
                return dense
        if len(batch.keys) >= _INT_GROUPED:
            grouped_ints = _group_ints(batch.keys, batch.weights)
            if grouped_ints is not None:
                return grouped_ints
        # Small batches (or a hash table that kept colliding on crafted keys): sort.
        if batch.weights is None and not first_seen:
            uniq, counts = np.unique(batch.keys, return_counts=True)
            return uniq, counts.astype(np.int64)
        uniq, first, inverse = np.unique(batch.keys, return_index=True, return_inverse=True)
        sums = np.zeros(len(uniq), dtype=np.int64)
        if batch.weights is None:
            sums += np.bincount(inverse, minlength=len(uniq))
        else:
            np.add.at(sums, inverse, batch.weights)
        if first_seen:
            order = np.argsort(first, kind="stable")
            return uniq[order], sums[order]
        return uniq, sums
    grouped = group_packed(batch)
    if grouped is not None:
        return grouped[0].tolist(), grouped[1]
    return _sum_by_dict(batch)


def _sum_by_dict(batch: Batch) -> tuple[list[Item], IntArray]:
    """Sum a list batch per item with a dict (first-occurrence order)."""
    table: dict[Item, int]
    if batch.weights is None:
        table = Counter(batch.keys)
    else:
        table = {}
        for key, w in zip(batch.keys, batch.weights.tolist(), strict=True):
            table[key] = table.get(key, 0) + w
    return list(table), np.fromiter(table.values(), dtype=np.int64, count=len(table))


_INT_CHUNK = 1 << 18
"""Int64 batches are grouped this many events at a time, so the hash table stays in cache."""
_INT_GROUPED = 1 << 12
"""Smaller int64 batches are summed by `np.unique`, which costs less there."""


def _group_ints(keys: IntArray, weights: IntArray | None) -> tuple[IntArray, IntArray] | None:
    """Sum int64 keys per distinct key, in order of first occurrence, without sorting.

    A large batch is grouped a cache-sized chunk at a time and the chunks' sums grouped
    once more. Returns None if the hash table kept colliding (the caller sorts instead).
    """

    def one(part: IntArray, part_weights: IntArray | None) -> tuple[IntArray, IntArray] | None:
        grouped = group(part.view(np.uint64)[None, :], None, part_weights)
        return None if grouped is None else (part[grouped[0]], grouped[1])

    if len(keys) <= _INT_CHUNK:
        return one(keys, weights)
    parts = []
    for lo in range(0, len(keys), _INT_CHUNK):
        part = one(
            keys[lo : lo + _INT_CHUNK], None if weights is None else weights[lo : lo + _INT_CHUNK]
        )
        if part is None:
            return None
        parts.append(part)
    return one(np.concatenate([k for k, _ in parts]), np.concatenate([c for _, c in parts]))


def distinct_index(batch: Batch) -> tuple[IntArray | list[Item], IntArray]:
    """The distinct items of a batch and, for every event, the index of its item.

    Returns:
        ``(keys, index)``: the distinct items in order of first occurrence (an int64
        array for an int64 batch, else a list) and an int64 array with ``keys[index[i]]``
        equal to event ``i``'s item.
    """
    n = len(batch)
    rep = None
    if isinstance(batch.keys, ArrowItems):
        return batch.keys.encode()
    if isinstance(batch.keys, np.ndarray):
        if n < _INT_GROUPED:
            uniq, first_at, inverse = np.unique(batch.keys, return_index=True, return_inverse=True)
            order = np.argsort(first_at, kind="stable")
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            return uniq[order], rank[inverse]
        rep = first_events(batch.keys.view(np.uint64)[None, :], None)
    elif batch.packed is not None and n >= _packed.MIN_GROUPED:
        rep = first_events(content_keys(batch.packed), batch.packed)
    if rep is None:
        table: dict[Any, int] = {}
        keys_in = batch.keys.tolist() if isinstance(batch.keys, np.ndarray) else batch.keys
        index = np.fromiter((table.setdefault(k, len(table)) for k in keys_in), np.int64, n)
        keys = list(table)
        if isinstance(batch.keys, np.ndarray):
            return np.asarray(keys, dtype=np.int64), index
        return keys, index
    first = np.flatnonzero(rep == np.arange(n))
    slot = np.empty(n, dtype=np.int64)
    slot[first] = np.arange(len(first))
    if isinstance(batch.keys, np.ndarray):
        return batch.keys[first], slot[rep]
    return take_items(batch.keys, first), slot[rep]


def summarize(batch: Batch) -> tuple[IntArray | list[Item] | Distinct | ArrowItems, IntArray]:
    """Like `aggregate`, but a large string batch's distinct items stay in the batch.

    Returns:
        ``(keys, counts)`` as from `aggregate`, except that for a packed batch ``keys``
        is a `Distinct` view, and for an Arrow column the distinct items as an Arrow
        column (`ArrowItems`): both materialize only the items a caller takes.
    """
    if isinstance(batch.keys, np.ndarray):
        return aggregate(batch)
    grouped = group_packed(batch)
    return grouped if grouped is not None else _sum_by_dict(batch)


def group_packed(batch: Batch) -> tuple[Distinct | ArrowItems, IntArray] | None:
    """Sum a packed batch per distinct item, or None if it is not packed (or collides)."""
    if isinstance(batch.keys, ArrowItems):
        return batch.keys.group(batch.weights)
    if batch.packed is None or len(batch) < _packed.MIN_GROUPED:
        return None
    content = content_keys(batch.packed)
    grouped = group(content, batch.packed, batch.weights)
    if grouped is None:
        return None
    first, sums = grouped
    assert not isinstance(batch.keys, np.ndarray)
    return Distinct(batch.keys, first, key_digest(content[:, first])), sums


def _dense_counts(batch: Batch) -> tuple[IntArray, IntArray] | None:
    """Counting sort for ids packed in a narrow range (O(n) instead of sorting)."""
    keys = batch.keys
    assert isinstance(keys, np.ndarray)
    lo, hi = int(keys.min()), int(keys.max())
    if hi - lo > 2 * len(keys) + 1024:
        return None
    if batch.weights is not None and batch.total >= MAX_WEIGHT:
        return None  # float64 bincount weights would no longer be exact
    offsets = keys - lo
    if batch.weights is None:
        table = np.bincount(offsets, minlength=hi - lo + 1)
    else:
        table = np.bincount(offsets, weights=batch.weights, minlength=hi - lo + 1)
    present = np.flatnonzero(table)
    return (present + lo).astype(np.int64), table[present].astype(np.int64)
