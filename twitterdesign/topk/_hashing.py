"""64-bit item fingerprints and per-row bucket hashes, identical for single items and arrays.

Integers are their own 64-bit fingerprint (two's complement); strings (as UTF-8) and
bytes are hashed once with MurmurHash3 (x64, 128-bit, first half) under different seeds
so ``"a"`` and ``b"a"`` differ. Large batches of strings are hashed by the vectorized
MurmurHash3 in `twitterdesign.topk._packed`, which gives the same values as mmh3.

A sketch row maps a fingerprint to a bucket in two steps. First the fingerprint is
mixed with the sketch seed by the splitmix64 finalizer (a bijection with full
avalanche) and folded to 32 bits, once per item. Then row ``r`` applies
multiply-add-shift, ``g = ((a_r·x + b_r) mod 2**64) >> 32`` with random 64-bit ``a_r``,
``b_r`` — a strongly universal (pairwise independent) family from 32-bit keys to 32-bit
values (Dietzfelbinger 1996; Thorup 2015) — and reduces ``g`` to ``[0, width)`` as
``(g·width) >> 32``. Two distinct keys therefore share a row's bucket with probability
at most ``1/width + 2**-32`` (plus the ``2**-32`` chance that their folds coincide), the
pairwise independence the Count-Min analysis needs. Arrays are processed in chunks of
``2**18`` items so the temporaries stay in cache.
"""

from __future__ import annotations

from collections.abc import Sequence

import mmh3
import numpy as np
import numpy.typing as npt

from twitterdesign.topk import _packed
from twitterdesign.topk._base import Item
from twitterdesign.topk._packed import (
    BYTES_SEED,
    STR_SEED,
    murmur3_h1,
    pack,
    utf8,
    xorshift_multiply,
)

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)
CHUNK = 1 << 18


def mix(x: U64) -> U64:
    """Apply the splitmix64 finalizer elementwise (wrapping uint64 arithmetic)."""
    return xorshift_multiply(x + _GOLDEN, 30, _M1, 27, _M2, 31)


def fingerprints(keys: I64 | Sequence[Item]) -> U64:
    """Return the 64-bit fingerprint of every key (int64 arrays are reinterpreted)."""
    if isinstance(keys, np.ndarray):
        return keys.astype(np.int64, copy=False).view(np.uint64)
    packed = pack(list(keys)) if len(keys) >= _packed.MIN_PACKED else None
    if packed is not None:
        return murmur3_h1(packed)
    return np.fromiter(map(fingerprint, keys), dtype=np.uint64, count=len(keys))


def fingerprint(key: Item) -> int:
    """Return the 64-bit fingerprint of one canonical item."""
    if isinstance(key, int):
        return key & 0xFFFFFFFFFFFFFFFF
    if isinstance(key, str):
        return int(mmh3.hash64(utf8(key), STR_SEED, signed=False)[0])
    return int(mmh3.hash64(key, BYTES_SEED, signed=False)[0])


class RowHash:
    """The ``depth`` row hash functions of a sketch, drawn from ``seed``.

    Args:
        seed: Non-negative hash seed; equal seeds give equal functions.
        depth: Number of rows.
    """

    __slots__ = ("_a", "_b", "_salt")

    def __init__(self, seed: int, depth: int) -> None:
        stream = mix(np.arange(2 * depth + 1, dtype=np.uint64) * _GOLDEN + np.uint64(seed))
        self._salt = stream[0]
        self._a = stream[1 : depth + 1]
        self._b = stream[depth + 1 :]

    def _keys32(self, fps: U64) -> U64:
        m = mix(fps ^ self._salt)
        return (m >> _S32) ^ (m & _LOW32)

    def _row(self, x: U64, r: int, width: np.uint64, out: U64 | None = None) -> U64:
        """Row ``r``'s bucket of every key, ``((a·x + b) >> 32) · width >> 32``, in place."""
        out = np.empty_like(x) if out is None else out
        np.multiply(x, self._a[r], out=out)
        out += self._b[r]
        out >>= _S32
        out *= width
        out >>= _S32
        return out

    def indices(self, fps: U64, width: int) -> I64:
        """Return a ``(depth, n)`` array of bucket indices in ``[0, width)``."""
        w = np.uint64(width)
        out = np.empty((len(self._a), len(fps)), dtype=np.int64)
        for start in range(0, len(fps), CHUNK):
            x = self._keys32(fps[start : start + CHUNK])
            for r in range(len(self._a)):
                out[r, start : start + CHUNK] = self._row(x, r, w)
        return out

    def add(self, counts: I64, fps: U64, weights: I64 | None) -> None:
        """Add each fingerprint's weight (1 if None) to its bucket in every row."""
        depth, width = counts.shape
        w = np.uint64(width)
        scratch = np.empty(min(CHUNK, len(fps)), dtype=np.uint64)
        for start in range(0, len(fps), CHUNK):
            x = self._keys32(fps[start : start + CHUNK])
            part = None if weights is None else weights[start : start + CHUNK]
            idx = scratch[: len(x)]
            for r in range(depth):
                buckets = self._row(x, r, w, idx).view(np.int64)  # < width: exact view
                if part is None:
                    counts[r] += np.bincount(buckets, minlength=width)
                else:
                    np.add.at(counts[r], buckets, part)

    @property
    def nbytes(self) -> int:
        """Bytes held by the row parameters."""
        return int(self._a.nbytes + self._b.nbytes + 8)
