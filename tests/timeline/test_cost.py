"""evaluate_policy and threshold_sweep against direct computation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import seeds
from tests.timeline.test_policies import costs, graphs_with_activity
from twitterdesign.errors import InvalidParameterError
from twitterdesign.timeline import (
    Activity,
    FollowerGraph,
    HybridThreshold,
    PushAll,
    activity_model,
    default_thresholds,
    evaluate_policy,
    power_law_graph,
    threshold_sweep,
)


@given(graphs_with_activity(), st.integers(0, 12), costs, costs, st.booleans())
def test_evaluate_matches_an_edge_loop(
    data: tuple[FollowerGraph, Activity], threshold: int, h: float, l_: float, skip: bool
) -> None:
    g, a = data
    policy = HybridThreshold(threshold, skip_inactive=skip)
    writes = fetches = 0.0
    pushed = 0
    for follower, author in zip(*(x.tolist() for x in g.to_edges()), strict=True):
        inactive = bool(a.inactive[follower])
        if g.follower_count(author) <= threshold and not (skip and inactive):
            writes += float(a.tweet_rate_per_s[author])
            pushed += 1
        elif not inactive:
            fetches += float(a.read_rate_per_s[follower])
    cost = evaluate_policy(g, a, policy, push_cost=h, pull_cost=l_)
    assert cost.pushed_edges == pushed
    assert cost.push_writes_per_s == pytest.approx(writes, rel=1e-9, abs=1e-12)
    assert cost.pull_fetches_per_s == pytest.approx(fetches, rel=1e-9, abs=1e-12)
    assert cost.total_cost_per_s == pytest.approx(h * writes + l_ * fetches, rel=1e-9, abs=1e-12)
    assert cost.to_dict()["policy"] == policy.name


@given(
    graphs_with_activity(),
    costs,
    costs,
    st.booleans(),
    st.lists(st.integers(0, 15), min_size=1, max_size=6),
)
def test_sweep_equals_one_evaluation_per_threshold(
    data: tuple[FollowerGraph, Activity], h: float, l_: float, skip: bool, ts: list[int]
) -> None:
    g, a = data
    sweep = threshold_sweep(g, a, ts, push_cost=h, pull_cost=l_, skip_inactive=skip)
    assert list(sweep.thresholds) == sorted(set(ts))
    for t, total in zip(sweep.thresholds, sweep.total_cost_per_s, strict=True):
        direct = evaluate_policy(
            g, a, HybridThreshold(t, skip_inactive=skip), push_cost=h, pull_cost=l_
        ).total_cost_per_s
        assert total == pytest.approx(direct, rel=1e-9, abs=1e-12)
    assert sweep.best_cost_per_s == min(sweep.total_cost_per_s)
    counts = g.follower_counts.tolist()
    for t, largest in zip(sweep.thresholds, sweep.largest_pushed_followers, strict=True):
        assert largest == max([c for c in counts if c <= t], default=0)
    assert sweep.per_edge_optimal_cost_per_s <= sweep.best_cost_per_s * (1 + 1e-12) + 1e-12


@settings(max_examples=5, deadline=None)
@given(seed=seeds)
def test_threshold_sweep_has_an_interior_optimum_on_power_law_graphs(seed: int) -> None:
    # Large enough that some accounts lie above the push/pull crossover (~1,000 followers).
    g = power_law_graph(50_000, rng=seed)
    a = activity_model(g, rng=seed + 1)
    sweep = threshold_sweep(g, a)
    assert sweep.thresholds[0] == 0
    assert sweep.thresholds[-1] == int(g.follower_counts.max())
    assert sweep.is_interior
    assert 0 < sweep.best_threshold < sweep.thresholds[-1]
    push_all = evaluate_policy(g, a, PushAll()).total_cost_per_s
    assert sweep.total_cost_per_s[-1] == pytest.approx(push_all, rel=1e-9)


def test_default_thresholds_and_errors() -> None:
    assert default_thresholds(0) == [0]
    grid = default_thresholds(50_000)
    assert grid[0] == 0
    assert grid[-1] == 50_000
    assert np.all(np.diff(grid) > 0)
    g = power_law_graph(500, mean_followees=5, rng=1)
    a = activity_model(g, rng=2)
    with pytest.raises(InvalidParameterError, match="thresholds"):
        threshold_sweep(g, a, [-1])
    with pytest.raises(InvalidParameterError, match="thresholds"):
        threshold_sweep(g, a, [])
    with pytest.raises(InvalidParameterError, match="push_cost"):
        evaluate_policy(g, a, PushAll(), push_cost=0)
    with pytest.raises(InvalidParameterError, match="policy"):
        evaluate_policy(g, a, "push")  # type: ignore[arg-type]
    assert threshold_sweep(g, a, [3]).to_dict()["thresholds"] == [3]
