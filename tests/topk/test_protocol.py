"""Every sketch: the shared protocol, serialization and bad input, checked uniformly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from tests.strategies import topk_weighted_streams
from tests.topk._truth import feed
from twitterdesign.errors import CorruptDataError, IncompatibleError, InvalidParameterError
from twitterdesign.topk import (
    CountMinSketch,
    CountMinTopK,
    ExactCounter,
    FrequencySketch,
    FrequentItems,
    HeavyKeeper,
    MisraGries,
    ShardedCounter,
    SpaceSaving,
)

FACTORIES = {
    "exact": ExactCounter,
    "count-min": lambda: CountMinSketch(16, 3, seed=1),
    "count-min-cu": lambda: CountMinSketch(16, 3, conservative=True, seed=1),
    "count-min-topk": lambda: CountMinTopK(5, width=16, depth=3),
    "space-saving": lambda: SpaceSaving(5),
    "misra-gries": lambda: MisraGries(5),
    "heavy-keeper": lambda: HeavyKeeper(8, 2, k=5, rng=0),
    "frequent-items": lambda: FrequentItems(3),
    "sharded": lambda: ShardedCounter(3, rng=0),
}
names = pytest.mark.parametrize("name", sorted(FACTORIES))


def ranked(sketch, k=50):
    if isinstance(sketch, CountMinSketch):
        return None
    return sketch.top_k(k)


@names
def test_implements_protocol(name):
    sketch = FACTORIES[name]()
    assert isinstance(sketch, FrequencySketch)
    assert sketch.total_weight == 0
    assert sketch.nbytes > 0
    sketch.update_many([])
    assert sketch.total_weight == 0


@names
@given(stream=topk_weighted_streams)
def test_roundtrip_answers_every_query_identically(name, stream):
    sketch = FACTORIES[name]()
    feed(sketch, stream, batch=9)
    back = type(sketch).from_bytes(sketch.to_bytes())
    back._check()
    assert back.total_weight == sketch.total_weight
    for item, _ in stream:
        assert back.estimate(item) == sketch.estimate(item)
        assert back.bounds(item) == sketch.bounds(item)
    assert ranked(back) == ranked(sketch)
    if name != "frequent-items":  # DataSketches re-lays its hash map on load
        assert back.to_bytes() == sketch.to_bytes()


@names
def test_truncated_extended_and_foreign_bytes(name):
    sketch = FACTORIES[name]()
    sketch.update_many(["#a", "#b", "#a", 7, 2**62])
    data = sketch.to_bytes()
    cls = type(sketch)
    step = max(1, len(data) // 300)
    for cut in range(0, len(data), step):
        with pytest.raises(CorruptDataError):
            cls.from_bytes(data[:cut])
    with pytest.raises(CorruptDataError):
        cls.from_bytes(data + b"\x01")
    other = ExactCounter() if name != "exact" else SpaceSaving(3)
    with pytest.raises(CorruptDataError, match="not a"):
        cls.from_bytes(other.to_bytes())
    with pytest.raises(CorruptDataError):
        cls.from_bytes("not bytes")  # type: ignore[arg-type]


@names
def test_bad_input_is_rejected_and_changes_nothing(name):
    sketch = FACTORIES[name]()
    for item in ([1], 1.5, None, (1,), True, 2**64):
        with pytest.raises(InvalidParameterError, match="item"):
            sketch.update(item)
    for weight in (0, -1, 2.5, float("nan"), "1"):
        with pytest.raises(InvalidParameterError, match="weight"):
            sketch.update("x", weight)
    with pytest.raises(InvalidParameterError, match="weights"):
        sketch.update_many(["x", "y"], [1, 0])
    with pytest.raises(InvalidParameterError, match="weights"):
        sketch.update_many(np.array([1, 2]), np.array([1.0, np.nan]))
    with pytest.raises(InvalidParameterError, match="items"):
        sketch.update_many(np.array([1.5, 2.5]))
    with pytest.raises(InvalidParameterError, match="k"):
        sketch.top_k(0)
    assert sketch.total_weight == 0


@names
def test_merge_with_another_kind_is_incompatible(name):
    sketch = FACTORIES[name]()
    other = ExactCounter() if name != "exact" else SpaceSaving(3)
    with pytest.raises(IncompatibleError):
        sketch.merge(other)


@names
def test_numpy_and_python_ints_are_one_item(name):
    sketch = FACTORIES[name]()
    sketch.update(np.int64(5))
    sketch.update(5)
    sketch.update_many(np.array([5], dtype=np.int32))
    sketch.update_many([np.uint8(5)])
    assert sketch.estimate(5) == 4
    assert sketch.estimate(np.int64(5)) == 4
