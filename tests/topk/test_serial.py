"""The shared binary format: every malformed field is a CorruptDataError, never a crash."""

from __future__ import annotations

import struct

import pytest

from twitterdesign.errors import CorruptDataError
from twitterdesign.topk import ExactCounter, SpaceSaving, WindowedTopK
from twitterdesign.topk._serial import KIND_EXACT, MAGIC, VERSION


def exact_bytes(items_blob: bytes, counts: list[int]) -> bytes:
    head = MAGIC + struct.pack("<BB", VERSION, KIND_EXACT) + struct.pack("<q", sum(counts))
    tail = struct.pack("<q", len(counts)) + b"".join(struct.pack("<q", c) for c in counts)
    return head + items_blob + tail


def tagged(*entries: bytes) -> bytes:
    return struct.pack("<Bq", 1, len(entries)) + b"".join(entries)


def test_well_formed_tagged_items_load():
    blob = tagged(struct.pack("<Bq", 0, 5), struct.pack("<BI", 1, 2) + b"#a")
    counter = ExactCounter.from_bytes(exact_bytes(blob, [2, 3]))
    assert counter.estimate(5) == 2
    assert counter.estimate("#a") == 3


@pytest.mark.parametrize(
    ("blob", "counts", "needle"),
    [
        (tagged(struct.pack("<BI", 1, 2) + b"\xff\xfe"), [1], "UTF-8"),
        (tagged(struct.pack("<Bq", 7, 5)), [1], "tag"),
        (struct.pack("<Bq", 1, 10**12), [1], "item count"),
        (struct.pack("<B", 9), [1], "encoding"),
        (tagged(struct.pack("<Bq", 0, 5)), [1, 2], "inconsistent"),
        (tagged(struct.pack("<Bq", 0, 5)), [0], "invariant"),
        (struct.pack("<Bq", 0, -4), [], "negative"),
    ],
)
def test_malformed_fields(blob, counts, needle):
    with pytest.raises(CorruptDataError, match=needle):
        ExactCounter.from_bytes(exact_bytes(blob, counts))


def test_nested_sketch_bytes_are_checked_too():
    win = WindowedTopK(window_s=10, buckets=2, sketch=SpaceSaving(3))
    win.update("x", timestamp_s=1)
    data = bytearray(win.to_bytes())
    data[-3] ^= 0xFF  # corrupt the inner bucket sketch
    with pytest.raises(CorruptDataError):
        WindowedTopK.from_bytes(bytes(data))
