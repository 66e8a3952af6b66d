"""Forward-decayed top-k, velocity trends and regional top-k."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import seeds, topk_items, topk_texts
from twitterdesign.errors import (
    CorruptDataError,
    IncompatibleError,
    InvalidParameterError,
    NotFoundError,
)
from twitterdesign.topk import (
    DecayedTopK,
    ExactCounter,
    RegionalTopK,
    SpaceSaving,
    WindowedTopK,
    regional_trending,
    trending,
    zipf_stream,
)

timed_events = st.one_of(
    st.lists(
        st.tuples(topk_items, st.integers(1, 9), st.floats(0, 5000, allow_nan=False)),
        max_size=120,
    ),
    # Only strings, enough of them for the packed batch path.
    st.lists(
        st.tuples(topk_texts, st.integers(1, 9), st.floats(0, 5000, allow_nan=False)),
        min_size=64,
        max_size=200,
    ),
)


def decayed_truth(events, now, half_life):
    out: dict = {}
    for item, w, t in events:
        out[item] = out.get(item, 0.0) + w * 2.0 ** ((t - now) / half_life)
    return out


def close_le(a, b):
    return a <= b + 1e-7 * max(1.0, abs(b))


@given(timed_events, st.integers(1, 8), st.sampled_from([10.0, 600.0]), st.booleans())
def test_decayed_bounds_hold_at_any_query_time(events, capacity, half_life, batched):
    hot = DecayedTopK(half_life_s=half_life, capacity=capacity)
    if batched and events:
        hot.update_many(
            [x for x, _, _ in events],
            [w for _, w, _ in events],
            timestamps_s=[t for _, _, t in events],
        )
    else:
        for item, w, t in events:
            hot.update(item, w, timestamp_s=t)
    hot._check()
    for now in (5000.0, 6000.0):
        truth = decayed_truth(events, now, half_life)
        total = sum(truth.values())
        assert math.isclose(hot.total_weight(now_s=now), total, rel_tol=1e-9, abs_tol=1e-300)
        for item, true in truth.items():
            lo, hi = hot.bounds(item, now_s=now)
            assert close_le(lo, true)
            assert close_le(true, hi)
            assert close_le((hi - lo) * capacity, total)


@given(timed_events, timed_events)
def test_decayed_merge(e1, e2):
    a = DecayedTopK(half_life_s=100.0, capacity=5, landmark_s=0.0)
    b = DecayedTopK(half_life_s=100.0, capacity=5, landmark_s=4000.0)
    for sketch, events in ((a, e1), (b, e2)):
        for item, w, t in events:
            sketch.update(item, w, timestamp_s=t)
    a.merge(b)
    a._check()
    truth = decayed_truth(e1 + e2, 5000.0, 100.0)
    for item, true in truth.items():
        lo, hi = a.bounds(item, now_s=5000.0)
        assert close_le(lo, true)
        assert close_le(true, hi)
    back = DecayedTopK.from_bytes(a.to_bytes())
    assert back.top_k(10, now_s=5000.0) == a.top_k(10, now_s=5000.0)


def test_decay_survives_thousands_of_half_lives():
    hot = DecayedTopK(half_life_s=1.0, capacity=4)
    for t in range(0, 5000, 50):
        hot.update("#steady", timestamp_s=float(t))
    hot.update("#now", 3, timestamp_s=5000.0)
    hot._check()
    top = hot.top_k(2, now_s=5000.0)
    assert [h.item for h in top] == ["#now", "#steady"]
    assert math.isclose(top[1].estimate, 2.0**-50 / (1 - 2.0**-50), rel_tol=1e-9)


def test_decayed_bad_input():
    with pytest.raises(InvalidParameterError, match="half_life_s"):
        DecayedTopK(half_life_s=0)
    with pytest.raises(InvalidParameterError, match="timestamps_s"):
        DecayedTopK(half_life_s=1).update_many(["a", "b"], timestamps_s=[1.0])
    with pytest.raises(IncompatibleError):
        DecayedTopK(half_life_s=1).merge(DecayedTopK(half_life_s=2))
    with pytest.raises(CorruptDataError):
        DecayedTopK.from_bytes(DecayedTopK(half_life_s=1).to_bytes()[:-3])


def test_breaking_tag_outranks_always_popular_one():
    baseline, current = ExactCounter(), ExactCounter()
    baseline.update_many(["#music"] * 10_000 + ["#news"] * 2_000 + ["#quake"] * 5)
    current.update_many(["#music"] * 1_000 + ["#news"] * 200 + ["#quake"] * 300)
    trends = trending(current, baseline, k=3, min_count=10)
    assert trends[0].item == "#quake"
    n_now, n_base = 1_500, 12_005
    expected = 5 * n_now / n_base
    assert math.isclose(trends[0].expected, expected)
    assert math.isclose(trends[0].score, (300 - expected) / math.sqrt(expected + 1))
    assert "#music" not in [t.item for t in trends] or trends[-1].score < 1.0


@given(st.integers(1, 50))
def test_min_count_filters_small_volumes(min_count):
    baseline, current = ExactCounter(), ExactCounter()
    current.update_many(["#a"] * 20 + ["#b"] * 5)
    items = {t.item for t in trending(current, baseline, min_count=min_count)}
    assert items == {x for x, c in (("#a", 20), ("#b", 5)) if c >= min_count}


def test_trending_bad_input():
    with pytest.raises(InvalidParameterError, match="k"):
        trending(ExactCounter(), ExactCounter(), k=0)
    with pytest.raises(InvalidParameterError, match="min_count"):
        trending(ExactCounter(), ExactCounter(), min_count=0)


@given(
    st.lists(st.tuples(st.sampled_from(["US", "IN", "BR"]), topk_items, st.integers(1, 5))),
    st.integers(1, 6),
)
def test_regional_counts_and_global_merge(events, min_count):
    regional = RegionalTopK(ExactCounter(), min_count=min_count)
    for region, item, w in events:
        regional.update(item, w, region=region)
    regional._check()
    per_region: dict = {}
    world: dict = {}
    for region, item, w in events:
        per_region.setdefault(region, {}).setdefault(item, 0)
        per_region[region][item] += w
        world[item] = world.get(item, 0) + w
    for region, counts in per_region.items():
        listed = {h.item: h.estimate for h in regional.top_k(1000, region=region)}
        assert listed == {x: c for x, c in counts.items() if c >= min_count}
    listed = {h.item: h.estimate for h in regional.top_k(1000)}
    assert listed == {x: c for x, c in world.items() if c >= min_count}
    back = RegionalTopK.from_bytes(regional.to_bytes())
    assert back.top_k(1000) == regional.top_k(1000)


def test_regional_trending_and_errors():
    now, base = RegionalTopK(SpaceSaving(20), min_count=3), RegionalTopK(SpaceSaving(20))
    now.update_many(["#carnaval"] * 10 + ["#futebol"] * 10, region="BR")
    base.update_many(["#futebol"] * 100 + ["#x"] * 100, region="BR")
    trends = regional_trending(now, base)
    assert [t.item for t in trends["BR"]] == ["#carnaval"]
    assert "global" in trends
    with pytest.raises(NotFoundError, match="ZZ"):
        now.top_k(3, region="ZZ")
    with pytest.raises(InvalidParameterError, match="region"):
        now.update("#a", region="")
    with pytest.raises(IncompatibleError):
        now.merge(base)
    other = RegionalTopK(SpaceSaving(20), min_count=3)
    other.update_many(["#carnaval"] * 2, region="BR")
    now.merge(other)
    assert now.sketch("BR").estimate("#carnaval") == 12
    assert now.nbytes > 0


def test_per_region_thresholds_and_roundtrip():
    regions = RegionalTopK(ExactCounter(), min_count=2, region_min_count={"US": 10})
    regions.update_many(["#a"] * 5, region="US")
    regions.update_many(["#a"] * 5, region="IS")
    assert regions.top_k(3, region="US") == []
    assert [h.item for h in regions.top_k(3, region="IS")] == ["#a"]
    assert [h.estimate for h in regions.top_k(3)] == [10]
    assert regions.threshold("US") == 10
    assert regions.threshold("IS") == 2
    back = RegionalTopK.from_bytes(regions.to_bytes())
    assert back.threshold("US") == 10
    assert back.top_k(3, region="US") == []
    with pytest.raises(InvalidParameterError, match="region_min_count"):
        RegionalTopK(min_count=1, region_min_count={"US": 0})
    with pytest.raises(IncompatibleError):
        regions.merge(RegionalTopK(ExactCounter(), min_count=2))


def test_decayed_checks_every_query_and_timestamp():
    hot = DecayedTopK(half_life_s=60, capacity=4)
    with pytest.raises(InvalidParameterError, match="now_s"):
        hot.estimate("#never-seen", now_s=math.nan)
    with pytest.raises(InvalidParameterError, match="timestamps_s"):
        hot.update_many([], timestamps_s=[1.0])  # one time for zero items
    with pytest.raises(InvalidParameterError, match="timestamps_s"):
        hot.update_many(["#a"], timestamps_s=["noon"])
    assert hot.total_weight() == 0.0


def test_a_rejected_update_leaves_no_empty_region():
    regions = RegionalTopK(SpaceSaving(8))
    with pytest.raises(InvalidParameterError):
        regions.update(1.5, region="BR")  # floats are not items
    with pytest.raises(InvalidParameterError):
        regions.update_many(["#a", 2.5], region="BR")
    assert regions.regions == []
    regions.update_many(["#a"], region="BR")
    assert regions.regions == ["BR"]


def test_global_is_reserved_for_the_merged_view():
    with pytest.raises(InvalidParameterError, match="global"):
        RegionalTopK().update("#a", region="global")
    with pytest.raises(InvalidParameterError, match="global"):
        RegionalTopK(region_min_count={"global": 3})
    now = RegionalTopK()
    now.update_many(["#a"] * 3, region="US")
    assert set(regional_trending(now, RegionalTopK())) == {"US", "global"}


def test_a_query_too_long_before_the_landmark_is_rejected_not_an_overflow():
    # 2**(100 s / 1 ms) used to raise OverflowError from a plain query.
    hot = DecayedTopK(half_life_s=1e-3, capacity=4)
    hot.update("x", timestamp_s=100)
    with pytest.raises(InvalidParameterError, match="now_s"):
        hot.top_k(1, now_s=0)
    with pytest.raises(InvalidParameterError, match="now_s"):
        hot.estimate("x", now_s=0)
    with pytest.raises(InvalidParameterError, match="now_s"):
        hot.bounds("x", now_s=0)
    with pytest.raises(InvalidParameterError, match="now_s"):
        hot.total_weight(now_s=0)
    # A query shortly before the events is still answered (counts scale up).
    assert hot.estimate("x", now_s=100 - 0.002) == pytest.approx(4.0)


@settings(max_examples=10)
@given(seeds, st.sampled_from(["shuffled", "ascending", "descending"]))
def test_batch_and_item_by_item_both_list_every_frequent_item(stream_seed, order):
    # The batch paths of the time-aware structures must not depend on arrival order the
    # way HeavyKeeper's once did: fed as one batch or one event at a time, in shuffled or
    # sorted order (heaviest last or first), DecayedTopK and a windowed Space-Saving both
    # list every item above N / capacity, as Space-Saving guarantees for any order.
    stream = zipf_stream(600, 100, 1.2, rng=stream_seed).tolist()
    counts = Counter(stream)
    if order != "shuffled":
        stream.sort(key=lambda x: (counts[x] if order == "ascending" else -counts[x], x))
    capacity = 10
    frequent = {x for x, c in counts.items() if c > len(stream) / capacity}
    for batch in (True, False):
        hot = DecayedTopK(half_life_s=1e9, capacity=capacity)
        win = WindowedTopK(window_s=60, buckets=6, sketch=SpaceSaving(capacity))
        if batch:
            hot.update_many(stream, timestamps_s=5.0)
            win.update_many(stream, timestamp_s=5.0)
        else:
            for x in stream:
                hot.update(x, timestamp_s=5.0)
                win.update(x, timestamp_s=5.0)
        assert frequent <= {h.item for h in hot.top_k(capacity)}
        assert frequent <= {h.item for h in win.top_k(capacity)}
        for x in frequent:
            lo, hi = hot.bounds(x)
            assert lo - 1e-6 <= counts[x] <= hi + 1e-6
