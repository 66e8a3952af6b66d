"""Sharded counters: exact totals, spread of writes, write-combining, merge, bytes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import seeds, topk_weighted_streams
from tests.topk._truth import true_counts
from twitterdesign.errors import CorruptDataError, IncompatibleError, InvalidParameterError
from twitterdesign.topk import ShardedCounter, SpaceSaving

shard_counts = st.integers(min_value=1, max_value=16)


@given(topk_weighted_streams, shard_counts, seeds)
def test_value_is_exact_sum_of_increments(stream, shards, seed):
    counter = ShardedCounter(shards, rng=seed)
    for item, w in stream:
        s = counter.increment(item, w)
        assert 0 <= s < shards
    truth = true_counts(stream)
    for item, c in truth.items():
        assert counter.value(item) == c
        assert int(counter.shard_values(item).sum()) == c
    assert counter.total_weight == sum(truth.values())
    assert int(counter.shard_writes().sum()) == len(stream)
    counter._check()


@given(topk_weighted_streams, shard_counts, seeds)
def test_combine_matches_per_event_increments_with_fewer_writes(stream, shards, seed):
    combined = ShardedCounter(shards, rng=seed)
    result = combined.combine([x for x, _ in stream], [w for _, w in stream])
    truth = true_counts(stream)
    assert result.events == len(stream)
    assert result.keys == result.shard_writes == len(truth)
    for item, c in truth.items():
        assert combined.value(item) == c
    combined._check()


@given(topk_weighted_streams, topk_weighted_streams, shard_counts)
def test_merge_and_roundtrip(s1, s2, shards):
    a, b = ShardedCounter(shards, rng=1), ShardedCounter(shards, rng=2)
    for item, w in s1:
        a.increment(item, w)
    b.combine([x for x, _ in s2], [w for _, w in s2])
    a.merge(b)
    truth = true_counts(s1 + s2)
    back = ShardedCounter.from_bytes(a.to_bytes())
    for item, c in truth.items():
        assert a.value(item) == c == back.value(item)
        assert np.array_equal(a.shard_values(item), back.shard_values(item))
    if truth:
        k = len(truth)
        assert [h.item for h in back.top_k(k)] == [h.item for h in a.top_k(k)]
        expected = sorted(truth.values(), reverse=True)
        assert [h.estimate for h in a.top_k(k)] == expected


def test_hot_key_spreads_over_every_shard():
    counter = ShardedCounter(8, rng=0)
    for _ in range(4000):
        counter.increment(1)
    rows = counter.shard_values(1)
    assert rows.sum() == 4000
    # Uniform shard choice: each shard expects 500; 300 is > 9 standard deviations away.
    assert rows.min() > 300


def test_explicit_shard_and_unlike():
    counter = ShardedCounter(4, rng=0)
    assert counter.increment("t", 3, shard=2) == 2
    counter.increment("t", -1, shard=0)
    assert counter.value("t") == 2
    assert counter.shard_values("t").tolist() == [-1, 0, 3, 0]
    with pytest.raises(InvalidParameterError, match="amount"):
        counter.increment("t", -3)
    assert counter.value("t") == 2


def test_values_vectorized_read():
    counter = ShardedCounter(3, rng=0)
    counter.combine(np.array([5, 5, 6], dtype=np.int64))
    assert counter.values([5, 6, 7]).tolist() == [2, 1, 0]


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda c: c.increment("x", 0), "amount"),
        (lambda c: c.increment("x", 1.5), "amount"),
        (lambda c: c.increment("x", 1, shard=4), "shard"),
        (lambda c: c.increment([1], 1), "item"),
        (lambda c: c.combine(["a"], [0]), "weights"),
        (lambda c: c.update("x", -1), "weight"),
        (lambda c: c.top_k(0), "k"),
    ],
)
def test_bad_input(call, name):
    counter = ShardedCounter(4, rng=0)
    with pytest.raises(InvalidParameterError, match=name):
        call(counter)


def test_bad_shards_merge_and_bytes():
    with pytest.raises(InvalidParameterError, match="shards"):
        ShardedCounter(0)
    with pytest.raises(IncompatibleError):
        ShardedCounter(2).merge(ShardedCounter(3))
    data = ShardedCounter(2, rng=0)
    data.increment("a")
    raw = data.to_bytes()
    for cut in range(len(raw)):
        with pytest.raises(CorruptDataError):
            ShardedCounter.from_bytes(raw[:cut])
    with pytest.raises(CorruptDataError, match="SpaceSaving"):
        ShardedCounter.from_bytes(SpaceSaving(2).to_bytes())
