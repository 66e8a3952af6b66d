"""Count-Min: one-sided error, the ε-δ guarantee, conservative update, batch = per item."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import seeds, topk_int_streams, topk_weighted_streams
from tests.topk._truth import feed, true_counts
from twitterdesign.errors import IncompatibleError, InvalidParameterError
from twitterdesign.topk import CountMinSketch, CountMinTopK

widths = st.integers(min_value=1, max_value=40)
depths = st.integers(min_value=1, max_value=5)


@given(topk_weighted_streams, widths, depths, seeds, st.booleans(), st.sampled_from([0, 4]))
def test_never_underestimates(stream, width, depth, seed, conservative, batch):
    cms = CountMinSketch(width, depth, conservative=conservative, seed=seed)
    feed(cms, stream, batch=batch)
    cms._check()
    for item, true in true_counts(stream).items():
        assert cms.estimate(item) >= true
        lo, hi = cms.bounds(item)
        assert hi == cms.estimate(item)
        assert lo <= hi


@settings(max_examples=5)
@given(seeds)
def test_overestimate_within_eps_n_with_probability_one_minus_delta(seed):
    eps, delta = 0.05, 0.1
    rng = np.random.default_rng(seed)
    ok = total = 0
    for _ in range(20):
        cms = CountMinSketch.from_error(eps, delta, seed=int(rng.integers(2**32)))
        ids = rng.zipf(1.3, size=2000) % 500
        cms.update_many(ids.astype(np.int64))
        uniq, counts = np.unique(ids, return_counts=True)
        est = cms.estimate_many(uniq.astype(np.int64))
        assert np.all(est >= counts)
        ok += int(np.sum(est - counts <= eps * len(ids)))
        total += len(uniq)
    assert ok / total >= 1 - delta


@given(topk_weighted_streams, widths, depths, seeds, st.sampled_from([0, 5, 1000]))
def test_conservative_never_worse_than_plain(stream, width, depth, seed, batch):
    plain = CountMinSketch(width, depth, seed=seed)
    cu = CountMinSketch(width, depth, conservative=True, seed=seed)
    feed(plain, stream, batch=0)
    feed(cu, stream, batch=batch)
    for item, true in true_counts(stream).items():
        assert true <= cu.estimate(item) <= plain.estimate(item)


@given(topk_weighted_streams, widths, depths, seeds)
def test_batch_and_per_item_leave_the_same_counters(stream, width, depth, seed):
    one = CountMinSketch(width, depth, seed=seed)
    many = CountMinSketch(width, depth, seed=seed)
    unit = CountMinSketch(width, depth, seed=seed)
    for item, w in stream:
        one.update(item, w)
        for _ in range(w):
            unit.update(item)
    feed(many, stream, batch=11)
    assert np.array_equal(one.counters, many.counters)
    assert np.array_equal(one.counters, unit.counters)


@given(topk_int_streams, widths, seeds)
def test_int64_array_path_hashes_like_single_items(ids, width, seed):
    arr = CountMinSketch(width, 3, seed=seed)
    arr.update_many(np.asarray(ids, dtype=np.int64))
    single = CountMinSketch(width, 3, seed=seed)
    for x in ids:
        single.update(x)
    assert np.array_equal(arr.counters, single.counters)


@given(topk_weighted_streams, topk_weighted_streams, seeds)
def test_merge_equals_sketch_of_concatenation(s1, s2, seed):
    a, b, both = (CountMinSketch(17, 3, seed=seed) for _ in range(3))
    feed(a, s1, batch=3)
    feed(b, s2, batch=3)
    feed(both, s1 + s2, batch=3)
    a.merge(b)
    assert np.array_equal(a.counters, both.counters)
    for item, true in true_counts(s1 + s2).items():
        assert a.estimate(item) >= true


@pytest.mark.parametrize(("eps", "delta"), [(0.1, 0.1), (0.01, 0.001), (0.5, 0.5), (0.0001, 0.2)])
def test_from_error_sizes(eps, delta):
    cms = CountMinSketch.from_error(eps, delta)
    assert cms.width == math.ceil(math.e / eps)
    assert cms.depth == max(1, math.ceil(math.log(1 / delta)))
    assert cms.epsilon <= eps
    assert cms.delta <= delta


@pytest.mark.parametrize("bad", [0, 1, -0.1, 1.5, float("nan"), "0.1", None])
def test_from_error_rejects_bad_epsilon_and_delta(bad):
    with pytest.raises(InvalidParameterError, match="epsilon"):
        CountMinSketch.from_error(bad, 0.1)
    with pytest.raises(InvalidParameterError, match="delta"):
        CountMinSketch.from_error(0.1, bad)


def test_bad_configuration_and_merge():
    for kwargs, name in [
        ({"width": 0, "depth": 2}, "width"),
        ({"width": 4, "depth": 0}, "depth"),
        ({"width": 4, "depth": 2, "seed": -1}, "seed"),
        ({"width": 4, "depth": 2, "conservative": 1}, "conservative"),
    ]:
        with pytest.raises(InvalidParameterError, match=name):
            CountMinSketch(**kwargs)
    base = CountMinSketch(8, 2, seed=1)
    for other in (
        CountMinSketch(9, 2, seed=1),
        CountMinSketch(8, 3, seed=1),
        CountMinSketch(8, 2, seed=2),
        CountMinSketch(8, 2, seed=1, conservative=True),
    ):
        with pytest.raises(IncompatibleError):
            base.merge(other)
    with pytest.raises(InvalidParameterError, match="candidates"):
        base.top_k(3)


@given(topk_weighted_streams, st.integers(1, 6))
def test_count_min_topk_reports_true_heavy_items_with_valid_bounds(stream, k):
    top = CountMinTopK(k, width=64, depth=4)
    feed(top, stream, batch=7)
    top._check()
    truth = true_counts(stream)
    reported = top.top_k(k)
    assert len(reported) == min(k, len(truth))
    for h in reported:
        assert h.upper_bound >= truth[h.item]
    estimates = [h.estimate for h in reported]
    assert estimates == sorted(estimates, reverse=True)


def test_count_min_topk_finds_the_viral_tweet():
    rng = np.random.default_rng(0)
    ids = np.concatenate([rng.integers(0, 10_000, 50_000), np.full(5_000, 123_456_789)])
    rng.shuffle(ids)
    top = CountMinTopK(5, width=2048, depth=4)
    for chunk in np.array_split(ids, 10):
        top.update_many(chunk)
    assert top.top_k(1)[0].item == 123_456_789
    with pytest.raises(IncompatibleError):
        top.merge(CountMinTopK(6))
