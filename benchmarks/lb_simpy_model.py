"""The simulator's reference scenario written the textbook SimPy way, for comparison.

Same model as :func:`twitterdesign.lb.simulate` with a ``Scenario`` of Poisson arrivals,
exponential service, one request at a time per server (FIFO) and one
``PowerOfTwoChoices`` balancer per client: each request is a SimPy process that picks a
server, queues on its ``simpy.Resource``, holds it for the service time, and reports
back to its client's balancer.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from twitterdesign.lb import PowerOfTwoChoices


def simpy_p2c_latencies(
    *,
    clients: int,
    servers: int,
    requests: int,
    rate_per_s: float,
    mean_service_s: float,
    seed: int,
) -> np.ndarray:
    """Run the SimPy model and return every request's latency (seconds)."""
    gen = np.random.default_rng(seed)
    gaps = gen.exponential(1.0 / rate_per_s, requests).tolist()
    who = gen.integers(0, clients, requests).tolist()
    service = gen.exponential(mean_service_s, requests).tolist()
    env = simpy.Environment()
    resources = [simpy.Resource(env, capacity=1) for _ in range(servers)]
    balancers = [PowerOfTwoChoices(servers, rng=seed * 1000 + c) for c in range(clients)]
    latencies: list[float] = []

    def request(c: int, work: float) -> Generator[Any, Any, None]:
        balancer = balancers[c]
        i = balancer.pick()
        balancer.on_start(i)
        start = env.now
        with resources[i].request() as slot:
            yield slot
            yield env.timeout(work)
        latency = env.now - start
        balancer.on_finish(i, latency)
        latencies.append(latency)

    def source() -> Generator[Any, Any, None]:
        for k in range(requests):
            yield env.timeout(gaps[k])
            env.process(request(who[k], service[k]))

    env.process(source())
    env.run()
    return np.asarray(latencies)
