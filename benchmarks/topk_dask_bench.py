"""Benchmark sketches on Dask: events/s on 1 vs 2 workers, bytes shipped, merged accuracy.

A Zipf(1.1) hashtag stream (``--events``, default 5 million; the issue's figure is 50
million) over 200,000 tags is written to Parquet files (``--files``), then counted by
`twitterdesign.topk.dask.reduce_sketch` with a `SpaceSaving` (``--capacity``) on two
local clusters of worker processes, one with 1 worker and one with 2 (one thread each).
Rounds alternate between the clusters; events/s is reported as a range over rounds.

Also measured: the bytes of serialized sketches shipped into merges against the raw
column (Arrow offsets + UTF-8 data, and the Parquet files on disk); the merged top-100
against exact counts (recall, largest relative error, and whether every bound holds);
and how far HeavyKeeper's approximate merge drifts from one HeavyKeeper over the same
stream, for 2 to 16 partitions.

Run ``python benchmarks/topk_dask_bench.py`` (``--events 50000000`` for the issue's
size; ``--quick`` for a smoke run). Writes ``benchmarks/results/topk_dask.json`` and
``topk_dask.md``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import dask
import dask.dataframe as dd
import distributed
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from twitterdesign.topk import HeavyKeeper, SpaceSaving
from twitterdesign.topk.dask import reduce_sketch

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
TAGS = 200_000
K = 100


def write_stream(directory: Path, events: int, files: int, seed: int = 7) -> list[str]:
    """Write ``events`` Zipf(1.1) hashtags as ``files`` Parquet files; return their paths."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, TAGS + 1) ** 1.1
    weights /= weights.sum()
    names = pa.array([f"#tag{i}" for i in range(TAGS)], pa.string())
    paths = []
    per_file = events // files
    for f in range(files):
        n = per_file if f < files - 1 else events - per_file * (files - 1)
        done = 0
        path = directory / f"events-{f:03d}.parquet"
        with pq.ParquetWriter(path, pa.schema([("hashtag", pa.string())])) as writer:
            while done < n:
                size = min(1_000_000, n - done)
                ids = rng.choice(TAGS, size=size, p=weights)
                writer.write_table(pa.table({"hashtag": names.take(pa.array(ids))}))
                done += size
        paths.append(str(path))
    return paths


def exact_counts(paths: list[str]) -> tuple[dict[str, int], int]:
    """Exact counts per tag (Arrow's value_counts per file, summed) and the column's bytes."""
    totals: dict[str, int] = {}
    raw = 0
    for path in paths:
        column = pq.read_table(path, columns=["hashtag"]).column(0).combine_chunks()
        raw += column.nbytes
        counted = pc.value_counts(column)
        for tag, n in zip(
            counted.field("values").to_pylist(), counted.field("counts").to_pylist(), strict=True
        ):
            totals[tag] = totals.get(tag, 0) + n
    return totals, raw


def accuracy(sketch: Any, truth: dict[str, int]) -> dict[str, Any]:
    """Recall of the true top-100 in the sketch's top-100, worst relative error, bounds."""
    true_top = sorted(truth, key=lambda t: -truth[t])[:K]
    listed = sketch.top_k(K)
    recall = len({h.item for h in listed} & set(true_top)) / K
    errors = [abs(h.estimate - truth.get(h.item, 0)) / max(truth.get(h.item, 0), 1) for h in listed]
    bounds_hold = all(h.lower_bound <= truth.get(h.item, 0) <= h.upper_bound for h in listed)
    return {"recall": recall, "max_relative_error": max(errors), "bounds_hold": bounds_hold}


def heavy_keeper_drift(paths: list[str], truth: dict[str, int], parts: list[int]) -> list[dict]:
    """One HeavyKeeper over the stream vs HeavyKeepers over ``p`` parts, merged."""
    column = pa.concat_arrays(
        [pq.read_table(p, columns=["hashtag"]).column(0).combine_chunks() for p in paths]
    )
    rows = []
    for p in parts:
        bounds = np.linspace(0, len(column), p + 1).astype(int)
        merged = HeavyKeeper(2048, 2, k=K, rng=0)
        for lo, hi in itertools.pairwise(bounds.tolist()):
            part = HeavyKeeper(2048, 2, k=K, rng=0)
            for start in range(lo, hi, 500_000):
                part.update_many(column.slice(start, min(500_000, hi - start)))
            merged.merge(part)
        rows.append({"partitions": p, **accuracy(merged, truth)})
    return rows


def time_reduce(paths: list[str], capacity: int) -> tuple[float, Any]:
    """Wall time of one reduction on the active client (reading the files included)."""
    start = time.perf_counter()
    frame = dd.read_parquet(paths, columns=["hashtag"])
    result = reduce_sketch(frame, SpaceSaving(capacity), column="hashtag", split_every=8)
    return time.perf_counter() - start, result


def run(events: int, files: int, rounds: int, capacity: int, directory: Path) -> dict[str, Any]:
    paths = write_stream(directory, events, files)
    truth, raw_bytes = exact_counts(paths)
    disk_bytes = sum(os.path.getsize(p) for p in paths)
    speeds: dict[int, list[float]] = {1: [], 2: []}
    last: Any = None
    clusters = {
        n: distributed.LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
        for n in (1, 2)
    }
    try:
        for r in range(rounds + 1):  # round 0 warms the workers up (imports, file cache)
            for n in (1, 2) if r % 2 else (2, 1):
                with distributed.Client(clusters[n]) as client:
                    client.wait_for_workers(n)
                    seconds, last = time_reduce(paths, capacity)
                if r:
                    speeds[n].append(events / seconds)
    finally:
        for cluster in clusters.values():
            cluster.close()
    return {
        "machine": f"{platform.machine()} / {os.cpu_count()} CPUs (shared) / Python "
        f"{platform.python_version()} / dask {dask.__version__} / pyarrow {pa.__version__}",
        "events": events,
        "files": files,
        "distinct": len(truth),
        "capacity": capacity,
        "rounds": rounds,
        "events_per_s": {f"{n}_workers": v for n, v in speeds.items()},
        "speedup_2_vs_1": [b / a for a, b in zip(speeds[1], speeds[2], strict=True)],
        "bytes_shipped": last.bytes_shipped,
        "partitions": last.partitions,
        "raw_column_bytes": raw_bytes,
        "parquet_bytes": disk_bytes,
        "merged_space_saving": accuracy(last.sketch, truth),
        "heavy_keeper_merge": heavy_keeper_drift(paths, truth, [1, 2, 4, 8, 16]),
    }


def markdown(r: dict[str, Any]) -> str:
    def span(values: list[float], scale: float = 1.0, digits: int = 2) -> str:
        return f"{min(values) / scale:.{digits}f}–{max(values) / scale:.{digits}f}"

    acc = r["merged_space_saving"]
    lines = [
        f"Measured on {r['machine']}: {r['events']:,} Zipf(1.1) hashtag events "
        f"({r['distinct']:,} distinct) in {r['files']} Parquet files, `SpaceSaving("
        f"{r['capacity']})` per partition, merged 8 at a time; {r['rounds']} rounds "
        "alternating between a 1-worker and a 2-worker local cluster (one thread each).",
        "",
        "| Measure | Value |",
        "|---|---:|",
        f"| events/s, 1 worker | {span(r['events_per_s']['1_workers'], 1e6)} M |",
        f"| events/s, 2 workers | {span(r['events_per_s']['2_workers'], 1e6)} M |",
        f"| speed-up, 2 vs 1 worker (per round) | {span(r['speedup_2_vs_1'])}× |",
        f"| partitions merged | {r['partitions']} |",
        f"| serialized sketches shipped | {r['bytes_shipped']:,} B |",
        f"| raw column (Arrow offsets + data) | {r['raw_column_bytes']:,} B |",
        f"| Parquet files on disk | {r['parquet_bytes']:,} B |",
        f"| shipped / raw column | {r['bytes_shipped'] / r['raw_column_bytes']:.2e} |",
        f"| merged top-100 recall vs exact | {acc['recall']:.2f} |",
        f"| merged top-100 largest relative error | {acc['max_relative_error']:.2e} |",
        f"| every merged bound holds | {'yes' if acc['bounds_hold'] else 'NO'} |",
        "",
        "HeavyKeeper (2 x 2,048 buckets, k = 100) over the same stream cut into "
        "partitions and merged, against exact counts:",
        "",
        "| Partitions | Top-100 recall | Largest relative error | Bounds hold |",
        "|---:|---:|---:|:---:|",
    ]
    for row in r["heavy_keeper_merge"]:
        lines.append(
            f"| {row['partitions']} | {row['recall']:.2f} | {row['max_relative_error']:.2e} | "
            f"{'yes' if row['bounds_hold'] else 'no'} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--capacity", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="200k events, 1 round, no files")
    args = parser.parse_args()
    if args.quick:
        args.events, args.files, args.rounds = 200_000, 4, 1
    with tempfile.TemporaryDirectory(prefix="topk-dask-") as tmp:
        result = run(args.events, args.files, args.rounds, args.capacity, Path(tmp))
    print(markdown(result), flush=True)
    if args.quick:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "topk_dask.json").write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    (RESULTS / "topk_dask.md").write_text(markdown(result), encoding="utf-8")


if __name__ == "__main__":
    main()
