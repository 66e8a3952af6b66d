from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.strategies import bad_numbers
from twitterdesign._validate import (
    check_choice,
    check_fraction,
    check_int,
    check_number,
    check_probability_open,
)
from twitterdesign.errors import InvalidParameterError


@given(st.integers(min_value=1, max_value=10**12))
def test_check_int_accepts_in_range_and_numpy_ints(value: int) -> None:
    assert check_int("k", value, minimum=1) == value
    assert check_int("k", np.int64(value), minimum=1) == value


@pytest.mark.parametrize("value", [0, -1, 2.0, True, "3", None, float("nan")])
def test_check_int_rejects(value: object) -> None:
    with pytest.raises(InvalidParameterError, match=r"invalid k="):
        check_int("k", value, minimum=1)


def test_check_int_upper_bound_is_in_message() -> None:
    with pytest.raises(InvalidParameterError, match=r"\[1, 10\]"):
        check_int("depth", 11, minimum=1, maximum=10)


@given(bad_numbers)
def test_check_number_rejects_non_finite_and_non_numbers(value: object) -> None:
    with pytest.raises(InvalidParameterError, match="rate"):
        check_number("rate", value, minimum=0)


def test_check_number_open_bounds() -> None:
    assert check_number("x", 0.5, minimum=0, min_inclusive=False) == 0.5
    with pytest.raises(InvalidParameterError, match=r"> 0"):
        check_number("x", 0, minimum=0, min_inclusive=False)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_check_fraction_accepts_exactly_the_unit_interval(value: float) -> None:
    if math.isfinite(value) and 0 <= value <= 1:
        assert check_fraction("image_fraction", value) == value
    else:
        with pytest.raises(InvalidParameterError, match="image_fraction"):
            check_fraction("image_fraction", value)


@pytest.mark.parametrize("value", [0.0, 1.0, -0.1, 1.5])
def test_probability_open_excludes_endpoints(value: float) -> None:
    with pytest.raises(InvalidParameterError, match=r"\(0, 1\)"):
        check_probability_open("epsilon", value)


def test_check_choice_lists_the_options() -> None:
    assert check_choice("policy", "p2c", ["p2c", "rr"]) == "p2c"
    with pytest.raises(InvalidParameterError, match="'p2c', 'rr'"):
        check_choice("policy", "P2C", ["p2c", "rr"])
