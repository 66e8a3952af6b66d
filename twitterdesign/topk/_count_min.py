"""Count-Min sketch (plain and conservative update) and a top-k tracker built on it."""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from twitterdesign._validate import check_int, check_probability_open
from twitterdesign.errors import IncompatibleError, InvalidParameterError
from twitterdesign.topk._base import (
    Batch,
    HeavyHitter,
    Item,
    aggregate,
    as_batch,
    check_item,
    check_weight,
    row_sums,
)
from twitterdesign.topk._base import require as _require
from twitterdesign.topk._hashing import RowHash, fingerprints
from twitterdesign.topk._serial import KIND_COUNT_MIN, Reader, Writer, check_loaded

__all__ = ["CountMinSketch"]


class CountMinSketch:
    """Count-Min sketch: ``depth`` rows of ``width`` counters, estimate = row minimum.

    With ``ε = e / width`` and ``δ = e^-depth``, every estimate is at least the true count
    (always) and at most ``true + εN`` with probability at least ``1 - δ`` (N is the total
    weight). Conservative update raises a counter only as far as the item's new estimate
    needs, which never makes an estimate larger than plain update would.

    ``update_many`` hashes int64 ids in cache-sized chunks and adds one ``np.bincount`` per
    row; strings are summed per distinct item first and each is hashed once (MurmurHash3);
    conservative update raises all counters of a summed batch in one vectorized step. Rows use
    pairwise-independent multiply-add-shift hashing, as the analysis requires. Single-item
    and batch paths hash identically, so a plain sketch ends in the same state either way.

    Args:
        width: Counters per row (``w``), at least 1.
        depth: Rows (``d``), 1 to 64.
        conservative: Use conservative update (Estan & Varghese 2002).
        seed: Hash seed; sketches merge only with the same seed.

    Raises:
        InvalidParameterError: For a bad width, depth or seed.

    Examples:
        >>> cms = CountMinSketch.from_error(0.01, 0.01, seed=7)
        >>> cms.width, cms.depth
        (272, 5)
        >>> cms.update_many([42] * 10 + [7] * 3)
        >>> cms.estimate(42) >= 10
        True

    References:
        G. Cormode, S. Muthukrishnan, "An Improved Data Stream Summary: The Count-Min
        Sketch and its Applications", J. Algorithms 55(1), 2005.
        C. Estan, G. Varghese, "New Directions in Traffic Measurement and Accounting",
        SIGCOMM 2002 (conservative update).
    """

    __slots__ = ("_conservative", "_counts", "_depth", "_hash", "_seed", "_total", "_width")

    def __init__(
        self, width: int, depth: int, *, conservative: bool = False, seed: int = 0
    ) -> None:
        self._width = check_int("width", width, minimum=1, maximum=2**31)
        self._depth = check_int("depth", depth, minimum=1, maximum=64)
        if not isinstance(conservative, bool):
            raise InvalidParameterError("conservative", conservative, "True or False")
        self._conservative = conservative
        self._seed = check_int("seed", seed, minimum=0, maximum=2**63 - 1)
        self._hash = RowHash(self._seed, self._depth)
        self._counts: npt.NDArray[np.int64] = np.zeros((self._depth, self._width), np.int64)
        self._total = 0

    @classmethod
    def from_error(
        cls, epsilon: float, delta: float, *, conservative: bool = False, seed: int = 0
    ) -> Self:
        """Size a sketch for error ``εN`` with probability ``1 - δ``.

        Args:
            epsilon: Relative error ε in (0, 1); ``width = ⌈e/ε⌉``.
            delta: Failure probability δ in (0, 1); ``depth = ⌈ln(1/δ)⌉``.
            conservative: Use conservative update.
            seed: Hash seed.

        Returns:
            An empty sketch.

        Raises:
            InvalidParameterError: If ε or δ is outside (0, 1).

        Examples:
            >>> CountMinSketch.from_error(0.001, 0.05).width
            2719
        """
        eps = check_probability_open("epsilon", epsilon)
        dlt = check_probability_open("delta", delta)
        width = math.ceil(math.e / eps)
        depth = max(1, math.ceil(math.log(1.0 / dlt)))
        return cls(width, depth, conservative=conservative, seed=seed)

    @property
    def width(self) -> int:
        """Counters per row."""
        return self._width

    @property
    def depth(self) -> int:
        """Number of rows."""
        return self._depth

    @property
    def conservative(self) -> bool:
        """Whether conservative update is used."""
        return self._conservative

    @property
    def seed(self) -> int:
        """Hash seed."""
        return self._seed

    @property
    def epsilon(self) -> float:
        """Relative error ``e / width`` of the guarantee."""
        return math.e / self._width

    @property
    def delta(self) -> float:
        """Failure probability ``e^-depth`` of the guarantee."""
        return math.exp(-self._depth)

    @property
    def total_weight(self) -> int:
        """Total weight added (N)."""
        return self._total

    @property
    def nbytes(self) -> int:
        """Memory of the counter matrix and row seeds."""
        return int(self._counts.nbytes + self._hash.nbytes + sys.getsizeof(self))

    @property
    def counters(self) -> npt.NDArray[np.int64]:
        """A read-only view of the ``(depth, width)`` counter matrix."""
        view = self._counts.view()
        view.flags.writeable = False
        return view

    def __repr__(self) -> str:
        return (
            f"CountMinSketch(width={self._width}, depth={self._depth}, "
            f"conservative={self._conservative}, seed={self._seed})"
        )

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
        self._add(fingerprints([key]), np.array([w], dtype=np.int64))

    def update_many(self, items: Iterable[Any], weights: Iterable[Any] | None = None) -> None:
        """Add a batch (vectorized; see the class docstring).

        Args:
            items: An int64 array (the fast path) or an iterable of items.
            weights: Positive integer weights, one per item; all ones when None.

        Raises:
            InvalidParameterError: For bad items or weights.
        """
        self._add_batch(as_batch(items, weights))

    def _add_batch(self, batch: Batch) -> None:
        if not len(batch):
            return
        if not self._conservative:
            fps = batch.fingerprints()
            if fps is not None or isinstance(batch.keys, np.ndarray):
                # int64 ids and packed strings hash per event in whole-array passes.
                self._add(fingerprints(batch.keys) if fps is None else fps, batch.weights)
                return
        # Conservative update needs the sums per item anyway (and small or mixed batches
        # are cheaper summed by a dict first).
        keys, counts = aggregate(batch)
        self._add(fingerprints(keys), counts)

    def _add(self, fps: npt.NDArray[np.uint64], weights: npt.NDArray[np.int64] | None) -> None:
        total = len(fps) if weights is None else int(weights.sum())
        if self._conservative:
            idx = self._hash.indices(fps, self._width)
            w = np.ones(len(fps), np.int64) if weights is None else weights
            rows = np.arange(self._depth)[:, None]
            target = self._counts[rows, idx].min(axis=0) + w
            for r in range(self._depth):
                np.maximum.at(self._counts[r], idx[r], target)
        else:
            self._hash.add(self._counts, fps, weights)
        self._total += total

    def estimate(self, item: Item) -> int:
        """Return the estimate of ``item``: never below its true count.

        Args:
            item: The item to look up (an int, str or bytes).

        Returns:
            The point estimate described above.
        """
        return int(self.estimate_many([check_item(item)])[0])

    def estimate_many(self, items: Iterable[Any]) -> npt.NDArray[np.int64]:
        """Return the estimates of many items at once (vectorized).

        Raises:
            InvalidParameterError: For an invalid item.
        """
        batch = as_batch(items)
        if not len(batch):
            return np.zeros(0, dtype=np.int64)
        fps = batch.fingerprints()
        idx = self._hash.indices(fingerprints(batch.keys) if fps is None else fps, self._width)
        rows = np.arange(self._depth)[:, None]
        out: npt.NDArray[np.int64] = self._counts[rows, idx].min(axis=0)
        return out

    def bounds(self, item: Item) -> tuple[int, int]:
        """Return ``(estimate - εN, estimate)``, clipped at 0.

        The upper bound always holds; the lower bound holds with probability ``1 - δ``.
        """
        est = self.estimate(item)
        return max(0, math.ceil(est - self.epsilon * self._total)), est

    def top_k(self, k: int, *, candidates: Iterable[Any] | None = None) -> list[HeavyHitter]:
        """Rank ``candidates`` by estimate; a Count-Min sketch stores no items itself.

        Args:
            k: How many to return (positive).
            candidates: The items to rank (required; use `CountMinTopK` to track
                candidates automatically).

        Raises:
            InvalidParameterError: If ``k`` is not positive or no candidates are given.
        """
        k = check_int("k", k, minimum=1)
        if candidates is None:
            raise InvalidParameterError(
                "candidates",
                None,
                "the items to rank (a Count-Min sketch keeps no items; use CountMinTopK)",
            )
        keys = list(dict.fromkeys(check_item(c) for c in candidates))
        est = self.estimate_many(keys)
        order = np.lexsort((np.arange(len(keys)), -est))[:k]
        slack = self.epsilon * self._total
        return [
            HeavyHitter(keys[i], int(est[i]), max(0, math.ceil(est[i] - slack)), int(est[i]))
            for i in order.tolist()
        ]

    def _config(self) -> tuple[int, int, bool, int]:
        return self._width, self._depth, self._conservative, self._seed

    def merge(self, other: Self) -> Self:
        """Add ``other``'s counters (same width, depth, seed and update rule).

        Raises:
            IncompatibleError: If the configurations differ.
        """
        if not isinstance(other, CountMinSketch) or other._config() != self._config():
            raise IncompatibleError(
                f"cannot merge {other!r} into {self!r}: width, depth, seed and "
                "conservative must match"
            )
        self._counts += other._counts
        self._total += other._total
        return self

    def _write(self, out: Writer) -> None:
        out.i64(self._width)
        out.i64(self._depth)
        out.u8(int(self._conservative))
        out.i64(self._seed)
        out.i64(self._total)
        out.array(self._counts.ravel(), "i8")

    @classmethod
    def _read(cls, src: Reader) -> Self:
        from twitterdesign.errors import CorruptDataError

        width, depth, cons, seed, total = src.i64(), src.i64(), src.u8(), src.i64(), src.i64()
        flat = src.array("i8")
        # Check the sizes against the counters actually present before the constructor
        # allocates a (depth, width) matrix.
        if flat.size != width * depth or cons > 1:
            raise CorruptDataError("serialized CountMinSketch has inconsistent sizes")
        try:
            sketch = cls(width, depth, conservative=bool(cons), seed=seed)
        except InvalidParameterError as exc:
            raise CorruptDataError(f"serialized CountMinSketch is invalid: {exc}") from None
        sketch._counts = flat.reshape(depth, width).copy()
        sketch._total = total
        return sketch

    def to_bytes(self) -> bytes:
        """Serialize (versioned header, configuration, counters).

        Returns:
            Bytes for `from_bytes`, which rebuilds an equivalent structure.
        """
        out = Writer(KIND_COUNT_MIN)
        self._write(out)
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """Rebuild a sketch written by `to_bytes`.

        Raises:
            CorruptDataError: If the bytes are truncated, foreign or inconsistent.
        """
        src = Reader(data, KIND_COUNT_MIN)
        sketch = cls._read(src)
        src.done()
        check_loaded(sketch)
        return sketch

    def _check(self) -> None:
        """Assert counters are non-negative and no row sums above N."""
        _require(self._counts.shape == (self._depth, self._width), "bad shape")
        _require(bool(np.all(self._counts >= 0)), "negative counter")
        sums = row_sums(self._counts)
        if self._conservative:
            _require(all(s <= self._total for s in sums), "row sum above N")
        else:
            _require(all(s == self._total for s in sums), "row sum differs from N")
