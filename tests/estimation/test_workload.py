"""Workload validation, ``with_`` and ``parse_overrides``."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import bad_numbers, workloads
from twitterdesign.errors import InvalidParameterError
from twitterdesign.estimation import (
    Workload,
    estimate,
    field_range,
    parse_overrides,
    sensitivity,
    workload_fields,
)

NUMERIC_FIELDS = [f for f in workload_fields() if f not in {"total_users", "cost_per_server_hour"}]


def test_defaults_are_the_lessons() -> None:
    w = Workload(500e6)
    assert w.daily_active_users == 500e6
    assert (w.tweets_per_user_per_day, w.requests_per_user_per_day) == (3, 20)
    assert (w.image_fraction, w.image_bytes, w.video_fraction, w.video_bytes) == (
        0.1,
        200_000,
        0.05,
        3_000_000,
    )
    assert w.text_bytes_per_tweet == 250
    assert w.requests_per_server_per_second == 64_000
    assert w.peak_to_average == 4
    assert w.total_users is None
    assert w.cost_per_server_hour is None


def test_frozen_and_with_revalidates() -> None:
    w = Workload(1e6)
    with pytest.raises(AttributeError):
        w.daily_active_users = 2.0  # type: ignore[misc]
    assert w.with_(image_bytes=1).image_bytes == 1.0
    with pytest.raises(InvalidParameterError) as info:
        w.with_(image_fraction=2)
    assert info.value.name == "image_fraction"
    with pytest.raises(InvalidParameterError) as info:
        w.with_(no_such_field=1)
    assert info.value.name == "field"


@pytest.mark.parametrize("name", NUMERIC_FIELDS)
def test_negative_values_rejected_naming_the_field(name: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        Workload(1e6).with_(**{name: -1.0})
    assert info.value.name == name
    assert name in str(info.value)


@pytest.mark.parametrize("name", NUMERIC_FIELDS)
@given(bad=bad_numbers)
def test_nan_inf_and_non_numbers_rejected(name: str, bad: object) -> None:
    with pytest.raises(InvalidParameterError) as info:
        Workload(1e6).with_(**{name: bad})
    assert info.value.name == name


@pytest.mark.parametrize("name", ["image_fraction", "video_fraction", "cache_hot_fraction"])
@pytest.mark.parametrize("value", [-0.01, 1.01, float("nan")])
def test_fractions_outside_unit_interval_rejected(name: str, value: float) -> None:
    with pytest.raises(InvalidParameterError) as info:
        Workload(1e6, image_fraction=0, video_fraction=0).with_(**{name: value})
    assert info.value.name == name


def test_media_fractions_cannot_exceed_one_together() -> None:
    with pytest.raises(InvalidParameterError) as info:
        Workload(1e6, image_fraction=0.7, video_fraction=0.4)
    assert info.value.name == "video_fraction"
    assert Workload(1e6, image_fraction=0.6, video_fraction=0.4).video_fraction == 0.4


def test_daily_users_above_total_users_rejected() -> None:
    with pytest.raises(InvalidParameterError) as info:
        Workload(500e6, total_users=397e6)
    assert info.value.name == "total_users"
    assert Workload(397e6, total_users=397e6).total_users == 397e6


@pytest.mark.parametrize(
    ("name", "value"),
    [("peak_to_average", 0.5), ("replication_factor", 0.9), ("requests_per_server_per_second", 0)],
)
def test_factors_and_capacity_bounds(name: str, value: float) -> None:
    with pytest.raises(InvalidParameterError) as info:
        Workload(1e6).with_(**{name: value})
    assert info.value.name == name


@given(workloads())
def test_to_dict_round_trips(w: Workload) -> None:
    d = w.to_dict()
    assert list(d) == list(workload_fields())
    assert Workload(**d) == w  # type: ignore[arg-type]


def test_parse_overrides_human_units() -> None:
    changes = parse_overrides(
        [
            "daily_active_users=250M",
            "image-bytes=200 KB",
            "video_bytes=3MB",
            "image_fraction=10%",
            "video_fraction=0.05",
            "cost_per_server_hour=$3.54816",
            "total_users=none",
            "peak_to_average=4",
            "requests_per_server_per_second=64k",
        ]
    )
    assert changes == {
        "daily_active_users": 250e6,
        "image_bytes": 200e3,
        "video_bytes": 3e6,
        "image_fraction": pytest.approx(0.1),
        "video_fraction": 0.05,
        "cost_per_server_hour": 3.54816,
        "total_users": None,
        "peak_to_average": 4.0,
        "requests_per_server_per_second": 64e3,
    }
    assert Workload(1e6).with_(**changes).image_bytes == 200e3


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("daily_active_users", "--set"),
        ("no_such_field=3", "field"),
        ("image_bytes=lots", "image_bytes"),
        ("image_fraction=ten%", "image_fraction"),
        ("daily_active_users=nan", "daily_active_users"),
        ("peak_to_average=", "peak_to_average"),
        ("cost_per_server_hour=$x", "cost_per_server_hour"),
    ],
)
def test_parse_overrides_malformed(text: str, name: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        parse_overrides([text])
    assert info.value.name == name


@pytest.mark.parametrize("name", ["daily_active_users", "total_users"])
def test_zero_users_rejected(name: str) -> None:
    # Regression: Workload(0) was accepted and estimated a service with no one in it.
    with pytest.raises(InvalidParameterError) as info:
        Workload(1e6).with_(**{name: 0.0})
    assert info.value.name == name


@pytest.mark.parametrize("name", [*NUMERIC_FIELDS, "total_users", "cost_per_server_hour"])
def test_values_above_the_limit_rejected_naming_field_and_limit(name: str) -> None:
    low, high = field_range(name)
    assert low < high
    over = high * 1.5 if high > 1 else high + 0.5
    with pytest.raises(InvalidParameterError) as info:
        Workload(1e6, image_fraction=0, video_fraction=0).with_(**{name: over})
    assert info.value.name == name
    assert f"{high:g}" in str(info.value)


def test_limits_are_what_the_docs_say() -> None:
    assert field_range("daily_active_users") == (0.0, 1e12)
    assert field_range("peak_to_average") == (1.0, 86_400.0)  # a whole day in one second
    assert field_range("requests_per_server_per_second") == (1e-3, 1e12)
    with pytest.raises(InvalidParameterError, match="field"):
        field_range("happiness")


# Any finite non-negative float, from subnormal to the largest, for a few fields of a
# valid workload: the validation, not the strategy, decides what is a workload.
_extreme = st.floats(min_value=0.0, allow_infinity=False) | st.sampled_from(
    [5e-324, 1e-300, 1e-3, 1e12, 1e15, 86_400.0, 1e300, 1.7976931348623157e308]
)


@given(workloads(), st.dictionaries(st.sampled_from(NUMERIC_FIELDS), _extreme, max_size=4))
def test_every_accepted_workload_has_finite_non_negative_outputs(
    base: Workload, changes: dict[str, float]
) -> None:
    if any(
        not low <= v <= high for name, v in changes.items() for low, high in [field_range(name)]
    ):
        with pytest.raises(InvalidParameterError) as info:
            base.with_(total_users=None, **changes)
        assert info.value.name in changes
        return
    if changes.get("daily_active_users") == 0:
        return  # the excluded minimum; test_zero_users_rejected covers it
    try:
        w = base.with_(total_users=None, **changes)
    except InvalidParameterError as exc:  # only media fractions that add up past 1
        assert exc.name == "video_fraction"  # noqa: PT017
        return
    report = estimate(w)
    for name, value in report.to_dict().items():
        if isinstance(value, float | int) and not isinstance(value, bool):
            assert math.isfinite(value), (name, value)
            assert value >= 0, (name, value)
    for bar in sensitivity(w).bars:
        for value in (bar.output_base, bar.output_low, bar.output_high, bar.swing):
            assert math.isfinite(value), bar
            assert value >= 0, bar


@given(workloads(), st.sampled_from(NUMERIC_FIELDS), st.floats(0.0, 1.0))
def test_every_value_within_the_range_is_accepted(w: Workload, name: str, t: float) -> None:
    low, high = field_range(name)
    value = low + t * (high - low)
    if name == "daily_active_users":
        value = max(value, 1.0)
    changes: dict[str, float | None] = {name: value, "total_users": None}
    if name in {"image_fraction", "video_fraction"}:
        changes["video_fraction" if name == "image_fraction" else "image_fraction"] = 0.0
    assert getattr(w.with_(**changes), name) == value
