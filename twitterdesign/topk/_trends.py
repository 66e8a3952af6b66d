"""Trends: velocity against a baseline, and per-region top-k merged for the global view."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Self

from twitterdesign._validate import check_int
from twitterdesign.errors import (
    CorruptDataError,
    IncompatibleError,
    InvalidParameterError,
    NotFoundError,
)
from twitterdesign.topk._base import HeavyHitter, Item
from twitterdesign.topk._load import clone_empty, load_nested, load_sketch
from twitterdesign.topk._serial import KIND_REGIONAL, Reader, Writer, check_loaded

__all__ = ["RegionalTopK", "Trend", "regional_trending", "trending"]

GLOBAL = "global"
"""The name `regional_trending` gives the merged view, so no region may have it."""
_REGION_ALLOWED = f"a non-empty string other than {GLOBAL!r} (the merged view's name)"


@dataclass(frozen=True, slots=True)
class Trend:
    """An item that is rising: its count now, the count its baseline predicts, a score.

    Attributes:
        item: The item (a hashtag, a tweet id).
        count: Its estimated count in the current window.
        expected: Its baseline count scaled to the current window's volume.
        score: ``(count - expected) / sqrt(expected + 1)`` — how many Poisson standard
            deviations above its usual level the item is.

    Examples:
        >>> Trend("#x", 10, 1.0, 6.4).to_dict()["score"]
        6.4
    """

    item: Item
    count: int
    expected: float
    score: float

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict.

        Returns:
            A dict with ``item``, ``count``, ``expected`` and ``score``; a ``bytes``
            item is decoded as Latin-1 so the dict is JSON-serializable.
        """
        data = asdict(self)
        if isinstance(self.item, bytes):
            data["item"] = self.item.decode("latin-1")
        return data


def trending(
    current: Any,
    baseline: Any,
    *,
    k: int = 10,
    min_count: int = 1,
    candidates: int | None = None,
) -> list[Trend]:
    """Rank items by how far their current count exceeds what the baseline predicts.

    Popularity alone would put the always-popular tags on top forever. Here each
    candidate (the heaviest ``candidates`` items of ``current``) is compared with its
    count in ``baseline`` (a longer or earlier window) scaled by the two windows'
    volumes: ``expected = baseline_count · N_current / N_baseline``, with ``count`` the
    candidate's estimate in ``current`` truncated to an int, ``baseline_count`` its
    ``baseline.estimate`` and ``N`` each ``total_weight`` (an empty baseline predicts 0
    for every item, so the score is the count). The score
    ``(count - expected) / sqrt(expected + 1)`` is near zero for a tag as popular as
    usual and large for one that is breaking. Only items with ``count >= min_count``
    and a positive score are returned.

    Args:
        current: A sketch (or `WindowedTopK`) over the recent window: anything with a
            ``total_weight`` property and a ``top_k(k)`` method whose hitters have
            ``item`` and ``estimate``.
        baseline: A sketch over the reference window: anything with a ``total_weight``
            property and an ``estimate(item)`` method.
        k: How many trends to return (a positive integer; default 10).
        min_count: Minimum current count (the minimum volume to trend; a positive
            integer; default 1).
        candidates: How many of ``current``'s top items to score (a positive integer;
            ``max(4 * k, 100)`` when None).

    Returns:
        Up to ``k`` `Trend` items, highest score first (ties: higher count first, then
        ``current``'s top-k order).

    Raises:
        InvalidParameterError: If ``k``, ``min_count`` or ``candidates`` is not a
            positive integer.

    Examples:
        >>> from twitterdesign.topk import ExactCounter
        >>> base, now = ExactCounter(), ExactCounter()
        >>> base.update_many(["#music"] * 900 + ["#news"] * 100)
        >>> now.update_many(["#music"] * 90 + ["#quake"] * 30 + ["#news"] * 10)
        >>> [t.item for t in trending(now, base, k=2, min_count=5)]
        ['#quake']
    """
    k = check_int("k", k, minimum=1)
    min_count = check_int("min_count", min_count, minimum=1)
    pool = max(4 * k, 100) if candidates is None else candidates
    pool = check_int("candidates", pool, minimum=1)
    n_now, n_base = current.total_weight, baseline.total_weight
    ratio = n_now / n_base if n_base > 0 else 0.0
    out = []
    for hitter in current.top_k(pool):
        count = int(hitter.estimate)
        if count < min_count:
            continue
        expected = float(baseline.estimate(hitter.item)) * ratio
        score = (count - expected) / math.sqrt(expected + 1.0)
        if score > 0:
            out.append(Trend(hitter.item, count, expected, score))
    out.sort(key=lambda t: (-t.score, -t.count))
    return out[:k]


class RegionalTopK:
    """One sketch per region, merged on demand for the global view.

    Location trends need a minimum volume: an item is listed for a region only if its
    lower bound there reaches that region's threshold — ``region_min_count[region]`` if
    given, else ``min_count`` — so a handful of posts in a small region does not make a
    "trend", and a large region can demand more.

    Args:
        sketch: Empty template for every region's sketch, any frequency sketch of
            `twitterdesign.topk` (``SpaceSaving``, ``ExactCounter``...); it is copied, not
            used itself. ``SpaceSaving(1000)`` when None.
        min_count: Minimum count (lower bound) for an item to be listed (a positive
            integer; default 1); also the threshold of the global view.
        region_min_count: Per-region thresholds overriding ``min_count``: region names
            (non-empty, not ``"global"``) mapped to positive integers. None for no
            override.

    Raises:
        InvalidParameterError: If ``sketch`` is not an empty frequency sketch,
            ``min_count`` or a ``region_min_count`` value is not a positive integer, or
            a ``region_min_count`` key is not a valid region name.

    Examples:
        >>> from twitterdesign.topk import SpaceSaving
        >>> regions = RegionalTopK(SpaceSaving(50), min_count=3, region_min_count={"US": 5})
        >>> regions.update_many(["#ipl"] * 5 + ["#rain"] * 2, region="IN")
        >>> regions.update_many(["#nba"] * 4, region="US")
        >>> [h.item for h in regions.top_k(5, region="IN")]
        ['#ipl']
        >>> [h.item for h in regions.top_k(5)]
        ['#ipl', '#nba']
        >>> regions.top_k(5, region="US")   # 4 posts: under the US threshold of 5
        []
    """

    __slots__ = ("_min_count", "_prototype", "_region_min", "_regions")

    def __init__(
        self,
        sketch: Any = None,
        *,
        min_count: int = 1,
        region_min_count: Mapping[str, int] | None = None,
    ) -> None:
        from twitterdesign.topk._space_saving import SpaceSaving

        template = SpaceSaving(1000) if sketch is None else sketch
        self._prototype: bytes = clone_empty(template).to_bytes()
        self._min_count = check_int("min_count", min_count, minimum=1)
        self._region_min: dict[str, int] = {}
        for name, value in (region_min_count or {}).items():
            if not isinstance(name, str) or not name or name == GLOBAL:
                raise InvalidParameterError("region_min_count", name, _REGION_ALLOWED)
            self._region_min[name] = check_int(f"region_min_count[{name!r}]", value, minimum=1)
        self._regions: dict[str, Any] = {}

    @property
    def regions(self) -> list[str]:
        """Names of the regions that have a sketch, sorted.

        A region gets its sketch on its first `update` or `update_many` call (even with
        an empty batch, and before the items are validated) or through `merge`.
        """
        return sorted(self._regions)

    @property
    def min_count(self) -> int:
        """Default threshold: minimum lower bound for an item to be listed.

        Applies to the global view and to every region without a ``region_min_count``
        override.
        """
        return self._min_count

    def threshold(self, region: str | None = None) -> int:
        """Return the minimum count (lower bound) an item needs to be listed for ``region``.

        Args:
            region: A region name, or None for the global view. Any name is accepted,
                including one never updated.

        Returns:
            ``region_min_count[region]`` if that override was given, else `min_count`
            (also when ``region`` is None).
        """
        if region is None:
            return self._min_count
        return self._region_min.get(region, self._min_count)

    @property
    def total_weight(self) -> int:
        """Total weight added over all regions (the sum of the regional ``total_weight``)."""
        return int(sum(s.total_weight for s in self._regions.values()))

    @property
    def nbytes(self) -> int:
        """Approximate memory in bytes: the sum of every regional sketch's ``nbytes``."""
        return int(sum(s.nbytes for s in self._regions.values()))

    def _add(self, region: Any, add: Any) -> None:
        """Apply ``add`` to the region's sketch; a new region is kept only if it succeeds."""
        if not isinstance(region, str) or not region or region == GLOBAL:
            raise InvalidParameterError("region", region, _REGION_ALLOWED)
        sketch = self._regions.get(region)
        if sketch is None:
            sketch = load_sketch(self._prototype)
            add(sketch)
            self._regions[region] = sketch
        else:
            add(sketch)

    def update(self, item: Item, weight: int = 1, *, region: str) -> None:
        """Count ``weight`` occurrences of ``item`` in ``region``.

        Args:
            item: An item the template sketch accepts (an int, str or bytes).
            weight: A positive integer; 1 by default.
            region: The region name (a non-empty string other than ``"global"``); its
                sketch is created from the template on first use, and kept only if the
                update succeeds.

        Raises:
            InvalidParameterError: If ``region`` is not a non-empty string other than
                ``"global"``, or the region's sketch rejects ``item`` or ``weight``.
        """
        self._add(region, lambda sketch: sketch.update(item, weight))

    def update_many(
        self, items: Iterable[Any], weights: Iterable[Any] | None = None, *, region: str
    ) -> None:
        """Count a batch of items in ``region`` with the region sketch's ``update_many``.

        Args:
            items: An int64 array or an iterable of items.
            weights: Positive integer weights, one per item; all ones when None.
            region: The region name (a non-empty string other than ``"global"``); its
                sketch is created from the template on first use, and kept only if the
                update succeeds.

        Raises:
            InvalidParameterError: If ``region`` is not a non-empty string other than
                ``"global"``, or the region's sketch rejects an item or weight.
        """
        self._add(region, lambda sketch: sketch.update_many(items, weights))

    def sketch(self, region: str | None = None) -> Any:
        """Return a copy of ``region``'s sketch, or all regions merged when None.

        Args:
            region: A region name, or None for the global view.

        Returns:
            A new sketch of the template's type, independent of this structure: the
            region's sketch rebuilt from its bytes, or, for None, a fresh template
            sketch with every region merged in (in sorted name order; empty when there
            are no regions yet).

        Raises:
            NotFoundError: If ``region`` is not None and not one of `regions`.
        """
        if region is None:
            out = load_sketch(self._prototype)
            for name in sorted(self._regions):
                out.merge(self._regions[name])
            return out
        if region not in self._regions:
            known = ", ".join(self.regions) or "none yet"
            raise NotFoundError(f"no events for region {region!r} (regions: {known})")
        return load_sketch(self._regions[region].to_bytes())

    def top_k(self, k: int, *, region: str | None = None) -> list[HeavyHitter]:
        """Return the top ``k`` items of ``region`` (global if None) that reach its threshold.

        Takes the sketch's ``top_k(k)`` (see `sketch`) and keeps the items whose
        ``lower_bound`` is at least ``threshold(region)``, so fewer than ``k`` items may
        be returned.

        Args:
            k: How many items to take from the sketch (a positive integer).
            region: A region name, or None for the global (merged) view.

        Returns:
            `HeavyHitter` items, heaviest first, whose lower bound reaches the threshold.

        Raises:
            InvalidParameterError: If ``k`` is not a positive integer.
            NotFoundError: If ``region`` is not None and not one of `regions`.
        """
        k = check_int("k", k, minimum=1)
        hitters = self.sketch(region).top_k(k)
        floor = self.threshold(region)
        return [h for h in hitters if h.lower_bound >= floor]

    def merge(self, other: Self) -> Self:
        """Merge ``other`` into this structure, region by region.

        Each of ``other``'s regions is merged (as a copy) into the sketch of the same
        name here, which is created from the template if missing.

        Args:
            other: Another `RegionalTopK` with the same template, ``min_count`` and
                ``region_min_count`` (left unchanged).

        Returns:
            ``self``, now counting both structures' events.

        Raises:
            IncompatibleError: If ``other`` is not a `RegionalTopK` or its template,
                ``min_count`` or ``region_min_count`` differ.
        """
        if (
            not isinstance(other, RegionalTopK)
            or other._prototype != self._prototype
            or other._min_count != self._min_count
            or other._region_min != self._region_min
        ):
            raise IncompatibleError(f"cannot merge {other!r} into {self!r}: configs differ")
        for name, sketch in list(other._regions.items()):
            copy = load_sketch(sketch.to_bytes())  # other may be self
            self._add(name, lambda mine, copy=copy: mine.merge(copy))
        return self

    def __repr__(self) -> str:
        return f"RegionalTopK(regions={len(self._regions)}, min_count={self._min_count})"

    def to_bytes(self) -> bytes:
        """Serialize the thresholds, the template and every region's sketch.

        Returns:
            Bytes with a versioned header for `from_bytes`, which rebuilds an equivalent
            structure.
        """
        out = Writer(KIND_REGIONAL)
        out.i64(self._min_count)
        out.items(sorted(self._region_min))
        for name in sorted(self._region_min):
            out.i64(self._region_min[name])
        out.blob(self._prototype)
        out.items(sorted(self._regions))
        for name in sorted(self._regions):
            out.blob(self._regions[name].to_bytes())
        return out.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """Rebuild a structure written by `to_bytes`.

        Args:
            data: Serialized bytes.

        Returns:
            A `RegionalTopK` with the same thresholds, template and regional sketches.

        Raises:
            CorruptDataError: If the bytes are truncated, of another structure, hold a
                bad region name, an invalid threshold or template, a regional sketch of
                another type than the template, or a sketch that violates an invariant.
        """
        src = Reader(data, KIND_REGIONAL)
        min_count = src.i64()
        limit_names = src.items()
        limits = {name: src.i64() for name in limit_names}
        prototype = load_sketch(src.blob())
        if len(limits) != len(limit_names):
            raise CorruptDataError("serialized RegionalTopK repeats a threshold's region")
        try:
            out = cls(prototype, min_count=min_count, region_min_count=limits)  # type: ignore[arg-type]
        except InvalidParameterError as exc:
            raise CorruptDataError(f"serialized RegionalTopK is invalid: {exc}") from None
        names = src.items()
        if not all(isinstance(n, str) and n and n != GLOBAL for n in names):
            raise CorruptDataError("serialized RegionalTopK has a bad region name")
        if len(set(names)) != len(names):
            raise CorruptDataError("serialized RegionalTopK repeats a region")
        sketches = [load_nested(src.blob(), out._prototype, "RegionalTopK") for _ in names]
        src.done()
        out._regions = dict(zip(names, sketches, strict=True))  # type: ignore[arg-type]
        check_loaded(out)
        return out

    def _check(self) -> None:
        """Assert every region's sketch has the template's type and is sound."""
        proto = load_sketch(self._prototype)
        for sketch in self._regions.values():
            if type(sketch) is not type(proto):
                raise AssertionError("region sketch of another type")
            sketch._check()


def regional_trending(
    current: RegionalTopK, baseline: RegionalTopK, *, k: int = 10, min_count: int | None = None
) -> dict[str, list[Trend]]:
    """Run `trending` for every region of ``current`` (and ``"global"``).

    Each region's current sketch (``current.sketch(region)``) is scored against the same
    region in ``baseline``; the global view compares both structures' merged sketches.

    Args:
        current: Regional sketches over the recent window.
        baseline: Regional sketches over the reference window (a region missing there
            has no baseline: everything in it counts as new).
        k: Trends per region (a positive integer; default 10).
        min_count: Minimum current count to trend (a positive integer), for every region
            and the global view; when None, ``current.threshold(region)`` per region and
            ``current.min_count`` for the global view.

    Returns:
        ``{region: [Trend, ...]}`` for every one of ``current.regions``, plus the key
        ``"global"`` for the merged view (no region may be named ``"global"``).

    Raises:
        InvalidParameterError: If ``k`` or ``min_count`` is not a positive integer.

    Examples:
        >>> now, base = RegionalTopK(min_count=2), RegionalTopK(min_count=2)
        >>> now.update_many(["#a"] * 4, region="BR")
        >>> [t.item for t in regional_trending(now, base)["BR"]]
        ['#a']
    """
    out = {}
    for name in [*current.regions, None]:
        base = baseline.sketch(name) if name is None or name in baseline.regions else None
        ref = base if base is not None else load_sketch(current._prototype)
        key = GLOBAL if name is None else name
        threshold = current.threshold(name) if min_count is None else min_count
        out[key] = trending(current.sketch(name), ref, k=k, min_count=threshold)
    return out
