"""Batch routing speed: ``route_many`` against per-key loops over C routers, in one process.

Targets (issue 19, item 2): ``route_many`` of ``JumpHashRouter``, ``RendezvousRouter`` and
``ConsistentHashRing`` at ≥ 1× a plain Python loop over the C ``jump-consistent-hash``
package, and the ring at ≥ 1× a loop over ``uhashring``.

The baselines get every advantage: the jump loop calls the C function on keys already
hashed to the same 64-bit values our routers use (so its buckets are ours, which the run
checks), and neither loop builds a numpy array. Our side starts from raw int64 keys and
returns a numpy array of node labels, hashing included.

Each round times every pair back to back (CPU time of the benchmark's thread), the order
alternating between rounds, with the garbage collector off; the ratio is taken per round
and reported as the median and the range (min–max) over the rounds. Writes
``benchmarks/results/lb.routers.json`` and ``benchmarks/results/lb.routers.md`` (included
in docs/explanation/load-balancing.md).

Run: ``python benchmarks/lb_routers_bench.py`` (about two minutes; needs the ``dev``
extra, which brings ``jump-consistent-hash`` and ``uhashring``). ``--rounds``, ``--keys``
and ``--nodes`` change the defaults (7 rounds, 1,000,000 keys, 100 nodes);
``--render`` rewrites the table from the JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jump
import numpy as np
from uhashring import HashRing

from twitterdesign.lb import ConsistentHashRing, JumpHashRouter, RendezvousRouter, hash_keys

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
UHASHRING_KEYS = 200_000  # uhashring does ~0.25M keys/s; a subset keeps a round short


def timed(fn: Callable[[], object]) -> float:
    """CPU seconds of this thread: on a shared machine, wall time also counts the time
    slices other processes get, which land on whichever side happens to be running."""
    start = time.thread_time()
    fn()
    return time.thread_time() - start


def pairs(keys: np.ndarray, nodes: int) -> list[dict[str, Any]]:
    """The comparisons: a name, our call, the baseline call, and the keys they route."""
    hashed = hash_keys(keys).tolist()
    labels = list(range(nodes))
    jump_hash = jump.hash

    def jump_loop(n: int, hs: list[int] = hashed) -> Callable[[], object]:
        return lambda: [jump_hash(h, n) for h in hs]

    few = keys[:UHASHRING_KEYS]
    few_list = few.tolist()
    uh = HashRing(nodes=labels)  # 160 points per node, like ConsistentHashRing's default
    get_node = uh.get_node
    small = max(2, nodes // 10)
    routers = {
        "jump": JumpHashRouter(labels),
        "ring": ConsistentHashRing(labels),
        "rendezvous": RendezvousRouter(labels),
        "rendezvous_small": RendezvousRouter(list(range(small))),
    }
    return [
        {
            "name": "jump",
            "nodes": nodes,
            "keys": keys.size,
            "baseline": "jump-consistent-hash loop",
            "ours": lambda: routers["jump"].route_many(keys),
            "theirs": jump_loop(nodes),
        },
        {
            "name": "ring",
            "nodes": nodes,
            "keys": keys.size,
            "baseline": "jump-consistent-hash loop",
            "ours": lambda: routers["ring"].route_many(keys),
            "theirs": jump_loop(nodes),
        },
        {
            "name": "rendezvous",
            "nodes": nodes,
            "keys": keys.size,
            "baseline": "jump-consistent-hash loop",
            "ours": lambda: routers["rendezvous"].route_many(keys),
            "theirs": jump_loop(nodes),
        },
        {
            "name": "rendezvous",
            "nodes": small,
            "keys": keys.size,
            "baseline": "jump-consistent-hash loop",
            "ours": lambda: routers["rendezvous_small"].route_many(keys),
            "theirs": jump_loop(small),
        },
        {
            "name": "ring",
            "nodes": nodes,
            "keys": few.size,
            "baseline": "uhashring loop",
            "ours": lambda: routers["ring"].route_many(few),
            "theirs": lambda: [get_node(k) for k in few_list],
        },
    ]


def agreement(keys: np.ndarray, nodes: int) -> bool:
    """Our jump buckets equal the C package's on the same 64-bit hashes."""
    sample = keys[:100_000]
    ours = JumpHashRouter(list(range(nodes))).route_many(sample).tolist()
    return ours == [jump.hash(h, nodes) for h in hash_keys(sample).tolist()]


def run(rounds: int, n_keys: int, nodes: int) -> dict[str, Any]:
    keys = np.random.default_rng(0).integers(0, 2**63 - 1, size=n_keys, dtype=np.int64)
    comparisons = pairs(keys, nodes)
    ratios: list[list[float]] = [[] for _ in comparisons]
    ours_s: list[list[float]] = [[] for _ in comparisons]
    for c in comparisons:  # warm up: first calls allocate and page in
        c["ours"]()
    gc.collect()
    gc.disable()
    try:
        for r in range(rounds):
            for i, c in enumerate(comparisons):
                if r % 2 == 0:
                    ours, theirs = timed(c["ours"]), timed(c["theirs"])
                else:
                    theirs, ours = timed(c["theirs"]), timed(c["ours"])
                ratios[i].append(theirs / ours)
                ours_s[i].append(ours)
    finally:
        gc.enable()
    rows = []
    for c, rs, os_ in zip(comparisons, ratios, ours_s, strict=True):
        rows.append(
            {
                "router": c["name"],
                "nodes": c["nodes"],
                "keys": c["keys"],
                "baseline": c["baseline"],
                "ratios": rs,
                "ratio_median": statistics.median(rs),
                "ratio_min": min(rs),
                "ratio_max": max(rs),
                "keys_per_s_median": c["keys"] / statistics.median(os_),
            }
        )
    return {
        "rounds": rounds,
        "keys": n_keys,
        "nodes": nodes,
        "agree_with_c_jump": agreement(keys, nodes),
        "rows": rows,
    }


def markdown(data: dict[str, Any]) -> str:
    lines = [
        f"#### Batch routing against per-key loops over C routers ({data['rounds']} "
        "interleaved rounds, gc off, thread CPU time)",
        "",
        "| router | nodes | keys | baseline | ratio, median (range) | ours, keys/s | target |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for r in data["rows"]:
        lines.append(
            f"| `{r['router']}` route_many | {r['nodes']} | {r['keys']:,} | {r['baseline']} "
            f"| {r['ratio_median']:.2f}× ({r['ratio_min']:.2f}–{r['ratio_max']:.2f}) "
            f"| {r['keys_per_s_median'] / 1e6:.1f}M | ≥ 1× |"
        )
    agree = "equal" if data["agree_with_c_jump"] else "NOT equal"
    lines += [
        "",
        f"`JumpHashRouter` buckets are {agree} to the C package's on the same hashes. "
        "Ratio = baseline time ÷ our time on the same keys.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (>= 5)")
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--render", action="store_true", help="rewrite the table from JSON")
    args = parser.parse_args()
    path = RESULTS / "lb.routers.json"
    if args.render:
        data = json.loads(path.read_text())
    else:
        data = run(args.rounds, args.keys, args.nodes)
        RESULTS.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2) + "\n")
    text = markdown(data)
    (RESULTS / "lb.routers.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
