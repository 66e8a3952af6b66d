"""HeavyKeeper: never overcounts, finds elephants, seeded runs are reproducible."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import seeds, topk_weighted_streams
from tests.topk._truth import feed, true_counts
from twitterdesign.errors import IncompatibleError, InvalidParameterError
from twitterdesign.topk import HeavyKeeper

widths = st.integers(min_value=1, max_value=16)


@given(topk_weighted_streams, widths, st.integers(1, 3), seeds, st.sampled_from([0, 5]))
def test_never_overestimates(stream, width, depth, seed, batch):
    hk = HeavyKeeper(width, depth, k=4, rng=seed)
    feed(hk, stream, batch=batch)
    hk._check()
    for item, true in true_counts(stream).items():
        assert 0 <= hk.estimate(item) <= true
        assert hk.bounds(item) == (hk.estimate(item), hk.total_weight)
    for h in hk.top_k(4):
        assert h.estimate <= true_counts(stream)[h.item]


@given(topk_weighted_streams, seeds, st.sampled_from([4, 64]))
def test_batch_equals_weighted_updates_in_first_seen_order(stream, seed, width):
    # width 64: single updates write through numpy views, big batches use lists.
    batched = HeavyKeeper(width, 2, k=3, rng=seed)
    batched.update_many([x for x, _ in stream], [w for _, w in stream])
    single = HeavyKeeper(width, 2, k=3, rng=seed)
    for item, w in true_counts(stream).items():  # dicts keep first-seen order
        single.update(item, w)
    assert single.to_bytes() == batched.to_bytes()


@given(topk_weighted_streams, topk_weighted_streams, seeds)
def test_merge_never_overestimates(s1, s2, seed):
    a, b = HeavyKeeper(6, 2, k=4, rng=seed), HeavyKeeper(6, 2, k=4, rng=seed + 1)
    feed(a, s1, batch=4)
    feed(b, s2, batch=4)
    a.merge(b)
    a._check()
    for item, true in true_counts(s1 + s2).items():
        assert a.estimate(item) <= true


def test_finds_elephants_and_undercounts_mice():
    rng = np.random.default_rng(5)
    mice = rng.integers(1_000, 100_000, size=20_000)
    elephants = np.repeat(np.arange(5), 2_000)
    ids = np.concatenate([mice, elephants])
    rng.shuffle(ids)
    hk = HeavyKeeper(256, 2, k=5, rng=1)
    for x in ids.tolist():
        hk.update(x)
    assert {h.item for h in hk.top_k(5)} == set(range(5))
    for h in hk.top_k(5):
        assert 0.9 * 2_000 <= h.estimate <= 2_000


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"decay": 1.0}, "decay"), ({"decay": 0.5}, "decay"), ({"k": 0}, "k")],
)
def test_bad_configuration(kwargs, name):
    with pytest.raises(InvalidParameterError, match=name):
        HeavyKeeper(8, 2, **kwargs)


def test_merge_mismatch():
    with pytest.raises(IncompatibleError):
        HeavyKeeper(8, 2).merge(HeavyKeeper(8, 2, decay=1.1))


def test_huge_counts_do_not_decay_or_crash():
    hk = HeavyKeeper(1, 1, k=2, rng=0)
    hk.update("elephant", 100_000)
    hk.update("mouse", 50_000)  # decay probability 1.08**-100000 underflows to 0
    assert hk.estimate("elephant") == 100_000
    assert hk.estimate("mouse") == 0


def test_late_elephant_is_undercounted_but_never_overcounted():
    # Where HeavyKeeper is unreliable: early heavy items own the buckets with large
    # counts, so a tweet that goes viral later decays them only with tiny probability.
    hk = HeavyKeeper(4, 1, k=8, rng=3)
    for early in range(40):  # enough to own all four buckets with large counts
        hk.update(early, 200)
    for _ in range(100):
        hk.update("late-viral")
    assert hk.estimate("late-viral") < 100
    assert hk.bounds("late-viral")[1] == hk.total_weight
