"""CSR building blocks and the validated ``.npz`` format of the follower graph."""

from __future__ import annotations

import os
import zipfile
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

    Raises:
        CorruptDataError: If the file is not such a file or its arrays are inconsistent.
        OSError: If the file cannot be read.
    """
    try:
        data = np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise CorruptDataError(f"not a FollowerGraph .npz file: {exc}") from exc
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise CorruptDataError("not a FollowerGraph .npz file: a bare .npy array")
    try:
        with data:
            arrays = {key: data[key] for key in data.files}
    except (zipfile.BadZipFile, ValueError, EOFError, OSError) as exc:
        raise CorruptDataError(f"corrupt FollowerGraph .npz file: {exc}") from exc
    return _validate(arrays)


def _validate(arrays: dict[str, Any]) -> tuple[int, IntArray, IdArray]:
    needed = {"format", "version", "n_users", "followee_indptr", "followee_indices"}
    missing = needed - arrays.keys()
    if missing:
        raise CorruptDataError(f"not a FollowerGraph file: missing {sorted(missing)}")
    if str(arrays["format"]) != _FORMAT:
        raise CorruptDataError(f"not a FollowerGraph file: format {arrays['format']!s:.40}")
    if arrays["version"].shape != () or int(arrays["version"]) != _VERSION:
        raise CorruptDataError(f"unsupported FollowerGraph version {arrays['version']}")
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
