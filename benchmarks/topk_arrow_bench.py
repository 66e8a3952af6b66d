"""Benchmark Arrow input: sketches fed Arrow string batches vs Counter and DataSketches.

The stream is real text: every identifier token (``[A-Za-z_][A-Za-z0-9_]*``) of the
``.py`` files of this machine's CPython standard library, in file order, cut into
batches of 100,000. Each round feeds the whole stream to every path, in the same
process, with the garbage collector off (after a full collection), interleaved batch
by batch: each batch goes to every path in turn, in an order that rotates, so load
from other processes on this shared machine hits baselines and candidates alike. The
ratios are taken within a round and reported as their range over the rounds.

Baselines: ``collections.Counter.update`` on the Python list of each batch, and a
per-item Python loop over DataSketches' ``frequent_strings_sketch.update`` (map size
2**10, about Space-Saving's 1,000 counters). Candidates: `SpaceSaving`, `MisraGries`
(1,000 counters) and `CountMinSketch` (4 x 2,048) fed the same batches as
``pyarrow.StringArray`` — and, for comparison, `SpaceSaving` fed the Python lists.

Run ``python benchmarks/topk_arrow_bench.py`` (``--rounds``; ``--quick`` for a smoke
run). Writes ``benchmarks/results/topk_arrow.json`` and ``topk_arrow.md``.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import re
import sysconfig
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import datasketches
import numpy as np
import pyarrow as pa

from twitterdesign.topk import CountMinSketch, MisraGries, SpaceSaving

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
BATCH = 100_000
TARGETS = {
    "space_saving_arrow vs counter": 2.0,
    "misra_gries_arrow vs counter": 2.0,
    "space_saving_arrow vs datasketches_loop": 3.0,
    "misra_gries_arrow vs datasketches_loop": 3.0,
}


def stdlib_tokens(limit: int | None = None) -> tuple[list[str], int]:
    """Identifier tokens of the standard library's .py files (not site-packages)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    tokens: list[str] = []
    files = 0
    for path in sorted(root.rglob("*.py")):
        if "site-packages" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        tokens.extend(IDENTIFIER.findall(text))
        files += 1
        if limit is not None and len(tokens) >= limit:
            break
    return tokens[:limit], files


def steppers(lists: list[list[str]], arrays: list[Any]) -> dict[str, Callable[[int], Any]]:
    """Per path, a fresh ``step(i)`` that adds batch ``i`` to that path's own counter."""
    counter: Counter[str] = Counter()
    sketch = datasketches.frequent_strings_sketch(10)
    space_arrow, space_list = SpaceSaving(1000), SpaceSaving(1000)
    misra, count_min = MisraGries(1000), CountMinSketch(2048, 4, seed=1)

    def ds_step(i: int) -> None:
        update = sketch.update
        for item in lists[i]:
            update(item)

    return {
        "counter": lambda i: counter.update(lists[i]),
        "datasketches_loop": ds_step,
        "space_saving_arrow": lambda i: space_arrow.update_many(arrays[i]),
        "misra_gries_arrow": lambda i: misra.update_many(arrays[i]),
        "count_min_arrow": lambda i: count_min.update_many(arrays[i]),
        "space_saving_list": lambda i: space_list.update_many(lists[i]),
    }


def one_round(lists: list[list[str]], arrays: list[Any], r: int) -> dict[str, float]:
    """Seconds each path takes for the whole stream, interleaved batch by batch.

    Every batch is given to every path in turn (the order rotates from batch to batch),
    so a burst of load from other processes lands on all paths alike.
    """
    steps = steppers(lists, arrays)
    names = list(steps)
    seconds = dict.fromkeys(names, 0.0)
    gc.collect()
    gc.disable()
    try:
        for i in range(len(lists)):
            shift = (i + r) % len(names)
            for name in names[shift:] + names[:shift]:
                start = time.perf_counter()
                steps[name](i)
                seconds[name] += time.perf_counter() - start
    finally:
        gc.enable()
    return seconds


def run(rounds: int, limit: int | None) -> dict[str, Any]:
    tokens, files = stdlib_tokens(limit)
    lists = [tokens[i : i + BATCH] for i in range(0, len(tokens), BATCH)]
    arrays = [pa.array(batch, type=pa.string()) for batch in lists]
    one_round(lists[:2], arrays[:2], 0)  # warm-up: imports, first calls
    times: dict[str, list[float]] = {}
    for r in range(rounds):
        for name, t in one_round(lists, arrays, r).items():
            times.setdefault(name, []).append(t)
    ratios: dict[str, list[float]] = {}
    for name in ("space_saving_arrow", "misra_gries_arrow", "count_min_arrow", "space_saving_list"):
        for base in ("counter", "datasketches_loop"):
            ratios[f"{name} vs {base}"] = [
                b / c for b, c in zip(times[base], times[name], strict=True)
            ]
    return {
        "machine": f"{platform.machine()} / Python {platform.python_version()} / "
        f"numpy {np.__version__} / pyarrow {pa.__version__}",
        "events": len(tokens),
        "distinct": len(set(tokens)),
        "files": files,
        "batch": BATCH,
        "rounds": rounds,
        "events_per_s": {name: [len(tokens) / t for t in ts] for name, ts in times.items()},
        "ratios": ratios,
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"Measured on {result['machine']}: {result['events']:,} identifier tokens "
        f"({result['distinct']:,} distinct) of {result['files']:,} standard-library files, "
        f"batches of {result['batch']:,}, {result['rounds']} interleaved rounds, gc off. "
        "Paths interleaved batch by batch; ranges are over the rounds (ratios within each round).",
        "",
        "| Path | Events/s (min–max) |",
        "|---|---:|",
    ]
    for name, eps in result["events_per_s"].items():
        lines.append(f"| `{name}` | {min(eps) / 1e6:.2f}–{max(eps) / 1e6:.2f} M |")
    lines += ["", "| Ratio | Measured (min–max) | Target | Met (min) |", "|---|---:|---:|:---:|"]
    for name, values in result["ratios"].items():
        goal = TARGETS.get(name)
        met = "—" if goal is None else ("✅" if min(values) >= goal else "❌")
        target = "—" if goal is None else f">= {goal:.1f}×"
        lines.append(f"| {name} | {min(values):.2f}–{max(values):.2f}× | {target} | {met} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (>= 5)")
    parser.add_argument("--quick", action="store_true", help="300k tokens, 2 rounds")
    args = parser.parse_args()
    rounds, limit = (2, 300_000) if args.quick else (args.rounds, None)
    result = run(rounds, limit)
    print(markdown(result), flush=True)
    if args.quick:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "topk_arrow.json").write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    (RESULTS / "topk_arrow.md").write_text(markdown(result), encoding="utf-8")


if __name__ == "__main__":
    main()
