"""Arrow arrays and pandas Series as sketch input, read from their buffers.

An Arrow string (or binary) array already is what `twitterdesign.topk._packed` builds
from a Python list: one data buffer plus an offset per item. So a column is hashed
straight from its buffers (same MurmurHash3, seeds and UTF-8 bytes as the scalar path,
so a sketch fed from Arrow equals one fed the same items as Python objects, and the two
merge), and a batch is summed per distinct item by Arrow's own hash kernels
(``value_counts``, ``dictionary_encode``), which keep the order of first occurrence that
the list path keeps. Only the distinct items a sketch stores become Python objects.

What is accepted (see `columnar_keys`): ``pyarrow.Array`` and ``pyarrow.ChunkedArray`` of
string, large_string, binary, large_binary, any integer type and dictionaries of those,
and pandas Series of those (numpy integers, strings in any storage, nullable integers).
Nulls (Arrow nulls; None, NaN and NA in a Series) are skipped, with their weights.

pyarrow and pandas are imported only when such an object arrives, so importing
`twitterdesign.topk` stays light.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from twitterdesign.errors import InvalidParameterError, MissingDependencyError
from twitterdesign.topk._packed import (
    BYTES_SEED,
    MIN_PACKED,
    STR_SEED,
    Packed,
    packed_from_buffer,
)

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

_ALLOWED = "a pyarrow Array or ChunkedArray, or a pandas Series, of strings, binary or integers"


def is_columnar(items: object) -> bool:
    """Whether ``items`` is a pyarrow or pandas object (checked without importing them)."""
    return type(items).__module__.split(".", 1)[0] in ("pyarrow", "pandas")


class ArrowItems(Sequence[Any]):
    """A batch of str or bytes items kept as one Arrow array (no nulls), with its packing.

    Indexing and iteration give Python items (only on demand); `take_items` reads many
    at once; `group` and `encode` sum or index the batch per distinct item with Arrow
    kernels.

    Attributes:
        array: The Arrow string, large_string, binary or large_binary array.
        packed: The same items as a `Packed` view of the array's buffers.
    """

    __slots__ = ("_packed", "array")

    def __init__(self, array: Any) -> None:
        self.array = array
        self._packed: Packed | None = None

    @property
    def packed(self) -> Packed:
        """The items as a `Packed` view of the array's buffers (built on first use)."""
        if self._packed is None:
            self._packed = _pack_arrow(self.array)
        return self._packed

    def __len__(self) -> int:
        return len(self.array)

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return self.array[index].to_pylist()
        return self.array[index].as_py()

    def __iter__(self) -> Iterator[Any]:
        return iter(self.array.to_pylist())

    def tolist(self) -> list[Any]:
        """Return every item as a Python object."""
        return list(self.array.to_pylist())

    def take_items(self, positions: I64) -> list[Any]:
        """Return the items at ``positions`` as Python objects (one Arrow ``take``)."""
        return list(self.array.take(positions).to_pylist())

    def subset(self, positions: I64) -> ArrowItems:
        """Return the events at ``positions`` as a new batch (still Arrow)."""
        return ArrowItems(self.array.take(positions))

    def group(self, weights: I64 | None) -> tuple[ArrowItems, I64]:
        """Sum the batch per distinct item, in order of first occurrence.

        Arrow's hash kernels do the grouping (``value_counts``, or ``dictionary_encode``
        and a sum of the weights), comparing items by their bytes.

        Returns:
            ``(values, sums)``: the distinct items (still Arrow) and their total weight.
        """
        import pyarrow.compute as pc

        if weights is None:
            counted = pc.value_counts(self.array)
            values = ArrowItems(counted.field("values"))
            return values, counted.field("counts").to_numpy().astype(np.int64)
        encoded = self.array.dictionary_encode()
        index = encoded.indices.to_numpy(zero_copy_only=False)
        sums = np.zeros(len(encoded.dictionary), dtype=np.int64)
        np.add.at(sums, index, weights)
        return ArrowItems(encoded.dictionary), sums

    def positions_in(self, keys: list[Any]) -> I64 | None:
        """For each item here, its position in ``keys`` (distinct Python items) or -1.

        Arrow's ``index_in`` hashes the (small) key list once and probes it with every
        item of this column.

        Returns None when the keys are not all of this column's Python type (str for
        strings, bytes for binary), or cannot be Arrow values (lone surrogates): the
        caller then matches them another way.
        """
        import pyarrow as pa
        import pyarrow.compute as pc

        text = pa.types.is_string(self.array.type) or pa.types.is_large_string(self.array.type)
        if set(map(type, keys)) != {str if text else bytes}:
            return None
        try:
            probe = pa.array(keys, type=self.array.type)
        except (pa.ArrowException, UnicodeEncodeError):
            return None
        found = pc.index_in(self.array, value_set=probe)
        positions: I64 = found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        return positions

    def encode(self) -> tuple[list[Any], I64]:
        """The distinct items in order of first occurrence, and each event's index into them."""
        encoded = self.array.dictionary_encode()
        index = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        return list(encoded.dictionary.to_pylist()), index


def _pack_arrow(array: Any) -> Packed:
    """A `Packed` view of a string or binary array's offsets and data (no copy)."""
    import pyarrow as pa

    large = pa.types.is_large_string(array.type) or pa.types.is_large_binary(array.type)
    text = pa.types.is_string(array.type) or pa.types.is_large_string(array.type)
    _, offsets_buf, data_buf = array.buffers()[:3]
    n = len(array)
    dtype = np.int64 if large else np.int32
    offsets: I64 = np.zeros(n + 1, dtype=np.int64)
    if offsets_buf is not None:  # an empty array may have no buffers
        raw = np.frombuffer(offsets_buf, dtype=dtype)
        offsets = raw[array.offset : array.offset + n + 1].astype(np.int64)
    starts = offsets[:-1]
    lengths = np.diff(offsets)
    data = b"" if data_buf is None else data_buf
    return packed_from_buffer(data, starts, lengths, STR_SEED if text else BYTES_SEED, array)


def columnar_keys(items: Any) -> tuple[I64 | list[Any] | ArrowItems, Bool | None]:
    """Turn an Arrow or pandas column into batch keys, skipping nulls.

    Args:
        items: A pyarrow Array or ChunkedArray, or a pandas Series (a chunked array is
            one batch, as if its chunks were concatenated).

    Returns:
        ``(keys, valid)``: an int64 array for integer columns; an `ArrowItems` for a
        string or binary column of at least ``MIN_PACKED`` items (smaller ones become
        a list of Python items, the way the list path takes them); and the mask of
        non-null events, or None if there was no null.

    Raises:
        InvalidParameterError: For a DataFrame or any other type, floats, booleans,
            timestamps, or unsigned integers beyond the signed 64-bit range.
        MissingDependencyError: For a pandas Series of strings without pyarrow.
    """
    array = _to_arrow(items)
    import pyarrow as pa

    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    if pa.types.is_string_view(array.type) or pa.types.is_binary_view(array.type):
        array = array.cast(
            pa.large_string() if pa.types.is_string_view(array.type) else pa.large_binary()
        )
    valid: Bool | None = None
    if array.null_count:
        valid = array.is_valid().to_numpy(zero_copy_only=False)
        array = array.filter(array.is_valid())
    kind = array.type
    if pa.types.is_null(kind):  # no values at all (e.g. an empty or all-None column)
        return [], valid
    if pa.types.is_integer(kind):
        ints = array.to_numpy(zero_copy_only=False)
        if pa.types.is_uint64(kind) and len(ints) and int(ints.max()) > 2**63 - 1:
            raise InvalidParameterError("items", items, "integers in the signed 64-bit range")
        return ints.astype(np.int64, copy=False), valid
    if not (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
    ):
        raise InvalidParameterError("items", f"<Arrow column of type {kind}>", _ALLOWED)
    if len(array) < MIN_PACKED:
        return list(array.to_pylist()), valid
    return ArrowItems(array), valid


def columnar_weights(weights: Any) -> Any:
    """Arrow or pandas weights as a numpy array (others are returned unchanged).

    Raises:
        InvalidParameterError: If the weights contain nulls.
    """
    if not is_columnar(weights):
        return weights
    array = _to_arrow(weights)
    if not len(array):
        return np.zeros(0, dtype=np.int64)  # an empty column may have no integer type
    if array.null_count:
        raise InvalidParameterError("weights", weights, "positive integers (no nulls)")
    return array.to_numpy(zero_copy_only=False)


def _to_arrow(items: Any) -> Any:
    """One ``pyarrow.Array`` for an Array, ChunkedArray or Series."""
    module = type(items).__module__.split(".", 1)[0]
    if module == "pandas":
        return _series_to_arrow(items)
    import pyarrow as pa

    if isinstance(items, pa.ChunkedArray):
        return items.combine_chunks() if items.num_chunks != 1 else items.chunk(0)
    if isinstance(items, pa.Array):
        return items
    raise InvalidParameterError("items", items, _ALLOWED)


def _series_to_arrow(series: Any) -> Any:
    import pandas as pd

    if not isinstance(series, pd.Series):
        raise InvalidParameterError("items", series, _ALLOWED + " (pass one column)")
    try:
        import pyarrow as pa
    except ImportError:
        raise MissingDependencyError("pyarrow", "arrow") from None
    try:
        return pa.Array.from_pandas(series)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        raise InvalidParameterError(
            "items", series, "a Series of one item type: strings, bytes or integers"
        ) from None
