"""simulate_fanout and the delivery-delay queue model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import seeds
from twitterdesign.errors import InvalidParameterError
from twitterdesign.timeline import (
    Activity,
    HybridThreshold,
    PullAll,
    PushAll,
    activity_model,
    add_celebrities,
    delivery_delay_quantiles,
    power_law_graph,
    simulate_fanout,
)

LEVELS = (0.0, 0.1, 0.5, 0.9, 0.99, 1.0)


def _all_delays(arrival: list[float], k: list[int], w: float) -> np.ndarray:
    """Expand every delivery with a plain FIFO loop (one write every 1/w seconds)."""
    free_at = 0.0
    delays = []
    for t, count in sorted(zip(arrival, k, strict=True), key=lambda p: p[0]):
        start = max(free_at, t)
        for j in range(1, count + 1):
            delays.append(start + j / w - t)
        free_at = start + count / w
    return np.array(delays)


@given(
    st.lists(st.tuples(st.floats(0.0, 100.0), st.integers(0, 40)), min_size=1, max_size=25),
    st.floats(0.5, 50.0),
)
def test_quantiles_match_expanded_deliveries(tweets: list[tuple[float, int]], w: float) -> None:
    arrival = [t for t, _ in tweets]
    k = [c for _, c in tweets]
    got = delivery_delay_quantiles(arrival, k, w, levels=LEVELS)
    delays = _all_delays(arrival, k, w)
    if delays.size == 0:
        assert got == tuple(0.0 for _ in LEVELS)
        return
    expected = np.quantile(delays, LEVELS, method="inverted_cdf")
    assert np.allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_a_celebrity_tweet_on_an_idle_pool() -> None:
    # 30M followers at 100K writes/s: the last follower waits 300 s, the median 150 s.
    assert delivery_delay_quantiles([5.0], [30_000_000], 100_000, levels=[0.5, 1.0]) == (
        pytest.approx(150.0),
        pytest.approx(300.0),
    )
    with pytest.raises(InvalidParameterError, match="workers_writes_per_s"):
        delivery_delay_quantiles([0.0], [1], 0)
    with pytest.raises(InvalidParameterError, match="recipients"):
        delivery_delay_quantiles([0.0], [-1], 1)
    with pytest.raises(InvalidParameterError, match="levels"):
        delivery_delay_quantiles([0.0], [1], 1, levels=[1.5])


GRAPH = add_celebrities(power_law_graph(3_000, rng=1), [1_500], rng=2)
ACTIVITY = activity_model(GRAPH, rng=3)


@settings(max_examples=8)
@given(seed=seeds)
def test_push_all_reads_one_cache_and_pull_all_writes_nothing(seed: int) -> None:
    push = simulate_fanout(
        GRAPH,
        ACTIVITY,
        PushAll(),
        duration_s=600,
        workers_writes_per_s=1_000,
        max_items=50,
        rng=seed,
    )
    has_followees = GRAPH.followee_counts > 0
    assert push.cached_users == int(has_followees.sum())
    assert push.sources_per_read_p50 == 1.0
    assert push.pull_fetches_per_s == 0.0
    assert push.cache_entries <= push.cached_users * 50
    assert push.cache_bytes == push.cache_entries * 20
    assert push.cache_bytes_full == push.cached_users * 50 * 20
    pull = simulate_fanout(
        GRAPH, ACTIVITY, PullAll(), duration_s=600, workers_writes_per_s=1_000, rng=seed
    )
    assert pull.deliveries == 0
    assert pull.cached_users == 0
    assert pull.cache_bytes == 0
    assert pull.delivery_delay_max_s == 0.0
    assert pull.tweets == push.tweets  # same seed, same tweets
    assert pull.sources_per_read_p99 >= pull.sources_per_read_p50 >= 0


def test_simulated_rates_agree_with_the_model() -> None:
    policy = HybridThreshold(500)
    cost = simulate_fanout(
        GRAPH, ACTIVITY, policy, duration_s=86_400 * 20, workers_writes_per_s=1e6, rng=4
    )
    assert cost.cache_writes_per_s == pytest.approx(cost.model.push_writes_per_s, rel=0.05)
    assert cost.pull_fetches_per_s == pytest.approx(cost.model.pull_fetches_per_s, rel=0.05)
    assert cost.reads_per_s == pytest.approx(
        float(ACTIVITY.effective_read_rate_per_s.sum()), rel=0.05
    )
    data = cost.to_dict()
    assert data["model"]["policy"] == "hybrid(T=500)"
    assert len(data["delay_quantiles_s"]) == len(data["delay_levels"])


def test_celebrity_tweet_delay_and_the_hybrid_fix() -> None:
    celebrity = GRAPH.n_users - 1
    followers = GRAPH.follower_count(celebrity)
    tweets = np.zeros(GRAPH.n_users)
    tweets[celebrity] = 0.01  # only the celebrity tweets: about 36 tweets an hour
    only_celebrity = Activity(tweets, ACTIVITY.read_rate_per_s)
    w = 100.0
    push = simulate_fanout(
        GRAPH, only_celebrity, PushAll(), duration_s=3_600, workers_writes_per_s=w, rng=5
    )
    assert push.tweets > 0
    assert push.deliveries == push.tweets * followers
    # Each tweet takes followers / W seconds to reach its last follower, more if queued.
    assert push.delivery_delay_max_s >= followers / w * (1 - 1e-9)
    assert push.delivery_delay_p50_s >= followers / w / 2 * (1 - 1e-9)
    hybrid = simulate_fanout(
        GRAPH,
        only_celebrity,
        HybridThreshold(1_000),
        duration_s=3_600,
        workers_writes_per_s=w,
        rng=5,
    )
    assert hybrid.deliveries == 0
    assert hybrid.delivery_delay_max_s == 0.0
    assert hybrid.pull_fetches_per_s > 0


def test_simulate_validation() -> None:
    for kwargs, name in [
        ({"duration_s": 0, "workers_writes_per_s": 1}, "duration_s"),
        ({"duration_s": 1, "workers_writes_per_s": -1}, "workers_writes_per_s"),
        ({"duration_s": 1, "workers_writes_per_s": 1, "replicas": 0}, "replicas"),
        ({"duration_s": 1, "workers_writes_per_s": 1, "max_items": 0}, "max_items"),
    ]:
        with pytest.raises(InvalidParameterError) as info:
            simulate_fanout(GRAPH, ACTIVITY, PushAll(), **kwargs)
        assert info.value.name == name


def _complete(n: int) -> tuple[list[int], list[int]]:
    pairs = [(a, b) for a in range(n) for b in range(n) if a != b]
    return [a for a, _ in pairs], [b for _, b in pairs]


@settings(max_examples=10)
@given(seed=seeds, replicas=st.integers(1, 3))
def test_exact_accounting_on_a_complete_graph(seed: int, replicas: int) -> None:
    from twitterdesign.timeline import Activity, FollowerGraph

    g = FollowerGraph(5, *_complete(5))  # everyone follows the 4 others
    a = Activity.uniform(5, tweets_per_day=86_400 / 10, reads_per_day=86_400 / 5)
    kwargs = {"duration_s": 100, "workers_writes_per_s": 50.0, "rng": seed}
    pull = simulate_fanout(g, a, PullAll(), **kwargs)
    assert pull.sources_per_read_p50 == pull.sources_per_read_p99 == 4.0
    assert pull.pull_fetches_per_s == pytest.approx(4 * pull.reads_per_s)
    push = simulate_fanout(g, a, PushAll(), replicas=replicas, max_items=10**6, **kwargs)
    assert push.deliveries == 4 * push.tweets  # each tweet to the 4 followers
    assert push.cache_entries == replicas * push.deliveries  # nothing evicted
    assert push.sources_per_read_mean == 1.0
    capped = simulate_fanout(g, a, PushAll(), replicas=replicas, max_items=1, **kwargs)
    assert capped.cache_entries == replicas * 5  # every follower received something
    # Under the threshold 3 < 4 followers, every author is pulled.
    assert simulate_fanout(g, a, HybridThreshold(3), **kwargs).deliveries == 0
