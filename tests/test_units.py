from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twitterdesign.errors import InvalidParameterError
from twitterdesign.units import (
    Quantity,
    format_bits_per_second,
    format_bytes,
    format_count,
    format_quantity,
    format_usd,
    parse_bits_per_second,
    parse_bytes,
    parse_count,
    parse_quantity,
)

magnitudes = st.floats(min_value=1.0, max_value=1e20, allow_nan=False)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (375e9, "375 GB"),
        (255e12, "255 TB"),
        (93.075e15, "93.1 PB"),
        (999, "999 B"),
        (1000, "1 KB"),
        (999_960, "1 MB"),  # rounding carries to the next prefix
        (0, "0 B"),
    ],
)
def test_format_bytes_uses_si_prefixes(value: float, text: str) -> None:
    assert format_bytes(value) == text


def test_format_rates_and_counts() -> None:
    assert format_bits_per_second(24e9) == "24 Gbps"
    assert format_bits_per_second(0.58e9) == "580 Mbps"
    assert format_count(156_250) == "156K"
    assert format_count(1.5e9) == "1.5B"
    assert format_usd(557_061.12) == "$557,061.12"


@pytest.mark.parametrize(
    ("text", "value", "dimension"),
    [
        ("1.2 TB", 1.2e12, "bytes"),
        ("200KB", 200e3, "bytes"),
        ("3 MiB", 3 * 2**20, "bytes"),
        ("9.6 Gbps", 9.6e9, "bits_per_second"),
        ("24 Gbit/s", 24e9, "bits_per_second"),
        ("30 MB/s", 30e6, "bytes_per_second"),
        ("25k", 25e3, "count"),
        ("25,000", 25e3, "count"),
        ("1.5bn", 1.5e9, "count"),
        ("1.5b", 1.5e9, "count"),
        ("512 B", 512, "bytes"),
        ("157K", 157e3, "count"),
        ("3 million", 3e6, "count"),
        ("12 bytes", 12, "bytes"),
        ("-4", -4, "count"),
    ],
)
def test_parse_quantity(text: str, value: float, dimension: str) -> None:
    q = parse_quantity(text)
    assert q.dimension == dimension
    assert q.value == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "abc", "1.2 XB", "1..2 TB", "TB 12", "1 2"])
def test_parse_quantity_rejects_garbage(text: str) -> None:
    with pytest.raises(InvalidParameterError, match="text"):
        parse_quantity(text)


def test_typed_parsers_reject_the_wrong_dimension() -> None:
    assert parse_bytes("3 MB") == 3e6
    assert parse_bytes("512") == 512
    assert parse_bits_per_second("394 Gbps") == 394e9
    assert parse_count("25,000") == 25_000
    assert parse_count("1.5B") == 1.5e9  # a lone B is billion where a count is expected
    with pytest.raises(InvalidParameterError, match="bytes"):
        parse_bytes("9.6 Gbps")
    with pytest.raises(InvalidParameterError, match="bits per second"):
        parse_bits_per_second("1 TB")
    with pytest.raises(InvalidParameterError, match="count"):
        parse_count("1 TB")


@given(magnitudes)
def test_bytes_round_trip_within_precision(value: float) -> None:
    parsed = parse_bytes(format_bytes(value, precision=6))
    assert math.isclose(parsed, value, rel_tol=1e-5)


@given(magnitudes)
def test_bit_rate_round_trip_within_precision(value: float) -> None:
    parsed = parse_bits_per_second(format_bits_per_second(value, precision=6))
    assert math.isclose(parsed, value, rel_tol=1e-5)


@given(st.floats(min_value=1.0, max_value=1e14, allow_nan=False))
def test_count_round_trip_within_precision(value: float) -> None:
    parsed = parse_count(format_count(value, precision=6))
    assert math.isclose(parsed, value, rel_tol=1e-5)


def test_format_quantity_dispatches_on_dimension() -> None:
    assert format_quantity(Quantity(2e6, "bytes_per_second")) == "2 MB/s"
    assert format_quantity(Quantity(2e6, "count")) == "2M"


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "5", None])
def test_formatters_reject_non_finite(bad: object) -> None:
    with pytest.raises(InvalidParameterError):
        format_bytes(bad)  # type: ignore[arg-type]
