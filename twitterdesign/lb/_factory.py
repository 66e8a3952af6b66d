"""Build a policy by name (used by the simulator and the command line)."""

from __future__ import annotations

from collections.abc import Callable

from twitterdesign._rng import RngLike
from twitterdesign._validate import check_choice, check_int
from twitterdesign.lb._aperture import DeterministicAperture, RandomAperture
from twitterdesign.lb._base import BalancerBase, Clock
from twitterdesign.lb._policies import (
    LeastLoaded,
    PeakEwma,
    PowerOfTwoChoices,
    RandomChoice,
    RoundRobin,
)

__all__ = ["POLICY_NAMES", "make_balancer"]

POLICY_NAMES: tuple[str, ...] = (
    "round-robin",
    "random",
    "least-loaded",
    "p2c",
    "peak-ewma",
    "random-aperture",
    "deterministic-aperture",
)
"""Names accepted by `make_balancer`, in the order the lesson introduces them."""


def make_balancer(
    name: str,
    backends: int,
    *,
    client_index: int = 0,
    client_count: int = 1,
    aperture: int | None = None,
    decay_s: float = 10.0,
    clock: Clock | None = None,
    rng: RngLike = None,
) -> BalancerBase:
    """Return a new balancer of the named policy.

    Args:
        name: One of `POLICY_NAMES`.
        backends: Number of backends (at least 1).
        client_index: This client's index in its peer group (deterministic aperture).
        client_count: Size of the peer group (deterministic aperture).
        aperture: Aperture size: the initial and minimum k of random aperture (default
            1, as in Finagle), the logical aperture of deterministic aperture (default 12).
        decay_s: Peak EWMA's τ in seconds.
        clock: Time source for time-aware policies (peak EWMA, random aperture).
        rng: Random source.

    Returns:
        A fresh balancer.

    Raises:
        InvalidParameterError: If the name is unknown or an argument is out of range
            (including an aperture larger than the server set).

    Examples:
        >>> type(make_balancer("p2c", 5, rng=0)).__name__
        'PowerOfTwoChoices'
        >>> make_balancer("fastest", 5)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        twitterdesign.errors.InvalidParameterError: invalid name='fastest': expected one of ...
    """
    check_choice("name", name, POLICY_NAMES)
    n = check_int("backends", backends, minimum=1)
    if aperture is not None:
        check_int("aperture", aperture, minimum=1, maximum=n)
    builders: dict[str, Callable[[], BalancerBase]] = {
        "round-robin": lambda: RoundRobin(n, rng=rng),
        "random": lambda: RandomChoice(n, rng=rng),
        "least-loaded": lambda: LeastLoaded(n, rng=rng),
        "p2c": lambda: PowerOfTwoChoices(n, rng=rng),
        "peak-ewma": lambda: PeakEwma(n, decay_s=decay_s, clock=clock, rng=rng),
        "random-aperture": lambda: RandomAperture(
            n,
            aperture=aperture,
            min_aperture=1 if aperture is None else aperture,
            clock=clock,
            rng=rng,
        ),
        "deterministic-aperture": lambda: DeterministicAperture(
            n,
            client_index=client_index,
            client_count=client_count,
            min_aperture=12 if aperture is None else aperture,
            rng=rng,
        ),
    }
    return builders[name]()
