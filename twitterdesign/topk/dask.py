"""Any mergeable sketch as a Dask reduction: one sketch per partition, merged in a tree.

A sketch of `twitterdesign.topk` is a small summary that merges with another of the same
configuration and serializes to bytes. That is all a distributed reduction needs: every
partition of a ``dask.dataframe`` column, a ``dask.bag`` or a ``dask.array`` is counted
where it lives, into a copy of an empty *template* sketch; the partitions' sketches, as
bytes, are merged ``split_every`` at a time, level by level, until one is left. Raw items
never leave their partition; what moves between workers are serialized sketches, whose
size depends on the sketch's capacity, not on the data (`Reduction.bytes_shipped` counts
them). The same machinery keys the sketches: one per group (`group_sketches`: top-k per
region) or one per time window (`window_sketches`: trends), merged key by key.

The result's answers carry the merged sketch's bounds: `Reduction.top_k` returns
`HeavyHitter` items whose ``lower_bound``/``upper_bound`` hold for the whole collection,
exactly as if one sketch had seen every event (Count-Min, Space-Saving, Misra-Gries,
FrequentItems and the exact counter); HeavyKeeper's merge is approximate (see the
explanation page).

This module needs the optional ``dask`` extra (``pip install "twitterdesign[dask]"``);
Dask is imported only when this module is, and importing it without Dask raises
`MissingDependencyError` naming the extra.

Examples:
    >>> import dask.bag as db
    >>> from twitterdesign.topk import SpaceSaving
    >>> from twitterdesign.topk.dask import reduce_sketch
    >>> tags = db.from_sequence(["#a", "#b", "#a", "#c", "#a", "#b"], npartitions=3)
    >>> result = reduce_sketch(tags, SpaceSaving(8), scheduler="sync")
    >>> [(h.item, h.estimate) for h in result.top_k(2)], result.partitions
    ([('#a', 3), ('#b', 2)], 3)
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from twitterdesign._validate import check_int
from twitterdesign.errors import InvalidParameterError, MissingDependencyError
from twitterdesign.topk._base import HeavyHitter
from twitterdesign.topk._load import clone_empty, load_sketch

try:
    import dask
    from dask.delayed import Delayed, delayed
except ImportError:  # pragma: no cover - exercised by a subprocess test
    raise MissingDependencyError("dask", "dask") from None

__all__ = [
    "KeyedReduction",
    "Reduction",
    "group_sketches",
    "merge_serialized",
    "reduce_sketch",
    "window_sketches",
]

#: What a reduction task returns: serialized sketches by key, and the bytes of
#: serialized sketches shipped into the merges that produced it.
_Part = tuple[dict[Hashable, bytes], int]


@dataclass(frozen=True, slots=True)
class Reduction:
    """One sketch merged from every partition of a collection.

    Attributes:
        sketch: The merged sketch (same type and configuration as the template).
        partitions: How many partition sketches were merged.
        bytes_shipped: Bytes of serialized sketches sent into merge tasks (partition
            sketches and intermediate merges); raw items are never shipped.
    """

    sketch: Any
    partitions: int
    bytes_shipped: int

    def top_k(self, k: int) -> list[HeavyHitter]:
        """Return the merged sketch's ``k`` heaviest items with their merged bounds."""
        return list(self.sketch.top_k(k))

    def to_dict(self) -> dict[str, Any]:
        """Return the sizes as a JSON-ready dict (the sketch itself as its byte count)."""
        return {
            "serialized_bytes": len(self.sketch.to_bytes()),
            "partitions": self.partitions,
            "bytes_shipped": self.bytes_shipped,
        }


@dataclass(frozen=True, slots=True)
class KeyedReduction:
    """One merged sketch per key (a group value or a window start).

    Attributes:
        sketches: The merged sketch of every key seen, keys in sorted order.
        partitions: How many partitions were counted.
        bytes_shipped: Bytes of serialized sketches sent into merge tasks.
    """

    sketches: dict[Any, Any]
    partitions: int
    bytes_shipped: int

    def top_k(self, k: int) -> dict[Any, list[HeavyHitter]]:
        """Return the ``k`` heaviest items of every key, with their merged bounds."""
        return {key: list(sketch.top_k(k)) for key, sketch in self.sketches.items()}

    def to_dict(self) -> dict[str, Any]:
        """Return the keys and sizes as a JSON-ready dict."""
        return {
            "keys": [str(key) for key in self.sketches],
            "partitions": self.partitions,
            "bytes_shipped": self.bytes_shipped,
        }


def reduce_sketch(
    collection: Any,
    template: Any,
    *,
    column: str | None = None,
    weights: str | None = None,
    split_every: int = 8,
    scheduler: str | None = None,
) -> Reduction:
    """Count a Dask collection into one sketch: per partition, then a tree of merges.

    Args:
        collection: A ``dask.dataframe`` DataFrame (with ``column``) or Series, a
            ``dask.bag`` of items, or a one-dimensional ``dask.array`` of integers.
        template: An empty sketch from `twitterdesign.topk`; every partition counts
            into a copy of it, so all partition sketches share its configuration.
        column: The DataFrame column of items (required for a DataFrame).
        weights: A DataFrame column of positive integer weights (optional).
        split_every: Merge fan-in: how many sketches one merge task combines (>= 2).
        scheduler: A Dask scheduler name (``"sync"``, ``"threads"``, ``"processes"``);
            None uses the default, which is the active ``distributed.Client`` if any.

    Returns:
        A `Reduction` holding the merged sketch.

    Raises:
        InvalidParameterError: For a template that is not an empty sketch, a collection
            of another kind, a missing or unknown column, or a bad ``split_every``.

    Examples:
        >>> import dask.array as da
        >>> from twitterdesign.topk import CountMinSketch
        >>> ids = da.from_array([7, 7, 9, 7, 3, 9], chunks=2)
        >>> reduce_sketch(ids, CountMinSketch(64, 3), scheduler="sync").sketch.estimate(7)
        3
    """
    keyed = _reduce_keyed(collection, template, column, weights, None, split_every, scheduler)
    sketch = keyed.sketches.get(None, clone_empty(template, "template"))
    return Reduction(sketch, keyed.partitions, keyed.bytes_shipped)


def group_sketches(
    frame: Any,
    template: Any,
    *,
    column: str,
    by: str,
    weights: str | None = None,
    split_every: int = 8,
    scheduler: str | None = None,
) -> KeyedReduction:
    """Count a DataFrame column into one sketch per value of ``by`` (top-k per region).

    Args:
        frame: A ``dask.dataframe`` DataFrame.
        template: An empty sketch from `twitterdesign.topk`.
        column: The column of items.
        by: The column whose values name the groups (rows where it is null are skipped).
        weights: A column of positive integer weights (optional).
        split_every: Merge fan-in (>= 2).
        scheduler: A Dask scheduler name, or None for the default.

    Returns:
        A `KeyedReduction`, one merged sketch per group value.

    Raises:
        InvalidParameterError: As `reduce_sketch`, or if ``by`` is not a column.
    """
    _require_columns(frame, [column, by, *([weights] if weights else [])])

    def key_of(part: Any) -> Any:
        return part[by]

    frame = frame[[column, by, *([weights] if weights else [])]]  # read only these columns
    return _reduce_keyed(frame, template, column, weights, key_of, split_every, scheduler)


def window_sketches(
    frame: Any,
    template: Any,
    *,
    column: str,
    freq: str,
    time_column: str | None = None,
    weights: str | None = None,
    split_every: int = 8,
    scheduler: str | None = None,
) -> KeyedReduction:
    """Count a time-stamped column into one sketch per window (trends over time).

    Args:
        frame: A ``dask.dataframe`` DataFrame with a DatetimeIndex, or with a datetime
            ``time_column``.
        template: An empty sketch from `twitterdesign.topk`.
        column: The column of items.
        freq: The window length as a pandas frequency (``"1h"``, ``"15min"``); a row
            belongs to the window that starts at its time floored to ``freq``.
        time_column: A datetime column to use instead of the index.
        weights: A column of positive integer weights (optional).
        split_every: Merge fan-in (>= 2).
        scheduler: A Dask scheduler name, or None for the default.

    Returns:
        A `KeyedReduction` whose keys are the windows' start times (``pandas.Timestamp``).

    Raises:
        InvalidParameterError: As `reduce_sketch`, for a ``freq`` pandas does not know,
            or if the times are not datetimes.
    """
    import pandas as pd

    try:
        pd.tseries.frequencies.to_offset(freq)
    except (TypeError, ValueError):
        raise InvalidParameterError("freq", freq, "a pandas frequency such as '1h'") from None
    _require_columns(frame, [column, *(c for c in (time_column, weights) if c)])
    times = frame.index if time_column is None else frame[time_column]
    if not pd.api.types.is_datetime64_any_dtype(times.dtype):
        name = "time_column" if time_column else "frame.index"
        raise InvalidParameterError(name, str(times.dtype), "datetimes (datetime64 dtype)")

    def key_of(part: Any) -> Any:
        stamps = part.index if time_column is None else part[time_column]
        return pd.Series(pd.DatetimeIndex(stamps).floor(freq), index=part.index)

    frame = frame[[column, *(c for c in (time_column, weights) if c)]]
    return _reduce_keyed(frame, template, column, weights, key_of, split_every, scheduler)


def merge_serialized(
    blobs: Any, *, split_every: int = 8, scheduler: str | None = None
) -> Reduction:
    """Merge serialized sketches (``to_bytes`` output) in a Dask tree.

    This is the aggregator of a pipeline whose ingest servers each ship their sketch:
    the sketches may come from anywhere, so they are checked when merged.

    Args:
        blobs: A sequence or ``dask.bag`` of ``bytes``, each one serialized sketch.
        split_every: Merge fan-in (>= 2).
        scheduler: A Dask scheduler name, or None for the default.

    Returns:
        A `Reduction` of the merged sketch.

    Raises:
        InvalidParameterError: If there are no sketches.
        IncompatibleError: If two sketches differ in type or configuration.
        CorruptDataError: If an item is not a serialized sketch.
    """
    fan_in = check_int("split_every", split_every, minimum=2)
    parts: list[Any]
    if _is_dask(blobs):
        parts = [delayed(_bag_blobs)(part) for part in blobs.to_delayed()]
    else:
        parts = [({None: blob}, 0) for blob in list(blobs)]
    if not parts:
        raise InvalidParameterError("blobs", blobs, "at least one serialized sketch")
    (top,) = dask.compute(_tree(parts, fan_in), scheduler=scheduler)
    merged, shipped = top
    if None not in merged:
        raise InvalidParameterError("blobs", blobs, "at least one serialized sketch")
    return Reduction(load_sketch(merged[None]), len(parts), shipped)


def _reduce_keyed(
    collection: Any,
    template: Any,
    column: str | None,
    weights: str | None,
    key_of: Callable[[Any], Any] | None,
    split_every: int,
    scheduler: str | None,
) -> KeyedReduction:
    """Count every partition into keyed sketches and merge them key by key in a tree."""
    proto = clone_empty(template, "template").to_bytes()
    fan_in = check_int("split_every", split_every, minimum=2)
    pieces = _partitions(collection, column, weights, key_of)
    parts = [delayed(_count_partition)(proto, piece, column, weights, key_of) for piece in pieces]
    if not parts:
        return KeyedReduction({}, 0, 0)
    (top,) = dask.compute(_tree(parts, fan_in), scheduler=scheduler)
    merged, shipped = top
    sketches = {key: load_sketch(merged[key]) for key in _sorted_keys(merged)}
    return KeyedReduction(sketches, len(parts), shipped)


def _partitions(
    collection: Any, column: str | None, weights: str | None, by_key: object
) -> list[Delayed]:
    """One delayed object per partition: a pandas frame/Series, a list, or an array."""
    if not _is_dask(collection):
        allowed = "a dask DataFrame, Series, Bag or one-dimensional Array"
        raise InvalidParameterError("collection", collection, allowed)
    kind = type(collection).__name__
    if kind == "DataFrame":
        if column is None:
            raise InvalidParameterError("column", None, "the name of the column of items")
        _require_columns(collection, [column, *([weights] if weights else [])])
        if by_key is None:  # only the columns counted travel to the counting tasks
            collection = collection[[column, *([weights] if weights else [])]]
    elif column is not None or weights is not None:
        raise InvalidParameterError(
            "column" if column is not None else "weights",
            column if column is not None else weights,
            f"None for a {kind} (columns name DataFrame columns)",
        )
    if kind == "Array":
        if collection.ndim != 1:
            shape = collection.shape
            raise InvalidParameterError("collection", shape, "a one-dimensional dask Array")
        return list(collection.to_delayed().ravel())
    return list(collection.to_delayed())


def _is_dask(obj: Any) -> bool:
    return bool(dask.is_dask_collection(obj))


def _require_columns(frame: Any, names: Sequence[str]) -> None:
    columns = list(getattr(frame, "columns", []))
    for name in names:
        if name not in columns:
            raise InvalidParameterError("column", name, f"one of the columns {columns}")


def _count_partition(
    proto: bytes,
    piece: Any,
    column: str | None,
    weights: str | None,
    key_of: Callable[[Any], Any] | None,
) -> _Part:
    """Count one partition into serialized sketches by key (runs on a worker)."""
    items = piece[column] if column is not None else piece
    w = piece[weights] if weights is not None else None
    if key_of is None:
        sketch = load_sketch(proto)
        sketch.update_many(items, w)
        return {None: sketch.to_bytes()}, 0
    out: dict[Hashable, bytes] = {}
    keys = key_of(piece)
    # Positions, not labels: a partition's index may repeat (many events per timestamp).
    for key, rows in keys.groupby(keys, sort=True, observed=True).indices.items():
        sketch = load_sketch(proto)
        sketch.update_many(items.iloc[rows], None if w is None else w.iloc[rows])
        out[key] = sketch.to_bytes()
    return out, 0


def _bag_blobs(blobs: list[bytes]) -> _Part:
    """Merge one bag partition of serialized sketches (runs on a worker)."""
    parts: list[_Part] = [({None: blob}, 0) for blob in blobs]
    return _merge_parts(*parts) if parts else ({}, 0)


def _merge_parts(*parts: _Part) -> _Part:
    """Merge keyed serialized sketches key by key (runs on a worker)."""
    merged: dict[Hashable, Any] = {}
    shipped = 0
    for blobs, below in parts:
        shipped += below + sum(len(blob) for blob in blobs.values())
        for key, blob in blobs.items():
            sketch = load_sketch(blob)
            if key in merged:
                merged[key].merge(sketch)
            else:
                merged[key] = sketch
    return {key: sketch.to_bytes() for key, sketch in merged.items()}, shipped


def _tree(parts: list[Any], fan_in: int) -> Any:
    """Merge ``parts`` ``fan_in`` at a time, level by level, into one delayed part."""
    level = parts
    while len(level) > 1:
        level = [
            delayed(_merge_parts)(*level[i : i + fan_in]) for i in range(0, len(level), fan_in)
        ]
    if len(parts) == 1:
        return delayed(_merge_parts)(level[0])
    return level[0]


def _sorted_keys(merged: dict[Hashable, bytes]) -> list[Hashable]:
    try:
        return sorted(merged)  # type: ignore[type-var]
    except TypeError:  # keys of mixed types: keep the order of first appearance
        return list(merged)
