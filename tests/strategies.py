"""Hypothesis strategies shared by the test suite (one place, as attrs/cattrs do it)."""

from __future__ import annotations

from hypothesis import strategies as st

#: Finite, non-negative floats of a sane magnitude for rates and sizes.
non_negative_floats = st.floats(
    min_value=0.0, max_value=1e15, allow_nan=False, allow_infinity=False
)

#: Positive floats of a sane magnitude.
positive_floats = st.floats(min_value=1e-6, max_value=1e15, allow_nan=False, allow_infinity=False)

#: Fractions in [0, 1].
fractions = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)

#: Values that no numeric parameter should accept.
bad_numbers = st.sampled_from([float("nan"), float("inf"), float("-inf"), "1", None, True])

#: Seeds for the project's ``rng=`` argument.
seeds = st.integers(min_value=0, max_value=2**32 - 1)
