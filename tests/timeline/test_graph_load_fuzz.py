"""FollowerGraph.load: every damaged or foreign .npz file is a CorruptDataError.

Files are truncated, bit-flipped, given another zip compression method, arrays of the
wrong dtype or shape, inconsistent CSR arrays, and .npy headers that declare far more
data than the member holds. Loading either gives a sound graph or raises
`CorruptDataError`, and it never allocates more than a small multiple of the file.
"""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from twitterdesign.errors import CorruptDataError
from twitterdesign.timeline import FollowerGraph

GRAPH = FollowerGraph.from_edges([0, 0, 1, 2, 3, 3], [1, 2, 2, 0, 0, 1])


def _saved(graph: FollowerGraph = GRAPH) -> bytes:
    buf = io.BytesIO()
    graph.save(buf)
    return buf.getvalue()


GOOD = _saved()


def _arrays(**change: Any) -> bytes:
    arrays: dict[str, Any] = {
        "format": np.array("twitterdesign.FollowerGraph"),
        "version": np.array(1, dtype=np.int64),
        "n_users": np.array(4, dtype=np.int64),
        "followee_indptr": np.array([0, 2, 3, 4, 6], dtype=np.int64),
        "followee_indices": np.array([1, 2, 2, 0, 0, 1], dtype=np.int32),
    }
    arrays.update(change)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def load_within_budget(data: bytes) -> FollowerGraph:
    budget = 64 * len(data) + (4 << 20)
    tracemalloc.start()
    try:
        return FollowerGraph.load(io.BytesIO(data))
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak <= budget, f"loading {len(data)} bytes allocated {peak} bytes"


def assert_loads_or_corrupt(data: bytes) -> None:
    try:
        graph = load_within_budget(data)
    except CorruptDataError:
        return
    graph._check()


def test_the_good_files_load():
    assert load_within_budget(GOOD) == GRAPH
    assert load_within_budget(_arrays()) == GRAPH
    compressed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(GOOD)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(compressed, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, raw in members.items():
            archive.writestr(name, raw)
    assert load_within_budget(compressed.getvalue()) == GRAPH


def _set_compression_method(data: bytes, method: int) -> bytes:
    """Rewrite the method field of every local and central-directory header."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        at = out.find(signature)
        while at >= 0:
            out[at + offset : at + offset + 2] = struct.pack("<H", method)
            at = out.find(signature, at + 4)
    return bytes(out)


@pytest.mark.parametrize("method", [99, 1, 12, 14, 93])
def test_an_unsupported_compression_method_is_corrupt_data(method):
    # Method 99 (AES) used to raise NotImplementedError from zipfile; 12 (bzip2) and 14
    # (LZMA) are supported by zipfile but the stored bytes are not such streams.
    with pytest.raises(CorruptDataError):
        load_within_budget(_set_compression_method(GOOD, method))


def _with_member(name: str, raw: bytes) -> bytes:
    """GOOD with member ``name`` replaced by ``raw`` (a valid zip: CRCs are recomputed)."""
    with zipfile.ZipFile(io.BytesIO(GOOD)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    members[name] = raw
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return buf.getvalue()


@pytest.mark.parametrize("shape", [(2**40,), (2**20, 2**20), (7,), (5,)])
def test_a_header_declaring_more_or_less_data_than_the_member_holds(shape):
    # The ids' .npy header declares 2**40 int32 ids (4 TiB) or another count than the
    # six ids the member holds: rejected before anything that large is allocated.
    raw = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        raw, {"descr": "<i4", "fortran_order": False, "shape": shape}
    )
    raw.write(np.array([1, 2, 2, 0, 0, 1], dtype="<i4").tobytes())
    with pytest.raises(CorruptDataError):
        load_within_budget(_with_member("followee_indices.npy", raw.getvalue()))


@settings(max_examples=200)
@given(st.data())
def test_truncated_files(data):
    cut = data.draw(st.integers(0, len(GOOD) - 1))
    with pytest.raises(CorruptDataError):
        load_within_budget(GOOD[:cut])


@settings(max_examples=300)
@given(st.data())
def test_bit_flipped_files(data):
    blob = bytearray(GOOD)
    for _ in range(data.draw(st.integers(1, 3))):
        bit = data.draw(st.integers(0, 8 * len(blob) - 1))
        blob[bit // 8] ^= 1 << (bit % 8)
    assert_loads_or_corrupt(bytes(blob))


NAMES = ["format", "version", "n_users", "followee_indptr", "followee_indices"]
dtypes = st.one_of(
    hnp.integer_dtypes(endianness="="),
    hnp.unsigned_integer_dtypes(endianness="="),
    hnp.floating_dtypes(endianness="="),
    hnp.complex_number_dtypes(endianness="="),
    hnp.unicode_string_dtypes(endianness="=", max_len=8),
    hnp.byte_string_dtypes(endianness="=", max_len=8),
    st.just(np.dtype(">i8")),
    st.just(np.dtype([("a", "<i8"), ("b", "<f4")])),
    st.just(np.dtype(bool)),
)
arrays = hnp.arrays(dtypes, hnp.array_shapes(min_dims=0, max_dims=2, max_side=5))


@settings(max_examples=300)
@given(st.sampled_from(NAMES), arrays)
def test_arrays_of_the_wrong_dtype_or_shape(name, value):
    assert_loads_or_corrupt(_arrays(**{name: value}))


@settings(max_examples=300)
@given(
    st.integers(-2, 8),
    st.lists(st.integers(-3, 10), max_size=8),
    st.lists(st.integers(-3, 10), max_size=8),
)
def test_inconsistent_csr_arrays(n, indptr, indices):
    assert_loads_or_corrupt(
        _arrays(
            n_users=np.array(n, dtype=np.int64),
            followee_indptr=np.array(indptr, dtype=np.int64),
            followee_indices=np.array(indices, dtype=np.int32),
        )
    )


def test_a_missing_member_is_corrupt():
    with zipfile.ZipFile(io.BytesIO(GOOD)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, raw in members.items():
            if name != "n_users.npy":
                archive.writestr(name, raw)
    with pytest.raises(CorruptDataError, match="missing"):
        load_within_budget(buf.getvalue())
