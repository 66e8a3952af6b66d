"""``twitterdesign topk``: the heaviest lines or words of a file, with bounds and memory.

Only Typer and rich are imported here; `twitterdesign.topk` loads inside the command.
"""

from __future__ import annotations

import math
import os
import sys
from typing import Annotated, Any, BinaryIO

import typer
from rich import box
from rich.table import Table

from twitterdesign._cli._common import console, fail, print_json, progress

__all__ = ["register"]

SKETCHES = ("space-saving", "count-min", "misra-gries", "heavy-keeper", "frequent-items", "exact")
_CHUNK = 50_000


def _make(name: str, capacity: int, k: int) -> Any:
    from twitterdesign import topk

    if name == "space-saving":
        return topk.SpaceSaving(capacity)
    if name == "count-min":
        return topk.CountMinTopK(max(k, 1), width=capacity, depth=4)
    if name == "misra-gries":
        return topk.MisraGries(capacity)
    if name == "heavy-keeper":
        return topk.HeavyKeeper(max(1, capacity // 2), 2, k=k, rng=0)
    if name == "frequent-items":
        return topk.FrequentItems(max(3, math.ceil(math.log2(capacity / 0.75))))
    return topk.ExactCounter()


def _tokens(raw: bytes, by: str) -> list[str]:
    text = raw.decode("utf-8", errors="replace")
    if by == "word":
        return text.split()
    line = text.rstrip("\r\n")
    return [line] if line.strip() else []


def _stream(source: BinaryIO, total: int | None, by: str, sinks: list[Any]) -> int:
    events = 0
    chunk: list[str] = []
    with progress() as bar:
        task = bar.add_task("counting", total=total)
        for raw in source:
            chunk.extend(_tokens(raw, by))
            bar.advance(task, len(raw))
            if len(chunk) >= _CHUNK:
                for sink in sinks:
                    sink.update_many(chunk)
                events += len(chunk)
                chunk = []
        if chunk:
            for sink in sinks:
                sink.update_many(chunk)
            events += len(chunk)
    return events


def topk_command(
    path: Annotated[
        str, typer.Argument(help="File to read, or - for standard input.", metavar="FILE|-")
    ] = "-",
    k: Annotated[int, typer.Option("-k", "--k", help="How many items to list.")] = 10,
    sketch: Annotated[
        str, typer.Option("--sketch", help="Counter to use: " + ", ".join(SKETCHES) + ".")
    ] = "space-saving",
    capacity: Annotated[
        int,
        typer.Option(
            "--capacity",
            help="Counters the sketch may use (Count-Min: row width; HeavyKeeper: 2 rows of "
            "capacity/2; frequent-items: map size).",
        ),
    ] = 1000,
    by: Annotated[
        str, typer.Option("--by", help="Count whole lines (line) or whitespace words (word).")
    ] = "line",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """List the most frequent lines or words of a stream, with error bounds.

    Every item is counted by the chosen sketch and, for comparison, exactly; the table
    shows the sketch's estimate and bounds next to the true count, and the memory of
    each.

    Examples:

      twitterdesign topk hashtags.txt -k 20

      cat access.log | twitterdesign topk - --by word --sketch count-min --capacity 4096

      twitterdesign topk tweets.txt --by word --sketch misra-gries --json
    """
    if sketch not in SKETCHES:
        fail(f"invalid --sketch {sketch!r}: expected one of {', '.join(SKETCHES)}")
    if by not in ("line", "word"):
        fail(f"invalid --by {by!r}: expected line or word")
    if k < 1:
        fail(f"invalid -k {k}: expected an integer >= 1")
    if capacity < 1:
        fail(f"invalid --capacity {capacity}: expected an integer >= 1")
    from twitterdesign.topk import ExactCounter

    counter = _make(sketch, capacity, k)
    exact = counter if sketch == "exact" else ExactCounter()
    sinks = [counter] if counter is exact else [counter, exact]
    if path == "-":
        events = _stream(sys.stdin.buffer, None, by, sinks)
    else:
        with open(path, "rb") as handle:
            events = _stream(handle, os.fstat(handle.fileno()).st_size, by, sinks)
    hitters = counter.top_k(k)
    rows = [{**h.to_dict(), "exact": exact.estimate(h.item)} for h in hitters]
    sketch_bytes, exact_bytes = counter.nbytes, exact.nbytes
    if as_json:
        print_json(
            {
                "sketch": sketch,
                "capacity": capacity,
                "by": by,
                "events": events,
                "distinct": len(exact),
                "top": rows,
                "sketch_bytes": sketch_bytes,
                "exact_bytes": exact_bytes,
            }
        )
        return
    _print_table(sketch, by, events, len(exact), rows, sketch_bytes, exact_bytes)


def _print_table(
    sketch: str,
    by: str,
    events: int,
    distinct: int,
    rows: list[dict[str, Any]],
    sketch_bytes: int,
    exact_bytes: int,
) -> None:
    from twitterdesign.units import format_bytes, format_count

    out = console()
    table = Table(
        title=f"Top {len(rows)} {by}s — {sketch}, {format_count(events)} events, "
        f"{format_count(distinct)} distinct",
        box=box.SIMPLE_HEAVY,
    )
    for header in ("#", "Item", "Estimate", "Lower", "Upper", "Exact"):
        table.add_column(header, justify="left" if header == "Item" else "right")
    for rank, row in enumerate(rows, start=1):
        table.add_row(
            str(rank),
            str(row["item"]),
            f"{row['estimate']:,}",
            f"{row['lower_bound']:,}",
            f"{row['upper_bound']:,}",
            f"{row['exact']:,}",
        )
    out.print(table)
    share = sketch_bytes / exact_bytes if exact_bytes else 0.0
    out.print(
        f"Memory: {sketch} {format_bytes(sketch_bytes)} vs exact {format_bytes(exact_bytes)}"
        f" ({share:.1%})."
    )


def register(app: typer.Typer) -> None:
    """Add the ``topk`` command to ``app``."""
    app.command("topk")(topk_command)
