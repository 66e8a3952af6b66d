from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from tests.strategies import seeds
from twitterdesign._rng import as_generator
from twitterdesign.errors import InvalidParameterError


@given(seeds)
def test_same_seed_same_stream(seed: int) -> None:
    a = as_generator(seed).random(5)
    b = as_generator(seed).random(5)
    assert np.array_equal(a, b)


def test_generator_is_passed_through() -> None:
    gen = np.random.default_rng(1)
    assert as_generator(gen) is gen


@pytest.mark.parametrize("bad", [-1, 1.5, "7", True])
def test_bad_rng_is_rejected(bad: object) -> None:
    with pytest.raises(InvalidParameterError, match="rng"):
        as_generator(bad)  # type: ignore[arg-type]
