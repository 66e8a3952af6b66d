"""Server capacity helpers: the lesson's two derivations and the peak factor."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twitterdesign.errors import InvalidParameterError
from twitterdesign.estimation import peak_factor, server_capacity, server_capacity_from_mix

positive = st.floats(min_value=1e-3, max_value=1e6)


def test_lesson_server_is_64000_per_second() -> None:
    # 3.5e9 cycles/s ÷ (1 CPI × 3.5e6 instructions) = 1,000 requests/s per core × 64.
    assert server_capacity() == 64_000
    assert server_capacity(clock_hz=3.5e9, cores=64, instructions_per_request=3.5e6) == 64_000


def test_lesson_mix_is_8180_and_harmonic_is_lower() -> None:
    assert server_capacity_from_mix(360, 16_000) == 8_180  # (360 + 16,000) / 2
    harmonic = server_capacity_from_mix(360, 16_000, method="harmonic")
    assert harmonic == pytest.approx(1 / (0.5 / 360 + 0.5 / 16_000))
    assert harmonic < 8_180
    assert round(8_180, -3) == 8_000  # the lesson's rounding


def test_peak_factor_80_20_is_4() -> None:
    assert peak_factor(0.8, 0.2) == pytest.approx(4.0)
    assert peak_factor(1.0, 1.0) == 1.0


@given(positive, positive, st.floats(min_value=0.0, max_value=1.0))
def test_mix_lies_between_pure_throughputs(cpu: float, memory: float, f: float) -> None:
    lo, hi = min(cpu, memory), max(cpu, memory)
    for method in ("lesson", "harmonic"):
        value = server_capacity_from_mix(cpu, memory, cpu_bound_fraction=f, method=method)  # type: ignore[arg-type]
        assert lo * (1 - 1e-9) <= value <= hi * (1 + 1e-9)
    # The harmonic (time-weighted) mean never exceeds the arithmetic one.
    assert server_capacity_from_mix(
        cpu, memory, cpu_bound_fraction=f, method="harmonic"
    ) <= server_capacity_from_mix(cpu, memory, cpu_bound_fraction=f) * (1 + 1e-9)


@given(positive, st.integers(min_value=1, max_value=256), positive)
def test_capacity_is_linear_in_cores_and_clock(clock: float, cores: int, k: float) -> None:
    base = server_capacity(clock_hz=clock, cores=cores)
    assert math.isclose(server_capacity(clock_hz=clock, cores=2 * cores), 2 * base)
    assert math.isclose(server_capacity(clock_hz=clock * k, cores=cores), k * base, rel_tol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"clock_hz": 0}, "clock_hz"),
        ({"cores": -1}, "cores"),
        ({"instructions_per_request": float("nan")}, "instructions_per_request"),
        ({"cycles_per_instruction": 0}, "cycles_per_instruction"),
    ],
)
def test_server_capacity_rejects_bad_input(kwargs: dict[str, float], name: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        server_capacity(**kwargs)
    assert info.value.name == name


def test_mix_and_peak_reject_bad_input() -> None:
    with pytest.raises(InvalidParameterError, match="cpu_bound_fraction"):
        server_capacity_from_mix(cpu_bound_fraction=1.5)
    with pytest.raises(InvalidParameterError, match="method"):
        server_capacity_from_mix(method="geometric")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="memory_bound_per_second"):
        server_capacity_from_mix(360, 0)
    with pytest.raises(InvalidParameterError, match="share_of_day"):
        peak_factor(0.2, 0.8)  # a factor below 1 is not a peak
