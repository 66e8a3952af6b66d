"""64-bit item fingerprints and per-row bucket hashes, identical for single items and arrays.

Integers are their own 64-bit fingerprint (two's complement); strings and bytes are
hashed once with MurmurHash3 (x64, 128-bit, first half) under different seeds so ``"a"``
and ``b"a"`` differ. Row ``r`` of a sketch maps a fingerprint ``x`` to
``splitmix64(x XOR seed_r) mod width`` — the splitmix64 finalizer is a bijection with
full avalanche, computed with wrapping uint64 numpy arithmetic for a whole array at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import mmh3
import numpy as np
import numpy.typing as npt

from twitterdesign.topk._base import Item

U64 = npt.NDArray[np.uint64]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_STR_SEED = 0x5EED5EED
_BYTES_SEED = 0x0B17E5


def mix(x: U64) -> U64:
    """Apply the splitmix64 finalizer elementwise (wrapping uint64 arithmetic)."""
    z = x + _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    out: U64 = z ^ (z >> _S31)
    return out


def row_seeds(seed: int, depth: int) -> U64:
    """Return ``depth`` well-spread 64-bit row seeds derived from ``seed``."""
    base = np.uint64(seed & 0xFFFFFFFFFFFFFFFF)
    return mix(np.arange(1, depth + 1, dtype=np.uint64) * _GOLDEN + base)


def fingerprints(keys: npt.NDArray[np.int64] | Sequence[Item]) -> U64:
    """Return the 64-bit fingerprint of every key (int64 arrays are reinterpreted)."""
    if isinstance(keys, np.ndarray):
        return keys.astype(np.int64, copy=False).view(np.uint64)
    return np.fromiter((fingerprint(k) for k in keys), dtype=np.uint64, count=len(keys))


def fingerprint(key: Item) -> int:
    """Return the 64-bit fingerprint of one canonical item."""
    if isinstance(key, int):
        return key & 0xFFFFFFFFFFFFFFFF
    seed = _STR_SEED if isinstance(key, str) else _BYTES_SEED
    return int(mmh3.hash64(key, seed, signed=False)[0])


def bucket_indices(fps: U64, seeds: U64, width: int) -> npt.NDArray[np.int64]:
    """Return a ``(depth, n)`` array of bucket indices in ``[0, width)``."""
    w = np.uint64(width)
    out = np.empty((len(seeds), len(fps)), dtype=np.int64)
    for r, s in enumerate(seeds):
        out[r] = mix(fps ^ s) % w
    return out
