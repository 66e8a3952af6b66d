"""Activity and activity_model."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import seeds
from twitterdesign.errors import InvalidParameterError
from twitterdesign.timeline import Activity, activity_model, power_law_graph

GRAPH = power_law_graph(4_000, rng=3)


@settings(max_examples=20)
@given(
    seed=seeds,
    tweets=st.floats(0.1, 50.0),
    reads=st.floats(0.1, 500.0),
    sigma=st.floats(0.0, 2.0),
)
def test_means_are_the_requested_ones(seed: int, tweets: float, reads: float, sigma: float) -> None:
    a = activity_model(GRAPH, tweets_per_day=tweets, reads_per_day=reads, sigma=sigma, rng=seed)
    assert a.tweet_rate_per_s.mean() * 86_400 == pytest.approx(tweets, rel=1e-9)
    assert a.read_rate_per_s.mean() * 86_400 == pytest.approx(reads, rel=1e-9)
    assert np.all(a.tweet_rate_per_s >= 0)


def test_tweet_rate_grows_with_followers() -> None:
    a = activity_model(GRAPH, sigma=0.0, tweet_degree_exponent=0.5, rng=1)
    order = np.argsort(GRAPH.follower_counts)
    assert np.all(np.diff(a.tweet_rate_per_s[order]) >= -1e-18)
    flat = activity_model(GRAPH, sigma=0.0, tweet_degree_exponent=0.0, rng=1)
    assert np.ptp(flat.tweet_rate_per_s) == pytest.approx(0.0, abs=1e-18)


@settings(max_examples=10)
@given(seed=seeds, dormant=st.floats(0.0, 0.9))
def test_dormant_users_never_read_and_are_inactive(seed: int, dormant: float) -> None:
    a = activity_model(GRAPH, dormant_fraction=dormant, rng=seed)
    zero = a.read_rate_per_s == 0
    assert np.all(a.inactive[zero])
    assert np.all(a.effective_read_rate_per_s[a.inactive] == 0)
    # Binomial: the dormant share is within 5 standard deviations of the request.
    sd = math.sqrt(dormant * (1 - dormant) / GRAPH.n_users)
    assert zero.mean() == pytest.approx(dormant, abs=5 * sd + 1e-12)


def test_inactivity_window_probability() -> None:
    # Every user reads once every 10 days; P(no read in 30 days) = e^-3.
    a = activity_model(
        GRAPH, reads_per_day=0.1, sigma=0.0, read_degree_exponent=0.0, inactive_days=30, rng=9
    )
    p = math.exp(-3.0)
    sd = math.sqrt(p * (1 - p) / GRAPH.n_users)
    assert a.inactive.mean() == pytest.approx(p, abs=5 * sd)
    off = activity_model(GRAPH, reads_per_day=0.1, inactive_days=0, rng=9)
    assert not off.inactive.any()


def test_activity_validation() -> None:
    with pytest.raises(InvalidParameterError, match="tweet_rate_per_s"):
        Activity([-1.0], [1.0])
    with pytest.raises(InvalidParameterError, match="read_rate_per_s"):
        Activity([1.0], [float("nan")])
    with pytest.raises(InvalidParameterError, match="read_rate_per_s"):
        Activity([1.0, 2.0], [1.0])
    with pytest.raises(InvalidParameterError, match="inactive"):
        Activity([1.0], [1.0], inactive=[1])
    with pytest.raises(InvalidParameterError, match="tweets_per_day"):
        activity_model(GRAPH, tweets_per_day=-1)
    with pytest.raises(InvalidParameterError, match="dormant_fraction"):
        activity_model(GRAPH, dormant_fraction=1.5)
    with pytest.raises(InvalidParameterError, match="graph"):
        activity_model("graph")  # type: ignore[arg-type]
    a = Activity([1.0, 2.0], [0.5, 0.5], inactive=[True, False])
    assert a.to_dict() == {
        "n_users": 2,
        "tweets_per_s": 3.0,
        "reads_per_s": 0.5,
        "inactive_users": 1,
    }
    with pytest.raises(ValueError, match="read-only"):
        a.tweet_rate_per_s[0] = 5.0
