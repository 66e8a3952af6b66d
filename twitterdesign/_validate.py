"""Argument checks shared by the library; each raises InvalidParameterError.

The helpers return the validated value converted to its canonical Python type, so a
caller can write ``self._k = check_int("k", k, minimum=1)``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

from twitterdesign.errors import InvalidParameterError

__all__ = [
    "check_choice",
    "check_fraction",
    "check_int",
    "check_number",
    "check_probability_open",
]


def check_int(
    name: str,
    value: Any,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    """Return ``value`` as an int, or raise if it is not an integer within bounds.

    Booleans and floats (even integral ones such as ``3.0``) are rejected: a float
    where an integer count is expected is almost always a unit mistake.

    Examples:
        >>> check_int("k", 5, minimum=1)
        5
        >>> check_int("k", 0, minimum=1)
        Traceback (most recent call last):
        ...
        twitterdesign.errors.InvalidParameterError: invalid k=0: expected an integer >= 1
    """
    # numbers.Integral covers numpy integers without importing numpy (start-up time).
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InvalidParameterError(name, value, _int_range(minimum, maximum))
    ivalue = int(value)
    if (minimum is not None and ivalue < minimum) or (maximum is not None and ivalue > maximum):
        raise InvalidParameterError(name, value, _int_range(minimum, maximum))
    return ivalue


def check_number(
    name: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    min_inclusive: bool = True,
    max_inclusive: bool = True,
) -> float:
    """Return ``value`` as a finite float within bounds, or raise.

    NaN and infinities are always rejected; so are booleans and non-numbers.

    Examples:
        >>> check_number("rate", 2, minimum=0)
        2.0
        >>> check_number("rate", float("nan"), minimum=0)
        Traceback (most recent call last):
        ...
        twitterdesign.errors.InvalidParameterError: invalid rate=nan: expected a finite number >= 0
    """
    allowed = _float_range(minimum, maximum, min_inclusive, max_inclusive)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(name, value, allowed)
    fvalue = float(value)
    if not math.isfinite(fvalue):
        raise InvalidParameterError(name, value, allowed)
    if minimum is not None and (fvalue < minimum or (not min_inclusive and fvalue == minimum)):
        raise InvalidParameterError(name, value, allowed)
    if maximum is not None and (fvalue > maximum or (not max_inclusive and fvalue == maximum)):
        raise InvalidParameterError(name, value, allowed)
    return fvalue


def check_fraction(name: str, value: Any) -> float:
    """Return ``value`` as a float in the closed interval [0, 1], or raise.

    Examples:
        >>> check_fraction("image_fraction", 0.1)
        0.1
    """
    return check_number(name, value, minimum=0.0, maximum=1.0)


def check_probability_open(name: str, value: Any) -> float:
    """Return ``value`` as a float in the open interval (0, 1), or raise.

    Used for error rates such as a sketch's epsilon and delta.

    Examples:
        >>> check_probability_open("epsilon", 0.01)
        0.01
    """
    return check_number(
        name, value, minimum=0.0, maximum=1.0, min_inclusive=False, max_inclusive=False
    )


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, or raise naming them all.

    Examples:
        >>> check_choice("policy", "p2c", ["p2c", "round-robin"])
        'p2c'
    """
    options = list(choices)
    if not isinstance(value, str) or value not in options:
        raise InvalidParameterError(name, value, "one of " + ", ".join(repr(c) for c in options))
    return value


def _int_range(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"an integer in [{minimum}, {maximum}]"
    if minimum is not None:
        return f"an integer >= {minimum}"
    if maximum is not None:
        return f"an integer <= {maximum}"
    return "an integer"


def _float_range(
    minimum: float | None, maximum: float | None, min_inclusive: bool, max_inclusive: bool
) -> str:
    lo = ("[" if min_inclusive else "(") + f"{minimum:g}" if minimum is not None else None
    hi = f"{maximum:g}" + ("]" if max_inclusive else ")") if maximum is not None else None
    if lo is not None and hi is not None:
        return f"a finite number in {lo}, {hi}"
    if minimum is not None:
        return f"a finite number {'>=' if min_inclusive else '>'} {minimum:g}"
    if maximum is not None:
        return f"a finite number {'<=' if max_inclusive else '<'} {maximum:g}"
    return "a finite number"
