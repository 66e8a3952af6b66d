"""Stream generators: the Zipf law holds, seeds reproduce, bursts are where they should be."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import seeds
from twitterdesign.errors import InvalidParameterError
from twitterdesign.topk import tweet_view_stream, zipf_stream


@given(seeds, st.floats(0.0, 2.0), st.integers(1, 50))
def test_zipf_is_reproducible_and_in_range(seed, exponent, n_items):
    a = zipf_stream(500, n_items, exponent, rng=seed)
    b = zipf_stream(500, n_items, exponent, rng=seed)
    assert np.array_equal(a, b)
    assert a.dtype == np.int64
    assert a.min() >= 0
    assert a.max() < n_items


def test_zipf_frequencies_follow_the_law():
    n, n_items, s = 400_000, 50, 1.1
    ids = zipf_stream(n, n_items, s, rng=11)
    p = np.arange(1, n_items + 1, dtype=float) ** -s
    p /= p.sum()
    observed = np.bincount(ids, minlength=n_items) / n
    # Binomial standard error is sqrt(p(1-p)/n) <= 0.0008; allow 6 of them.
    assert np.all(np.abs(observed - p) <= 6 * np.sqrt(p * (1 - p) / n))


def test_tweet_view_stream_shape():
    s = tweet_view_stream(50_000, n_tweets=2_000, viral=3, viral_share=0.4, rng=2)
    assert len(s) == 50_000
    assert np.all(np.diff(s.timestamps_s) >= 0)
    assert s.timestamps_s.min() >= 0
    assert s.timestamps_s.max() <= s.duration_s
    viral_views = np.isin(s.tweet_ids, s.viral_ids).sum()
    assert viral_views == round(50_000 * 0.4)
    assert s.tweet_ids.min() > 10**18
    d = s.to_dict()
    assert len(d["tweet_ids"]) == 50_000


def test_tweet_view_stream_without_viral():
    s = tweet_view_stream(1000, n_tweets=100, viral=0, rng=1)
    assert len(s.viral_ids) == 0
    assert len(s) == 1000


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n": -1, "n_items": 3, "exponent": 1.0}, "n"),
        ({"n": 1, "n_items": 0, "exponent": 1.0}, "n_items"),
        ({"n": 1, "n_items": 3, "exponent": float("nan")}, "exponent"),
        ({"n": 1, "n_items": 3, "exponent": -1}, "exponent"),
    ],
)
def test_zipf_bad_input(kwargs, name):
    with pytest.raises(InvalidParameterError, match=name):
        zipf_stream(**kwargs)


def test_tweet_view_stream_bad_input():
    with pytest.raises(InvalidParameterError, match="viral_share"):
        tweet_view_stream(10, viral_share=1.5)
    with pytest.raises(InvalidParameterError, match="duration_s"):
        tweet_view_stream(10, duration_s=0)


@given(seeds, st.integers(0, 4), st.floats(0.0, 1.0))
def test_tweet_view_stream_properties(seed, viral, share):
    s = tweet_view_stream(2_000, n_tweets=300, viral=viral, viral_share=share, rng=seed)
    assert len(s) == 2_000
    assert np.all(np.diff(s.timestamps_s) >= 0)
    assert s.timestamps_s.min() >= 0
    assert s.timestamps_s.max() <= s.duration_s
    expected_viral = round(2_000 * share) if viral else 0
    assert len(s.viral_ids) == (viral if expected_viral else 0)
    assert int(np.isin(s.tweet_ids, s.viral_ids).sum()) == expected_viral
    again = tweet_view_stream(2_000, n_tweets=300, viral=viral, viral_share=share, rng=seed)
    assert np.array_equal(again.tweet_ids, s.tweet_ids)
