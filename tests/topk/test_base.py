"""Batch validation and per-item aggregation (dense counting sort and np.unique paths)."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import topk_texts
from twitterdesign.topk import _base
from twitterdesign.topk._base import aggregate, as_batch, distinct_index

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
    else:  # ascending from the counting sort, or first-seen from the hash grouping
        assert keys.tolist() in (sorted(truth), list(dict.fromkeys(ids)))


def test_large_sparse_batches_group_in_chunks_exactly():
    rng = np.random.default_rng(5)
    ids = rng.choice(rng.integers(-(2**63), 2**63 - 1, size=50_000), size=700_000)
    weights = rng.integers(1, 1000, size=len(ids))
    keys, counts = aggregate(as_batch(ids, weights))
    uniq, inverse = np.unique(ids, return_inverse=True)
    truth = np.bincount(inverse, weights=weights).astype(np.int64)
    assert dict(zip(keys.tolist(), counts.tolist(), strict=True)) == dict(
        zip(uniq.tolist(), truth.tolist(), strict=True)
    )
    _, first = np.unique(ids, return_index=True)
    assert keys.tolist() == ids[np.sort(first)].tolist()  # first-seen order


def test_int_grouping_survives_a_table_that_always_collides(monkeypatch):
    from twitterdesign.topk import _packed

    monkeypatch.setattr(
        _packed, "key_digest", lambda keys, round_=0: np.zeros(keys.shape[1], np.uint64)
    )
    ids = np.arange(1, 2001, dtype=np.int64) * 7_919_000_000_003  # sparse: no counting sort
    assert len(ids) >= _base._INT_GROUPED  # the hash grouping is tried first
    keys, counts = aggregate(as_batch(np.concatenate([ids, ids[:10]])))
    assert keys.tolist() == ids.tolist()
    assert counts.tolist() == [2] * 10 + [1] * 1990


@given(st.lists(st.text(max_size=3), max_size=50))
def test_string_batches_keep_first_seen_order(words):
    keys, counts = aggregate(as_batch(words))
    assert keys == list(dict.fromkeys(words))
    assert counts.tolist() == [words.count(w) for w in keys]


@given(
    st.one_of(
        st.lists(st.one_of(st.integers(-5, 40), int64s), max_size=200),
        st.lists(topk_texts, min_size=64, max_size=200),  # the packed path
        st.lists(st.one_of(st.integers(0, 3), topk_texts), max_size=100),  # mixed: a dict
    )
)
def test_distinct_index_maps_every_event_to_its_item(items):
    batch = as_batch(
        np.asarray(items, dtype=np.int64) if all(type(x) is int for x in items) and items else items
    )
    keys, index = distinct_index(batch)
    listed = keys.tolist() if isinstance(keys, np.ndarray) else keys
    assert listed == list(dict.fromkeys(items))
    assert [listed[i] for i in index.tolist()] == list(items)
