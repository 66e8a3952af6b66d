"""Batch kernels behind the routers' `route_many`: numpy, cache-sized chunks, in place.

Each kernel gives bit-for-bit the answer of its router's per-key path (the tests hold
them to it). They work through the keys in chunks whose working arrays fit in the CPU's
L2 cache, and update preallocated buffers in place (``out=``), so a batch of 10M keys
streams through memory once instead of once per numpy operation.
"""

from __future__ import annotations

import numpy as np

from twitterdesign.lb._hashing import mix64_inplace

__all__ = ["RingTable", "jump_buckets", "rendezvous_winners"]

_JUMP_MULT = np.uint64(2862933555777941757)
_ONE = np.uint64(1)
_SHIFT33 = np.uint64(33)
_TWO31 = float(1 << 31)
_EXP52 = np.uint64(0x4330000000000000)  # the exponent bits of the double 2^52
_TWO52_MINUS_1 = float((1 << 52) - 1)

# Keys per chunk of the jump kernel: its five working arrays (~40 bytes a key) stay in L2.
_JUMP_CHUNK = 16_384
# Compact the jump kernel's arrays once at most this fraction of their keys is live.
_COMPACT_AT = 0.5
# Elements (keys × nodes) per block of the rendezvous kernel: two uint64 blocks of 1 MiB.
_RENDEZVOUS_BLOCK = 131_072
# Keys per chunk of the ring lookup.
_RING_CHUNK = 65_536


def jump_buckets(h: np.ndarray, n: int) -> np.ndarray:
    """Return Lamping–Veach jump-hash buckets in ``[0, n)`` for a uint64 array of keys.

    All keys of a chunk jump in lock step. A key whose next jump lands past ``n`` is
    done; its bucket is the last jump below ``n``. Jumps only grow, so a finished key can
    keep jumping harmlessly until the live keys are at most half the arrays; then they
    are compacted (results so far written out, live keys moved to the front). The few
    keys still jumping when a chunk is down to a sixteenth are set aside and finished
    together at the end, so the long tail costs a few numpy calls instead of many.
    """
    out = np.empty(h.size, dtype=np.int64)
    lanes = _JumpLanes(float(n))
    stragglers: list[tuple[np.ndarray, ...]] = []
    for start in range(0, h.size, _JUMP_CHUNK):
        key = h[start : start + _JUMP_CHUNK].astype(np.uint64, copy=True)
        res = lanes.res[: key.size]
        jump = np.zeros(key.size)  # float64 holds the jumps (< 2^53) exactly
        left = lanes.run(key, jump, jump.copy(), None, res, key.size // 16)
        out[start : start + key.size] = res
        if left is not None:
            key, jump, bucket, pos = left
            stragglers.append((key, jump, bucket, pos + start))
    if stragglers:
        key, jump, bucket, pos = (np.concatenate(parts) for parts in zip(*stragglers, strict=True))
        res = np.empty(key.size)
        for start in range(0, key.size, _JUMP_CHUNK):
            part = slice(start, start + _JUMP_CHUNK)
            lanes.run(key[part], jump[part], bucket[part], None, res[part], 0)
        out[pos] = res
    return out


class _JumpLanes:
    """Scratch buffers and the lock-step loop of `jump_buckets`."""

    def __init__(self, n: float) -> None:
        self.n = n
        self.res = np.empty(_JUMP_CHUNK, dtype=np.float64)
        self.bits = np.empty(_JUMP_CHUNK, dtype=np.uint64)
        self.ratio = np.empty(_JUMP_CHUNK, dtype=np.float64)
        self.live = np.empty(_JUMP_CHUNK, dtype=np.bool_)

    def run(
        self,
        key: np.ndarray,
        jump: np.ndarray,
        bucket: np.ndarray,
        pos: np.ndarray | None,
        res: np.ndarray,
        stop_below: int,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """Jump until every key is done, or until at most ``stop_below`` are left.

        Buckets go to ``res`` at ``pos`` (None: ``res`` lines up with the keys). Returns
        the keys still jumping and their positions in ``res``, or None.
        """
        m = key.size
        while True:
            t, r, live = self.bits[:m], self.ratio[:m], self.live[:m]
            with np.errstate(over="ignore"):
                # key = key * M + 1 (mod 2^64); ratio = 2^31 / ((key >> 33) + 1)
                np.multiply(key, _JUMP_MULT, out=key)
                np.add(key, _ONE, out=key)
                # (key >> 33) + 1 as a double without numpy's slow int-to-float cast: the
                # bits of 2^52 + x (x < 2^31) are x | 0x433..., and subtracting 2^52 - 1
                # from that double leaves x + 1 exactly.
                np.right_shift(key, _SHIFT33, out=t)
                np.bitwise_or(t, _EXP52, out=t)
                np.subtract(t.view(np.float64), _TWO52_MINUS_1, out=r)
                np.divide(_TWO31, r, out=r)
                # jump = trunc((jump + 1) * ratio), the same double arithmetic as the C code
                np.add(jump, 1.0, out=jump)
                np.multiply(jump, r, out=jump)
                np.trunc(jump, out=jump)
                # bucket = jump where jump < n, without a data-dependent branch (masked
                # copies mispredict on these random masks): +jump if live, -jump if not,
                # then the larger of that and the bucket (finished keys only grow).
                np.subtract(self.n - 0.5, jump, out=r)
                np.copysign(jump, r, out=r)
                np.maximum(bucket, r, out=bucket)
            np.less(jump, self.n, out=live)
            alive = int(np.count_nonzero(live))
            if alive > _COMPACT_AT * m:
                continue
            if pos is None:
                res[:] = bucket
            else:
                res[pos] = bucket
            if alive == 0:
                return None
            keep = live.nonzero()[0]
            pos = keep if pos is None else pos[keep]
            key, jump, bucket, m = key[keep], jump[keep], bucket[keep], alive
            if alive <= stop_below:
                return key, jump, bucket, pos


def rendezvous_winners(h: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Return, per key hash, the index of the seed with the highest ``mix64(h ^ seed)``.

    Ties go to the lowest index, as with ``list.index(max(...))``.
    """
    n = seeds.size
    out = np.empty(h.size, dtype=np.int64)
    step = max(1, _RENDEZVOUS_BLOCK // n)
    rows = min(step, h.size)
    scores = np.empty((rows, n), dtype=np.uint64)
    scratch = np.empty((rows, n), dtype=np.uint64)
    for start in range(0, h.size, step):
        block = h[start : start + step]
        z, t = scores[: block.size], scratch[: block.size]
        np.bitwise_xor(block[:, None], seeds[None, :], out=z)
        mix64_inplace(z, t)
        np.argmax(z, axis=1, out=out[start : start + block.size])
    return out


class RingTable:
    """A bucket index over sorted ring points that answers most lookups in O(1).

    The 64-bit hash space is cut into 2^b equal buckets, four to eight per ring point
    (at most 2^20 buckets: past a quarter million points the buckets get crowded).
    For a bucket holding no point, every hash in it goes to the owner of the next point
    clockwise; for one holding exactly one point, to that owner or the one after,
    depending on which side of the point the hash falls. Buckets with two or more
    points are marked, and their hashes fall back to a binary search.

    Args:
        points: The ring points, sorted ascending (uint64).
        owners: The node index of each point.
    """

    _MAX_BITS = 20

    def __init__(self, points: np.ndarray, owners: np.ndarray) -> None:
        self._points = points
        self._owners = owners
        size = points.size
        bits = min(self._MAX_BITS, max(4, int(size - 1).bit_length() + 2))
        self._shift = np.uint64(64 - bits)
        counts = np.bincount((points >> self._shift).astype(np.intp), minlength=1 << bits)
        first = np.concatenate(([0], np.cumsum(counts)[:-1]))
        below = owners[first % size]  # a hash before the bucket's point (or no point)
        above = np.where(counts >= 1, owners[(first + 1) % size], below)
        below[counts >= 2] = -1
        above[counts >= 2] = -1
        self._below = below
        self._above = above
        fence = np.full(counts.size, np.iinfo(np.uint64).max, dtype=np.uint64)
        fence[counts >= 1] = points[first[counts >= 1]]
        self._fence = fence

    def lookup(self, h: np.ndarray) -> np.ndarray:
        """Return the node index owning each uint64 hash (first point clockwise)."""
        out = np.empty(h.size, dtype=np.int64)
        for start in range(0, h.size, _RING_CHUNK):
            part = h[start : start + _RING_CHUNK]
            bucket = (part >> self._shift).astype(np.intp)
            owner = np.where(part >= self._fence[bucket], self._above[bucket], self._below[bucket])
            crowded = np.flatnonzero(owner < 0)
            if crowded.size:
                idx = np.searchsorted(self._points, part[crowded], side="right")
                owner[crowded] = self._owners[idx % self._points.size]
            out[start : start + part.size] = owner
        return out
