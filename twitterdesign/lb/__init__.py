"""Client-side load balancing, Finagle style: policies, hashing routers, a simulator.

Request-level policies (the :class:`Balancer` protocol): :class:`RoundRobin`,
:class:`RandomChoice`, :class:`LeastLoaded`, :class:`PowerOfTwoChoices`,
:class:`PeakEwma`; session-level subsetting: :class:`RandomAperture` and
:class:`DeterministicAperture`.

Example:
    >>> from twitterdesign.lb import PowerOfTwoChoices
    >>> lb = PowerOfTwoChoices(4, rng=0)
    >>> i = lb.pick(); lb.on_start(i); lb.on_finish(i, 0.012)
    >>> 0 <= i < 4
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twitterdesign.lb._aperture import DeterministicAperture, RandomAperture, Ring, aperture_width
from twitterdesign.lb._base import Balancer, BalancerBase, Clock
from twitterdesign.lb._factory import POLICY_NAMES, make_balancer
from twitterdesign.lb._policies import (
    LeastLoaded,
    PeakEwma,
    PowerOfTwoChoices,
    RandomChoice,
    RoundRobin,
)
from twitterdesign.lb._scenario import Outage, Scenario, ServiceTime, SlowPeriod
from twitterdesign.lb._simulate import PolicyFactory, SimulationResult, simulate

if TYPE_CHECKING:
    from twitterdesign.lb.transport import BalancedTransport

__all__ = [
    "POLICY_NAMES",
    "BalancedTransport",
    "Balancer",
    "BalancerBase",
    "Clock",
    "DeterministicAperture",
    "LeastLoaded",
    "Outage",
    "PeakEwma",
    "PolicyFactory",
    "PowerOfTwoChoices",
    "RandomAperture",
    "RandomChoice",
    "Ring",
    "RoundRobin",
    "Scenario",
    "ServiceTime",
    "SimulationResult",
    "SlowPeriod",
    "aperture_width",
    "make_balancer",
    "simulate",
]


def __getattr__(name: str) -> Any:
    # httpx is optional: load the transport (and httpx) only when it is asked for.
    if name == "BalancedTransport":
        from twitterdesign.lb.transport import BalancedTransport

        return BalancedTransport
    raise AttributeError(f"module 'twitterdesign.lb' has no attribute {name!r}")
