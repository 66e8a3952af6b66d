"""Space-Saving: bounds, coverage of heavy items, merging, batches, serialization."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import topk_int_streams, topk_items, topk_weighted_streams
from tests.topk._truth import feed, true_counts
from twitterdesign.errors import CorruptDataError, IncompatibleError, InvalidParameterError
from twitterdesign.topk import MisraGries, SpaceSaving

capacities = st.integers(min_value=1, max_value=12)
batches = st.sampled_from([0, 1, 7, 1000])


def assert_guarantees(ss: SpaceSaving, truth: dict, universe: set) -> None:
    ss._check()
    n = sum(truth.values())
    assert ss.total_weight == n
    for item in universe | set(truth):
        true = truth.get(item, 0)
        lo, hi = ss.bounds(item)
        assert lo <= true <= hi
        assert (hi - lo) * ss.capacity <= n
    monitored = {h.item for h in ss.top_k(ss.capacity)}
    for item, true in truth.items():
        if true * ss.capacity > n:
            assert item in monitored
    for h in ss.top_k(ss.capacity):
        assert h.lower_bound <= truth[h.item] <= h.upper_bound


@given(topk_weighted_streams, capacities, batches)
def test_bounds_and_heavy_items_hold(stream, capacity, batch):
    ss = SpaceSaving(capacity)
    feed(ss, stream, batch=batch)
    assert_guarantees(ss, true_counts(stream), {"never", 999})


@given(topk_int_streams, capacities)
def test_int64_array_batches_keep_guarantees(ids, capacity):
    ss = SpaceSaving(capacity)
    arr = np.asarray(ids, dtype=np.int64)
    for chunk in np.array_split(arr, 3):
        ss.update_many(chunk)
    assert_guarantees(ss, true_counts((int(x), 1) for x in ids), set())


@given(topk_weighted_streams, topk_weighted_streams, capacities, batches)
def test_merge_answers_within_bounds_for_concatenation(s1, s2, capacity, batch):
    a, b = SpaceSaving(capacity), SpaceSaving(capacity)
    feed(a, s1, batch=batch)
    feed(b, s2, batch=batch)
    assert a.merge(b) is a
    assert_guarantees(a, true_counts(s1 + s2), set())


@given(topk_weighted_streams, capacities)
def test_roundtrip_answers_every_query_identically(stream, capacity):
    ss = SpaceSaving(capacity)
    feed(ss, stream, batch=5)
    back = SpaceSaving.from_bytes(ss.to_bytes())
    for item, _ in stream:
        assert back.bounds(item) == ss.bounds(item)
        assert back.estimate(item) == ss.estimate(item)
    assert back.top_k(50) == ss.top_k(50)
    assert back.total_weight == ss.total_weight
    assert back.floor == ss.floor


@given(topk_weighted_streams, capacities, topk_items, st.integers(1, 30))
def test_single_update_equals_batch_of_one(stream, capacity, item, weight):
    a, b = SpaceSaving(capacity), SpaceSaving(capacity)
    feed(a, stream, batch=0)
    feed(b, stream, batch=0)
    a.update(item, weight)
    b.update_many([item], [weight])
    universe = {x for x, _ in stream} | {item}
    assert {x: a.bounds(x) for x in universe} == {x: b.bounds(x) for x in universe}
    assert a.floor == b.floor
    a._check()
    b._check()


def test_textbook_example_keeps_heavy_hitter():
    ss = SpaceSaving(2)
    for x in "abacbaaa":
        ss.update(x)
    top = ss.top_k(1)[0]
    assert top.item == "a"
    assert top.lower_bound <= 5 <= top.upper_bound


def test_numpy_int64_and_python_int_are_the_same_item():
    ss = SpaceSaving(4)
    ss.update(np.int64(7))
    ss.update(7)
    ss.update_many(np.array([7], dtype=np.int64))
    assert ss.estimate(7) == 3


@pytest.mark.parametrize("capacity", [0, -3, 1.5, "10", None, True])
def test_bad_capacity(capacity):
    with pytest.raises(InvalidParameterError, match="capacity"):
        SpaceSaving(capacity)


@pytest.mark.parametrize("weight", [0, -1, 1.5, float("nan"), "2", None])
def test_bad_weight(weight):
    with pytest.raises(InvalidParameterError, match="weight"):
        SpaceSaving(3).update("x", weight)


@pytest.mark.parametrize(
    "weights", [[1, 0], [1, -2], [1.0, 2.0], [1, float("nan")], np.array([1.5, 2.0]), [1]]
)
def test_bad_batch_weights(weights):
    with pytest.raises(InvalidParameterError, match="weights"):
        SpaceSaving(3).update_many(["a", "b"], weights)


@pytest.mark.parametrize("item", [[1, 2], {"a": 1}, 1.5, None, (1, 2), 2**63, True])
def test_bad_items(item):
    ss = SpaceSaving(3)
    with pytest.raises(InvalidParameterError, match="item"):
        ss.update(item)
    with pytest.raises(InvalidParameterError, match="item"):
        ss.update_many(["ok", item])
    assert ss.total_weight == 0


def test_bad_k():
    with pytest.raises(InvalidParameterError, match="k"):
        SpaceSaving(3).top_k(0)


def test_merge_mismatch():
    with pytest.raises(IncompatibleError):
        SpaceSaving(3).merge(SpaceSaving(4))
    with pytest.raises(IncompatibleError):
        SpaceSaving(3).merge(MisraGries(3))  # type: ignore[arg-type]


def test_corrupt_bytes():
    ss = SpaceSaving(3)
    ss.update_many(["a", "b", "a", 5, b"raw"])
    data = ss.to_bytes()
    for cut in range(len(data)):
        with pytest.raises(CorruptDataError):
            SpaceSaving.from_bytes(data[:cut])
    with pytest.raises(CorruptDataError):
        SpaceSaving.from_bytes(data + b"\x00")
    with pytest.raises(CorruptDataError, match="MisraGries"):
        SpaceSaving.from_bytes(MisraGries(3).to_bytes())
    with pytest.raises(CorruptDataError):
        SpaceSaving.from_bytes(b"garbage at all")
    bad_version = data[:4] + b"\x09" + data[5:]
    with pytest.raises(CorruptDataError, match="version"):
        SpaceSaving.from_bytes(bad_version)


def test_corrupt_invariant_is_rejected():
    ss = SpaceSaving(2)
    ss.update_many(["a", "a", "b"])
    data = bytearray(ss.to_bytes())
    # total weight field right after the capacity: claim N = 1 (counts sum to 3).
    data[6 + 8 : 6 + 16] = (1).to_bytes(8, "little", signed=True)
    with pytest.raises(CorruptDataError, match="invariant"):
        SpaceSaving.from_bytes(bytes(data))


def test_few_item_batches_sum_weights_beyond_one_update():
    # Two events of weight 2**53 sum to more than one `update` accepts; the batch holds.
    ss = SpaceSaving(4)
    ss.update_many(["#a", "#a", "#b"], [2**53, 2**53, 1])
    ss._check()
    assert ss.bounds("#a") == (2**54, 2**54)
    assert ss.total_weight == 2**54 + 1
