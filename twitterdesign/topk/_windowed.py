"""Sliding-window top-k: one sketch per time bucket, merged at query time."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from typing import Any, Self

import numpy as np

from twitterdesign._validate import check_int, check_number
from twitterdesign.errors import IncompatibleError, InvalidParameterError
from twitterdesign.topk._arrow import ArrowItems
from twitterdesign.topk._base import HeavyHitter, Item, as_batch, check_weight
from twitterdesign.topk._base import require as _require
from twitterdesign.topk._load import clone_empty, load_nested, load_sketch
from twitterdesign.topk._serial import KIND_WINDOWED, Reader, Writer, check_loaded

__all__ = ["WindowedTopK"]

# Largest bucket number in magnitude: well inside int64, so a window's edges
# (bucket ± buckets) and its serialized epochs never overflow.
_MAX_EPOCH = float(2**62)


class WindowedTopK:
    """Top-k over the last ``window_s`` seconds, as ``buckets`` time-bucketed sketches.

    Time is cut into buckets of ``window_s / buckets`` seconds; each event goes into the
    sketch of its bucket (late events too, while their bucket is still in the window).
    A query merges the buckets that cover the window ending at the newest bucket (or at
    ``now_s``) — the "rolling count" of stream processors. The answer carries the bounds
    of the underlying sketch for the merged stream; the window is exact to one bucket.
    Events older than the window are not counted; their weight is in
    `dropped_weight`.

    Args:
        window_s: Window length in seconds (> 0).
        buckets: Number of buckets the window is cut into (1 to 100 000).
        sketch: An empty sketch used as the template for every bucket;
            ``SpaceSaving(capacity=1000)`` when None.

    Raises:
        InvalidParameterError: For a non-positive window, a bad bucket count or a
            template that is not an empty top-k sketch.

    Examples:
        >>> from twitterdesign.topk import SpaceSaving
        >>> trends = WindowedTopK(window_s=60, buckets=6, sketch=SpaceSaving(100))
        >>> trends.update_many(["#old"] * 5, timestamp_s=0)
        >>> trends.update_many(["#new"] * 3, timestamp_s=90)
        >>> [h.item for h in trends.top_k(5)]
        ['#new']
        >>> trends.update("#new", timestamp_s=95)
        >>> trends.estimate("#new")
        4
    """

    __slots__ = (
        "_buckets",
        "_cache",
        "_dropped",
        "_head",
        "_prototype",
        "_ring",
        "_width_s",
        "_window_s",
    )

    def __init__(self, *, window_s: float, buckets: int = 60, sketch: Any = None) -> None:
        from twitterdesign.topk._space_saving import SpaceSaving

        self._window_s = check_number("window_s", window_s, minimum=0, min_inclusive=False)
        self._buckets = check_int("buckets", buckets, minimum=1, maximum=100_000)
        self._width_s = self._window_s / self._buckets
        if not self._width_s > 0:  # window_s / buckets underflowed to 0
            raise InvalidParameterError(
                "window_s", window_s, f"a window whose {self._buckets} buckets are wider than 0 s"
            )
        template = SpaceSaving(capacity=1000) if sketch is None else sketch
        self._prototype: bytes = clone_empty(template).to_bytes()
        self._ring: dict[int, Any] = {}
        self._head: int | None = None
        self._dropped = 0
        self._cache: tuple[int, Any] | None = None

    @property
    def window_s(self) -> float:
        """Window length in seconds."""
        return self._window_s

    @property
    def buckets(self) -> int:
        """Number of buckets in the window."""
        return self._buckets

    @property
    def dropped_weight(self) -> int:
        """Weight of events that arrived after their bucket had left the window."""
        return self._dropped

    @property
    def total_weight(self) -> int:
        """Weight of the events inside the current window."""
        return int(sum(s.total_weight for s in self._ring.values()))

    @property
    def nbytes(self) -> int:
        """Approximate memory of all live buckets."""
        return int(sum(s.nbytes for s in self._ring.values()))

    def __repr__(self) -> str:
        return (
            f"WindowedTopK(window_s={self._window_s:g}, buckets={self._buckets}, "
            f"live={len(self._ring)})"
        )

    def _epoch(self, timestamp_s: Any, name: str = "timestamp_s") -> int:
        t = time.time() if timestamp_s is None else check_number(name, timestamp_s)
        bucket = t / self._width_s
        if not abs(bucket) < _MAX_EPOCH:
            raise InvalidParameterError(name, timestamp_s, self._time_range())
        return math.floor(bucket)

    def _time_range(self) -> str:
        # Bucket numbers are serialized as int64; a time beyond this range has none.
        limit = _MAX_EPOCH * self._width_s
        return f"a finite time within ±{limit:g} s (a bucket number that fits 64 bits)"

    def _advance(self, epoch: int) -> None:
        if self._head is None or epoch > self._head:
            self._head = epoch
            oldest = epoch - self._buckets + 1
            for e in [e for e in self._ring if e < oldest]:
                del self._ring[e]

    def _bucket(self, epoch: int) -> Any | None:
        self._advance(epoch)
        assert self._head is not None
        if epoch <= self._head - self._buckets:
            return None
        self._cache = None
        sketch = self._ring.get(epoch)
        if sketch is None:
            sketch = self._ring[epoch] = load_sketch(self._prototype)
        return sketch

    def update(self, item: Item, weight: int = 1, *, timestamp_s: float | None = None) -> None:
        """Count ``weight`` occurrences of ``item`` at ``timestamp_s`` (now when None).

        Args:
            item: An int (64-bit), str or bytes.
            weight: A positive integer.
            timestamp_s: Event time in seconds (Unix time or any consistent clock);
                ``time.time()`` when None.

        Raises:
            InvalidParameterError: For a bad item, weight or timestamp.
        """
        w = check_weight(weight)
        sketch = self._bucket(self._epoch(timestamp_s))
        if sketch is None:
            self._dropped += w
            return
        sketch.update(item, w)

    def update_many(
        self,
        items: Iterable[Any],
        weights: Iterable[Any] | None = None,
        *,
        timestamp_s: float | None = None,
        timestamps_s: Any = None,
    ) -> None:
        """Count a batch of events at one time, or each at its own time.

        With ``timestamps_s`` the events are grouped by bucket and applied in time
        order — the same result as feeding them one by one sorted by time.

        Args:
            items: An int64 array or an iterable of items.
            weights: Positive integer weights, one per item; ones when None.
            timestamp_s: One event time in seconds for the whole batch.
            timestamps_s: One event time per item (array-like); excludes ``timestamp_s``.
                With neither, the batch is counted at ``time.time()``.

        Raises:
            InvalidParameterError: For bad items, weights or timestamps.

        Examples:
            >>> win = WindowedTopK(window_s=60, buckets=6)
            >>> win.update_many(["#a", "#b", "#a"], timestamps_s=[5.0, 30.0, 200.0])
            >>> win.estimate("#a"), win.dropped_weight
            (1, 0)
        """
        batch = as_batch(items, weights)
        if timestamps_s is None:
            self._add(batch.keys, batch.weights, self._epoch(timestamp_s))
            return
        if timestamp_s is not None:
            raise InvalidParameterError(
                "timestamps_s", timestamps_s, "None when timestamp_s is given (use one)"
            )
        try:
            times = np.asarray(timestamps_s, dtype=np.float64)
        except (TypeError, ValueError):
            times = np.full(len(batch) + 1, np.nan)
        if times.shape != (len(batch),) or not bool(np.all(np.isfinite(times))):
            raise InvalidParameterError(
                "timestamps_s", timestamps_s, f"one finite time per item ({len(batch)} items)"
            )
        buckets = times / self._width_s
        if not bool(np.all(np.abs(buckets) < _MAX_EPOCH)):
            raise InvalidParameterError("timestamps_s", timestamps_s, self._time_range())
        epochs = np.floor(buckets).astype(np.int64)
        order = np.argsort(epochs, kind="stable")
        uniq, starts = np.unique(epochs[order], return_index=True)
        ends = [*starts[1:].tolist(), len(order)]
        for epoch, lo, hi in zip(uniq.tolist(), starts.tolist(), ends, strict=True):
            sel = order[lo:hi]
            keys = batch.keys
            part: Any
            if isinstance(keys, np.ndarray):
                part = keys[sel]
            elif isinstance(keys, ArrowItems):
                part = keys.subset(sel)
            else:
                part = [keys[i] for i in sel.tolist()]
            w = None if batch.weights is None else batch.weights[sel]
            self._add(part, w, epoch)

    def _add(self, keys: Any, weights: Any, epoch: int) -> None:
        sketch = self._bucket(epoch)
        if sketch is None:
            self._dropped += len(keys) if weights is None else int(weights.sum())
            return
        sketch.update_many(keys, weights)

    def merged(self, *, now_s: float | None = None) -> Any:
        """Return one sketch holding every bucket of the window ending at ``now_s``.

        Args:
            now_s: End of the window; the newest bucket seen when None.

        Returns:
            A new sketch of the template's type (safe to modify).
        """
        return load_sketch(self._view(now_s).to_bytes())

    def _view(self, now_s: float | None) -> Any:
        """The merged window, cached until the next update (callers must not modify it)."""
        if now_s is None and self._head is None:
            return load_sketch(self._prototype)
        end = self._head if now_s is None else self._epoch(now_s, "now_s")
        assert end is not None
        if self._cache is not None and self._cache[0] == end:
            return self._cache[1]
        out = load_sketch(self._prototype)
        for epoch in sorted(self._ring):
            if end - self._buckets < epoch <= end:
                out.merge(self._ring[epoch])
        self._cache = (end, out)
        return out

    def top_k(self, k: int, *, now_s: float | None = None) -> list[HeavyHitter]:
        """Return the top ``k`` items of the window, with the sketch's bounds.

        Args:
            k: How many items (positive).
            now_s: End of the window; the newest bucket seen when None.

        Returns:
            `HeavyHitter` items of the merged window, heaviest first.

        Raises:
            InvalidParameterError: If ``k`` is not a positive integer.
        """
        k = check_int("k", k, minimum=1)
        return list(self._view(now_s).top_k(k))

    def estimate(self, item: Item, *, now_s: float | None = None) -> int:
        """Return the estimated count of ``item`` in the window ending at ``now_s``.

        Args:
            item: The item.
            now_s: End of the window; the newest bucket seen when None.

        Returns:
            The template sketch's estimate over the window's buckets.
        """
        return int(self._view(now_s).estimate(item))

    def bounds(self, item: Item, *, now_s: float | None = None) -> tuple[int, int]:
        """Return ``(lower, upper)`` bounds on the count of ``item`` in the window.

        Args:
            item: The item.
            now_s: End of the window; the newest bucket seen when None.

        Returns:
            The merged sketch's bounds for the window's events.
        """
        lo, hi = self._view(now_s).bounds(item)
        return int(lo), int(hi)

    def merge(self, other: Self) -> Self:
        """Fold another window of the same configuration in, bucket by bucket.

        Raises:
            IncompatibleError: If window, bucket count or template differ.
        """
        if (
            not isinstance(other, WindowedTopK)
            or other._window_s != self._window_s
            or other._buckets != self._buckets
            or other._prototype != self._prototype
        ):
            raise IncompatibleError(
                f"cannot merge {other!r} into {self!r}: window, buckets and template "
                "sketch must match"
            )
        snapshot = [(e, s.to_bytes()) for e, s in other._ring.items()]
        if other._head is not None:
            self._advance(other._head)
        self._dropped += other._dropped
        for epoch, blob in snapshot:
            target = self._bucket(epoch)
            if target is None:
                self._dropped += load_sketch(blob).total_weight
            else:
                target.merge(load_sketch(blob))
        return self

    def to_bytes(self) -> bytes:
        """Serialize the configuration and every live bucket (versioned header).

        Returns:
            Bytes for `from_bytes`, which rebuilds an equivalent structure.
        """
        out = Writer(KIND_WINDOWED)
        out.f64(self._window_s)
        out.i64(self._buckets)
        out.u8(0 if self._head is None else 1)
        out.i64(0 if self._head is None else self._head)
        out.i64(self._dropped)
        out.blob(self._prototype)
        out.i64(len(self._ring))
        for epoch in sorted(self._ring):
            out.i64(epoch)
            out.blob(self._ring[epoch].to_bytes())
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """Rebuild a window written by `to_bytes`.

        Raises:
            CorruptDataError: If the bytes are truncated, foreign or inconsistent.
        """
        from twitterdesign.errors import CorruptDataError

        src = Reader(data, KIND_WINDOWED)
        window_s, buckets = src.f64(), src.i64()
        has_head, head, dropped = src.u8(), src.i64(), src.i64()
        prototype = load_sketch(src.blob())
        try:
            out = cls(window_s=window_s, buckets=buckets, sketch=prototype)
        except InvalidParameterError as exc:
            raise CorruptDataError(f"serialized WindowedTopK is invalid: {exc}") from None
        n = src.i64()
        if n < 0 or n > buckets or has_head > 1:
            raise CorruptDataError("serialized WindowedTopK has too many buckets")
        ring = {}
        for _ in range(n):
            epoch = src.i64()
            ring[epoch] = load_nested(src.blob(), out._prototype, "WindowedTopK")
        src.done()
        if len(ring) != n:
            raise CorruptDataError("serialized WindowedTopK holds a bucket twice")
        out._ring, out._dropped = ring, dropped
        out._head = head if has_head else None
        check_loaded(out)
        return out

    def _check(self) -> None:
        """Assert that live buckets are inside the window and share the template."""
        _require(self._dropped >= 0, "negative dropped weight")
        if self._head is None:
            _require(not self._ring, "buckets without a head")
            return
        proto = load_sketch(self._prototype)
        for epoch, sketch in self._ring.items():
            _require(self._head - self._buckets < epoch <= self._head, "stale bucket")
            _require(type(sketch) is type(proto), "bucket of another type")
            sketch._check()
        _require(
            bool(np.all([s.total_weight >= 0 for s in self._ring.values()])), "negative weight"
        )
