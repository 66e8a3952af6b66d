"""Aperture policies and the ring they share."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import lb_cluster_shapes, seeds
from twitterdesign.errors import InvalidParameterError
from twitterdesign.lb import DeterministicAperture, RandomAperture, Ring, aperture_width


@given(shape=lb_cluster_shapes)
def test_every_server_is_covered_by_the_same_client_width(shape: tuple[int, int, int]) -> None:
    """The docstring's guarantee: summed over clients, every server's coverage is equal."""
    clients, servers, aperture = shape
    coverage = [0.0] * servers
    for c in range(clients):
        da = DeterministicAperture(
            servers, client_index=c, client_count=clients, min_aperture=aperture
        )
        for member, weight in zip(da.members(), da.weights(), strict=True):
            coverage[member] += weight
        da._check()
    # Independent computation: ceil(A*C/S) client slices of 1/C each, so every point of
    # the ring is under ceil(A*C/S) (capped at C) clients, i.e. that many full servers.
    per_server = min(clients, math.ceil(aperture * clients / servers))
    assert all(cov == pytest.approx(per_server, abs=1e-6) for cov in coverage)


@given(shape=lb_cluster_shapes)
def test_physical_aperture_covers_the_logical_one(shape: tuple[int, int, int]) -> None:
    clients, servers, aperture = shape
    for c in range(min(clients, 5)):
        da = DeterministicAperture(
            servers, client_index=c, client_count=clients, min_aperture=aperture
        )
        width = aperture_width(clients, servers, aperture)
        assert da.width == width
        assert aperture <= len(da.members()) <= min(servers, math.ceil(width * servers) + 1)
        assert len(set(da.members())) == len(da.members())


def test_aperture_is_capped_at_the_server_count() -> None:
    da = DeterministicAperture(5, client_index=0, client_count=3)
    assert da.aperture == 5
    assert da.width == 1.0
    assert sorted(da.members()) == [0, 1, 2, 3, 4]


@given(seed=seeds)
def test_ring_second_pick_is_distinct_and_uniform_over_the_rest(seed: int) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    ring = Ring(5)
    counts: Counter[int] = Counter()
    for _ in range(500):
        b = ring.try_pick_second(2, 0.0, 1.0, rng.random)
        assert b != 2
        counts[b] += 1
    assert set(counts) <= {0, 1, 3, 4}


def test_ring_pick_two_distribution_matches_weights() -> None:
    """Positions inside [0.1, 0.6) of a 4-slot ring are hit in proportion to overlap."""
    import numpy as np

    rng = np.random.default_rng(1)
    ring = Ring(4)
    counts = Counter(ring.pick(0.1, 0.5, u) for u in rng.random(40000))
    # slot 0: [0.1, 0.25) = 0.15, slot 1: 0.25, slot 2: [0.5, 0.6) = 0.1 → /0.5
    for slot, share in [(0, 0.3), (1, 0.5), (2, 0.2)]:
        assert counts[slot] / 40000 == pytest.approx(share, abs=0.01)


def test_clients_agree_on_the_ring_whatever_order_they_list_servers() -> None:
    addrs = [f"10.0.0.{i}:9000" for i in range(20)]
    shuffled = addrs[7:] + addrs[:7]
    a = DeterministicAperture(20, client_index=3, client_count=8, min_aperture=4, addresses=addrs)
    b = DeterministicAperture(
        20, client_index=3, client_count=8, min_aperture=4, addresses=shuffled
    )
    assert [addrs[i] for i in a.members()] == [shuffled[i] for i in b.members()]


def test_deterministic_picks_stay_inside_the_slice_and_respect_weights() -> None:
    da = DeterministicAperture(6, client_index=1, client_count=4, min_aperture=2, rng=4)
    picks = Counter(da.pick() for _ in range(8000))
    assert set(picks) == set(da.members())
    # Unloaded: each member is drawn in proportion to its weight (0.5, 1, 1, 0.5) of 3.
    for member, weight in zip(da.members(), da.weights(), strict=True):
        assert picks[member] / 8000 == pytest.approx(weight / 3, abs=0.03)


def test_deterministic_falls_back_when_its_slice_is_down() -> None:
    da = DeterministicAperture(10, client_index=0, client_count=5, min_aperture=2, rng=0)
    for m in da.members():
        da.mark_down(m)
    assert da.pick() not in da.members()


def test_random_aperture_widens_under_load_and_narrows_when_idle() -> None:
    now = [0.0]
    ra = RandomAperture(10, aperture=1, smooth_window_s=0.0, clock=lambda: now[0], rng=3)
    started = []
    for _ in range(12):
        i = ra.pick()
        ra.on_start(i)
        started.append(i)
        ra._check()
    # Load band [0.875, 2]: 12 outstanding need at least 12/2 = 6 servers.
    assert ra.aperture >= 6
    assert set(started) <= set(ra.members())
    for i in started:
        ra.on_finish(i, 0.01)
    assert ra.aperture == 1


def test_random_aperture_fixed_size_uses_its_subset() -> None:
    ra = RandomAperture(30, aperture=9, adaptive=False, rng=11)
    assert len(ra.members()) == 9
    assert {ra.pick() for _ in range(2000)} == set(ra.members())


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda: RandomAperture(3, aperture=4), "aperture"),
        (lambda: RandomAperture(3, min_aperture=0), "min_aperture"),
        (lambda: RandomAperture(3, low_load=2.0, high_load=1.0), "high_load"),
        (lambda: DeterministicAperture(3, client_index=3, client_count=3), "client_index"),
        (lambda: DeterministicAperture(3, client_count=0), "client_count"),
        (lambda: DeterministicAperture(2, addresses=["a", "a"]), "addresses"),
        (lambda: DeterministicAperture(2, addresses=["a"]), "addresses"),
        (lambda: aperture_width(4, 3, 5), "aperture"),
        (lambda: Ring(0), "size"),
    ],
)
def test_bad_input_names_the_parameter(call: object, param: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        call()  # type: ignore[operator]
    assert info.value.name == param


def test_update_backends_rebuilds_the_ring() -> None:
    da = DeterministicAperture(4, client_index=0, client_count=2, min_aperture=2)
    da.update_backends(8)
    assert da.backends == 8
    assert len(da.members()) == 4
    da._check()
    with_addrs = DeterministicAperture(2, addresses=["a", "b"])
    with pytest.raises(InvalidParameterError):
        with_addrs.update_backends(3)
    with_addrs.update_backends(3, addresses=["a", "b", "c"])
    with_addrs._check()


@given(n=st.integers(1, 40), seed=seeds)
def test_random_aperture_order_is_a_permutation(n: int, seed: int) -> None:
    ra = RandomAperture(n, rng=seed)
    ra._check()
    assert len(ra.members()) == 1
