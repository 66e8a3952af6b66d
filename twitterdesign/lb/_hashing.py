"""Key hashing shared by the routers: one 64-bit hash per key, scalar and vectorized.

Integer keys are reduced modulo 2^64 and mixed with the SplitMix64 finalizer (so
sequential ids spread evenly); strings and bytes go through 64-bit MurmurHash3. The
scalar and numpy paths give bit-identical results.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import mmh3
import numpy as np

from twitterdesign.errors import InvalidParameterError

__all__ = ["hash_key", "hash_keys", "mix64", "mix64_array", "mix64_inplace", "node_hash"]

MASK64 = (1 << 64) - 1
_C0 = 0x9E3779B97F4A7C15
_C1 = 0xBF58476D1CE4E5B9
_C2 = 0x94D049BB133111EB
_U0, _U1, _U2 = np.uint64(_C0), np.uint64(_C1), np.uint64(_C2)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_MIX_CHUNK = 65_536  # keys mixed at a time: two 512 KiB arrays stay in L2


def mix64(x: int) -> int:
    """Return the SplitMix64 finalizer of ``x`` (an int in [0, 2^64)).

    Examples:
        >>> mix64(0) == int(mix64_array(np.zeros(1, dtype=np.uint64))[0])
        True
    """
    z = (x + _C0) & MASK64
    z = ((z ^ (z >> 30)) * _C1) & MASK64
    z = ((z ^ (z >> 27)) * _C2) & MASK64
    return z ^ (z >> 31)


def mix64_array(x: np.ndarray) -> np.ndarray:
    """Vectorized `mix64` over a uint64 array (wrapping arithmetic)."""
    z = x.astype(np.uint64, copy=True)
    flat = z.reshape(-1)
    scratch = np.empty(min(flat.size, _MIX_CHUNK), dtype=np.uint64)
    for start in range(0, flat.size, _MIX_CHUNK):
        part = flat[start : start + _MIX_CHUNK]
        mix64_inplace(part, scratch[: part.size])
    return z


def mix64_inplace(z: np.ndarray, scratch: np.ndarray) -> None:
    """Replace the uint64 array ``z`` by its `mix64`; ``scratch`` has the same shape.

    In place and without temporaries, so a cache-sized ``z`` stays in cache.
    """
    with np.errstate(over="ignore"):
        np.add(z, _U0, out=z)
        np.right_shift(z, _S30, out=scratch)
        np.bitwise_xor(z, scratch, out=z)
        np.multiply(z, _U1, out=z)
        np.right_shift(z, _S27, out=scratch)
        np.bitwise_xor(z, scratch, out=z)
        np.multiply(z, _U2, out=z)
        np.right_shift(z, _S31, out=scratch)
        np.bitwise_xor(z, scratch, out=z)


def hash_key(key: Any) -> int:
    """Return the 64-bit hash of one key (int, str or bytes).

    Raises:
        InvalidParameterError: If the key is of another type.
    """
    if isinstance(key, bool):
        raise InvalidParameterError("key", key, "an int, str or bytes")
    if isinstance(key, int | np.integer):
        return mix64(int(key) & MASK64)
    if isinstance(key, str | bytes):
        return int(mmh3.hash64(key, signed=False)[0])
    raise InvalidParameterError("key", key, "an int, str or bytes")


def hash_keys(keys: Iterable[Any] | np.ndarray) -> np.ndarray:
    """Return the 64-bit hashes of many keys as a uint64 array.

    Integer numpy arrays take the vectorized path; other iterables are hashed key by
    key with `hash_key`.

    Raises:
        InvalidParameterError: If a key is not an int, str or bytes.
    """
    if isinstance(keys, np.ndarray):
        if keys.dtype.kind in "iu":
            return mix64_array(keys.astype(np.uint64, copy=False).ravel())
        if keys.dtype.kind == "b":
            raise InvalidParameterError("keys", keys.dtype, "integer, str or bytes keys")
        keys = keys.ravel().tolist()
    return np.fromiter((hash_key(k) for k in keys), dtype=np.uint64)


def node_hash(node: Hashable, salt: int = 0) -> int:
    """Return a 64-bit hash of a node label (stable across runs and processes)."""
    return int(mmh3.hash64(f"{type(node).__name__}:{node}", seed=salt, signed=False)[0])
