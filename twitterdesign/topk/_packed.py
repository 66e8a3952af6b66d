"""Batches of strings (or bytes) packed into one buffer, hashed and grouped by numpy.

A Python loop that hashes or counts one string per iteration costs 100-150 ns per
event; this module does the same work in a handful of whole-array numpy passes:

1. `pack` joins the batch into one byte buffer (one C-level ``str.join``) and finds
   where each item starts from the separators, so every item is a ``(start, length)``
   slice of one array.
2. `murmur3_h1` computes MurmurHash3 x64-128 (first 64-bit half) of every slice at once:
   the blocks and tail of all items are read as little-endian words straight from the
   buffer and mixed with uint64 arithmetic in cache-sized chunks. The result equals
   ``mmh3.hash64(item_bytes, seed, signed=False)[0]`` bit for bit (a property test
   checks it against mmh3), so single items and batches fingerprint identically.
3. `content_keys` turns each item into a few words that stand for it: up to 32 bytes,
   its own bytes (so equal keys mean equal items); beyond, its fingerprint.
4. `group` sums the batch per distinct item without sorting: each round scatters the
   event positions into an open table indexed by a multiplicative hash of the key, so
   every event finds its group's first occurrence; events whose table slot belongs to
   a different key retry with fresh multipliers. Grouping is exact, not probabilistic:
   long items are compared byte for byte with their group's first before the result
   is used, so a fingerprint collision (even a crafted one) only sends the batch down
   the dictionary path.

Strings are hashed as their UTF-8 bytes (lone surrogates pass through as in
``"surrogatepass"``), bytes as themselves under a different seed, so ``"a"`` and ``b"a"``
differ.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
Buffer = bytes | memoryview

STR_SEED: Final = 0x5EED5EED
BYTES_SEED: Final = 0x0B17E5
MIN_PACKED = 512
"""Batches of fewer strings are hashed one by one: whole-array passes cost more there."""
MIN_GROUPED = 1 << 15
"""Batches of fewer strings are summed by a dict: below this the dict pass is cheaper.

Measured with `SpaceSaving` (capacities 1,000 and 10,000) on Zipf(1.1) hashtags: the
two paths cost the same near 16,000 events and the packed one is 1.3-1.4x cheaper from
65,000 (see ``benchmarks/topk_bench.py`` for the large-batch ratios). Tests lower both
thresholds to run the packed paths on small batches.
"""

_CHUNK = 1 << 15
_ROUNDS = 8
_U = np.uint64
_C1, _C2 = _U(0x87C37B91114253D5), _U(0x4CF5AD432745937F)
_F1, _F2 = _U(0xFF51AFD7ED558CCD), _U(0xC4CEB9FE1A85EC53)
_N1, _N2 = _U(0x52DCE729), _U(0x38495AB5)
_FIVE = _U(5)
_ONE = _U(1)
# Odd 64-bit multipliers (splitmix64 and wyhash constants). Round r of `group` mixes key
# word w with multiplier (r + 2w) mod 8, so every round hashes the keys differently.
_MULTIPLIERS = np.array(
    [
        0x9E3779B97F4A7C15,
        0xBF58476D1CE4E5B9,
        0x94D049BB133111EB,
        0xD6E8FEB86659FD93,
        0xA0761D6478BD642F,
        0xE7037ED1A0B428DB,
        0x8EBC6AF09C88C6E3,
        0x589965CC75374CC3,
    ],
    dtype=np.uint64,
)


@dataclass(frozen=True, slots=True, eq=False)
class Packed:
    """A batch of ``n`` str or bytes items packed into one byte buffer.

    Attributes:
        words: ``words[p]`` is the little-endian uint64 made of buffer bytes ``p..p+7``
            (an overlapping, unaligned view of the buffer; bytes past an item's end
            are masked off, and reads past the buffer's end are shifted back inside).
        starts: Byte offset of each item in the buffer.
        lengths: Byte length of each item.
        seed: The MurmurHash3 seed for this item type.
        keep: What must stay alive while ``words`` is used (the buffer and the joined
            text whose bytes it may be).
    """

    words: U64
    starts: I64
    lengths: I64
    seed: int
    keep: object = None

    def __len__(self) -> int:
        return len(self.starts)


def utf8(text: str) -> bytes:
    """Return the bytes a string is hashed as: UTF-8, lone surrogates passed through."""
    return text.encode("utf-8", "surrogatepass")


def from_utf8(data: bytes) -> str:
    """Invert `utf8` (raises UnicodeDecodeError for bytes that are not such text)."""
    return data.decode("utf-8", "surrogatepass")


def pack(items: list[Any]) -> Packed | None:
    """Pack a list of only ``str`` (subclasses too) or only ``bytes`` items.

    Args:
        items: The batch, at least one item.

    Returns:
        The packed batch, or None when the items are of other or mixed types, or when
        a string contains ``"\\x00"`` (the separator), so the caller takes its general path.
    """
    first = items[0]
    if isinstance(first, str):
        try:
            text = "\x00".join(items)
        except TypeError:
            return None
        buf = _utf8_buffer(text)
        raw = np.frombuffer(buf, dtype=np.uint8)
        ends = _separators(raw)
        if len(ends) != len(items) - 1:
            return None
        starts = np.empty(len(items), dtype=np.int64)
        starts[0] = 0
        starts[1:] = ends + 1
        lengths = np.empty(len(items), dtype=np.int64)
        lengths[:-1] = ends - starts[:-1]
        lengths[-1] = len(buf) - starts[-1]
        return packed_from_buffer(buf, starts, lengths, STR_SEED, keep=text)
    if type(first) is bytes:
        if set(map(type, items)) != {bytes}:
            return None
        lengths = np.fromiter(map(len, items), dtype=np.int64, count=len(items))
        starts = np.zeros(len(items), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        return packed_from_buffer(b"".join(items), starts, lengths, BYTES_SEED)
    return None


def _utf8_buffer(text: str) -> Buffer:
    """The UTF-8 bytes of ``text``, without a copy where CPython already holds them.

    ``PyUnicode_AsUTF8AndSize`` (public, stable C API) returns the string's own buffer
    for ASCII text and a UTF-8 copy cached in the string otherwise; either lives as long
    as ``text``, which the caller must keep. Lone surrogates (or a Python without the
    C API) fall back to `utf8`.
    """
    if _AS_UTF8 is not None:
        size = ctypes.c_ssize_t()
        try:
            address = _AS_UTF8(text, ctypes.byref(size))
        except UnicodeEncodeError:
            pass
        else:
            return memoryview((ctypes.c_char * size.value).from_address(address)).cast("B")
    return utf8(text)


def _find_as_utf8() -> Any:
    try:
        function = ctypes.pythonapi.PyUnicode_AsUTF8AndSize
    except AttributeError:  # pragma: no cover - not CPython
        return None
    function.restype = ctypes.c_void_p
    function.argtypes = [ctypes.py_object, ctypes.POINTER(ctypes.c_ssize_t)]
    return function


_AS_UTF8 = _find_as_utf8()


def packed_from_buffer(
    buf: Any, starts: I64, lengths: I64, seed: int, keep: object = None
) -> Packed:
    """Pack items given as ``(start, length)`` slices of one buffer, hashed under ``seed``.

    ``buf`` is anything with the buffer protocol (bytes, a memoryview, an Arrow data
    buffer); ``keep`` is held alive with it.
    """
    if len(memoryview(buf)) < 8:
        buf = bytes(buf) + bytes(8)  # at least one whole word (large buffers are not copied)
    # Overlapping little-endian words, one starting at every byte; `_word` shifts reads
    # that would run past the end back inside.
    raw = np.frombuffer(buf, dtype=np.uint8)
    words: U64 = np.ndarray(shape=(len(raw) - 7,), dtype="<u8", buffer=raw, strides=(1,))
    return Packed(words, starts, lengths, seed, (buf, keep))


def _separators(raw: npt.NDArray[np.uint8]) -> I64:
    """Positions of the zero bytes, found a cache-sized slice at a time."""
    step = 1 << 20
    parts = [np.flatnonzero(raw[lo : lo + step] == 0) + lo for lo in range(0, len(raw), step)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def _rotl(x: U64, r: int) -> U64:
    out: U64 = (x << _U(r)) | (x >> _U(64 - r))
    return out


def xorshift_multiply(z: U64, s1: int, m1: np.uint64, s2: int, m2: np.uint64, s3: int) -> U64:
    """The xorshift-multiply finalizer shared by MurmurHash3 and splitmix64, in place.

    ``z ^= z >> s1; z *= m1; z ^= z >> s2; z *= m2; z ^= z >> s3`` (wrapping uint64).
    """
    z ^= z >> _U(s1)
    z *= m1
    z ^= z >> _U(s2)
    z *= m2
    z ^= z >> _U(s3)
    return z


def _fmix(k: U64) -> U64:
    """MurmurHash3's fmix64."""
    return xorshift_multiply(k, 33, _F1, 33, _F2, 33)


def _word(packed: Packed, at: I64, remaining: I64) -> U64:
    """The word at byte offsets ``at`` keeping only the first ``remaining`` (0-8) bytes."""
    bits = (np.clip(remaining, 0, 8) << 3).astype(np.uint64)
    mask = (_ONE << bits) - _ONE  # 1 << 64 is 0 in numpy, so 8 bytes keep every bit
    last = len(packed.words) - 1
    if not len(at) or int(at.max()) <= last:
        out: U64 = packed.words[at] & mask
        return out
    # Near the end of the buffer: read the last whole word and shift the wanted bytes down.
    inside = np.minimum(at, last)
    return (packed.words[inside] >> ((at - inside) << 3).astype(np.uint64)) & mask


def murmur3_h1(packed: Packed) -> U64:
    """Return MurmurHash3 x64-128's first half for every item (vectorized).

    Equal to ``mmh3.hash64(item_bytes, packed.seed, signed=False)[0]`` for each item.
    """
    return _murmur3(packed, packed.starts, packed.lengths)


def _block(words: U64, at: I64, h1: U64, h2: U64) -> tuple[U64, U64]:
    """MurmurHash3 x64-128's body step for the 16-byte blocks at byte offsets ``at``."""
    k1 = words[at] * _C1
    k1 = _rotl(k1, 31) * _C2
    x1 = _rotl(h1 ^ k1, 27) + h2
    x1 = x1 * _FIVE + _N1
    k2 = words[at + 8] * _C2
    k2 = _rotl(k2, 33) * _C1
    x2 = _rotl(h2 ^ k2, 31) + x1
    return x1, x2 * _FIVE + _N2


def _murmur3(packed: Packed, all_starts: I64, all_lengths: I64) -> U64:
    out = np.empty(len(all_starts), dtype=np.uint64)
    for lo in range(0, len(out), _CHUNK):
        starts = all_starts[lo : lo + _CHUNK]
        lengths = all_lengths[lo : lo + _CHUNK]
        h1 = np.full(len(starts), _U(packed.seed))
        h2 = h1.copy()
        blocks = lengths >> 4
        every = int(blocks.min())  # blocks that every item in the chunk has
        for b in range(int(blocks.max(initial=0))):
            if b < every:
                h1, h2 = _block(packed.words, starts + 16 * b, h1, h2)
            else:
                sel = np.flatnonzero(blocks > b)
                h1[sel], h2[sel] = _block(packed.words, starts[sel] + 16 * b, h1[sel], h2[sel])
        # The tail: up to 15 bytes; a missing half is 0, which the mixing maps to 0.
        tail_at = starts + (blocks << 4)
        tail = lengths & 15
        h2 ^= _rotl(_word(packed, tail_at + 8, tail - 8) * _C2, 33) * _C1
        h1 ^= _rotl(_word(packed, tail_at, tail) * _C1, 31) * _C2
        size = lengths.astype(np.uint64)
        h1 ^= size
        h2 ^= size
        h1 += h2
        h2 += h1
        out[lo : lo + _CHUNK] = _fmix(h1) + _fmix(h2)
    return out


_INLINE_WORDS = 4
_LONG = _U(0xFF << 56)


def content_keys(packed: Packed) -> U64:
    """Return a ``(width, n)`` array of keys that stand for each item's content.

    An item of up to 32 bytes (31 for bytes items) is its own key: its bytes in
    little-endian words, zero-padded. Strings contain no NUL (`pack` refuses them) and
    UTF-8 never has a 0xFF byte, so padding is unambiguous; bytes items carry their
    length in the top byte of the fourth word instead. A string batch uses only as many
    words as its longest item needs (missing words count as zero).

    A longer item's key is its `murmur3_h1` fingerprint and, in the fourth word, the
    marker `_LONG` (which no inline item can have): equal keys then only suggest equal
    items, and `group` compares those byte for byte.

    Equal items always get equal keys, whatever batch they are in, so `key_digest`
    values can be matched across batches.
    """
    n, lengths, starts = len(packed), packed.lengths, packed.starts
    text = packed.seed == STR_SEED
    room = 8 * _INLINE_WORDS - (0 if text else 1)
    longest = int(lengths.max(initial=0))
    width = min(max((longest + 7) >> 3, 1), _INLINE_WORDS) if text else _INLINE_WORDS
    keys = np.empty((width, n), dtype=np.uint64)
    long_items = np.flatnonzero(lengths > room) if longest > room else None
    inline = None if long_items is None else np.flatnonzero(lengths <= room)
    for lo in range(0, n if inline is None else len(inline), _CHUNK):
        part = slice(lo, lo + _CHUNK) if inline is None else inline[lo : lo + _CHUNK]
        at, size = starts[part], lengths[part]
        full = int(size.min()) >> 3  # words that every item here fills
        for w in range(width):
            if w < full:
                keys[w, part] = packed.words[at + 8 * w]
            else:
                keys[w, part] = _word(packed, at + 8 * w, size - 8 * w)
        if not text:
            keys[-1, part] |= size.astype(np.uint64) << _U(56)
    if long_items is not None:
        keys[:, long_items] = 0
        keys[0, long_items] = _murmur3(packed, starts[long_items], lengths[long_items])
        keys[-1, long_items] = _LONG
    return keys


def key_digest(keys: U64, round_: int = 0) -> U64:
    """Mix a key array into one 64-bit value per item (a different function per round).

    Zero words add nothing, so a key padded with zero words has the same digest.
    """
    out: U64 = keys[0] * _MULTIPLIERS[round_ % 8]
    for w in range(1, len(keys)):
        out ^= keys[w] * _MULTIPLIERS[(round_ + 2 * w) % 8]
    return out


def first_events(keys: U64, packed: Packed | None) -> I64 | None:
    """For every event, the position of the first event with the same item (no sort).

    Args:
        keys: `content_keys` of the batch (or int64 ids viewed as a ``(1, n)`` array).
        packed: The batch itself (to compare items too long to be keys in full), or
            None when the keys are the items themselves (int64 ids).

    Returns:
        The positions, or None if the table kept colliding or two different long items
        shared a fingerprint.
    """
    n = keys.shape[1]
    bits = min(max(n.bit_length(), 10), 20)
    shift = _U(64 - bits)
    owner = np.empty(1 << bits, dtype=np.int64)
    rep = np.empty(n, dtype=np.int64)
    todo: I64 | None = None  # None: every event
    for round_ in range(_ROUNDS):
        mine = keys if todo is None else keys[:, todo]
        here = np.arange(n, dtype=np.int64) if todo is None else todo
        slot = (key_digest(mine, round_) >> shift).astype(np.intp)
        # Written in reverse, so the earliest event of each slot is the one that stays.
        owner[slot[::-1]] = here[::-1]
        cand = owner[slot]
        hit = keys[0][cand] == mine[0]
        for w in range(1, len(keys)):
            hit &= keys[w][cand] == mine[w]
        if todo is None:
            rep = cand
            todo = np.flatnonzero(~hit)
        else:
            rep[todo[hit]] = cand[hit]
            todo = todo[~hit]
        if not len(todo):
            break
    else:
        return None
    # Each group's representative must be its first event (it is whenever numpy assigns
    # repeated indices in order, as it does); long items are compared byte for byte.
    if bool(np.any(rep > np.arange(n))):
        return None
    if packed is not None and len(keys) == _INLINE_WORDS:
        long_items = np.flatnonzero(keys[-1] == _LONG)
        if len(long_items) and not _same_items(packed, long_items, rep[long_items]):
            return None
    return rep


def group(keys: U64, packed: Packed | None, weights: I64 | None) -> tuple[I64, I64] | None:
    """Sum a packed batch per distinct item, exactly.

    Args:
        keys: `content_keys` of the batch (or int64 ids viewed as a ``(1, n)`` array).
        packed: The batch itself (to compare items too long to be keys in full), or
            None when the keys are the items themselves (int64 ids).
        weights: Per-event weights, or None for all ones.

    Returns:
        ``(first, sums)``: the position of each distinct item's first occurrence, in
        increasing order, and its summed weight; or None if the table kept colliding
        or two different long items shared a fingerprint, in which case the caller
        must sum another way.
    """
    rep = first_events(keys, packed)
    if rep is None:
        return None
    n = len(rep)
    if weights is None:
        sums = np.bincount(rep, minlength=n)
    elif int(weights.sum()) < 2**53:
        sums = np.bincount(rep, weights=weights, minlength=n).astype(np.int64)
    else:
        sums = np.zeros(n, dtype=np.int64)
        np.add.at(sums, rep, weights)
    first = np.flatnonzero(sums)
    return first, sums[first].astype(np.int64)


def _same_items(packed: Packed, a: I64, b: I64) -> bool:
    """Whether item ``a[i]`` and item ``b[i]`` have the same bytes (items of 8+ bytes)."""
    differ = np.flatnonzero(a != b)
    for lo in range(0, len(differ), _CHUNK):
        part = differ[lo : lo + _CHUNK]
        ia, ib = a[part], b[part]
        lengths = packed.lengths[ia]
        if not np.array_equal(lengths, packed.lengths[ib]):
            return False
        sa, sb = packed.starts[ia], packed.starts[ib]
        last = lengths - 8  # the last word ends where the item ends, so nothing is masked
        every = int(lengths.min() + 7) >> 3  # words that every item has
        for w in range(int(lengths.max(initial=0) + 7) >> 3):
            sel = slice(None) if w < every else np.flatnonzero(lengths > 8 * w)
            at = np.minimum(8 * w, last[sel])
            if not np.array_equal(packed.words[sa[sel] + at], packed.words[sb[sel] + at]):
                return False
    return True


@dataclass(frozen=True, slots=True, eq=False)
class Distinct:
    """The distinct items of a packed batch (from `group`), read from it only on demand.

    Building a list of every distinct item costs a memory access per item; a top-k
    summary keeps only a few of them, so it takes just those (`take`).

    Attributes:
        source: The batch's items.
        first: Position in ``source`` of each distinct item's first occurrence.
        digests: `key_digest` of each distinct item, to match it against other items.
    """

    source: Sequence[Any]
    first: I64
    digests: U64

    def __len__(self) -> int:
        return len(self.first)

    def take(self, idx: I64) -> list[Any]:
        """Return the distinct items at positions ``idx``."""
        return take_items(self.source, self.first[idx])

    def tolist(self) -> list[Any]:
        """Return every distinct item, in order of first occurrence."""
        return take_items(self.source, self.first)


def take_items(source: Sequence[Any], positions: I64) -> list[Any]:
    """Return ``source[p]`` for every position (a columnar source reads them at once)."""
    many = getattr(source, "take_items", None)
    if many is not None:
        return list(many(positions))
    return list(map(source.__getitem__, positions.tolist()))
