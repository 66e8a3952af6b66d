"""Balls into bins and connection plans against independent theory."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import lb_cluster_shapes, seeds
from twitterdesign.errors import InvalidParameterError
from twitterdesign.lb import PLAN_KINDS, balls_into_bins, connection_plan


def _poisson_max_quantile(n: int, q: float) -> int:
    """Smallest k with P(max of n iid Poisson(1) ≤ k) ≥ q (Poissonisation of one choice)."""
    cdf, term, k = 0.0, math.exp(-1.0), 0
    while True:
        cdf += term
        if cdf**n >= q:
            return k
        k += 1
        term /= k


def _two_choice_fluid_max(n: int) -> int:
    """Mitzenmacher's fluid limit for d=2, m=n: s_i' = s_{i-1}^2 - s_i^2 on t ∈ [0, 1];
    the predicted max load is the largest i with n·s_i ≥ 1."""
    levels = 12
    s = np.zeros(levels + 1)
    s[0] = 1.0
    steps = 4000
    dt = 1.0 / steps
    for _ in range(steps):
        ds = np.zeros_like(s)
        ds[1:] = s[:-1] ** 2 - s[1:] ** 2
        s = s + dt * ds
    return max(i for i in range(levels + 1) if n * s[i] >= 1.0)


@pytest.mark.parametrize("n", [1_000, 10_000, 100_000])
def test_one_choice_max_load_matches_poisson_theory(n: int) -> None:
    lo, hi = _poisson_max_quantile(n, 0.001), _poisson_max_quantile(n, 0.999)
    for seed in range(3):
        r = balls_into_bins(n, n, choices=1, rng=seed)
        assert lo <= r.max_load <= hi
        assert r.max_load >= r.theory  # ln n / ln ln n is a lower-order term


@pytest.mark.parametrize("n", [1_000, 10_000, 100_000])
def test_two_choices_max_load_matches_the_fluid_limit(n: int) -> None:
    predicted = _two_choice_fluid_max(n)
    r = balls_into_bins(n, n, choices=2, rng=0)
    assert predicted - 1 <= r.max_load <= predicted + 1
    # ln ln n / ln 2 + O(1), with the O(1) small.
    assert abs(r.max_load - math.log(math.log(n)) / math.log(2)) <= 2


@pytest.mark.slow
def test_two_choices_at_a_million() -> None:
    one = balls_into_bins(10**6, 10**6, choices=1, rng=1)
    two = balls_into_bins(10**6, 10**6, choices=2, rng=1)
    assert two.max_load <= _two_choice_fluid_max(10**6) + 1
    assert one.max_load >= _poisson_max_quantile(10**6, 0.001)


@given(balls=st.integers(0, 3000), bins=st.integers(1, 200), d=st.integers(1, 4), seed=seeds)
def test_histogram_accounts_for_every_ball(balls: int, bins: int, d: int, seed: int) -> None:
    r = balls_into_bins(balls, bins, choices=d, rng=seed)
    hist = r.load_histogram
    assert sum(hist) == bins
    assert sum(k * c for k, c in enumerate(hist)) == balls
    assert r.max_load == len(hist) - 1
    assert r.max_load >= math.ceil(balls / bins)


def test_random_subsetting_matches_the_sre_book() -> None:
    """300 clients, 300 backends, subsets of 30%: loads spread ≈ 63%..121% of the mean;
    independently, a backend's client count is Binomial(300, 0.3), sd ≈ 7.9 on 90."""
    spans = []
    for seed in range(5):
        p = connection_plan(300, 300, kind="random-aperture", aperture=90, rng=seed)
        spans.append((p.min_over_mean, p.max_over_mean))
        assert p.connections_total == 300 * 90
    sd = math.sqrt(300 * 0.3 * 0.7) / 90
    for lo, hi in spans:
        assert 1 - 4.5 * sd < lo < 1 - 2 * sd
        assert 1 + 2 * sd < hi < 1 + 4.5 * sd
    det = connection_plan(300, 300, kind="continuous-ring", aperture=90)
    assert det.max_over_mean == pytest.approx(1.0)
    assert det.min_over_mean == pytest.approx(1.0)


@given(shape=lb_cluster_shapes)
def test_continuous_ring_is_always_even(shape: tuple[int, int, int]) -> None:
    c, s, a = shape
    p = connection_plan(c, s, kind="continuous-ring", aperture=a)
    assert p.max_over_mean == pytest.approx(1.0)
    assert p.min_over_mean == pytest.approx(1.0)
    assert p.connections_total <= c * s


@given(shape=lb_cluster_shapes, seed=seeds)
def test_plans_conserve_load_and_count_connections(shape: tuple[int, int, int], seed: int) -> None:
    c, s, a = shape
    for kind in PLAN_KINDS:
        p = connection_plan(c, s, kind=kind, aperture=a, rng=seed)
        assert sum(p.server_load) == pytest.approx(s)
        expected = c * s if kind == "full-mesh" else p.connections_total
        if kind in ("random-aperture", "discrete-ring"):
            expected = c * a
        assert p.connections_total == expected


def test_the_lessons_path_shape() -> None:
    """Full mesh: many connections, even; random aperture: few, uneven; discrete ring
    of 3: few, uneven when S does not divide C; continuous ring: few and even."""
    c, s = 50, 20
    mesh = connection_plan(c, s, kind="full-mesh")
    rnd = connection_plan(c, s, kind="random-aperture", aperture=3, rng=0)
    disc = connection_plan(c, s, kind="discrete-ring", aperture=3)
    cont = connection_plan(c, s, kind="continuous-ring", aperture=3)
    assert mesh.connections_total == 1000
    assert rnd.connections_total == disc.connections_total == 150
    assert cont.connections_total < 250
    assert mesh.max_over_mean == pytest.approx(1.0)
    assert rnd.max_over_mean > 1.3
    assert disc.max_over_mean > 1.05  # 50 clients on 20 servers: 2 or 3 windows start
    assert cont.max_over_mean == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda: balls_into_bins(10, 0), "bins"),
        (lambda: balls_into_bins(-1, 10), "balls"),
        (lambda: balls_into_bins(10, 10, choices=0), "choices"),
        (lambda: connection_plan(0, 10), "clients"),
        (lambda: connection_plan(10, 0), "servers"),
        (lambda: connection_plan(10, 10, aperture=11), "aperture"),
        (lambda: connection_plan(10, 10, kind="hexagonal"), "kind"),
    ],
)
def test_bad_input_names_the_parameter(call: object, param: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        call()  # type: ignore[operator]
    assert info.value.name == param
