"""Hurwitz zeta and the discrete power-law MLE."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import seeds
from twitterdesign.errors import InvalidParameterError
from twitterdesign.timeline import fit_power_law_exponent, hurwitz_zeta


def _zeta_direct(s: float, q: float, terms: int = 200_000) -> float:
    """Sum many terms directly and close the rest with the integral bounds' midpoint."""
    k = np.arange(terms, dtype=float) + q
    a = q + terms
    return float(np.sum(k ** (-s))) + a ** (1 - s) / (s - 1) + 0.5 * a ** (-s)


@given(s=st.floats(1.2, 6.0), q=st.floats(1.0, 500.0))
def test_hurwitz_zeta_matches_a_long_direct_sum(s: float, q: float) -> None:
    assert hurwitz_zeta(s, q) == pytest.approx(_zeta_direct(s, q), rel=1e-10)


def test_hurwitz_zeta_known_values() -> None:
    assert hurwitz_zeta(2.0, 1.0) == pytest.approx(math.pi**2 / 6, rel=1e-12)
    assert hurwitz_zeta(4.0, 1.0) == pytest.approx(math.pi**4 / 90, rel=1e-12)
    with pytest.raises(InvalidParameterError):
        hurwitz_zeta(1.0, 1.0)
    with pytest.raises(InvalidParameterError):
        hurwitz_zeta(2.0, 0.0)


@settings(max_examples=15)
@given(alpha=st.floats(1.8, 3.5), seed=seeds)
def test_fit_recovers_the_exponent_of_zipf_samples(alpha: float, seed: int) -> None:
    x = np.random.default_rng(seed).zipf(alpha, size=40_000)
    fit = fit_power_law_exponent(x, xmin=1)
    assert fit.n_tail == 40_000
    assert fit.exponent == pytest.approx(alpha, abs=max(0.05, 6 * fit.standard_error))


@settings(max_examples=15)
@given(alpha=st.floats(1.8, 3.5), seed=seeds, xmin=st.integers(1, 5))
def test_fit_maximises_the_likelihood(alpha: float, seed: int, xmin: int) -> None:
    x = np.random.default_rng(seed).zipf(alpha, size=2_000)
    tail = x[x >= xmin]
    if tail.size < 2 or tail.max() == xmin:
        return
    fit = fit_power_law_exponent(x, xmin=xmin)

    def loglik(a: float) -> float:
        return -tail.size * math.log(_zeta_direct(a, xmin, terms=20_000)) - a * float(
            np.log(tail).sum()
        )

    best = loglik(fit.exponent)
    for delta in (-0.01, 0.01):
        assert best >= loglik(fit.exponent + delta) - 1e-9


def test_fit_errors() -> None:
    with pytest.raises(InvalidParameterError, match="xmin"):
        fit_power_law_exponent([1, 2, 3], xmin=0)
    with pytest.raises(InvalidParameterError, match="values"):
        fit_power_law_exponent([1, 2, 3], xmin=10)
    with pytest.raises(InvalidParameterError, match="values"):
        fit_power_law_exponent([-1, 2, 3])
    with pytest.raises(InvalidParameterError, match="values"):
        fit_power_law_exponent([1.5, 2.0])
    assert fit_power_law_exponent([1, 2, 3, 4]).to_dict()["xmin"] == 1
