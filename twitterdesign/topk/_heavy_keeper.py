"""HeavyKeeper: count-with-exponential-decay buckets that keep elephants and shed mice."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from twitterdesign._rng import RngLike, as_generator
from twitterdesign._validate import check_int, check_number
from twitterdesign.errors import IncompatibleError, InvalidParameterError
from twitterdesign.topk._base import (
    HeavyHitter,
    Item,
    as_batch,
    check_item,
    check_weight,
    distinct_index,
    row_sums,
)
from twitterdesign.topk._base import require as _require
from twitterdesign.topk._hashing import RowHash, fingerprint, fingerprints
from twitterdesign.topk._hk_rows import decay_run, replay_row
from twitterdesign.topk._serial import KIND_HEAVY_KEEPER, Reader, Writer, check_loaded

__all__ = ["HeavyKeeper"]


class HeavyKeeper:
    """HeavyKeeper top-k: ``depth`` rows of ``width`` (fingerprint, count) buckets.

    An arrival whose fingerprint owns its bucket increments it; a different item decays
    the bucket's count by one with probability ``decay ** -count`` and takes the bucket
    over when the count reaches zero. Large counts almost never decay, so elephants keep
    their buckets while mice fight over the rest. The estimate is the largest count
    among the rows the item owns, and the ``k`` best items are tracked.

    Where it is reliable: fingerprints here are the full 64-bit item fingerprint, so a
    bucket only ever counts arrivals of its owner and the estimate **never exceeds the
    true count**. Where it is not: an item that lost its buckets to decay — a mouse, or an
    item that became heavy late, after others settled — is undercounted, by an amount
    the sketch cannot bound; upper bounds are therefore only the trivial ``N``.

    ``update(item, w)`` is ``w`` consecutive arrivals of ``item``. ``update_many`` keeps
    the streaming behaviour: every bucket sees the batch's arrivals in arrival order (only
    consecutive arrivals of one item at one bucket are combined, which is exact), so a
    batch has the same distribution of outcomes as feeding its items one by one. The
    buckets are replayed with numpy, many at a time. After a batch, the tracked items are
    the ``k`` with the largest current estimates among those tracked before and those in
    the batch. Decay draws come from ``rng``, so a seed makes the sketch reproducible.

    Args:
        width: Buckets per row (positive).
        depth: Rows, 1 to 64.
        k: How many top items to track (positive).
        decay: The decay base ``b`` (> 1); the paper uses 1.08.
        seed: Hash seed (merging needs equal seeds).
        rng: Seed or Generator for the decay coin flips.

    Raises:
        InvalidParameterError: For bad sizes or a decay base <= 1.

    Examples:
        >>> hk = HeavyKeeper(64, 2, k=3, rng=0)
        >>> hk.update_many([1] * 50 + list(range(100, 140)))
        >>> hk.top_k(1)[0].item, hk.estimate(1) <= 50
        (1, True)

    References:
        J. Gong et al., "HeavyKeeper: An Accurate Algorithm for Finding Top-k Elephant
        Flows", USENIX ATC 2018.
    """

    __slots__ = (
        "_counts",
        "_decay",
        "_depth",
        "_floor",
        "_fps",
        "_hash",
        "_k",
        "_rng",
        "_seed",
        "_top",
        "_total",
        "_width",
    )

    def __init__(
        self,
        width: int,
        depth: int,
        *,
        k: int = 100,
        decay: float = 1.08,
        seed: int = 0,
        rng: RngLike = None,
    ) -> None:
        self._width = check_int("width", width, minimum=1, maximum=2**31)
        self._depth = check_int("depth", depth, minimum=1, maximum=64)
        self._k = check_int("k", k, minimum=1, maximum=2**31)
        self._decay = check_number("decay", decay, minimum=1.0, min_inclusive=False)
        self._seed = check_int("seed", seed, minimum=0, maximum=2**63 - 1)
        self._rng = as_generator(rng)
        self._hash = RowHash(self._seed, self._depth)
        self._fps: npt.NDArray[np.uint64] = np.zeros((self._depth, self._width), np.uint64)
        self._counts: npt.NDArray[np.int64] = np.zeros((self._depth, self._width), np.int64)
        self._top: dict[Item, int] = {}
        # A lower bound on the smallest tracked estimate: arrivals at or below it skip
        # the O(k) search for the weakest tracked item.
        self._floor = 0
        self._total = 0

    @property
    def total_weight(self) -> int:
        """Total weight added (N)."""
        return self._total

    @property
    def nbytes(self) -> int:
        """Memory of the bucket arrays plus the tracked top-k items."""
        top = sum(sys.getsizeof(x) + 8 for x in self._top)
        return int(self._fps.nbytes + self._counts.nbytes + sys.getsizeof(self._top) + top)

    def __repr__(self) -> str:
        return (
            f"HeavyKeeper(width={self._width}, depth={self._depth}, k={self._k}, "
            f"decay={self._decay:g})"
        )

    def update(self, item: Item, weight: int = 1) -> None:
        """Apply ``weight`` arrivals of ``item``.

        Args:
            item: An int (64-bit), str or bytes.
            weight: A positive integer.

        Raises:
            InvalidParameterError: For a bad item or a non-positive weight.
        """
        key = check_item(item)
        self._apply([key], [check_weight(weight)])

    def update_many(self, items: Iterable[Any], weights: Iterable[Any] | None = None) -> None:
        """Apply a batch of arrivals in order, as if they came one by one.

        Args:
            items: An int64 array (the fast path) or an iterable of items.
            weights: Positive integer weights, one per item (``w`` consecutive
                arrivals); all ones when None.

        Raises:
            InvalidParameterError: For bad items or weights.
        """
        batch = as_batch(items, weights)
        if not len(batch):
            return
        keys, index = distinct_index(batch)
        key_fps = fingerprints(keys)
        key_cells = self._hash.indices(key_fps, self._width)
        event_fps = key_fps[index]
        w = np.ones(len(batch), np.int64) if batch.weights is None else batch.weights
        for r in range(self._depth):
            replay_row(
                self._fps[r], self._counts[r], key_cells[r][index], event_fps, w,
                self._decay, self._rng,
            )  # fmt: skip
        self._total += batch.total
        self._retrack(keys, key_fps, key_cells)

    def _estimates(self, fps: npt.NDArray[np.uint64], cells: npt.NDArray[np.int64]) -> Any:
        """Current estimates of items given their fingerprints and ``(depth, n)`` cells."""
        rows = np.arange(self._depth)[:, None]
        owned = self._fps[rows, cells] == fps[None, :]
        return np.where(owned, self._counts[rows, cells], 0).max(axis=0)

    def _retrack(self, keys: Any, fps: npt.NDArray[np.uint64], cells: Any) -> None:
        """Track the ``k`` best of the tracked items and ``keys`` by current estimate."""
        est = self._estimates(fps, cells)
        tracked = list(self._top)
        pick = np.flatnonzero(est > 0)
        if len(pick) > self._k + len(tracked):
            pick = pick[np.argpartition(-est[pick], self._k + len(tracked) - 1)]
            pick = np.sort(pick[: self._k + len(tracked)])
        pool: dict[Item, int] = {}
        if tracked:
            old_fps = fingerprints(tracked)
            old_est = self._estimates(old_fps, self._hash.indices(old_fps, self._width))
            pool.update(zip(tracked, old_est.tolist(), strict=True))
        chosen = keys[pick].tolist() if isinstance(keys, np.ndarray) else [keys[i] for i in pick]
        pool.update(zip(chosen, est[pick].tolist(), strict=True))
        ranked = sorted(pool, key=lambda x: -pool[x])[: self._k]
        self._top = {x: pool[x] for x in ranked if pool[x] > 0}
        self._floor = 0

    def _apply(self, keys: list[Item], weights: list[int]) -> None:
        fps = fingerprints(keys)
        idx = self._hash.indices(fps, self._width).T.tolist()
        geometric = self._rng.geometric
        b = self._decay
        for key, fp, cells, w in zip(keys, fps.tolist(), idx, weights, strict=True):
            best = 0
            for r, j in enumerate(cells):
                c = int(self._counts[r, j])
                if c > 0 and int(self._fps[r, j]) != fp:
                    c, taken = decay_run(c, w, b, geometric)
                    self._counts[r, j] = c
                    if not taken:
                        continue
                else:
                    c += w
                    self._counts[r, j] = c
                self._fps[r, j] = fp
                best = max(best, c)
            self._total += w
            self._track(key, best)

    def _track(self, key: Item, est: int) -> None:
        top = self._top
        if key in top or len(top) < self._k:
            if est > 0:
                top[key] = est
            return
        if est <= self._floor:
            return
        worst = min(top, key=top.__getitem__)
        self._floor = top[worst]
        if est > top[worst]:
            del top[worst]
            top[key] = est

    def estimate(self, item: Item) -> int:
        """Return the largest count among the buckets ``item`` owns (never above truth).

        Args:
            item: The item to look up (an int, str or bytes).

        Returns:
            The point estimate described above.
        """
        key = check_item(item)
        fp = np.array([fingerprint(key)], dtype=np.uint64)
        cells = self._hash.indices(fp, self._width)[:, 0]
        rows = np.arange(self._depth)
        owned = self._fps[rows, cells] == fp[0]
        counts = self._counts[rows, cells]
        return int(counts[owned].max()) if owned.any() else 0

    def bounds(self, item: Item) -> tuple[int, int]:
        """Return ``(estimate, N)``: HeavyKeeper never overcounts but cannot bound misses.

        Args:
            item: The item to look up (an int, str or bytes).

        Returns:
            ``(lower, upper)`` bounds on the item's true count.
        """
        return self.estimate(item), self._total

    def top_k(self, k: int) -> list[HeavyHitter]:
        """Return up to ``k`` tracked items by current estimate (at most the ``k`` given).

        Raises:
            InvalidParameterError: If ``k`` is not a positive integer.
        """
        k = check_int("k", k, minimum=1)
        keys = list(self._top)
        est = [self.estimate(x) for x in keys]
        order = sorted(range(len(keys)), key=lambda i: (-est[i], i))[:k]
        return [HeavyHitter(keys[i], est[i], est[i], self._total) for i in order if est[i]]

    def merge(self, other: Self) -> Self:
        """Merge bucket by bucket (same width, depth, decay, seed, k); return ``self``.

        Matching owners add their counts; for different owners the larger count wins and
        keeps the difference (the smaller owner's arrivals count as decays). The merged
        estimates never exceed the combined true counts.

        Args:
            other: A structure of the same type and configuration (left unchanged).

        Returns:
            ``self``, now answering for both streams.

        Raises:
            IncompatibleError: If the configurations differ.
        """
        if not isinstance(other, HeavyKeeper) or other._config() != self._config():
            raise IncompatibleError(f"cannot merge {other!r} into {self!r}: configs differ")
        same = self._fps == other._fps
        mine_wins = self._counts >= other._counts
        diff = np.abs(self._counts - other._counts)
        merged = np.where(same, self._counts + other._counts, diff)
        self._fps = np.where(same | mine_wins, self._fps, other._fps)
        self._counts = merged
        self._total += other._total
        pool = list(dict.fromkeys([*self._top, *other._top]))
        est = {x: self.estimate(x) for x in pool}
        best = sorted(pool, key=lambda x: -est[x])[: self._k]
        self._top = {x: est[x] for x in best if est[x] > 0}
        self._floor = 0
        return self

    def _config(self) -> tuple[int, int, int, float, int]:
        return self._width, self._depth, self._k, self._decay, self._seed

    def to_bytes(self) -> bytes:
        """Serialize buckets and tracked items (versioned header; not the rng state).

        Returns:
            Bytes for `from_bytes`, which rebuilds an equivalent structure.
        """
        out = Writer(KIND_HEAVY_KEEPER)
        out.i64(self._width)
        out.i64(self._depth)
        out.i64(self._k)
        out.f64(self._decay)
        out.i64(self._seed)
        out.i64(self._total)
        out.array(self._fps.ravel(), "u8")
        out.array(self._counts.ravel(), "i8")
        out.items(list(self._top))
        out.array(np.asarray(list(self._top.values()), dtype=np.int64), "i8")
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, *, rng: RngLike = None) -> Self:
        """Rebuild from `to_bytes` output; ``rng`` drives future decays.

        Raises:
            CorruptDataError: If the bytes are truncated, foreign or inconsistent.
        """
        from twitterdesign.errors import CorruptDataError

        src = Reader(data, KIND_HEAVY_KEEPER)
        width, depth, k, decay = src.i64(), src.i64(), src.i64(), src.f64()
        seed, total = src.i64(), src.i64()
        fps, counts = src.array("u8"), src.array("i8")
        keys, vals = src.items(), src.array("i8")
        src.done()
        # Sizes are checked against the arrays present before the constructor allocates.
        if fps.size != width * depth or counts.size != width * depth or len(keys) != len(vals):
            raise CorruptDataError("serialized HeavyKeeper has inconsistent sizes")
        if len(set(keys)) != len(keys):
            raise CorruptDataError("serialized HeavyKeeper tracks an item twice")
        try:
            out = cls(width, depth, k=k, decay=decay, seed=seed, rng=rng)
        except InvalidParameterError as exc:
            raise CorruptDataError(f"serialized HeavyKeeper is invalid: {exc}") from None
        out._fps = fps.reshape(depth, width).astype(np.uint64)
        out._counts = counts.reshape(depth, width).copy()
        out._top = dict(zip(keys, vals.tolist(), strict=True))
        out._total = total
        check_loaded(out)
        return out

    def _check(self) -> None:
        """Assert counts are non-negative, each row sums to at most N, top-k is small."""
        _require(self._counts.shape == (self._depth, self._width), "bad shape")
        _require(bool(np.all(self._counts >= 0)), "negative count")
        _require(all(s <= self._total for s in row_sums(self._counts)), "row sum above N")
        _require(len(self._top) <= self._k, "too many tracked items")
