"""The simulator split into named parts (issue 19) gives the same results for a seed.

The oracle is the single-function event loop it replaced, kept verbatim in
``_legacy_simulate.py``. Scenarios cover every event kind: completions, timeouts,
refusals from down servers, revivals after ejection, queues under a concurrency limit,
slow periods, stale and global load views, bursty arrivals and the KLL quantile path.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.lb._legacy_simulate import legacy_run
from tests.strategies import seeds
from twitterdesign.lb import POLICY_NAMES, Outage, Scenario, ServiceTime, SlowPeriod, simulate


def _same(a: dict[str, object], b: dict[str, object]) -> bool:
    """Equal field by field, NaN equal to NaN (an empty run's quantiles)."""

    def norm(v: object) -> object:
        if isinstance(v, float) and math.isnan(v):
            return "nan"
        if isinstance(v, list | tuple):
            return [norm(x) for x in v]
        return v

    return {k: norm(v) for k, v in a.items()} == {k: norm(v) for k, v in b.items()}


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    servers = draw(st.integers(1, 6))
    faulty = st.integers(0, servers - 1)
    global_view = draw(st.booleans())
    return Scenario(
        clients=draw(st.integers(1, 5)),
        servers=servers,
        requests=draw(st.integers(1, 600)),
        rate_per_s=draw(st.floats(50.0, 2_000.0)),
        service=draw(
            st.sampled_from(
                [
                    ServiceTime.exponential(0.01),
                    ServiceTime.constant(0.005),
                    ServiceTime.bimodal(fast_s=0.002, slow_s=0.05, slow_fraction=0.2),
                ]
            )
        ),
        concurrency=draw(st.none() | st.integers(1, 3)),
        slow=tuple(
            SlowPeriod(
                server=draw(faulty), start_s=0.0, end_s=draw(st.floats(0.0, 1.0)), latency_s=0.2
            )
            for _ in range(draw(st.integers(0, 1)))
        ),
        outages=tuple(
            Outage(server=draw(faulty), start_s=0.0, end_s=draw(st.floats(0.0, 1.0)))
            for _ in range(draw(st.integers(0, 2)))
        ),
        arrivals=draw(st.sampled_from(["poisson", "bursty"])),
        timeout_s=draw(st.none() | st.floats(0.005, 0.1)),
        retries=draw(st.integers(0, 3)),
        eject_after=draw(st.integers(1, 4)),
        probe_after_s=draw(st.floats(0.01, 0.5)),
        load_view="global" if global_view else "local",
        staleness_s=draw(st.floats(0.0, 0.05)),
    )


@settings(max_examples=150, deadline=None)
@given(
    sc=scenarios(),
    policy=st.sampled_from(POLICY_NAMES),
    quantiles=st.sampled_from(["exact", "kll"]),
    seed=seeds,
)
def test_split_simulator_equals_the_single_function_one(
    sc: Scenario, policy: str, quantiles: str, seed: int
) -> None:
    try:
        old = legacy_run(sc, policy, None, quantiles, np.random.default_rng(seed)).to_dict()
    except Exception as exc:  # a policy that cannot run this scenario must still refuse it
        try:
            simulate(sc, policy, quantiles=quantiles, rng=seed)
        except type(exc):
            return
        raise AssertionError(f"the old simulator raised {exc!r}, the new one did not") from exc
    new = simulate(sc, policy, quantiles=quantiles, rng=seed).to_dict()
    if quantiles == "kll":
        # datasketches' KLL compacts at random (its own generator, not ours), so its
        # quantiles differ run to run even in the old simulator; everything else must not.
        old = {k: v for k, v in old.items() if not k.startswith("latency_")}
        new = {k: v for k, v in new.items() if not k.startswith("latency_")}
    assert _same(old, new)
