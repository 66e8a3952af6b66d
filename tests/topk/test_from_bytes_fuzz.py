"""Every ``from_bytes`` turns damaged bytes into `CorruptDataError`, never another error.

Blobs of every structure are truncated, bit-flipped and given huge length or size
fields. Loading must either succeed with a sound structure or raise `CorruptDataError`,
and it must check sizes against the payload *before* allocating: the peak memory
traced while loading stays within a small multiple of the blob's size.
"""

from __future__ import annotations

import struct
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twitterdesign.errors import CorruptDataError
from twitterdesign.topk import (
    CountMinSketch,
    CountMinTopK,
    DecayedTopK,
    ExactCounter,
    FrequentItems,
    HeavyKeeper,
    MisraGries,
    RegionalTopK,
    ShardedCounter,
    SpaceSaving,
    WindowedTopK,
)

STREAM = ["#a"] * 5 + ["#b"] * 3 + [7, 7, 8, b"raw", "#c", "é"]


def _filled(sketch: Any) -> Any:
    sketch.update_many(STREAM)
    return sketch


def _windowed() -> WindowedTopK:
    win = WindowedTopK(window_s=60, buckets=3, sketch=SpaceSaving(4))
    win.update_many(STREAM, timestamp_s=5)
    win.update_many(["#late"] * 2, timestamp_s=30)
    return win


def _decayed() -> DecayedTopK:
    hot = DecayedTopK(half_life_s=60, capacity=4)
    hot.update_many(STREAM, timestamps_s=10.0)
    return hot


def _regional() -> RegionalTopK:
    regions = RegionalTopK(MisraGries(4), min_count=1, region_min_count={"US": 2})
    regions.update_many(STREAM, region="IN")
    regions.update_many(["#nba"] * 3, region="US")
    return regions


def _windowed_heavy_keeper() -> WindowedTopK:
    win = WindowedTopK(window_s=10, buckets=2, sketch=HeavyKeeper(4, 2, k=3, rng=0))
    win.update_many(STREAM, timestamp_s=1)
    return win


MAKERS: dict[str, Callable[[], Any]] = {
    "ExactCounter": lambda: _filled(ExactCounter()),
    "CountMinSketch": lambda: _filled(CountMinSketch(8, 3, conservative=True)),
    "CountMinTopK": lambda: _filled(CountMinTopK(3, width=8, depth=2)),
    "SpaceSaving": lambda: _filled(SpaceSaving(4)),
    "MisraGries": lambda: _filled(MisraGries(4)),
    "HeavyKeeper": lambda: _filled(HeavyKeeper(4, 2, k=3, rng=0)),
    "FrequentItems": lambda: _filled(FrequentItems(3)),
    "ShardedCounter": lambda: _filled(ShardedCounter(4, rng=0)),
    "WindowedTopK": _windowed,
    "WindowedTopK(HeavyKeeper)": _windowed_heavy_keeper,
    "DecayedTopK": _decayed,
    "RegionalTopK": _regional,
}
BLOBS = {name: make().to_bytes() for name, make in MAKERS.items()}
CLASSES = {name: type(make()) for name, make in MAKERS.items()}

#: Values written over 8-byte (and 4-byte) fields: sizes far beyond any payload,
#: negatives, the int64 and float extremes.
HUGE = [2**31, 2**31 - 1, 2**40, 2**62, 2**63 - 1, -1, -(2**63), 2**53 + 1]
FLOATS = [float("nan"), float("inf"), -float("inf"), 1e-310, 1e308, -1e308, 0.0]


def estimates(sketch: Any) -> list[Any]:
    """The structure's estimate of every streamed item (a region set answers merged)."""
    view = sketch.sketch() if isinstance(sketch, RegionalTopK) else sketch
    return [view.estimate(x) for x in STREAM]


def load_within_budget(cls: Any, data: bytes) -> Any:
    """Load ``data``; fail the test if loading traced more than a small multiple of it."""
    budget = 64 * len(data) + (4 << 20)
    tracemalloc.start()
    try:
        return cls.from_bytes(data)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak <= budget, f"loading {len(data)} bytes allocated {peak} bytes"


def assert_loads_or_corrupt(cls: Any, data: bytes) -> None:
    try:
        out = load_within_budget(cls, data)
    except CorruptDataError:
        return
    out._check()
    # What loads must also work: answer queries and serialize again.
    if isinstance(out, CountMinSketch):
        out.top_k(3, candidates=["#a", 7])
    else:
        out.top_k(3)
    estimates(out)
    assert isinstance(out.to_bytes(), bytes)


def overwrite(blob: bytes, at: int, raw: bytes) -> bytes:
    at = min(at, max(0, len(blob) - len(raw)))
    return blob[:at] + raw + blob[at + len(raw) :]


names = st.sampled_from(sorted(BLOBS))


@pytest.mark.parametrize("name", sorted(BLOBS))
def test_intact_blobs_load(name):
    # (FrequentItems' DataSketches image is not byte-stable across processes, so the
    # loaded structure is compared by its answers.)
    original = CLASSES[name].from_bytes(BLOBS[name])
    out = load_within_budget(CLASSES[name], BLOBS[name])
    out._check()
    assert estimates(out) == estimates(original)
    assert estimates(out)[0] > 0


@settings(max_examples=300)
@given(names, st.data())
def test_truncated_blobs(name, data):
    blob = BLOBS[name]
    cut = data.draw(st.integers(0, len(blob) - 1))
    with pytest.raises(CorruptDataError):
        load_within_budget(CLASSES[name], blob[:cut])


@settings(max_examples=500)
@given(names, st.data())
def test_bit_flips(name, data):
    blob = bytearray(BLOBS[name])
    for _ in range(data.draw(st.integers(1, 3))):
        bit = data.draw(st.integers(0, 8 * len(blob) - 1))
        blob[bit // 8] ^= 1 << (bit % 8)
    assert_loads_or_corrupt(CLASSES[name], bytes(blob))


@settings(max_examples=500)
@given(names, st.data())
def test_huge_length_and_size_fields(name, data):
    blob = BLOBS[name]
    at = data.draw(st.integers(6, len(blob) - 1))
    raw = data.draw(
        st.one_of(
            st.sampled_from(HUGE).map(lambda v: struct.pack("<q", v)),
            st.sampled_from([v for v in HUGE if 0 <= v < 2**32]).map(
                lambda v: struct.pack("<I", v)
            ),
            st.sampled_from(FLOATS).map(lambda v: struct.pack("<d", v)),
        )
    )
    assert_loads_or_corrupt(CLASSES[name], overwrite(blob, at, raw))
