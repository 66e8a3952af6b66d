"""Sliding-window top-k: bucket expiry, late events, merge and serialization."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import topk_items
from tests.topk._truth import true_counts
from twitterdesign.errors import CorruptDataError, IncompatibleError, InvalidParameterError
from twitterdesign.topk import CountMinTopK, ExactCounter, MisraGries, SpaceSaving, WindowedTopK

events = st.lists(
    st.tuples(topk_items, st.integers(1, 5), st.floats(0, 500, allow_nan=False)), max_size=120
)


def window_truth(evs, *, width, buckets):
    """Events whose bucket lies in the window ending at the newest bucket seen so far."""
    kept, head, late = [], None, 0
    for item, w, t in evs:
        e = int(t // width)
        head = e if head is None else max(head, e)
        if e > head - buckets:
            kept.append((item, w, e))
        else:
            late += w
    return [(x, w) for x, w, e in kept if e > head - buckets], late


@given(events, st.integers(1, 8))
def test_exact_window_counts(evs, buckets):
    win = WindowedTopK(window_s=80.0, buckets=buckets, sketch=ExactCounter())
    for item, w, t in evs:
        win.update(item, w, timestamp_s=t)
    inside, late = window_truth(evs, width=80.0 / buckets, buckets=buckets)
    truth = true_counts(inside)
    for item, _, _ in evs:
        assert win.estimate(item) == truth.get(item, 0)
    assert win.total_weight == sum(truth.values())
    assert win.dropped_weight == late
    win._check()


@given(events, events)
def test_space_saving_window_bounds_and_merge(e1, e2):
    a = WindowedTopK(window_s=100.0, buckets=5, sketch=SpaceSaving(4))
    b = WindowedTopK(window_s=100.0, buckets=5, sketch=SpaceSaving(4))
    exact = WindowedTopK(window_s=100.0, buckets=5, sketch=ExactCounter())
    for win, evs in ((a, e1), (b, e2)):
        for item, w, t in evs:
            win.update(item, w, timestamp_s=t)
    for item, w, t in sorted(e1 + e2, key=lambda e: e[2]):
        exact.update(item, w, timestamp_s=t)
    a.merge(b)
    a._check()
    # Merging can only know the events each side kept: compare with the exact window
    # fed in time order only when nothing was dropped on either side.
    if a.dropped_weight == 0 and exact.dropped_weight == 0:
        n = a.total_weight
        for item, _, _ in e1 + e2:
            lo, hi = a.bounds(item)
            assert lo <= exact.estimate(item) <= hi
            assert (hi - lo) * 4 <= n * 5  # each of 5 buckets errs by at most its N/4


def test_late_events_and_expiry():
    win = WindowedTopK(window_s=60, buckets=6, sketch=SpaceSaving(10))
    win.update("#a", timestamp_s=100)
    win.update("#a", timestamp_s=55)  # bucket 5 is still in the window ending at 10
    win.update("#a", timestamp_s=49)  # bucket 4 is not: dropped
    assert win.estimate("#a") == 2
    assert win.dropped_weight == 1
    assert win.estimate("#a", now_s=150) == 1
    assert win.estimate("#a", now_s=160) == 0
    assert win.top_k(1, now_s=1000) == []
    win.update_many(["#b", "#b"], timestamp_s=1000)
    assert win.top_k(1)[0].item == "#b"
    assert win.estimate("#a") == 0


def test_roundtrip_and_count_min_template():
    win = WindowedTopK(window_s=10, buckets=2, sketch=CountMinTopK(3, width=32, depth=3))
    win.update_many([1, 1, 2, 3], timestamp_s=1.0)
    win.update_many([1, 4], timestamp_s=7.0)
    back = WindowedTopK.from_bytes(win.to_bytes())
    assert back.top_k(3) == win.top_k(3)
    assert back.estimate(1) == win.estimate(1) >= 3
    data = win.to_bytes()
    for cut in range(0, len(data), 7):
        with pytest.raises(CorruptDataError):
            WindowedTopK.from_bytes(data[:cut])


def test_bad_configuration():
    with pytest.raises(InvalidParameterError, match="window_s"):
        WindowedTopK(window_s=0)
    with pytest.raises(InvalidParameterError, match="buckets"):
        WindowedTopK(window_s=10, buckets=0)
    used = SpaceSaving(3)
    used.update("x")
    with pytest.raises(InvalidParameterError, match="sketch"):
        WindowedTopK(window_s=10, sketch=used)
    with pytest.raises(InvalidParameterError, match="sketch"):
        WindowedTopK(window_s=10, sketch=object())
    with pytest.raises(InvalidParameterError, match="timestamp_s"):
        WindowedTopK(window_s=10).update("x", timestamp_s=float("nan"))
    with pytest.raises(IncompatibleError):
        WindowedTopK(window_s=10, sketch=SpaceSaving(3)).merge(
            WindowedTopK(window_s=10, sketch=MisraGries(3))
        )


def test_merged_returns_an_independent_copy():
    win = WindowedTopK(window_s=60, buckets=3, sketch=SpaceSaving(5))
    win.update_many(["#a", "#a", "#b"], timestamp_s=10)
    first = win.top_k(2)
    copy = win.merged()
    copy.update("#b", 10)
    assert win.top_k(2) == first
    assert win.estimate("#b") == 1


@given(events, st.integers(1, 6))
def test_per_item_timestamps_equal_feeding_events_in_time_order(evs, buckets):
    batched = WindowedTopK(window_s=90.0, buckets=buckets, sketch=ExactCounter())
    if evs:
        batched.update_many(
            [x for x, _, _ in evs], [w for _, w, _ in evs], timestamps_s=[t for *_, t in evs]
        )
    one_by_one = WindowedTopK(window_s=90.0, buckets=buckets, sketch=ExactCounter())
    for item, w, t in sorted(evs, key=lambda e: e[2]):
        one_by_one.update(item, w, timestamp_s=t)
    assert batched.dropped_weight == one_by_one.dropped_weight
    assert batched.total_weight == one_by_one.total_weight
    for item, _, _ in evs:
        assert batched.estimate(item) == one_by_one.estimate(item)


def test_timestamps_validation():
    win = WindowedTopK(window_s=10)
    with pytest.raises(InvalidParameterError, match="timestamps_s"):
        win.update_many(["a", "b"], timestamps_s=[1.0])
    with pytest.raises(InvalidParameterError, match="timestamps_s"):
        win.update_many(["a"], timestamps_s=[float("nan")])
    with pytest.raises(InvalidParameterError, match="timestamps_s"):
        win.update_many(["a"], timestamp_s=1.0, timestamps_s=[1.0])
    with pytest.raises(InvalidParameterError, match="timestamps_s"):
        win.update_many(["a"], timestamps_s=["x"])


def test_a_window_too_small_to_cut_into_buckets_is_rejected():
    # 5e-324 / 100 underflows to 0: every update used to raise ZeroDivisionError.
    with pytest.raises(InvalidParameterError, match="window_s"):
        WindowedTopK(window_s=5e-324, buckets=100)


@pytest.mark.parametrize("when", [1e300, -1e300, 2.0**63])
def test_a_time_without_a_64_bit_bucket_number_is_rejected(when):
    # These used to raise OverflowError (tiny windows), fail in to_bytes with
    # struct.error, or, as an array, wrap to a garbage bucket number silently.
    win = WindowedTopK(window_s=1, buckets=1)
    with pytest.raises(InvalidParameterError, match="timestamp_s"):
        win.update("x", timestamp_s=when)
    with pytest.raises(InvalidParameterError, match="timestamps_s"):
        win.update_many(["x", "y"], timestamps_s=[0.0, when])
    with pytest.raises(InvalidParameterError, match="now_s"):
        win.top_k(1, now_s=when)
    assert win.total_weight == 0
    win.update("x", timestamp_s=2.0**61)  # far, but its bucket number fits
    assert WindowedTopK.from_bytes(win.to_bytes()).estimate("x") == 1
