"""Batch validation and per-item aggregation (dense counting sort and np.unique paths)."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from twitterdesign.topk._base import aggregate, as_batch

int64s = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@given(
    st.lists(st.one_of(st.integers(-5, 40), int64s), max_size=200),
    st.booleans(),
    st.booleans(),
)
def test_aggregate_sums_per_item(ids, weighted, first_seen):
    weights = [1 + (i % 4) for i in range(len(ids))] if weighted else None
    batch = as_batch(np.asarray(ids, dtype=np.int64), weights)
    keys, counts = aggregate(batch, first_seen=first_seen)
    truth: Counter = Counter()
    for i, x in enumerate(ids):
        truth[x] += weights[i] if weights else 1
    assert dict(zip(keys.tolist(), counts.tolist(), strict=True)) == dict(truth)
    if first_seen:
        assert keys.tolist() == list(dict.fromkeys(ids))
    else:
        assert keys.tolist() == sorted(truth)


@given(st.lists(st.text(max_size=3), max_size=50))
def test_string_batches_keep_first_seen_order(words):
    keys, counts = aggregate(as_batch(words))
    assert keys == list(dict.fromkeys(words))
    assert counts.tolist() == [words.count(w) for w in keys]
