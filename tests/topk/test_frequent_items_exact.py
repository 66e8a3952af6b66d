"""The DataSketches adapter's bounds, and the exact counter's truth."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import topk_weighted_streams
from tests.topk._truth import feed, true_counts
from twitterdesign.errors import InvalidParameterError
from twitterdesign.topk import ExactCounter, FrequentItems


@given(topk_weighted_streams, st.integers(3, 5), st.sampled_from([0, 8]))
def test_frequent_items_bounds_bracket_truth(stream, lg, batch):
    fi = FrequentItems(lg)
    feed(fi, stream, batch=batch)
    fi._check()
    truth = true_counts(stream)
    n = sum(truth.values())
    for item, true in truth.items():
        lo, hi = fi.bounds(item)
        assert lo <= true <= hi
        assert hi - lo <= fi.epsilon * n + 1e-9


@given(topk_weighted_streams, topk_weighted_streams)
def test_frequent_items_merge_bounds(s1, s2):
    a, b = FrequentItems(3), FrequentItems(3)
    feed(a, s1, batch=5)
    feed(b, s2, batch=5)
    a.merge(b)
    for item, true in true_counts(s1 + s2).items():
        lo, hi = a.bounds(item)
        assert lo <= true <= hi


def test_frequent_items_bad_size():
    for lg in (2, 27, 3.0):
        with pytest.raises(InvalidParameterError, match="lg_max_map_size"):
            FrequentItems(lg)


@given(topk_weighted_streams, st.sampled_from([0, 3, 100]))
def test_exact_counter_is_exact(stream, batch):
    exact = ExactCounter()
    feed(exact, stream, batch=batch)
    exact._check()
    truth = true_counts(stream)
    assert dict(exact.items()) == truth
    top = exact.top_k(3)
    assert [h.estimate for h in top] == sorted(truth.values(), reverse=True)[:3]


def test_exact_int_fast_path_matches_counter():
    ids = np.random.default_rng(0).integers(0, 50, size=5000)
    exact = ExactCounter()
    exact.update_many(ids)
    assert dict(exact.items()) == dict(Counter(ids.tolist()))
    assert exact.total_weight == 5000


def purged_to_no_counters() -> FrequentItems:
    """Distinct count-one items: each purge of the size-8 map clears every counter."""
    fi = FrequentItems(3)
    fi.update_many([f"#once{i}" for i in range(21)])
    assert fi._sketch.num_active_items == 0  # the state DataSketches calls "empty"
    return fi


def test_a_purged_sketch_keeps_its_weight_and_error_through_bytes_and_merge():
    # apache/datasketches-cpp#527: DataSketches drops N and the error offset of such a
    # sketch when it serializes or merges it; the adapter carries them itself.
    fi = purged_to_no_counters()
    lo, hi = fi.bounds("#once3")
    assert fi.total_weight == 21
    assert lo == 0
    assert hi >= 1  # the true count, 1, is covered
    back = FrequentItems.from_bytes(fi.to_bytes())
    back._check()
    assert back.total_weight == 21
    assert back.bounds("#once3") == (lo, hi)
    merged = FrequentItems(3).merge(purged_to_no_counters())
    merged._check()
    assert merged.total_weight == 21
    assert merged.bounds("#once3") == (lo, hi)
    back.update_many(["#hot"] * 10)  # new events on top of the carried state
    low, high = back.bounds("#hot")
    assert low <= 10 <= high
    assert back.total_weight == 31
