"""Growth projection and one-at-a-time sensitivity."""

from __future__ import annotations

import dataclasses
import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import workloads
from twitterdesign.errors import InvalidParameterError
from twitterdesign.estimation import (
    PRESETS,
    SENSITIVITY_INPUTS,
    SENSITIVITY_OUTPUTS,
    SensitivityBar,
    Workload,
    estimate,
    project_growth,
    sensitivity,
)


def test_growth_by_hand() -> None:
    w = PRESETS["lesson-2022"].workload.with_(retention_years=2)
    p = project_growth(w, annual_growth=0.5, years=3)
    assert [y.year for y in p.years] == [0, 1, 2, 3]
    users = [250e6 * 1.5**k for k in range(4)]
    assert [y.daily_active_users for y in p.years] == pytest.approx(users)
    assert p.years[0].report == estimate(w)
    # Replicated data written each year: users × 170,250 B × 3 tweets × 365 days × 3 copies.
    written = [u * 3 * 170_250 * 365 * 3 for u in users]
    # Retention 2 years: year 3 keeps the data of years 2 and 3.
    assert p.years[3].storage_bytes_kept == pytest.approx(written[2] + written[3])
    assert p.years[1].storage_bytes_kept == pytest.approx(written[0] + written[1])
    assert p.years[3].report.workload.total_users == pytest.approx(397e6 * 1.5**3)
    assert p.to_dict()["annual_growth"] == 0.5


@given(
    workloads(),
    st.floats(min_value=1.0, max_value=4e9),
    st.floats(min_value=0.0, max_value=2.0),
    st.integers(0, 5),
)
def test_growth_never_shrinks_capacity(
    w: Workload, users: float, growth: float, years: int
) -> None:
    # At most 4e9 users, so tripling for five years (× 243) stays within the 1e12 limit.
    p = project_growth(w.with_(daily_active_users=users), annual_growth=growth, years=years)
    assert len(p.years) == years + 1
    for before, after in itertools.pairwise(p.years):
        assert after.report.storage_bytes_per_day >= before.report.storage_bytes_per_day
        assert after.report.servers_at_peak >= before.report.servers_at_peak


def test_growth_bad_input() -> None:
    w = Workload(1e6)
    with pytest.raises(InvalidParameterError, match="annual_growth"):
        project_growth(w, annual_growth=-1.0, years=2)
    with pytest.raises(InvalidParameterError, match="years"):
        project_growth(w, annual_growth=0.1, years=-1)
    with pytest.raises(InvalidParameterError, match="annual_growth"):
        project_growth(w, annual_growth=float("nan"), years=1)


def test_sensitivity_lesson_by_hand() -> None:
    s = sensitivity(PRESETS["lesson"].workload, relative_change=0.1)
    assert len(s.bars) == len(SENSITIVITY_INPUTS) * len(SENSITIVITY_OUTPUTS)
    # Outgoing bandwidth = views/s × (250 + 0.1 × 200 KB + 0.05 × 3 MB) × 8: video bytes
    # carry 150,000 / 170,250 = 88% of it, so ±10% of video bytes moves it ±8.8%.
    bars = {b.input: b for b in s.for_output("outgoing_bits_per_second")}
    low, high = bars["video_bytes"].relative()
    assert high == pytest.approx(0.1 * 150_000 / 170_250)
    assert low == pytest.approx(-0.1 * 150_000 / 170_250)
    # Daily users and tweets viewed are proportional: exactly ±10%.
    assert bars["daily_active_users"].relative() == pytest.approx((-0.1, 0.1))
    # The server count does not depend on storage inputs at all.
    servers = {b.input: b for b in s.for_output("servers_at_peak_exact")}
    assert servers["video_bytes"].swing == 0
    # Servers are inversely proportional to capacity: 1/0.9 - 1 and 1/1.1 - 1.
    assert servers["requests_per_server_per_second"].relative() == pytest.approx(
        (1 / 0.9 - 1, 1 / 1.1 - 1)
    )
    assert s.most_influential("outgoing_bits_per_second") == "daily_active_users"
    # Clipping: the 80/20 factor 4 → 3.6 and 4.4; replication 3 → 2.7, 3.3.
    assert (servers["peak_to_average"].input_low, servers["peak_to_average"].input_high) == (
        pytest.approx(3.6),
        pytest.approx(4.4),
    )


def test_sensitivity_clips_to_valid_ranges() -> None:
    w = Workload(1e6, image_fraction=0.9, video_fraction=0.1, peak_to_average=1.0)
    s = sensitivity(w, relative_change=0.5)
    bars = {b.input: b for b in s.for_output("storage_bytes_per_day")}
    assert bars["image_fraction"].input_high == pytest.approx(0.9)  # 0.9 + 0.1 = 1 already
    assert bars["peak_to_average"].input_low == 1.0


@given(workloads(), st.floats(min_value=0.01, max_value=0.9))
def test_sensitivity_proportional_outputs_move_by_the_step(w: Workload, step: float) -> None:
    s = sensitivity(w, relative_change=step)
    for output in ("storage_bytes_per_day", "outgoing_bits_per_second", "cache_bytes"):
        bar = next(b for b in s.for_output(output) if b.input == "daily_active_users")
        assert math.isclose(bar.output_high, bar.output_base * (1 + step), rel_tol=1e-9)
        assert math.isclose(bar.output_low, bar.output_base * (1 - step), rel_tol=1e-9)
    _assert_tornado_order(s.for_output("storage_bytes_total"))


def _assert_tornado_order(ordered: tuple[SensitivityBar, ...]) -> None:
    # The documented rule: largest swing first; swings equal to 9 significant digits
    # tie and go by input name. Relative to each pair, so it holds at any magnitude.
    for a, b in itertools.pairwise(ordered):
        assert a.swing >= b.swing * (1 - 1e-8), (a, b)
        if a.input > b.input:
            assert a.swing > b.swing, (a, b)


@given(workloads(), st.floats(min_value=0.01, max_value=0.9))
def test_sensitivity_bars_follow_the_tie_rule_for_every_output(w: Workload, step: float) -> None:
    s = sensitivity(w, relative_change=step)
    for output in SENSITIVITY_OUTPUTS:
        _assert_tornado_order(s.for_output(output))


def _bar(name: str, swing: float, base: float) -> SensitivityBar:
    return SensitivityBar(name, "cache_bytes", 0.9, 1.1, base, base, base + swing)


def test_small_swings_are_ordered_relative_to_themselves_not_to_the_largest() -> None:
    # Regression: swings were rounded to 9 digits of the *largest* output, so two
    # small bars (1 and 2 bytes next to 1 TB) tied and went by name, smaller first.
    base = sensitivity(Workload(1e6))
    bars = (_bar("aaa", 1.0, 10.0), _bar("zzz", 2.0, 10.0), _bar("big", 1e12, 1e12))
    report = dataclasses.replace(base, bars=bars)
    assert [b.input for b in report.for_output("cache_bytes")] == ["big", "zzz", "aaa"]
    # Swings equal to 9 significant digits tie, and ties go by name.
    noisy = (_bar("zzz", 0.30000000000000004, 1.0), _bar("aaa", 0.3, 1.0))
    report = dataclasses.replace(base, bars=noisy)
    assert [b.input for b in report.for_output("cache_bytes")] == ["aaa", "zzz"]
    # Ten digits apart is no tie: the larger swing comes first, whatever its name.
    apart = (_bar("aaa", 1.0, 1.0), _bar("zzz", 1.00000001, 1.0))
    report = dataclasses.replace(base, bars=apart)
    assert [b.input for b in report.for_output("cache_bytes")] == ["zzz", "aaa"]


def test_sensitivity_bad_input() -> None:
    with pytest.raises(InvalidParameterError, match="relative_change"):
        sensitivity(Workload(1e6), relative_change=0)
    with pytest.raises(InvalidParameterError, match="relative_change"):
        sensitivity(Workload(1e6), relative_change=1.5)
    with pytest.raises(InvalidParameterError, match="output"):
        sensitivity(Workload(1e6)).for_output("happiness")


def test_growth_past_the_workload_limit_names_annual_growth() -> None:
    # 500 billion users doubling for two years passes the 1e12 limit in year 1.
    with pytest.raises(InvalidParameterError) as info:
        project_growth(Workload(5e11), annual_growth=1.0, years=2)
    assert info.value.name == "annual_growth"
    assert "1e+12" in str(info.value)
    assert len(project_growth(Workload(5e11), annual_growth=1.0, years=1).years) == 2


def test_sensitivity_clips_to_the_field_limits() -> None:
    w = Workload(1e12, requests_per_server_per_second=1e-3)
    bars = {b.input: b for b in sensitivity(w, relative_change=0.5).for_output("cache_bytes")}
    assert bars["daily_active_users"].input_high == 1e12
    assert bars["requests_per_server_per_second"].input_low == 1e-3
