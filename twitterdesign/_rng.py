"""One helper for the project-wide ``rng`` argument convention."""

from __future__ import annotations

import numpy as np

from twitterdesign.errors import InvalidParameterError

__all__ = ["RngLike", "as_generator"]

RngLike = np.random.Generator | int | None
"""What every ``rng=`` argument accepts: a Generator, an integer seed, or None (fresh entropy)."""


def as_generator(rng: RngLike) -> np.random.Generator:
    """Return a numpy Generator for ``rng``.

    Args:
        rng: A Generator (returned as is), a non-negative integer seed, or None.

    Returns:
        A `numpy.random.Generator`; the same seed always gives the same stream.

    Raises:
        InvalidParameterError: If ``rng`` is of another type or a negative integer.

    Examples:
        >>> a = as_generator(42).integers(0, 1000, size=3)
        >>> b = as_generator(42).integers(0, 1000, size=3)
        >>> bool((a == b).all())
        True
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, bool) or not isinstance(rng, int | np.integer):
        raise InvalidParameterError(
            "rng", rng, "a numpy.random.Generator, a non-negative integer seed, or None"
        )
    if rng < 0:
        raise InvalidParameterError("rng", rng, "a non-negative integer seed")
    return np.random.default_rng(int(rng))
