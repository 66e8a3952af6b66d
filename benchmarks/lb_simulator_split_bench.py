"""Speed of the simulator split into named parts (issue 19) against the single-function
loop it replaced and against the SimPy model, in one process.

The old loop is the test oracle kept in ``tests/lb/_legacy_simulate.py``. Each round runs
the three on the same scenario (the bench_simulator one in ``lb_bench.py``: 100 clients ×
50 servers at 70% utilisation, P2C), the order rotating between rounds, with the garbage
collector off and thread CPU time as the clock; ratios are per round, reported as the
median and range.

Run: ``python benchmarks/lb_simulator_split_bench.py [--requests 200000] [--rounds 5]``
from the repository root.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lb_simpy_model import simpy_p2c_latencies

from tests.lb._legacy_simulate import legacy_run
from twitterdesign.lb import Scenario, ServiceTime, simulate


def timed(fn: Callable[[], object]) -> float:
    start = time.thread_time()
    fn()
    return time.thread_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    clients, servers, mean = 100, 50, 0.01
    rate = 0.7 * servers / mean
    sc = Scenario(
        clients=clients,
        servers=servers,
        requests=args.requests,
        rate_per_s=rate,
        service=ServiceTime.exponential(mean),
    )
    runs: dict[str, Callable[[], object]] = {
        "split": lambda: simulate(sc, "p2c", rng=1),
        "old": lambda: legacy_run(sc, "p2c", None, "exact", np.random.default_rng(1)),
        "simpy": lambda: simpy_p2c_latencies(
            clients=clients,
            servers=servers,
            requests=args.requests,
            rate_per_s=rate,
            mean_service_s=mean,
            seed=2,
        ),
    }
    names = list(runs)
    times: dict[str, list[float]] = {n: [] for n in names}
    gc.collect()
    gc.disable()
    for r in range(args.rounds):
        for name in names[r % 3 :] + names[: r % 3]:
            times[name].append(timed(runs[name]))
    gc.enable()
    for label, num, den in (
        ("SimPy ÷ split", "simpy", "split"),
        ("SimPy ÷ old", "simpy", "old"),
        ("old ÷ split", "old", "split"),
    ):
        ratios = [a / b for a, b in zip(times[num], times[den], strict=True)]
        print(
            f"{label}: median {statistics.median(ratios):.2f}× "
            f"(range {min(ratios):.2f}–{max(ratios):.2f}, {args.rounds} rounds, "
            f"{args.requests:,} requests)"
        )


if __name__ == "__main__":
    main()
