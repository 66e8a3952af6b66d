"""``estimate``: every formula against a hand computation written here, for several presets."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import workloads
from twitterdesign.errors import InvalidParameterError
from twitterdesign.estimation import PRESETS, CapacityReport, Workload, estimate

DAY = 86_400


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)


def test_lesson_formulas_by_hand() -> None:
    r = estimate(PRESETS["lesson"].workload)
    # 500M users × 3 tweets; 500M × 20 requests; 500M × 50 views.
    assert close(r.tweets_per_day, 1_500_000_000)
    assert close(r.requests_per_day, 10_000_000_000)
    assert close(r.tweets_viewed_per_day, 25_000_000_000)
    assert close(r.requests_per_second, 10e9 / DAY)
    assert close(r.peak_requests_per_second, 4 * 10e9 / DAY)
    assert close(r.peak_tweets_per_second, 4 * 1.5e9 / DAY)
    # 1.5B × 250 B; 1.5B × 0.1 × 200,000 B; 1.5B × 0.05 × 3,000,000 B.
    split = r.storage_bytes_per_day_by_type
    assert close(split.text, 375e9)
    assert close(split.image, 30e12)
    assert close(split.video, 225e12)
    assert close(r.storage_bytes_per_day, 375e9 + 30e12 + 225e12)
    assert close(r.storage_bytes_per_year, 255.375e12 * 365)
    assert close(r.storage_bytes_total, 255.375e12 * 365 * 5 * 3)
    assert close(r.incoming_bits_per_second, 255.375e12 * 8 / DAY)
    views = 25e9 / DAY
    out = r.outgoing_bits_per_second_by_type
    assert close(out.text, views * 250 * 8)
    assert close(out.image, views * 0.1 * 200e3 * 8)
    assert close(out.video, views * 0.05 * 3e6 * 8)
    assert close(r.outgoing_bits_per_second, views * (250 + 20e3 + 150e3) * 8)
    # ceil(115,740.7 / 64,000) = 2; ceil(462,963 / 64,000) = 8; 1e10 / 64,000 = 156,250.
    assert r.servers_at_average_load == 2
    assert r.servers_at_peak == 8
    assert r.servers_if_all_requests_in_one_second == 156_250
    assert r.servers_by_daily_users == 7_813  # 500M / 64,000 = 7,812.5, rounded up
    assert r.usd_per_hour_at_peak is not None
    assert close(r.usd_per_hour_at_peak, 8 * 3.54816)
    assert r.usd_per_hour_if_all_requests_in_one_second is not None
    assert close(r.usd_per_hour_if_all_requests_in_one_second, 156_250 * 3.54816)
    assert close(r.cache_bytes, 0.2 * 1.5e9 * 250)


def test_primer_formulas_by_hand() -> None:
    r = estimate(PRESETS["primer"].workload)
    assert close(r.tweets_per_day, 100e6 * 5)
    reads_per_user = 250e9 / 30 / 100e6
    assert close(r.tweets_viewed_per_second, 100e6 * reads_per_user / DAY)
    per_tweet = 8 + 32 + 140 + 10_000  # id, user id, text, media
    assert close(r.storage_bytes_per_day, 500e6 * per_tweet)
    assert close(r.storage_bytes_per_day_by_type.video, 0.0)
    assert close(r.outgoing_bits_per_second, 100e6 * reads_per_user / DAY * per_tweet * 8)
    requests_per_second = (250e9 + 10e9 + 15e9) / 30 / DAY
    assert math.isclose(r.requests_per_second, requests_per_second, rel_tol=1e-12)
    # 106K/s ÷ 64K = 1.66 → 2; × 4 = 6.63 → 7.
    assert r.servers_at_average_load == 2
    assert r.servers_at_peak == 7
    assert r.usd_per_hour_at_peak is None  # the primer gives no price


def test_lesson_2022_formulas_by_hand() -> None:
    r = estimate(PRESETS["lesson-2022"].workload)
    assert close(r.storage_bytes_per_day, 750e6 * (250 + 0.1 * 200e3 + 0.05 * 3e6))
    assert close(r.incoming_bits_per_second, 750e6 * 170_250 * 8 / DAY)
    # 5e9 requests / 86,400 / 8,000 = 7.23 → 8 servers; peak 28.9 → 29.
    assert r.servers_at_average_load == 8
    assert r.servers_at_peak == 29
    assert r.servers_if_all_requests_in_one_second == 625_000
    assert r.servers_by_daily_users == 31_250


def test_server_counts_agree_with_fields() -> None:
    r = estimate(PRESETS["lesson"].workload)
    counts = {c.name: c for c in r.server_counts()}
    assert counts["peak"].servers == r.servers_at_peak
    assert counts["average_load"].usd_per_hour == r.usd_per_hour_at_average_load
    assert counts["by_daily_users"].exact == pytest.approx(7_812.5)
    assert all(c.question for c in counts.values())


def test_to_dict_is_json_ready() -> None:
    import json

    d = estimate(PRESETS["lesson"].workload).to_dict()
    text = json.dumps(d)
    assert json.loads(text)["storage_bytes_per_day_by_type"]["video"] == pytest.approx(225e12)
    assert d["workload"]["daily_active_users"] == 500e6  # type: ignore[index]
    assert len(d["server_counts"]) == 4  # type: ignore[arg-type]


def test_explain_substitutes_numbers_and_names_questions() -> None:
    text = estimate(PRESETS["lesson"].workload).explain()
    for fragment in (
        "500M daily users × 3 tweets = 1.5B tweets/day",
        "1.5B × 5% × 3 MB = 225 TB",
        "= 255 TB/day",
        "93.2 PB",
        "23.6 Gbps",
        "394 Gbps",
        "156,250 servers",
        "$554,400.00/hour",
        "Which server count answers which question",
        "interview shortcut",
        # The peak factor is derived, not asserted: 80% of requests in 20% of the day.
        "peak factor  = 0.8 ÷ 0.2 = 4 (the 80/20 rule: 80% of a day's requests arrive in "
        "20% of it, 4.8 h)",
    ):
        assert fragment in text, fragment
    other = estimate(PRESETS["lesson"].workload.with_(peak_to_average=3.0)).explain()
    assert "peak factor  = 3, as set (the lesson's 80/20 rule" in other
    assert "gives 4)" in other


def test_estimate_rejects_non_workload() -> None:
    with pytest.raises(InvalidParameterError, match="workload"):
        estimate({"daily_active_users": 1})  # type: ignore[arg-type]


@given(workloads(), st.floats(min_value=0.0, max_value=1e10))
def test_more_daily_users_never_means_less(w: Workload, extra: float) -> None:
    small = estimate(w)
    big = estimate(w.with_(daily_active_users=w.daily_active_users + extra))
    for name in (
        "storage_bytes_per_day",
        "storage_bytes_per_year",
        "storage_bytes_total",
        "incoming_bits_per_second",
        "outgoing_bits_per_second",
        "requests_per_second",
        "peak_requests_per_second",
        "cache_bytes",
        "servers_at_average_load",
        "servers_at_peak",
        "servers_if_all_requests_in_one_second",
        "servers_by_daily_users",
    ):
        assert getattr(big, name) >= getattr(small, name), name


LINEAR_IN_USERS = (
    "tweets_per_day",
    "requests_per_second",
    "peak_requests_per_second",
    "tweets_viewed_per_second",
    "storage_bytes_per_day",
    "storage_bytes_per_year",
    "storage_bytes_total",
    "incoming_bits_per_second",
    "outgoing_bits_per_second",
    "cache_bytes",
)


@given(workloads(), st.floats(min_value=0.01, max_value=100.0))
def test_outputs_scale_linearly_with_daily_users(w: Workload, k: float) -> None:
    base = estimate(w)
    scaled = estimate(w.with_(daily_active_users=w.daily_active_users * k))
    for name in LINEAR_IN_USERS:
        assert math.isclose(getattr(scaled, name), k * getattr(base, name), rel_tol=1e-9), name


@given(workloads(), st.floats(min_value=0.01, max_value=100.0))
def test_storage_and_bandwidth_linear_in_media_size(w: Workload, k: float) -> None:
    base = estimate(w)
    scaled = estimate(w.with_(video_bytes=w.video_bytes * k))
    assert math.isclose(
        scaled.storage_bytes_per_day_by_type.video,
        k * base.storage_bytes_per_day_by_type.video,
        rel_tol=1e-9,
    )
    assert scaled.storage_bytes_per_day_by_type.text == base.storage_bytes_per_day_by_type.text
    assert math.isclose(
        scaled.outgoing_bits_per_second_by_type.video,
        k * base.outgoing_bits_per_second_by_type.video,
        rel_tol=1e-9,
    )


@given(workloads())
def test_splits_sum_and_server_counts_are_ordered(w: Workload) -> None:
    r = estimate(w)
    assert isinstance(r, CapacityReport)
    r._check()
    assert math.isclose(r.storage_bytes_per_day_by_type.total, r.storage_bytes_per_day)
    assert math.isclose(r.outgoing_bits_per_second_by_type.total, r.outgoing_bits_per_second)
    # Peak ≥ average because peak_to_average ≥ 1; a whole day in one second ≥ peak
    # because peak_to_average ≤ 86,400.
    assert r.servers_at_average_load <= r.servers_at_peak
    assert r.servers_at_peak <= r.servers_if_all_requests_in_one_second
    for count in r.server_counts():
        assert count.servers >= count.exact * (1 - 1e-9)
        assert count.servers < count.exact + 1
        if w.cost_per_server_hour is None:
            assert count.usd_per_hour is None
        else:
            assert count.usd_per_hour == pytest.approx(count.servers * w.cost_per_server_hour)


def test_check_catches_a_broken_report() -> None:
    import dataclasses

    good = estimate(PRESETS["lesson"].workload)
    good._check()
    broken = dataclasses.replace(good, servers_at_peak=1)  # below its exact 7.23
    with pytest.raises(AssertionError):
        broken._check()
