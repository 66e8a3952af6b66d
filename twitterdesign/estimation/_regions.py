"""Regional capacity from the country-wise userbase (January 2022): ``allocate_regions``."""

from __future__ import annotations

import csv
import functools
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

from twitterdesign._validate import check_choice, check_int, check_number
from twitterdesign.errors import InvalidParameterError
from twitterdesign.estimation._report import SERVER_QUESTIONS, CapacityReport

__all__ = [
    "REST_OF_WORLD",
    "TOTAL_USERS_2021",
    "Allocation",
    "RegionalPlan",
    "Userbase",
    "allocate_regions",
    "apportion",
    "load_userbase",
]

#: Twitter's total users in 2021, as the lesson quotes it.
TOTAL_USERS_2021 = 397e6
#: Name of the country and region bucket for users outside the listed countries.
REST_OF_WORLD = "Rest of world"


@dataclass(frozen=True, slots=True)
class Userbase:
    """Users per country, the default country → region map, and the total they are part of.

    Attributes:
        users_by_country: Users per listed country.
        region_of: Region of each listed country.
        total_users: All users, listed countries and the rest of the world together.
        source: Where the numbers come from.

    Examples:
        >>> base = Userbase({"A": 3.0, "B": 1.0}, {"A": "East", "B": "West"}, 5.0, "made up")
        >>> base.rest_of_world
        1.0
    """

    users_by_country: Mapping[str, float]
    region_of: Mapping[str, str]
    total_users: float
    source: str

    @property
    def rest_of_world(self) -> float:
        """Return the users outside the listed countries (never negative)."""
        return max(self.total_users - sum(self.users_by_country.values()), 0.0)

    def to_dict(self) -> dict[str, object]:
        """Return the userbase as a JSON-ready dict, rest of world included."""
        return {
            "users_by_country": dict(self.users_by_country),
            "region_of": dict(self.region_of),
            "total_users": self.total_users,
            "rest_of_world": self.rest_of_world,
            "source": self.source,
        }


@functools.lru_cache(maxsize=1)
def load_userbase() -> Userbase:
    """Return the January 2022 country-wise userbase shipped with the package.

    The ten leading countries (Statista, January 2022, as the lesson shows them) and
    the lesson's 2021 total of about 397M users. The file is read once; the result is
    immutable, so every call returns the same object.

    Returns:
        The `Userbase`; its ``rest_of_world`` is 397M minus the ten countries.

    Examples:
        >>> base = load_userbase()
        >>> base.users_by_country["United States"], base.region_of["Japan"]
        (76900000.0, 'Asia-Pacific')
        >>> round(base.rest_of_world / 1e6, 2)
        126.1
    """
    text = resources.files("twitterdesign.estimation").joinpath("data/userbase_2022.csv")
    raw = text.read_text(encoding="utf-8")
    comments = [line[1:].strip() for line in raw.splitlines() if line.startswith("#")]
    body = "\n".join(line for line in raw.splitlines() if not line.startswith("#"))
    users: dict[str, float] = {}
    region_of: dict[str, str] = {}
    for row in csv.DictReader(io.StringIO(body)):
        users[row["country"]] = float(row["users_millions"]) * 1e6
        region_of[row["country"]] = row["region"]
    return Userbase(
        users_by_country=MappingProxyType(users),
        region_of=MappingProxyType(region_of),
        total_users=TOTAL_USERS_2021,
        source=" ".join(comments[1:4]),
    )


@dataclass(frozen=True, slots=True)
class Allocation:
    """The share of capacity that goes to one country or region.

    Bandwidth and storage are split in proportion to users; servers are whole numbers.

    Attributes:
        name: Country or region name.
        region: The region (equal to ``name`` for a region).
        users: Users there.
        user_share: Share of all users, in [0, 1].
        servers: Whole servers allocated.
        incoming_bits_per_second: Share of the upload bandwidth.
        outgoing_bits_per_second: Share of the download bandwidth.
        storage_bytes_per_day: Share of the new data per day.
        storage_bytes_total: Share of the data kept over the retention period.

    Examples:
        >>> from twitterdesign.estimation import PRESETS, estimate
        >>> plan = allocate_regions(estimate(PRESETS["lesson"].workload))
        >>> us = plan.countries[0]
        >>> us.name, us.region, round(us.user_share, 3)
        ('United States', 'North America', 0.194)
    """

    name: str
    region: str
    users: float
    user_share: float
    servers: int
    incoming_bits_per_second: float
    outgoing_bits_per_second: float
    storage_bytes_per_day: float
    storage_bytes_total: float

    def to_dict(self) -> dict[str, object]:
        """Return the allocation as a JSON-ready dict."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class RegionalPlan:
    """Capacity per region and per country; region servers sum exactly to ``total_servers``.

    Countries get whole servers in proportion to their users (largest remainder, equal
    users rounded alike); a region has its countries' servers, raised to
    ``min_servers_per_region`` if they fall short. So ``total_servers`` is the report's
    count (``requested_servers``) plus the servers those minimums add (and, rarely, the
    few that keep equal users equal).

    Attributes:
        basis: Which server count was allocated (``"peak"``, ``"average_load"``, ...).
        total_servers: Servers in the plan: the sum over regions.
        min_servers_per_region: The minimum each region received.
        regions: One `Allocation` per region, most users first, rest of world last.
        countries: One `Allocation` per country, most users first; their servers sum to
            ``requested_servers + tie_servers_added``.
        requested_servers: The report's server count for ``basis``.
        tie_servers_added: Servers added so that countries with equal users get equal
            servers (0 unless a tie group could not otherwise be rounded alike).
        minimum_servers_added: Servers added to lift regions to the minimum.
        regions_raised_to_minimum: The regions whose countries' servers fell short of it.

    Examples:
        >>> from twitterdesign.estimation import PRESETS, estimate
        >>> plan = allocate_regions(estimate(PRESETS["lesson"].workload), basis="by_daily_users")
        >>> plan.total_servers, sum(c.servers for c in plan.countries)
        (7813, 7813)
        >>> plan._check()
    """

    basis: str
    total_servers: int
    min_servers_per_region: int
    regions: tuple[Allocation, ...]
    countries: tuple[Allocation, ...]
    requested_servers: int = 0
    tie_servers_added: int = 0
    minimum_servers_added: int = 0
    regions_raised_to_minimum: tuple[str, ...] = ()

    def region(self, name: str) -> Allocation:
        """Return the allocation of region ``name``.

        Args:
            name: A region of the plan, e.g. ``"Europe"``.

        Returns:
            That region's `Allocation`.

        Raises:
            InvalidParameterError: If there is no such region.

        Examples:
            >>> from twitterdesign.estimation import PRESETS, estimate
            >>> allocate_regions(estimate(PRESETS["lesson"].workload)).region("Europe").servers
            1
        """
        names = [r.name for r in self.regions]
        return self.regions[names.index(check_choice("region", name, names))]

    def _check(self) -> None:
        """Assert the plan's invariants (used by tests)."""
        assert sum(r.servers for r in self.regions) == self.total_servers
        assert sum(c.servers for c in self.countries) == (
            self.requested_servers + self.tie_servers_added
        )
        assert self.total_servers == (
            self.requested_servers + self.tie_servers_added + self.minimum_servers_added
        )
        assert all(r.servers >= self.min_servers_per_region for r in self.regions)
        for part in (*self.regions, *self.countries):
            assert part.servers >= 0
            assert part.users >= 0
            assert 0 <= part.user_share <= 1
            assert part.storage_bytes_per_day >= 0
            assert part.outgoing_bits_per_second >= 0
        for r in self.regions:
            members = [c for c in self.countries if c.region == r.name]
            assert r.servers == max(sum(c.servers for c in members), self.min_servers_per_region)
            assert (r.name in self.regions_raised_to_minimum) == (
                sum(c.servers for c in members) < self.min_servers_per_region
            )
            assert math.isclose(sum(c.users for c in members), r.users, rel_tol=1e-9)
        assert math.isclose(sum(r.user_share for r in self.regions), 1.0, rel_tol=1e-9)

    def to_dict(self) -> dict[str, object]:
        """Return the plan as a JSON-ready dict."""
        return {
            "basis": self.basis,
            "total_servers": self.total_servers,
            "min_servers_per_region": self.min_servers_per_region,
            "requested_servers": self.requested_servers,
            "tie_servers_added": self.tie_servers_added,
            "minimum_servers_added": self.minimum_servers_added,
            "regions_raised_to_minimum": list(self.regions_raised_to_minimum),
            "regions": [r.to_dict() for r in self.regions],
            "countries": [c.to_dict() for c in self.countries],
        }


def apportion(
    weights: Sequence[float], total: int, *, minimum: int = 0, equal_ties: bool = False
) -> list[int]:
    """Split ``total`` whole units in proportion to ``weights`` (largest-remainder method).

    Each part gets the integer part of its quota ``total * w / sum(w)``; the units left
    over go to the largest fractional parts (Hamilton's method). With ``minimum``,
    parts whose quota falls below it are pinned to it and the rest is re-apportioned
    among the others. The result is never negative, sums exactly to ``total``, and every
    unpinned part is within one unit of its quota. Zero total weight splits evenly.

    With ``equal_ties``, parts of equal weight always get equal units: they share one
    remainder, so a leftover unit goes to all of them or to none. A tie group larger
    than the units left is passed over for the next largest remainder; only when no
    group fits what is left does the largest-remainder group get one unit each, and the
    sum then exceeds ``total`` by less than that group's size (never when all weights
    differ).

    Args:
        weights: Non-negative finite weights (at least one).
        total: Whole units to split (>= ``minimum * len(weights)``).
        minimum: Units every part receives at least (>= 0).
        equal_ties: Give parts of equal weight equal units (see above).

    Returns:
        One integer per weight, summing to ``total`` (with ``equal_ties``, to at least
        ``total`` and less than ``total`` plus the largest tie group).

    Raises:
        InvalidParameterError: On negative or non-finite weights, an empty list, or a
            total too small for the minimum.

    Examples:
        >>> apportion([76.9, 58.95, 23.6], 10)
        [5, 4, 1]
        >>> apportion([90, 5, 5], 10, minimum=2)
        [6, 2, 2]
        >>> apportion([2, 2, 1], 1), apportion([2, 2, 1], 1, equal_ties=True)
        ([1, 0, 0], [0, 0, 1])

    References:
        M. L. Balinski and H. P. Young, *Fair Representation: Meeting the Ideal of One
        Man, One Vote*, Yale University Press, 1982 (Hamilton's largest-remainder method).
    """
    w = [check_number("weights", x, minimum=0.0) for x in weights]
    if not w:
        raise InvalidParameterError("weights", list(weights), "at least one weight")
    low = check_int("minimum", minimum, minimum=0)
    units = check_int("total", total, minimum=low * len(w))
    pinned: set[int] = set()
    while True:
        free = [i for i in range(len(w)) if i not in pinned]
        remaining = units - low * len(pinned)
        weight = sum(w[i] for i in free)
        quotas = {
            i: remaining * w[i] / weight if weight > 0 else remaining / len(free) for i in free
        }
        below = {i for i in free if quotas[i] < low}
        if not below:
            break
        pinned |= below
    result = [low] * len(w)
    for i in free:
        result[i] = math.floor(quotas[i])
    leftover = remaining - sum(result[i] for i in free)
    order = sorted(free, key=lambda i: (-(quotas[i] - math.floor(quotas[i])), -w[i], i))
    if not equal_ties:
        for i in order[:leftover]:
            result[i] += 1
        return result
    groups: dict[float, list[int]] = {}
    for i in order:  # groups in order of remainder, as their first member comes
        groups.setdefault(w[i], []).append(i)
    passed_over: list[list[int]] = []
    for group in groups.values():
        if leftover == 0:
            break
        if len(group) <= leftover:
            for i in group:
                result[i] += 1
            leftover -= len(group)
        else:
            passed_over.append(group)
    if leftover > 0:  # only tie groups too large for what is left: round one of them up
        for i in passed_over[0]:
            result[i] += 1
    return result


_BASES = tuple(SERVER_QUESTIONS)


def allocate_regions(
    report: CapacityReport,
    *,
    userbase: Mapping[str, float] | None = None,
    regions: Mapping[str, str] | None = None,
    total_users: float | None = None,
    min_servers_per_region: int = 1,
    basis: str = "peak",
) -> RegionalPlan:
    """Allocate a report's servers, bandwidth and storage to countries and regions.

    Capacity follows users: a country with 19% of the users gets 19% of the bandwidth
    and storage. Servers are whole numbers: the report's count is apportioned to all
    countries at once by the largest-remainder method, rounding countries with equal
    users alike (see `apportion`'s ``equal_ties``). A region has its countries' servers,
    raised to ``min_servers_per_region`` when they fall short, so every region can serve
    its users nearby; those servers are added to the total and the plan says which
    regions got them. Users outside the listed countries form a ``"Rest of world"``
    country and region.

    Args:
        report: The capacity to allocate.
        userbase: Users per country; defaults to the shipped January 2022 table.
        regions: Country → region; defaults to the shipped map (North America, Latin
            America, Europe, Middle East & Africa, Asia-Pacific). Must cover every
            country in ``userbase``.
        total_users: All users; those beyond the countries' sum go to the rest of the
            world. Defaults to 397M (the lesson's 2021 total) for the shipped table and
            to the countries' sum for a custom ``userbase``.
        min_servers_per_region: Servers every region gets at least (>= 0), added on top
            of the report's count for regions whose countries get fewer.
        basis: Which server count to allocate: ``"peak"`` (default), ``"average_load"``,
            ``"all_requests_in_one_second"`` or ``"by_daily_users"``.

    Returns:
        The `RegionalPlan`; never negative, servers summing exactly.

    Raises:
        InvalidParameterError: On negative or non-finite user counts, no users at all,
            ``total_users`` below the countries' sum, a country without a region, or an
            unknown ``basis``.

    Examples:
        >>> from twitterdesign.estimation import PRESETS, estimate
        >>> plan = allocate_regions(estimate(PRESETS["lesson"].workload))
        >>> plan.requested_servers, plan.total_servers, plan.regions_raised_to_minimum
        (8, 10, ('Europe', 'Middle East & Africa'))
        >>> [(c.name, c.servers) for c in plan.countries][:3]
        [('United States', 2), ('Japan', 1), ('India', 1)]
    """
    if not isinstance(report, CapacityReport):
        raise InvalidParameterError("report", report, "a CapacityReport from estimate()")
    check_choice("basis", basis, _BASES)
    low = check_int("min_servers_per_region", min_servers_per_region, minimum=0)
    shipped = load_userbase()
    if userbase is None:
        users = dict(shipped.users_by_country)
        everyone = TOTAL_USERS_2021 if total_users is None else total_users
    else:
        users = {
            str(k): check_number(f"userbase[{k!r}]", v, minimum=0.0) for k, v in userbase.items()
        }
        everyone = sum(users.values()) if total_users is None else total_users
    listed = sum(users.values())
    everyone = check_number("total_users", everyone, minimum=0.0)
    if everyone < listed * (1 - 1e-12):
        raise InvalidParameterError(
            "total_users", everyone, f"at least the listed countries' users ({listed:g})"
        )
    region_of = dict(shipped.region_of if regions is None else regions)
    for country in users:
        if country not in region_of:
            raise InvalidParameterError(
                "regions", country, "a region for every country in userbase (pass regions=)"
            )
    rest = max(everyone - listed, 0.0)
    if rest > 0:
        users[REST_OF_WORLD] = rest
        region_of[REST_OF_WORLD] = REST_OF_WORLD
    if everyone <= 0:
        raise InvalidParameterError("userbase", userbase, "at least one user")

    region_users: dict[str, float] = {}
    for country, n in users.items():
        region_users[region_of[country]] = region_users.get(region_of[country], 0.0) + n
    region_names = sorted(region_users, key=lambda r: (r == REST_OF_WORLD, -region_users[r], r))
    requested = next(c.servers for c in report.server_counts() if c.name == basis)
    # Countries first, all together, so that equal users get equal servers wherever
    # they are; then each region's minimum is added on top of its countries' sum.
    names = list(users)
    country_servers = dict(
        zip(names, apportion([users[c] for c in names], requested, equal_ties=True), strict=True)
    )
    region_servers = dict.fromkeys(region_names, 0)
    for country, n in country_servers.items():
        region_servers[region_of[country]] += n
    raised = tuple(r for r in region_names if region_servers[r] < low)
    minimum_added = sum(low - region_servers[r] for r in raised)
    for r in raised:
        region_servers[r] = low

    def make(name: str, region: str, n_users: float, servers: int) -> Allocation:
        share = n_users / everyone
        return Allocation(
            name=name,
            region=region,
            users=n_users,
            user_share=share,
            servers=servers,
            incoming_bits_per_second=share * report.incoming_bits_per_second,
            outgoing_bits_per_second=share * report.outgoing_bits_per_second,
            storage_bytes_per_day=share * report.storage_bytes_per_day,
            storage_bytes_total=share * report.storage_bytes_total,
        )

    countries = sorted(users, key=lambda c: (c == REST_OF_WORLD, -users[c], c))
    return RegionalPlan(
        basis=basis,
        total_servers=sum(region_servers.values()),
        min_servers_per_region=low,
        regions=tuple(make(r, r, region_users[r], region_servers[r]) for r in region_names),
        countries=tuple(make(c, region_of[c], users[c], country_servers[c]) for c in countries),
        requested_servers=requested,
        tie_servers_added=sum(country_servers.values()) - requested,
        minimum_servers_added=minimum_added,
        regions_raised_to_minimum=raised,
    )
