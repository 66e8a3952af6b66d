"""Build routers by name and measure balance, disruption and lookup speed."""

from __future__ import annotations

import time
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from twitterdesign._rng import RngLike, as_generator
from twitterdesign._validate import check_choice, check_int
from twitterdesign.lb._maglev import BoundedLoadRing, MaglevRouter
from twitterdesign.lb._routers import (
    ConsistentHashRing,
    JumpHashRouter,
    ModuloRouter,
    RendezvousRouter,
    RouterBase,
)

__all__ = ["ROUTER_NAMES", "RouterReport", "compare_routers", "make_router", "measure_router"]

ROUTER_NAMES: tuple[str, ...] = ("modulo", "ring", "rendezvous", "jump", "maglev", "bounded-ring")
"""Names accepted by `make_router`."""


def make_router(name: str, nodes: Sequence[Hashable], **options: Any) -> RouterBase:
    """Return a new router of the named kind over ``nodes``.

    Args:
        name: One of `ROUTER_NAMES`.
        nodes: Distinct node labels.
        **options: Passed to the router (``vnodes``, ``table_size``, ``load_factor``).

    Returns:
        The router.

    Raises:
        InvalidParameterError: If the name or an option is invalid.

    Examples:
        >>> type(make_router("maglev", ["a", "b"], table_size=13)).__name__
        'MaglevRouter'
    """
    check_choice("name", name, ROUTER_NAMES)
    classes: dict[str, Any] = {
        "modulo": ModuloRouter,
        "ring": ConsistentHashRing,
        "rendezvous": RendezvousRouter,
        "jump": JumpHashRouter,
        "maglev": MaglevRouter,
        "bounded-ring": BoundedLoadRing,
    }
    router: RouterBase = classes[name](nodes, **options)
    return router


@dataclass(frozen=True, slots=True)
class RouterReport:
    """Balance, disruption and speed of one router on one key set.

    Attributes:
        router: The router's name.
        nodes: Number of nodes.
        keys: Number of keys.
        max_over_mean: Keys on the fullest node ÷ the mean.
        moved_on_add: Share of keys whose node changed when one node was added.
        moved_on_remove: Share of keys whose node changed when a middle node was removed.
        optimal_add: The minimum possible share for an add, 1/(n+1).
        optimal_remove: The minimum possible share for a remove, 1/n.
        lookups_per_s: Keys routed per second by ``route_many`` (wall clock, this machine).
    """

    router: str
    nodes: int
    keys: int
    max_over_mean: float
    moved_on_add: float
    moved_on_remove: float
    optimal_add: float
    optimal_remove: float
    lookups_per_s: float

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as plain data."""
        return asdict(self)


def measure_router(
    name: str,
    *,
    nodes: int = 10,
    keys: int | np.ndarray = 100_000,
    rng: RngLike = None,
    **options: Any,
) -> RouterReport:
    """Measure a router's balance, its disruption on membership changes, and its speed.

    Disruption compares routers built from scratch before and after the change, so
    stateful routers (bounded loads) are measured the same way as stateless ones.

    Args:
        name: One of `ROUTER_NAMES`.
        nodes: Number of nodes n (≥ 2), labelled ``"node-0" …``.
        keys: A count of random uint64 keys to draw, or the keys themselves.
        rng: Random source for the keys.
        **options: Router options (see `make_router`).

    Returns:
        The report.

    Raises:
        InvalidParameterError: If an argument is invalid.

    Examples:
        >>> r = measure_router("jump", nodes=10, keys=20_000, rng=0)
        >>> abs(r.moved_on_add - r.optimal_add) < 0.02
        True
    """
    check_choice("name", name, ROUTER_NAMES)
    n = check_int("nodes", nodes, minimum=2)
    if isinstance(keys, np.ndarray):
        key_array = keys
    else:
        count = check_int("keys", keys, minimum=1)
        key_array = as_generator(rng).integers(0, 2**63 - 1, size=count, dtype=np.int64)
    labels = [f"node-{i}" for i in range(n)]
    base = make_router(name, labels, **options)
    start = time.perf_counter()
    before = base.route_many(key_array)
    elapsed = max(time.perf_counter() - start, 1e-9)
    counts = np.unique(before, return_counts=True)[1]
    full = np.zeros(n)
    full[: counts.size] = counts
    grown = make_router(name, [*labels, f"node-{n}"], **options).route_many(key_array)
    shrunk_router = make_router(name, labels, **options)
    shrunk_router.remove(labels[n // 2])
    shrunk = shrunk_router.route_many(key_array)
    size = len(key_array)
    return RouterReport(
        router=name,
        nodes=n,
        keys=size,
        max_over_mean=float(full.max() / (size / n)),
        moved_on_add=float(np.count_nonzero(before != grown) / size),
        moved_on_remove=float(np.count_nonzero(before != shrunk) / size),
        optimal_add=1 / (n + 1),
        optimal_remove=1 / n,
        lookups_per_s=size / elapsed,
    )


def compare_routers(
    *, nodes: int = 10, keys: int = 1_000_000, rng: RngLike = None
) -> tuple[RouterReport, ...]:
    """Run `measure_router` for every router on the same keys.

    Args:
        nodes: Number of nodes.
        keys: Number of random keys.
        rng: Random source.

    Returns:
        One report per name in `ROUTER_NAMES`.

    Raises:
        InvalidParameterError: If an argument is invalid.
    """
    count = check_int("keys", keys, minimum=1)
    key_array = as_generator(rng).integers(0, 2**63 - 1, size=count, dtype=np.int64)
    return tuple(measure_router(nm, nodes=nodes, keys=key_array) for nm in ROUTER_NAMES)
