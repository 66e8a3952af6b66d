"""Sharded counters: spread the writes of a hot key (a viral tweet's likes) over shards."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from twitterdesign._rng import RngLike, as_generator
from twitterdesign._validate import check_int
from twitterdesign.errors import IncompatibleError, InvalidParameterError
from twitterdesign.topk._base import HeavyHitter, Item, as_batch, check_item, index_of
from twitterdesign.topk._base import require as _require
from twitterdesign.topk._serial import KIND_SHARDED, Reader, Writer, check_loaded

__all__ = ["CombineResult", "ShardedCounter"]

_MAX_AMOUNT = 2**53


@dataclass(frozen=True, slots=True)
class CombineResult:
    """What one write-combined batch cost.

    Attributes:
        events: Increments in the batch.
        keys: Distinct keys in the batch.
        shard_writes: Shard rows written (one per distinct key, instead of one per event).

    Examples:
        >>> CombineResult(events=5, keys=2, shard_writes=2).to_dict()["shard_writes"]
        2
    """

    events: int
    keys: int
    shard_writes: int

    def to_dict(self) -> dict[str, int]:
        """Return the fields as a dict.

        Returns:
            ``{"events": ..., "keys": ..., "shard_writes": ...}``.
        """
        return asdict(self)


class ShardedCounter:
    """Exact per-key counters, each split over ``shards`` rows written independently.

    A like on a celebrity's tweet is one increment of one hot key; with a single counter
    row every writer contends for the same lock. Here each increment lands on one of
    ``shards`` rows — a random one, or the one the caller names (the shard nearest the
    writer's region) — and a read sums the rows. Writes scale with the number of shards,
    reads cost ``shards`` additions. `combine` goes further: a batch of increments
    is summed per key first, so N events cost one shard write per distinct key.

    Counts are exact: `value` always equals the sum of the increments of that key.
    The counter also implements the top-k protocol, so it ranks the most-liked tweets.

    Args:
        shards: Rows per key, at least 1.
        rng: Seed or Generator for picking shards.

    Raises:
        InvalidParameterError: If ``shards`` is not a positive integer.

    Examples:
        >>> likes = ShardedCounter(shards=8, rng=1)
        >>> for _ in range(1000):
        ...     _ = likes.increment(1600000000000000001)
        >>> likes.value(1600000000000000001)
        1000
        >>> int((likes.shard_values(1600000000000000001) > 0).sum())
        8
    """

    __slots__ = ("_index", "_keys", "_rng", "_rows", "_shards", "_total", "_writes")

    def __init__(self, shards: int, *, rng: RngLike = None) -> None:
        self._shards = check_int("shards", shards, minimum=1, maximum=65536)
        self._rng = as_generator(rng)
        self._keys: list[Item] = []
        self._index: dict[Item, int] = {}
        self._rows: npt.NDArray[np.int64] = np.zeros((8, self._shards), dtype=np.int64)
        self._total = 0
        self._writes: npt.NDArray[np.int64] = np.zeros(self._shards, dtype=np.int64)

    @property
    def shards(self) -> int:
        """Rows per key."""
        return self._shards

    @property
    def total_weight(self) -> int:
        """Sum of all counters."""
        return self._total

    @property
    def nbytes(self) -> int:
        """Approximate memory: the rows in use, the key index and the keys."""
        used = len(self._keys) * self._shards * 8
        keys = sum(sys.getsizeof(k) for k in self._keys)
        return used + sys.getsizeof(self._index) + sys.getsizeof(self._keys) + keys

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"ShardedCounter(shards={self._shards}, keys={len(self)}, total={self._total})"

    def _row(self, key: Item) -> int:
        i = self._index.get(key)
        if i is None:
            i = len(self._keys)
            if i == len(self._rows):
                grown = np.zeros((2 * len(self._rows), self._shards), dtype=np.int64)
                grown[:i] = self._rows
                self._rows = grown
            self._keys.append(key)
            self._index[key] = i
        return i

    def increment(self, key: Item, amount: int = 1, *, shard: int | None = None) -> int:
        """Add ``amount`` (negative to undo a like) to one shard of ``key``.

        Args:
            key: The counter's key (a tweet id, or a string).
            amount: A non-zero integer; the key's total may not drop below zero.
            shard: The shard to write (e.g. the one near the writer); random when None.

        Returns:
            The shard that was written.

        Raises:
            InvalidParameterError: For a bad key, amount or shard, or an amount that would
                make the total negative.
        """
        k = check_item(key)
        a = check_int("amount", amount, minimum=-_MAX_AMOUNT, maximum=_MAX_AMOUNT)
        if a == 0:
            raise InvalidParameterError("amount", amount, "a non-zero integer")
        if shard is None:
            s = int(self._rng.integers(self._shards))
        else:
            s = check_int("shard", shard, minimum=0, maximum=self._shards - 1)
        if a < 0 and self.value(k) + a < 0:
            raise InvalidParameterError(
                "amount", amount, f"at least -{self.value(k)} (the current count of {k!r})"
            )
        i = self._row(k)
        self._rows[i, s] += a
        self._writes[s] += 1
        self._total += a
        return s

    def update(self, item: Item, weight: int = 1) -> None:
        """Add a positive ``weight`` to ``item`` (the top-k protocol's name for increment).

        Args:
            item: An int (64-bit), str or bytes.
            weight: A positive integer.

        Raises:
            InvalidParameterError: For a bad item or a non-positive weight.
        """
        check_int("weight", weight, minimum=1, maximum=_MAX_AMOUNT)
        self.increment(item, weight)

    def update_many(self, items: Iterable[Any], weights: Iterable[Any] | None = None) -> None:
        """Add a batch of positive increments with write-combining (see `combine`)."""
        self.combine(items, weights)

    def combine(self, keys: Iterable[Any], amounts: Iterable[Any] | None = None) -> CombineResult:
        """Apply a batch of positive increments, one shard write per distinct key.

        Args:
            keys: The keys incremented (an int64 array is the fast path).
            amounts: Positive integer amounts, one per key; ones when None.

        Returns:
            A `CombineResult` with the events, distinct keys and writes made.

        Raises:
            InvalidParameterError: For bad keys or amounts.

        Examples:
            >>> views = ShardedCounter(shards=4, rng=0)
            >>> views.combine([7, 7, 7, 9]).shard_writes
            2
            >>> views.value(7), views.value(9)
            (3, 1)
        """
        from twitterdesign.topk._base import aggregate

        batch = as_batch(keys, amounts)
        if not len(batch):
            return CombineResult(0, 0, 0)
        uniq, sums = aggregate(batch)
        key_list = uniq.tolist() if isinstance(uniq, np.ndarray) else uniq
        rows = np.fromiter((self._row(k) for k in key_list), dtype=np.int64, count=len(sums))
        shards = self._rng.integers(self._shards, size=len(rows))
        np.add.at(self._rows, (rows, shards), sums)
        np.add.at(self._writes, shards, 1)
        self._total += int(sums.sum())
        return CombineResult(len(batch), len(rows), len(rows))

    def value(self, key: Item) -> int:
        """Return the exact count of ``key`` (the sum of its shards; 0 if never seen).

        Args:
            key: The counter's key.

        Returns:
            The sum of every increment of ``key``.

        Raises:
            InvalidParameterError: For an unsupported key.
        """
        i = self._index.get(check_item(key))
        return 0 if i is None else int(self._rows[i].sum())

    def values(self, keys: Iterable[Any]) -> npt.NDArray[np.int64]:
        """Return the counts of many keys at once (vectorized read).

        Args:
            keys: The keys to read.

        Returns:
            An int64 array of exact counts, 0 for keys never seen.

        Raises:
            InvalidParameterError: For an unsupported key.
        """
        rows = [self._index.get(check_item(k), -1) for k in keys]
        idx = np.asarray(rows, dtype=np.int64)
        sums = self._rows[np.maximum(idx, 0)].sum(axis=1) if len(idx) else idx
        return np.where(idx >= 0, sums, 0).astype(np.int64)

    def shard_values(self, key: Item) -> npt.NDArray[np.int64]:
        """Return a copy of the per-shard rows of ``key`` (zeros if never seen)."""
        i = self._index.get(check_item(key))
        if i is None:
            return np.zeros(self._shards, dtype=np.int64)
        row: npt.NDArray[np.int64] = self._rows[i].copy()
        return row

    def shard_writes(self) -> npt.NDArray[np.int64]:
        """Return how many writes each shard received (the load each row absorbed)."""
        return self._writes.copy()

    def estimate(self, item: Item) -> int:
        """Return the exact count of ``item`` (same as `value`).

        Args:
            item: The item to look up (an int, str or bytes).

        Returns:
            The point estimate described above.
        """
        return self.value(item)

    def bounds(self, item: Item) -> tuple[int, int]:
        """Return ``(count, count)``: sharded counters are exact.

        Args:
            item: The item to look up (an int, str or bytes).

        Returns:
            ``(lower, upper)`` bounds on the item's true count.
        """
        v = self.value(item)
        return v, v

    def top_k(self, k: int) -> list[HeavyHitter]:
        """Return the ``k`` keys with the largest totals, heaviest first (ties: first seen).

        Raises:
            InvalidParameterError: If ``k`` is not a positive integer.
        """
        k = check_int("k", k, minimum=1)
        n = len(self._keys)
        totals = self._rows[:n].sum(axis=1)
        order = np.lexsort((np.arange(n), -totals))[:k]
        return [
            HeavyHitter(self._keys[i], int(totals[i]), int(totals[i]), int(totals[i]))
            for i in order.tolist()
            if totals[i] > 0
        ]

    def merge(self, other: Self) -> Self:
        """Add ``other``'s rows (same shard count) shard by shard; return ``self``.

        Raises:
            IncompatibleError: If ``other`` is not a ShardedCounter with as many shards.
        """
        if not isinstance(other, ShardedCounter) or other._shards != self._shards:
            raise IncompatibleError(f"cannot merge {other!r} into {self!r}: shard counts differ")
        rows = other._rows[: len(other._keys)].copy()
        keys = list(other._keys)
        for j, key in enumerate(keys):
            i = self._row(key)
            self._rows[i] += rows[j]
        self._writes += other._writes
        self._total += other._total
        return self

    def to_bytes(self) -> bytes:
        """Serialize keys, rows and write counts (versioned header).

        Returns:
            Bytes for `from_bytes`, which rebuilds an equivalent structure.
        """
        out = Writer(KIND_SHARDED)
        out.i64(self._shards)
        out.i64(self._total)
        out.items(self._keys)
        out.array(self._rows[: len(self._keys)].ravel(), "i8")
        out.array(self._writes, "i8")
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, *, rng: RngLike = None) -> Self:
        """Rebuild a counter written by `to_bytes`.

        Args:
            data: Serialized bytes.
            rng: Seed or Generator for future shard picks.

        Raises:
            CorruptDataError: If the bytes are truncated, foreign or inconsistent.
        """
        from twitterdesign.errors import CorruptDataError

        src = Reader(data, KIND_SHARDED)
        shards, total = src.i64(), src.i64()
        keys = src.items()
        flat, writes = src.array("i8"), src.array("i8")
        src.done()
        if shards < 1 or flat.size != len(keys) * shards or writes.size != shards:
            raise CorruptDataError("serialized ShardedCounter has inconsistent sizes")
        try:
            counter = cls(shards, rng=rng)
        except InvalidParameterError as exc:
            raise CorruptDataError(f"serialized ShardedCounter is invalid: {exc}") from None
        counter._keys = keys
        counter._index = index_of(keys)
        counter._rows = np.zeros((max(8, len(keys)), shards), dtype=np.int64)
        counter._rows[: len(keys)] = flat.reshape(len(keys), shards)
        counter._writes = writes
        counter._total = total
        check_loaded(counter)
        return counter

    def _check(self) -> None:
        """Assert the invariants: index matches keys, totals add up, no negative key."""
        n = len(self._keys)
        _require(len(self._index) == n, "duplicate keys")
        _require(all(self._index[k] == i for i, k in enumerate(self._keys)), "bad index")
        _require(self._rows.shape[1] == self._shards and len(self._rows) >= n, "bad rows")
        _require(bool(np.all(self._rows[n:] == 0)), "rows beyond the keys in use")
        _require(int(self._rows.sum()) == self._total, "total differs from the rows")
        _require(bool(np.all(self._rows[:n].sum(axis=1) >= 0)), "a negative count")
        _require(bool(np.all(self._writes >= 0)), "negative write count")
