"""Regional allocation: the shipped userbase, largest-remainder rounding, the plan's invariants."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import workloads
from twitterdesign.errors import InvalidParameterError
from twitterdesign.estimation import (
    PRESETS,
    REST_OF_WORLD,
    Workload,
    allocate_regions,
    apportion,
    estimate,
    load_userbase,
)

PUBLISHED_MILLIONS = {
    "United States": 76.9,
    "Japan": 58.95,
    "India": 23.6,
    "Brazil": 19.05,
    "Indonesia": 18.45,
    "United Kingdom": 18.4,
    "Turkey": 16.1,
    "Saudi Arabia": 14.1,
    "Mexico": 13.9,
    "Thailand": 11.45,
}


def test_shipped_userbase_is_statista_january_2022() -> None:
    base = load_userbase()
    assert {k: v / 1e6 for k, v in base.users_by_country.items()} == pytest.approx(
        PUBLISHED_MILLIONS
    )
    assert base.total_users == 397e6
    assert base.rest_of_world == pytest.approx((397 - 270.9) * 1e6)
    assert set(base.region_of.values()) == {
        "North America",
        "Latin America",
        "Europe",
        "Middle East & Africa",
        "Asia-Pacific",
    }
    assert "Statista" in base.source
    d = base.to_dict()
    assert d["rest_of_world"] == pytest.approx(126.1e6)
    assert d["region_of"]["Turkey"] == "Europe"  # type: ignore[index]


def test_lesson_plan_by_hand() -> None:
    report = estimate(PRESETS["lesson"].workload)
    plan = allocate_regions(report)
    plan._check()
    assert plan.total_servers == 8
    # Quotas of 8 servers over 397M users: Asia-Pacific 112.45M → 2.27, North America
    # 76.9M → 1.55, Europe 34.5M → 0.70, Latin America 32.95M → 0.66, Middle East &
    # Africa 14.1M → 0.28, rest of world 126.1M → 2.54. Europe, Latin America and MEA
    # fall below the minimum of 1 and are pinned; the other 5 servers go to 315.45M
    # users: 1.78, 1.22, 2.00 → floors 1, 1, 2 and the leftover to Asia-Pacific.
    got = {r.name: r.servers for r in plan.regions}
    assert got == {
        "Asia-Pacific": 2,
        "North America": 1,
        "Europe": 1,
        "Latin America": 1,
        "Middle East & Africa": 1,
        REST_OF_WORLD: 2,
    }
    us = next(c for c in plan.countries if c.name == "United States")
    assert us.user_share == pytest.approx(76.9 / 397)
    assert us.outgoing_bits_per_second == pytest.approx(
        76.9 / 397 * report.outgoing_bits_per_second
    )
    assert plan.region("Europe").storage_bytes_per_day == pytest.approx(
        34.5 / 397 * report.storage_bytes_per_day
    )


def test_apportion_hamilton_by_hand() -> None:
    # Quotas 10 × (5, 3, 2)/10 → exact.
    assert apportion([5, 3, 2], 10) == [5, 3, 2]
    # Quotas 7 × (1/3 each) = 2.33 → floors 2, 2, 2, one left to the first (tie → weight, index).
    assert apportion([1, 1, 1], 7) == [3, 2, 2]
    # Quotas 10 × (0.45, 0.35, 0.2) = 4.5, 3.5, 2 → floors 4, 3, 2; the leftover unit
    # goes to 4.5 (same fraction as 3.5, larger weight).
    assert apportion([45, 35, 20], 10) == [5, 3, 2]
    assert apportion([0, 0], 3) == [2, 1]
    assert apportion([1, 0], 4, minimum=1) == [3, 1]


def test_min_servers_raises_total_when_needed() -> None:
    small = estimate(Workload(1e3))  # one server at peak
    plan = allocate_regions(small, min_servers_per_region=2)
    plan._check()
    assert plan.total_servers == 2 * 6  # five regions and the rest of the world
    assert all(r.servers == 2 for r in plan.regions)


def test_custom_userbase_regions_and_basis() -> None:
    report = estimate(PRESETS["lesson"].workload)
    plan = allocate_regions(
        report,
        userbase={"A": 3e6, "B": 1e6},
        regions={"A": "East", "B": "West"},
        total_users=5e6,
        min_servers_per_region=0,
        basis="all_requests_in_one_second",
    )
    plan._check()
    assert plan.total_servers == 156_250
    got = {r.name: r.servers for r in plan.regions}
    assert got == {"East": 93_750, "West": 31_250, REST_OF_WORLD: 31_250}


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"userbase": {"A": -1.0}, "regions": {"A": "X"}}, "userbase['A']"),
        ({"userbase": {"A": float("nan")}, "regions": {"A": "X"}}, "userbase['A']"),
        ({"userbase": {"A": 1.0}}, "regions"),
        ({"total_users": 100e6}, "total_users"),
        ({"basis": "busiest"}, "basis"),
        ({"min_servers_per_region": -1}, "min_servers_per_region"),
        ({"userbase": {"A": 0.0}, "regions": {"A": "X"}}, "userbase"),
    ],
)
def test_bad_input(kwargs: dict[str, object], name: str) -> None:
    report = estimate(PRESETS["lesson"].workload)
    with pytest.raises(InvalidParameterError) as info:
        allocate_regions(report, **kwargs)  # type: ignore[arg-type]
    assert info.value.name == name


@given(
    st.lists(st.floats(min_value=0.0, max_value=1e9), min_size=1, max_size=12),
    st.integers(min_value=0, max_value=10_000),
    st.integers(min_value=0, max_value=5),
)
def test_apportion_sums_exactly_and_stays_near_quota(
    weights: list[float], extra: int, minimum: int
) -> None:
    total = minimum * len(weights) + extra
    parts = apportion(weights, total, minimum=minimum)
    assert sum(parts) == total
    assert all(p >= minimum >= 0 for p in parts)
    if minimum == 0 and sum(weights) > 0:
        for w, p in zip(weights, parts, strict=True):
            quota = total * w / sum(weights)
            assert math.floor(quota) - 1e-9 <= p <= math.ceil(quota) + 1e-9


@given(
    workloads(),
    st.dictionaries(
        st.sampled_from(list(PUBLISHED_MILLIONS)),
        st.floats(min_value=0.0, max_value=1e9),
        min_size=1,
    ),
    st.integers(min_value=0, max_value=3),
    st.sampled_from(["peak", "average_load", "by_daily_users"]),
)
def test_plans_are_non_negative_and_sum_exactly(
    w: Workload, userbase: dict[str, float], minimum: int, basis: str
) -> None:
    report = estimate(w)
    total = sum(userbase.values()) + 1.0  # at least one user, some in the rest of the world
    plan = allocate_regions(
        report, userbase=userbase, total_users=total, min_servers_per_region=minimum, basis=basis
    )
    plan._check()  # servers sum exactly (regions and countries), nothing negative
    assert plan.total_servers >= next(c.servers for c in report.server_counts() if c.name == basis)
    assert math.isclose(
        sum(r.outgoing_bits_per_second for r in plan.regions),
        report.outgoing_bits_per_second,
        rel_tol=1e-9,
        abs_tol=1e-6,
    )
    assert math.isclose(
        sum(c.storage_bytes_per_day for c in plan.countries),
        report.storage_bytes_per_day,
        rel_tol=1e-9,
        abs_tol=1e-6,
    )
