"""Misra-Gries: estimate <= true <= estimate + N/(k+1), batches and merges included."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import topk_int_streams, topk_weighted_streams
from tests.topk._truth import feed, true_counts
from twitterdesign.errors import IncompatibleError, InvalidParameterError
from twitterdesign.topk import MisraGries

ks = st.integers(min_value=1, max_value=10)
batches = st.sampled_from([0, 1, 6, 1000])


def assert_bound(mg: MisraGries, truth: dict) -> None:
    mg._check()
    n = sum(truth.values())
    assert mg.total_weight == n
    for item, true in truth.items():
        est = mg.estimate(item)
        assert est <= true <= est + n / (mg.k + 1)
        lo, hi = mg.bounds(item)
        assert lo <= true <= hi
    assert mg.bounds("never-seen")[1] * (mg.k + 1) <= n


@given(topk_weighted_streams, ks, batches)
def test_undercount_at_most_n_over_k_plus_one(stream, k, batch):
    mg = MisraGries(k)
    feed(mg, stream, batch=batch)
    assert_bound(mg, true_counts(stream))


@given(topk_int_streams, ks)
def test_int64_batches(ids, k):
    mg = MisraGries(k)
    for chunk in np.array_split(np.asarray(ids, dtype=np.int64), 4):
        mg.update_many(chunk)
    assert_bound(mg, true_counts((x, 1) for x in ids))


@given(st.lists(topk_weighted_streams, min_size=1, max_size=4), ks, batches)
def test_merge_keeps_the_bound_for_the_concatenation(streams, k, batch):
    parts = []
    for s in streams:
        mg = MisraGries(k)
        feed(mg, s, batch=batch)
        parts.append(mg)
    merged = parts[0]
    for p in parts[1:]:
        merged.merge(p)
    assert_bound(merged, true_counts([e for s in streams for e in s]))


def test_classic_majority():
    mg = MisraGries(1)
    for x in "aabacaada":
        mg.update(x)
    assert mg.top_k(1)[0].item == "a"


def test_bad_input():
    with pytest.raises(InvalidParameterError, match="k"):
        MisraGries(0)
    with pytest.raises(IncompatibleError):
        MisraGries(2).merge(MisraGries(3))


@given(topk_weighted_streams, ks, st.sampled_from(["x", 3, "#new"]), st.integers(1, 30))
def test_single_update_equals_batch_of_one(stream, k, item, weight):
    a, b = MisraGries(k), MisraGries(k)
    feed(a, stream, batch=0)
    feed(b, stream, batch=0)
    a.update(item, weight)
    b.update_many([item], [weight])
    universe = {x for x, _ in stream} | {item}
    assert {x: a.bounds(x) for x in universe} == {x: b.bounds(x) for x in universe}
    assert a.decrement == b.decrement
