"""CSR building blocks and the validated ``.npz`` format of the follower graph."""

from __future__ import annotations

import lzma
import math
import os
import struct
import zipfile
import zlib
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from twitterdesign.errors import CorruptDataError

__all__ = [
    "MAX_USERS",
    "IdArray",
    "IntArray",
    "csr_from_sorted_keys",
    "read_followee_csr",
    "sorted_unique",
    "transpose_csr",
    "write_followee_csr",
]

IntArray = npt.NDArray[np.int64]
IdArray = npt.NDArray[np.int32]

_FORMAT = "twitterdesign.FollowerGraph"
_NEEDED = frozenset({"format", "version", "n_users", "followee_indptr", "followee_indices"})
_VERSION = 1
# int32 ids keep a 35M-edge graph near 300 MB; the id space is capped accordingly.
MAX_USERS = 2**31 - 1


def csr_from_sorted_keys(keys: IntArray, n_users: int) -> tuple[IntArray, IdArray]:
    """Build (indptr, indices) from sorted ``row * n_users + col`` keys, consuming ``keys``.

    The row pointers come from a binary search per row, and the column ids are computed
    in place, so no second edge-sized int64 array is allocated.
    """
    bounds = np.arange(n_users + 1, dtype=np.int64)
    bounds *= n_users
    indptr = np.searchsorted(keys, bounds).astype(np.int64)
    del bounds
    np.remainder(keys, n_users, out=keys)
    indices = keys.astype(np.int32)
    return indptr, indices


def sorted_unique(
    keys: IntArray, *, kind: Literal["quicksort", "stable"] = "quicksort"
) -> IntArray:
    """Sort ``keys`` in place and return the distinct values (faster than np.unique)."""
    keys.sort(kind=kind)
    if keys.size < 2:
        return keys
    keep = np.empty(keys.size, dtype=bool)
    keep[0] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    return keys[keep]


def transpose_csr(indptr: IntArray, indices: IdArray, n_users: int) -> tuple[IntArray, IdArray]:
    """Return the CSR of the reversed edges, each row sorted by column."""
    keys = indices.astype(np.int64)
    keys *= n_users
    keys += np.repeat(np.arange(n_users, dtype=np.int32), np.diff(indptr))
    keys.sort()
    return csr_from_sorted_keys(keys, n_users)


def write_followee_csr(
    path: str | os.PathLike[str] | Any, n_users: int, indptr: IntArray, indices: IdArray
) -> None:
    """Write the followee CSR with a format tag and version (uncompressed ``.npz``)."""
    np.savez(
        path,
        format=np.array(_FORMAT),
        version=np.array(_VERSION, dtype=np.int64),
        n_users=np.array(n_users, dtype=np.int64),
        followee_indptr=indptr,
        followee_indices=indices,
    )


def read_followee_csr(path: str | os.PathLike[str] | Any) -> tuple[int, IntArray, IdArray]:
    """Read and validate a file written by `write_followee_csr`.

    The archive is read member by member: each ``.npy`` header is checked against the
    bytes its member holds before any array is built, so a damaged or hostile file
    cannot make the reader allocate more than the file's own size.

    Raises:
        CorruptDataError: If the file is not such a file or its arrays are inconsistent.
        OSError: If the file cannot be opened.
    """
    if isinstance(path, str | os.PathLike):
        with open(path, "rb") as handle:  # errors opening the file stay OSErrors
            return _validate(_read_archive(handle))
    return _validate(_read_archive(path))


# What zipfile, zlib, lzma, bz2 and numpy's header parser raise on damaged bytes:
# NotImplementedError for unknown compression methods or flags, RuntimeError for
# encrypted members, zlib.error / lzma.LZMAError / OSError / EOFError for broken
# streams, struct.error, ValueError and OverflowError for bad fields.
# Deflate's largest expansion (258-byte matches coded in about 2 bits each).
_MAX_DEFLATE_RATIO = 1032

_DAMAGE = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    RuntimeError,
    OSError,
    EOFError,
    ValueError,
    KeyError,
    OverflowError,
    struct.error,
    zlib.error,
    lzma.LZMAError,
)


def _read_archive(handle: Any) -> dict[str, Any]:
    head = handle.read(6)
    handle.seek(-len(head), os.SEEK_CUR)
    if head == b"\x93NUMPY":
        raise CorruptDataError("not a FollowerGraph .npz file: a bare .npy array")
    try:
        with zipfile.ZipFile(handle) as archive:
            members = {
                info.filename.removesuffix(".npy"): info
                for info in archive.infolist()
                if info.filename.endswith(".npy")
            }
            missing = _NEEDED - members.keys()
            if missing:
                raise CorruptDataError(f"not a FollowerGraph file: missing {sorted(missing)}")
            return {name: _read_member(archive, members[name]) for name in sorted(_NEEDED)}
    except zipfile.BadZipFile as exc:
        raise CorruptDataError(f"not a FollowerGraph .npz file: {exc}") from exc
    except _DAMAGE as exc:
        raise CorruptDataError(f"corrupt FollowerGraph .npz file: {exc}") from exc


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Any:
    """One ``.npy`` member as an array, its declared size checked against its bytes."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise CorruptDataError(
            f"corrupt FollowerGraph .npz file: {info.filename} uses compression method "
            f"{info.compress_type} (expected stored or deflated)"
        )
    if info.file_size > _MAX_DEFLATE_RATIO * info.compress_size + 1024:
        # No deflate stream expands further: the declared size is a lie (or a zip bomb).
        raise CorruptDataError(
            f"corrupt FollowerGraph .npz file: {info.filename} claims {info.file_size} "
            f"bytes from {info.compress_size} compressed"
        )
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise CorruptDataError(f"corrupt FollowerGraph: {info.filename} is .npy {version}")
        if dtype.hasobject:
            raise CorruptDataError(f"corrupt FollowerGraph: {info.filename} holds objects")
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes != info.file_size - member.tell():
            raise CorruptDataError(
                f"corrupt FollowerGraph: {info.filename} declares {shape} {dtype} but holds "
                f"{info.file_size - member.tell()} bytes"
            )
        raw = member.read(nbytes)
    if len(raw) != nbytes:
        raise CorruptDataError(f"corrupt FollowerGraph: {info.filename} is truncated")
    return np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C")


def _validate(arrays: dict[str, Any]) -> tuple[int, IntArray, IdArray]:
    fmt, version = arrays["format"], arrays["version"]
    if fmt.shape != () or fmt.dtype.kind != "U" or str(fmt) != _FORMAT:
        raise CorruptDataError(f"not a FollowerGraph file: format {fmt!s:.40}")
    if version.shape != () or version.dtype.kind not in "iu" or int(version) != _VERSION:
        raise CorruptDataError(f"unsupported FollowerGraph version {version!s:.40}")
    n_arr, indptr, indices = (
        arrays["n_users"],
        arrays["followee_indptr"],
        arrays["followee_indices"],
    )
    if n_arr.shape != () or n_arr.dtype.kind != "i" or not 0 <= int(n_arr) <= MAX_USERS:
        raise CorruptDataError("corrupt FollowerGraph: bad n_users")
    n = int(n_arr)
    if indptr.dtype != np.int64 or indptr.shape != (n + 1,):
        raise CorruptDataError("corrupt FollowerGraph: indptr has the wrong shape or type")
    if indices.dtype != np.int32 or indices.ndim != 1:
        raise CorruptDataError("corrupt FollowerGraph: indices have the wrong type")
    if indptr[0] != 0 or indptr[-1] != indices.size or np.any(np.diff(indptr) < 0):
        raise CorruptDataError("corrupt FollowerGraph: indptr is not a valid row pointer")
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= n):
        raise CorruptDataError("corrupt FollowerGraph: a followee id is out of range")
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    keys = rows * n + indices
    if np.any(rows == indices):
        raise CorruptDataError("corrupt FollowerGraph: a user follows themself")
    del rows
    if keys.size > 1 and np.any(np.diff(keys) <= 0):
        raise CorruptDataError("corrupt FollowerGraph: rows are unsorted or repeat an id")
    return n, indptr.copy(), indices.copy()
