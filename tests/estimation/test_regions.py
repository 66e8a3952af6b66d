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
    # Quotas of 8 servers over 397M users, per country: United States 76.9M → 1.55,
    # Japan 58.95M → 1.19, India 23.6M → 0.48, Brazil 19.05M → 0.38, Indonesia 0.37,
    # United Kingdom 0.37, Turkey 0.32, Saudi Arabia 0.28, Mexico 0.28, Thailand 0.23,
    # rest of world 126.1M → 2.54. Floors 1, 1, 2 (= 4); the 4 left go to the largest
    # remainders: the US (.55), the rest of the world (.54), India (.48), Brazil (.38).
    countries = {c.name: c.servers for c in plan.countries if c.servers}
    assert countries == {
        "United States": 2,
        "Japan": 1,
        "India": 1,
        "Brazil": 1,
        REST_OF_WORLD: 3,
    }
    # Regions sum their countries; Europe (UK, Turkey) and the Middle East & Africa
    # (Saudi Arabia) round to 0 and are raised to the minimum of 1: 8 + 2 = 10.
    got = {r.name: r.servers for r in plan.regions}
    assert got == {
        "Asia-Pacific": 2,
        "North America": 2,
        "Europe": 1,
        "Latin America": 1,
        "Middle East & Africa": 1,
        REST_OF_WORLD: 3,
    }
    assert (plan.requested_servers, plan.minimum_servers_added, plan.total_servers) == (8, 2, 10)
    assert plan.regions_raised_to_minimum == ("Europe", "Middle East & Africa")
    # The complaints: Japan (14.8%) no longer gets as many as the US (19.4%), and
    # with --min-servers 2 Saudi Arabia (3.6%) no longer outranks Japan.
    two = allocate_regions(report, min_servers_per_region=2)
    two._check()
    by_country = {c.name: c.servers for c in two.countries}
    assert by_country["Saudi Arabia"] <= by_country["Japan"] < by_country["United States"]
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


# Userbases with deliberate ties: user counts drawn from a few values.
tied_userbases = st.lists(
    st.sampled_from([0.0, 1e6, 2.5e6, 7e6, 18.4e6, 30e6]), min_size=1, max_size=12
).filter(lambda xs: sum(xs) > 0)


@given(
    weights=st.lists(st.sampled_from([0.0, 1.0, 2.0, 3.0, 5.5, 8.0]), min_size=1, max_size=15),
    total=st.integers(0, 60),
)
def test_apportion_rounds_equal_weights_alike(weights: list[float], total: int) -> None:
    parts = apportion(weights, total, equal_ties=True)
    for a, wa in zip(parts, weights, strict=True):
        for b, wb in zip(parts, weights, strict=True):
            if wa == wb:
                assert a == b
    group = max(weights.count(w) for w in set(weights))
    assert total <= sum(parts) < total + group
    weight = sum(weights)
    for part, w in zip(parts, weights, strict=True):
        quota = total * w / weight if weight else total / len(weights)
        assert math.floor(quota) <= part <= math.floor(quota) + 1


@given(
    weights=st.lists(st.floats(0, 1e9), min_size=1, max_size=15, unique=True),
    total=st.integers(0, 10_000),
)
def test_apportion_with_distinct_weights_sums_exactly(weights: list[float], total: int) -> None:
    assert sum(apportion(weights, total, equal_ties=True)) == total


@given(
    users=tied_userbases,
    data=st.data(),
    minimum=st.integers(0, 3),
    basis=st.sampled_from(["peak", "average_load", "by_daily_users"]),
)
def test_equal_users_get_equal_servers(
    users: list[float], data: st.DataObject, minimum: int, basis: str
) -> None:
    names = [f"C{i}" for i in range(len(users))]
    region_names = ["North", "South", "East"]
    regions = {n: data.draw(st.sampled_from(region_names)) for n in names}
    report = estimate(PRESETS["lesson"].workload)
    plan = allocate_regions(
        report,
        userbase=dict(zip(names, users, strict=True)),
        regions=regions,
        min_servers_per_region=minimum,
        basis=basis,
    )
    plan._check()
    servers = {c.name: c.servers for c in plan.countries}
    for a, ua in zip(names, users, strict=True):
        for b, ub in zip(names, users, strict=True):
            if ua == ub:
                assert servers[a] == servers[b], (a, b, ua)
    # Countries share exactly the requested total, but for the rare tie that cannot
    # be rounded alike; regions add only what their minimum asks for.
    requested = next(c.servers for c in report.server_counts() if c.name == basis)
    assert plan.requested_servers == requested
    assert sum(servers.values()) == requested + plan.tie_servers_added
    if len(set(users)) == len(users):
        assert plan.tie_servers_added == 0
    assert sum(r.servers for r in plan.regions) == plan.total_servers
    assert all(r.servers >= minimum for r in plan.regions)
    if minimum == 0:
        assert plan.total_servers == requested + plan.tie_servers_added
