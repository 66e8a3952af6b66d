"""The binary format every top-k structure writes: a versioned header, then a payload.

Layout: ``b"TDTK"`` magic, one byte format version, one byte structure kind, then the
structure's fields in little-endian order. Readers check every length before slicing,
so truncated, extended or foreign bytes raise `CorruptDataError` rather than a
bare ``struct.error`` or numpy error.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import numpy.typing as npt

from twitterdesign.errors import CorruptDataError
from twitterdesign.topk._base import Item
from twitterdesign.topk._packed import from_utf8, utf8

MAGIC = b"TDTK"
VERSION = 1

KIND_EXACT = 1
KIND_COUNT_MIN = 2
KIND_COUNT_MIN_TOPK = 3
KIND_SPACE_SAVING = 4
KIND_MISRA_GRIES = 5
KIND_HEAVY_KEEPER = 6
KIND_FREQUENT_ITEMS = 7
KIND_WINDOWED = 8
KIND_DECAYED = 9
KIND_SHARDED = 10
KIND_REGIONAL = 11

KIND_NAMES = {
    KIND_EXACT: "ExactCounter",
    KIND_COUNT_MIN: "CountMinSketch",
    KIND_COUNT_MIN_TOPK: "CountMinTopK",
    KIND_SPACE_SAVING: "SpaceSaving",
    KIND_MISRA_GRIES: "MisraGries",
    KIND_HEAVY_KEEPER: "HeavyKeeper",
    KIND_FREQUENT_ITEMS: "FrequentItems",
    KIND_WINDOWED: "WindowedTopK",
    KIND_DECAYED: "DecayedTopK",
    KIND_SHARDED: "ShardedCounter",
    KIND_REGIONAL: "RegionalTopK",
}

_TAG_INT = 0
_TAG_STR = 1
_TAG_BYTES = 2
_MODE_INT_ARRAY = 0
_MODE_TAGGED = 1


class Writer:
    """Accumulates the fields of one structure after the header."""

    def __init__(self, kind: int) -> None:
        self._parts: list[bytes] = [MAGIC, struct.pack("<BB", VERSION, kind)]

    def u8(self, value: int) -> None:
        self._parts.append(struct.pack("<B", value))

    def u32(self, value: int) -> None:
        self._parts.append(struct.pack("<I", value))

    def i64(self, value: int) -> None:
        self._parts.append(struct.pack("<q", value))

    def f64(self, value: float) -> None:
        self._parts.append(struct.pack("<d", value))

    def blob(self, data: bytes) -> None:
        self.i64(len(data))
        self._parts.append(data)

    def array(self, arr: npt.NDArray[Any], dtype: str) -> None:
        out = np.ascontiguousarray(arr, dtype=np.dtype(dtype).newbyteorder("<"))
        self.i64(out.size)
        self._parts.append(out.tobytes())

    def items(self, keys: list[Item]) -> None:
        if all(type(k) is int for k in keys):
            self.u8(_MODE_INT_ARRAY)
            self.array(np.asarray(keys, dtype=np.int64), "i8")
            return
        self.u8(_MODE_TAGGED)
        self.i64(len(keys))
        for key in keys:
            if isinstance(key, int):
                self._parts.append(struct.pack("<Bq", _TAG_INT, key))
            else:
                raw = utf8(key) if isinstance(key, str) else key
                tag = _TAG_STR if isinstance(key, str) else _TAG_BYTES
                self._parts.append(struct.pack("<BI", tag, len(raw)))
                self._parts.append(raw)

    def getvalue(self) -> bytes:
        return b"".join(self._parts)


class Reader:
    """Reads fields back, raising `CorruptDataError` on any inconsistency."""

    def __init__(self, data: Any, kind: int) -> None:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise CorruptDataError(f"expected bytes, got {type(data).__name__}")
        self._data = bytes(data)
        self._pos = 0
        name = KIND_NAMES[kind]
        if self._take(4) != MAGIC:
            raise CorruptDataError(f"not a serialized twitterdesign {name} (bad magic)")
        version, found = struct.unpack("<BB", self._take(2))
        if version != VERSION:
            raise CorruptDataError(f"unsupported {name} format version {version}")
        if found != kind:
            other = KIND_NAMES.get(found, f"unknown kind {found}")
            raise CorruptDataError(f"bytes hold a {other}, not a {name}")

    def _take(self, n: int) -> bytes:
        if n < 0 or self._pos + n > len(self._data):
            raise CorruptDataError("serialized data is truncated")
        out = self._data[self._pos : self._pos + n]
        self._pos += n
        return out

    def u8(self) -> int:
        return int(struct.unpack("<B", self._take(1))[0])

    def u32(self) -> int:
        return int(struct.unpack("<I", self._take(4))[0])

    def i64(self) -> int:
        return int(struct.unpack("<q", self._take(8))[0])

    def f64(self) -> float:
        return float(struct.unpack("<d", self._take(8))[0])

    def blob(self) -> bytes:
        return self._take(self.i64())

    def array(self, dtype: str) -> npt.NDArray[Any]:
        n = self.i64()
        dt = np.dtype(dtype).newbyteorder("<")
        if n < 0:
            raise CorruptDataError("serialized data has a negative array length")
        raw = self._take(n * dt.itemsize)
        return np.frombuffer(raw, dtype=dt).astype(np.dtype(dtype).newbyteorder("="))

    def items(self) -> list[Item]:
        mode = self.u8()
        if mode == _MODE_INT_ARRAY:
            return list(self.array("i8").tolist())
        if mode != _MODE_TAGGED:
            raise CorruptDataError(f"unknown item encoding {mode}")
        n = self.i64()
        if n < 0 or n > len(self._data):
            raise CorruptDataError("serialized data has an impossible item count")
        out: list[Item] = []
        for _ in range(n):
            tag = self.u8()
            if tag == _TAG_INT:
                out.append(int(struct.unpack("<q", self._take(8))[0]))
            elif tag in (_TAG_STR, _TAG_BYTES):
                raw = self._take(self.u32())
                if tag == _TAG_BYTES:
                    out.append(raw)
                    continue
                try:
                    out.append(from_utf8(raw))
                except UnicodeDecodeError:
                    raise CorruptDataError("serialized item is not valid UTF-8") from None
            else:
                raise CorruptDataError(f"unknown item tag {tag}")
        return out

    def done(self) -> None:
        if self._pos != len(self._data):
            raise CorruptDataError("serialized data has trailing bytes")


def check_loaded(obj: Any) -> None:
    """Run ``obj._check()`` on a freshly loaded structure; a failure means corrupt bytes."""
    try:
        obj._check()
    except AssertionError as exc:
        raise CorruptDataError(f"serialized data violates an invariant: {exc}") from None
