"""Request-level policies: semantics, invariants, bad input."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import lb_operations, seeds
from twitterdesign.errors import InvalidParameterError, NoBackendAvailable
from twitterdesign.lb import (
    POLICY_NAMES,
    Balancer,
    LeastLoaded,
    PeakEwma,
    PowerOfTwoChoices,
    RandomChoice,
    RoundRobin,
    make_balancer,
)


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_every_policy_satisfies_the_protocol(name: str) -> None:
    b = make_balancer(name, 5, client_index=0, client_count=2, rng=0)
    assert isinstance(b, Balancer)
    i = b.pick()
    b.on_start(i)
    b.on_finish(i, 0.01)
    b._check()


@pytest.mark.parametrize("name", POLICY_NAMES)
@given(ops=lb_operations, seed=seeds, n=st.integers(1, 12))
def test_operation_scripts_keep_invariants(
    name: str, ops: list[tuple[str, int]], seed: int, n: int
) -> None:
    """Any mix of picks, finishes and health changes keeps the invariants, and a pick
    never fails while a backend is healthy."""
    b = make_balancer(name, n, client_index=seed % 3, client_count=3, aperture=1, rng=seed)
    inflight: list[int] = []
    for op, arg in ops:
        i = arg % n
        if op == "pick":
            if b.healthy_backends == 0:
                with pytest.raises(NoBackendAvailable):
                    b.pick()
                continue
            j = b.pick()
            assert 0 <= j < n
            b.on_start(j)
            inflight.append(j)
        elif op == "finish" and inflight:
            b.on_finish(inflight.pop(arg % len(inflight)), arg / 10)
        elif op == "down":
            b.mark_down(i)
        elif op == "up":
            b.mark_up(i)
        b._check()
    assert sum(b.outstanding(k) for k in range(n)) == len(inflight)


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_all_backends_down_raises_instead_of_looping(name: str) -> None:
    b = make_balancer(name, 4, rng=0)
    for i in range(4):
        b.mark_down(i)
    with pytest.raises(NoBackendAvailable):
        b.pick()


@pytest.mark.parametrize("cls", [RoundRobin, LeastLoaded])
@given(seed=seeds, n=st.integers(2, 20), down=st.sets(st.integers(0, 19)))
def test_deterministic_scans_never_pick_a_down_backend(
    cls: type[RoundRobin] | type[LeastLoaded], seed: int, n: int, down: set[int]
) -> None:
    b = cls(n, rng=seed)
    down = {d for d in down if d < n}
    if len(down) == n:
        down.pop()
    for d in down:
        b.mark_down(d)
    for _ in range(3 * n):
        assert b.pick() not in down


@given(seed=seeds, n=st.integers(2, 30), down=st.integers(0, 29))
def test_p2c_with_one_backend_down_never_picks_it(seed: int, n: int, down: int) -> None:
    """Two distinct picks always include a healthy one, and health wins."""
    b = PowerOfTwoChoices(n, rng=seed)
    b.mark_down(down % n)
    assert all(b.pick() != down % n for _ in range(50))


@given(seed=seeds, n=st.integers(2, 30))
def test_p2c_never_picks_the_single_most_loaded_backend(seed: int, n: int) -> None:
    """The strictly most loaded backend loses every comparison it is part of."""
    b = PowerOfTwoChoices(n, rng=seed)
    heavy = seed % n
    b.on_start(heavy)
    assert all(b.pick() != heavy for _ in range(50))


def test_p2c_panic_mode_sends_to_a_down_backend_after_max_effort() -> None:
    b = PowerOfTwoChoices(10, max_effort=1, rng=5)
    for i in range(9):
        b.mark_down(i)
    picks = Counter(b.pick() for _ in range(2000))
    # With one healthy of ten, a single pair contains it with probability 2/10 = 0.2;
    # otherwise panic mode sends to the (unhealthy) winner anyway.
    assert 0.15 < picks[9] / 2000 < 0.25


def test_p2c_unloaded_picks_are_uniform() -> None:
    n, draws = 5, 20000
    b = PowerOfTwoChoices(n, rng=2)
    counts = Counter(b.pick() for _ in range(draws))
    expected = draws / n
    chi2 = sum((counts[i] - expected) ** 2 / expected for i in range(n))
    assert chi2 < 18.47  # chi-square 0.999 quantile, 4 degrees of freedom


def test_random_choice_prefers_healthy_backends() -> None:
    b = RandomChoice(4, max_effort=5, rng=9)
    b.mark_down(0)
    picks = Counter(b.pick() for _ in range(4000))
    # A down pick survives five uniform draws with probability (1/4)^5.
    assert picks[0] < 20


def test_least_loaded_breaks_ties_at_random() -> None:
    b = LeastLoaded(4, rng=3)
    b.on_start(0)
    picks = Counter(b.pick() for _ in range(3000))
    assert 0 not in picks
    assert all(800 < picks[i] < 1200 for i in (1, 2, 3))


def test_round_robin_cycles_and_skips_down() -> None:
    b = RoundRobin(4, rng=0)
    b.mark_down(2)
    seq = [b.pick() for _ in range(9)]
    assert 2 not in seq
    assert all(seq[k + 3] == seq[k] for k in range(6))


def test_peak_ewma_cost_follows_the_formula() -> None:
    now = [0.0]
    tau = 10.0
    b = PeakEwma(2, decay_s=tau, clock=lambda: now[0], rng=0)
    b.on_start(0)
    b.on_finish(0, 1.0)  # slower than cost 0: replaces it at once
    assert b.cost(0) == 1.0
    now[0] = 5.0
    b.on_start(0)
    b.on_finish(0, 0.5)
    w = math.exp(-5.0 / tau)
    expected = 1.0 * w + 0.5 * (1 - w)
    assert b.cost(0) == pytest.approx(expected)
    now[0] = 15.0  # cost() observes 0 after 10 s of silence
    assert b.cost(0) == pytest.approx(expected * math.exp(-10.0 / tau))
    b.on_start(0)
    b.on_finish(0, 3.0)  # a peak replaces the average at once
    assert b.cost(0) == 3.0
    b.on_start(0)
    b.on_start(0)
    assert b.load(0) == pytest.approx(3.0 * 3)


def test_peak_ewma_penalises_in_flight_without_history() -> None:
    b = PeakEwma(3, clock=lambda: 0.0, rng=0)
    b.on_start(1)
    assert b.load(1) == PeakEwma.PENALTY + 1
    assert b.load(0) == 0.0
    assert all(b.pick() != 1 for _ in range(50))


@given(
    latencies=st.lists(st.floats(0.0, 100.0), min_size=1, max_size=30),
    gaps=st.lists(st.floats(0.0, 50.0), min_size=30, max_size=30),
)
def test_peak_ewma_cost_stays_between_zero_and_the_peak(
    latencies: list[float], gaps: list[float]
) -> None:
    now = [0.0]
    b = PeakEwma(1, clock=lambda: now[0], rng=0)
    for lat, gap in zip(latencies, gaps, strict=False):
        now[0] += gap
        b.on_start(0)
        b.on_finish(0, lat)
        cost = b.cost(0)
        assert 0.0 <= cost <= max(latencies) + 1e-12
        # Right after an observation (no time passed) the cost is at least that latency.
        assert cost >= lat * (1 - 1e-12)


@pytest.mark.parametrize(
    ("call", "param"),
    [
        (lambda: RoundRobin(0), "backends"),
        (lambda: PowerOfTwoChoices(3, max_effort=0), "max_effort"),
        (lambda: PeakEwma(3, decay_s=float("nan")), "decay_s"),
        (lambda: PeakEwma(3, decay_s=-1.0), "decay_s"),
        (lambda: make_balancer("fastest", 3), "name"),
        (lambda: make_balancer("random-aperture", 3, aperture=4), "aperture"),
        (lambda: PowerOfTwoChoices(3).on_start(3), "i"),
        (lambda: PowerOfTwoChoices(3).on_finish(0, 0.1), "i"),
        (lambda: PowerOfTwoChoices(3).mark_down(-1), "i"),
        (lambda: PowerOfTwoChoices(3).set_load_view([1.0]), "loads"),
        (lambda: PeakEwma(3, clock=3.0), "clock"),  # type: ignore[arg-type]
    ],
)
def test_bad_input_names_the_parameter(call: object, param: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        call()  # type: ignore[operator]
    assert info.value.name == param


@pytest.mark.parametrize("latency", [float("nan"), -0.1, float("inf")])
def test_bad_latency_is_rejected(latency: float) -> None:
    b = PowerOfTwoChoices(2, rng=0)
    b.on_start(0)
    with pytest.raises(InvalidParameterError, match="latency_s"):
        b.on_finish(0, latency)


def test_update_backends_keeps_surviving_state() -> None:
    b = PeakEwma(3, clock=lambda: 0.0, rng=0)
    b.on_start(1)
    b.on_finish(1, 0.2)
    b.on_start(0)
    b.update_backends(5)
    assert b.backends == 5
    assert b.outstanding(0) == 1
    assert b.cost(1) == 0.2
    b.update_backends(1)
    assert b.backends == 1
    assert b.outstanding(0) == 1
    b._check()


def test_same_seed_same_picks() -> None:
    a = PowerOfTwoChoices(10, rng=42)
    b = PowerOfTwoChoices(10, rng=42)
    assert [a.pick() for _ in range(100)] == [b.pick() for _ in range(100)]
