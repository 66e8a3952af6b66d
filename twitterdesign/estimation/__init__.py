"""Capacity estimation: from a handful of assumptions to storage, bandwidth and servers.

The lesson's first part, as code: a `Workload` of assumptions goes into
`estimate`, which returns a `CapacityReport` (storage per day, year and
retention period, incoming and outgoing bandwidth, request rates, four server counts
with their cost, cache memory) that can `explain` itself step by
step. `PRESETS` holds published workloads (the lesson's two versions, Twitter's
2012 figures, the system-design-primer); `allocate_regions` splits a report across
countries and regions from the January 2022 country-wise userbase; `project_growth`
and `sensitivity` answer what-if questions.

Examples:
    >>> from twitterdesign.estimation import PRESETS, estimate
    >>> report = estimate(PRESETS["lesson"].workload)
    >>> report.tweets_per_day, report.servers_at_peak
    (1500000000.0, 8)
    >>> report.servers_if_all_requests_in_one_second
    156250
"""

from __future__ import annotations

from twitterdesign.estimation._capacity import (
    peak_factor,
    server_capacity,
    server_capacity_from_mix,
)
from twitterdesign.estimation._presets import PRESETS, Preset, get_preset
from twitterdesign.estimation._regions import (
    REST_OF_WORLD,
    TOTAL_USERS_2021,
    Allocation,
    RegionalPlan,
    Userbase,
    allocate_regions,
    apportion,
    load_userbase,
)
from twitterdesign.estimation._report import (
    SERVER_QUESTIONS,
    ByType,
    CapacityReport,
    ServerCount,
    estimate,
)
from twitterdesign.estimation._whatif import (
    SENSITIVITY_INPUTS,
    SENSITIVITY_OUTPUTS,
    GrowthProjection,
    GrowthYear,
    SensitivityBar,
    SensitivityReport,
    project_growth,
    sensitivity,
)
from twitterdesign.estimation._workload import (
    Workload,
    field_range,
    parse_overrides,
    workload_fields,
)

__all__ = [
    "PRESETS",
    "REST_OF_WORLD",
    "SENSITIVITY_INPUTS",
    "SENSITIVITY_OUTPUTS",
    "SERVER_QUESTIONS",
    "TOTAL_USERS_2021",
    "Allocation",
    "ByType",
    "CapacityReport",
    "GrowthProjection",
    "GrowthYear",
    "Preset",
    "RegionalPlan",
    "SensitivityBar",
    "SensitivityReport",
    "ServerCount",
    "Userbase",
    "Workload",
    "allocate_regions",
    "apportion",
    "estimate",
    "field_range",
    "get_preset",
    "load_userbase",
    "parse_overrides",
    "peak_factor",
    "project_growth",
    "sensitivity",
    "server_capacity",
    "server_capacity_from_mix",
    "workload_fields",
]
