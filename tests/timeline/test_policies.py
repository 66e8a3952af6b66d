"""Fan-out policies: per-edge decisions, vectorized masks, optimality, skipping inactive users."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import follow_edge_lists
from twitterdesign.errors import InvalidParameterError
from twitterdesign.timeline import (
    Activity,
    FanoutPolicy,
    FollowerGraph,
    HybridThreshold,
    PerEdgeOptimal,
    PullAll,
    PushAll,
    evaluate_policy,
)

rates = st.floats(0.0, 10.0, allow_nan=False)
costs = st.floats(0.01, 100.0)


@st.composite
def graphs_with_activity(draw: st.DrawFn) -> tuple[FollowerGraph, Activity]:
    n, src, dst = draw(follow_edge_lists())
    g = FollowerGraph(n, src, dst)
    tweets = draw(st.lists(rates, min_size=n, max_size=n))
    reads = draw(st.lists(rates, min_size=n, max_size=n))
    inactive = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    return g, Activity(tweets, reads, np.array(inactive, dtype=bool))


def _policies(threshold: int, skip: bool, h: float = 1.0, l_: float = 1.0) -> list[FanoutPolicy]:
    return [
        PushAll(skip_inactive=skip),
        PullAll(skip_inactive=skip),
        HybridThreshold(threshold, skip_inactive=skip),
        PerEdgeOptimal(push_cost=h, pull_cost=l_, skip_inactive=skip),
    ]


@given(graphs_with_activity(), st.integers(0, 12), st.booleans(), costs, costs)
def test_mask_agrees_with_the_per_edge_method(
    data: tuple[FollowerGraph, Activity], threshold: int, skip: bool, h: float, l_: float
) -> None:
    g, a = data
    for policy in _policies(threshold, skip, h, l_):
        mask = policy.push_mask(g, a)
        expected = []
        for author in range(g.n_users):
            for follower in g.followers_of(author).tolist():
                expected.append(
                    policy.pushes(
                        follower_count=g.follower_count(author),
                        tweet_rate_per_s=float(a.tweet_rate_per_s[author]),
                        read_rate_per_s=float(a.effective_read_rate_per_s[follower]),
                        follower_active=not bool(a.inactive[follower]),
                    )
                )
        assert mask.tolist() == expected, policy.name


@given(graphs_with_activity(), costs, costs, st.booleans())
def test_per_edge_optimal_is_never_beaten(
    data: tuple[FollowerGraph, Activity], h: float, l_: float, skip: bool
) -> None:
    g, a = data
    best = evaluate_policy(
        g, a, PerEdgeOptimal(push_cost=h, pull_cost=l_), push_cost=h, pull_cost=l_
    ).total_cost_per_s
    others: list[FanoutPolicy] = [PushAll(skip_inactive=skip), PullAll()]
    others += [HybridThreshold(t, skip_inactive=skip) for t in range(g.n_users + 1)]
    for policy in others:
        cost = evaluate_policy(g, a, policy, push_cost=h, pull_cost=l_).total_cost_per_s
        assert best <= cost * (1 + 1e-12) + 1e-12, policy.name


@given(graphs_with_activity(), st.integers(0, 12), costs, costs)
def test_skipping_inactive_users_never_increases_cost(
    data: tuple[FollowerGraph, Activity], threshold: int, h: float, l_: float
) -> None:
    g, a = data
    for keep, skip in zip(
        _policies(threshold, False, h, l_), _policies(threshold, True, h, l_), strict=True
    ):
        with_all = evaluate_policy(g, a, keep, push_cost=h, pull_cost=l_).total_cost_per_s
        skipped = evaluate_policy(g, a, skip, push_cost=h, pull_cost=l_).total_cost_per_s
        assert skipped <= with_all * (1 + 1e-12) + 1e-12, keep.name


def test_decisions_for_an_app() -> None:
    policy = HybridThreshold(10_000)
    assert policy.pushes(follower_count=10_000)
    assert not policy.pushes(follower_count=10_001)
    assert HybridThreshold(0).pushes(follower_count=0)
    skip = HybridThreshold(10, skip_inactive=True)
    assert not skip.pushes(follower_count=5, follower_active=False)
    assert policy.to_dict() == {
        "policy": "hybrid(T=10000)",
        "skip_inactive": False,
        "threshold": 10_000,
    }
    optimal = PerEdgeOptimal(push_cost=1.0, pull_cost=4.0)
    # Push iff r_p / r_c <= l / h = 4.
    assert optimal.pushes(follower_count=1, tweet_rate_per_s=4.0, read_rate_per_s=1.0)
    assert not optimal.pushes(follower_count=1, tweet_rate_per_s=4.1, read_rate_per_s=1.0)
    assert not optimal.pushes(
        follower_count=1, tweet_rate_per_s=0.0, read_rate_per_s=1.0, follower_active=False
    )


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: HybridThreshold(-1), "threshold"),
        (lambda: HybridThreshold(2.5), "threshold"),  # type: ignore[arg-type]
        (lambda: PerEdgeOptimal(push_cost=0), "push_cost"),
        (lambda: PerEdgeOptimal(pull_cost=-1), "pull_cost"),
        (lambda: PushAll().pushes(follower_count=-1), "follower_count"),
        (lambda: PerEdgeOptimal().pushes(follower_count=1), "tweet_rate_per_s"),
        (
            lambda: PerEdgeOptimal().pushes(follower_count=1, tweet_rate_per_s=1.0),
            "read_rate_per_s",
        ),
        (
            lambda: PerEdgeOptimal().pushes(
                follower_count=1, tweet_rate_per_s=-1.0, read_rate_per_s=1.0
            ),
            "tweet_rate_per_s",
        ),
    ],
)
def test_bad_policy_input(make: object, name: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        make()  # type: ignore[operator]
    assert info.value.name == name


def test_activity_must_match_the_graph() -> None:
    g = FollowerGraph.from_edges([0], [1])
    with pytest.raises(InvalidParameterError, match="activity"):
        PushAll().push_mask(g, Activity([1.0], [1.0]))
