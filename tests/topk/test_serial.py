"""The shared binary format: every malformed field is a CorruptDataError, never a crash."""

from __future__ import annotations

import struct
import tracemalloc
from typing import Any

import pytest

from twitterdesign.errors import CorruptDataError
from twitterdesign.topk import (
    CountMinSketch,
    DecayedTopK,
    ExactCounter,
    HeavyKeeper,
    RegionalTopK,
    ShardedCounter,
    SpaceSaving,
    WindowedTopK,
)
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


# --- sizes are checked against the payload before anything is allocated ------------


def _traced_peak(load: Any) -> int:
    tracemalloc.start()
    try:
        with pytest.raises(CorruptDataError):
            load()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _with_i64(blob: bytes, at: int, value: int) -> bytes:
    return blob[:at] + struct.pack("<q", value) + blob[at + 8 :]


HEADER = len(MAGIC) + 2


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: CountMinSketch(8, 4), 0),  # the width field
        (lambda: HeavyKeeper(8, 4, rng=0), 0),
    ],
)
def test_a_huge_size_field_fails_before_allocating(make, field):
    # A width of 2**31 (with depth 4: a 64 GiB matrix) used to be allocated before
    # the payload was found to hold 16 counters.
    blob = make().to_bytes()
    bad = _with_i64(blob, HEADER + field, 2**31)
    peak = _traced_peak(lambda: type(make()).from_bytes(bad))
    assert peak < 1 << 20


def test_sharded_counter_with_too_many_shards_is_corrupt_not_invalid():
    counter = ShardedCounter(1, rng=0)
    blob = counter.to_bytes()
    # 70,000 shards (above the 65,536 limit), with a matching write-count array.
    shards = 70_000
    bad = (
        blob[:HEADER]
        + struct.pack("<qq", shards, 0)
        + struct.pack("<Bq", 0, 0)  # no keys
        + struct.pack("<q", 0)  # empty rows
        + struct.pack("<q", shards)
        + bytes(8 * shards)
    )
    with pytest.raises(CorruptDataError, match="shards"):
        ShardedCounter.from_bytes(bad)


def _splice_bucket(outer: bytes, inner_old: bytes, inner_new: bytes) -> bytes:
    at = outer.index(inner_old)
    size = struct.pack("<q", len(inner_old))
    assert outer[at - 8 : at] == size
    return (
        outer[: at - 8]
        + struct.pack("<q", len(inner_new))
        + inner_new
        + outer[at + len(inner_old) :]
    )


def test_windowed_bucket_of_another_configuration_is_corrupt():
    # A bucket sketch with another capacity than the template used to load, then made
    # every query fail with IncompatibleError when the window merged its buckets.
    win = WindowedTopK(window_s=10, buckets=2, sketch=SpaceSaving(3))
    win.update("x", timestamp_s=1)
    bucket = SpaceSaving(3)
    bucket.update("x")
    other = SpaceSaving(4)
    other.update("x")
    bad = _splice_bucket(win.to_bytes(), bucket.to_bytes(), other.to_bytes())
    with pytest.raises(CorruptDataError, match="configuration"):
        WindowedTopK.from_bytes(bad)


def test_windowed_bucket_listed_twice_is_corrupt():
    # Two buckets with the same epoch used to load as one (the second silently won).
    win = WindowedTopK(window_s=10, buckets=4, sketch=SpaceSaving(3))
    win.update("x", timestamp_s=1)
    win.update("y", timestamp_s=6)
    blob = win.to_bytes()
    at = HEADER + 8 + 8 + 1 + 8 + 8  # window, buckets, has-head, head, dropped
    (proto_len,) = struct.unpack("<q", blob[at : at + 8])
    at += 8 + proto_len
    assert struct.unpack("<q", blob[at : at + 8])[0] == 2  # two buckets
    first_epoch = blob[at + 8 : at + 16]
    (first_len,) = struct.unpack("<q", blob[at + 16 : at + 24])
    second = at + 24 + first_len
    bad = blob[:second] + first_epoch + blob[second + 8 :]
    with pytest.raises(CorruptDataError, match="twice"):
        WindowedTopK.from_bytes(bad)


def test_regional_sketch_of_another_configuration_is_corrupt():
    regions = RegionalTopK(SpaceSaving(3))
    regions.update("#a", region="IN")
    inner = SpaceSaving(3)
    inner.update("#a")
    other = HeavyKeeper(4, 1, rng=0)
    other.update("#a")
    bad = _splice_bucket(regions.to_bytes(), inner.to_bytes(), other.to_bytes())
    with pytest.raises(CorruptDataError):
        RegionalTopK.from_bytes(bad)
    bigger = SpaceSaving(300)
    bigger.update("#a")
    bad = _splice_bucket(regions.to_bytes(), inner.to_bytes(), bigger.to_bytes())
    with pytest.raises(CorruptDataError, match="configuration"):
        RegionalTopK.from_bytes(bad)


def test_regional_region_listed_twice_is_corrupt():
    regions = RegionalTopK(SpaceSaving(3))
    regions.update("#a", region="IN")
    regions.update("#b", region="IO")
    bad = regions.to_bytes().replace(b"IO", b"IN")
    with pytest.raises(CorruptDataError, match="region"):
        RegionalTopK.from_bytes(bad)


@pytest.mark.parametrize("latest", [float("nan"), float("inf"), -5.0])
def test_decayed_latest_time_must_be_finite_and_after_the_landmark(latest):
    hot = DecayedTopK(half_life_s=60, capacity=4)
    hot.update("#a", timestamp_s=10)
    blob = hot.to_bytes()
    at = HEADER + 16  # half-life, landmark, then latest
    assert struct.unpack("<d", blob[at : at + 8])[0] == 10.0
    bad = blob[:at] + struct.pack("<d", latest) + blob[at + 8 :]
    with pytest.raises(CorruptDataError):
        DecayedTopK.from_bytes(bad)
