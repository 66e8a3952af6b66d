"""Client-side load balancing, Finagle style: policies, hashing routers, a simulator.

Request-level policies (the `Balancer` protocol): `RoundRobin`,
`RandomChoice`, `LeastLoaded`, `PowerOfTwoChoices`,
`PeakEwma`; session-level subsetting: `RandomAperture` and
`DeterministicAperture`. Key routers (the `KeyRouter` protocol):
`ModuloRouter`, `ConsistentHashRing`, `RendezvousRouter`,
`JumpHashRouter`, `MaglevRouter`, `BoundedLoadRing`. The
simulator: `Scenario` and `simulate`. Real HTTP:
`BalancedTransport` (needs httpx).

Examples:
    >>> from twitterdesign.lb import PowerOfTwoChoices
    >>> lb = PowerOfTwoChoices(4, rng=0)
    >>> i = lb.pick(); lb.on_start(i); lb.on_finish(i, 0.012)
    >>> 0 <= i < 4
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twitterdesign.lb._analysis import (
    PLAN_KINDS,
    BallsIntoBins,
    ConnectionPlan,
    balls_into_bins,
    connection_plan,
)
from twitterdesign.lb._aperture import DeterministicAperture, RandomAperture, Ring, aperture_width
from twitterdesign.lb._base import Balancer, BalancerBase, Clock
from twitterdesign.lb._factory import POLICY_NAMES, make_balancer
from twitterdesign.lb._hashing import hash_key, hash_keys
from twitterdesign.lb._maglev import BoundedLoadRing, MaglevRouter
from twitterdesign.lb._policies import (
    LeastLoaded,
    PeakEwma,
    PowerOfTwoChoices,
    RandomChoice,
    RoundRobin,
)
from twitterdesign.lb._router_report import (
    ROUTER_NAMES,
    RouterReport,
    compare_routers,
    make_router,
    measure_router,
)
from twitterdesign.lb._routers import (
    ConsistentHashRing,
    JumpHashRouter,
    KeyRouter,
    ModuloRouter,
    RendezvousRouter,
    RouterBase,
)
from twitterdesign.lb._scenario import (
    DEFAULT_MAX_MEMORY_BYTES,
    Outage,
    Scenario,
    ServiceTime,
    SlowPeriod,
)
from twitterdesign.lb._simulate import PolicyFactory, SimulationResult, simulate

if TYPE_CHECKING:
    from twitterdesign.lb.transport import BalancedTransport

__all__ = [
    "DEFAULT_MAX_MEMORY_BYTES",
    "PLAN_KINDS",
    "POLICY_NAMES",
    "ROUTER_NAMES",
    "BalancedTransport",
    "Balancer",
    "BalancerBase",
    "BallsIntoBins",
    "BoundedLoadRing",
    "Clock",
    "ConnectionPlan",
    "ConsistentHashRing",
    "DeterministicAperture",
    "JumpHashRouter",
    "KeyRouter",
    "LeastLoaded",
    "MaglevRouter",
    "ModuloRouter",
    "Outage",
    "PeakEwma",
    "PolicyFactory",
    "PowerOfTwoChoices",
    "RandomAperture",
    "RandomChoice",
    "RendezvousRouter",
    "Ring",
    "RoundRobin",
    "RouterBase",
    "RouterReport",
    "Scenario",
    "ServiceTime",
    "SimulationResult",
    "SlowPeriod",
    "aperture_width",
    "balls_into_bins",
    "compare_routers",
    "connection_plan",
    "hash_key",
    "hash_keys",
    "make_balancer",
    "make_router",
    "measure_router",
    "simulate",
]


def __getattr__(name: str) -> Any:
    # httpx is optional: load the transport (and httpx) only when it is asked for.
    if name == "BalancedTransport":
        from twitterdesign.lb.transport import BalancedTransport

        return BalancedTransport
    raise AttributeError(f"module 'twitterdesign.lb' has no attribute {name!r}")
