"""``twitterdesign topk``: the heaviest lines or words of a file, with bounds and memory.

Only Typer and rich are imported here; `twitterdesign.topk` loads inside the command.
"""

from __future__ import annotations

import codecs
import math
import os
import sys
from collections.abc import Iterator
from typing import Annotated, Any, BinaryIO

import typer
from rich import box
from rich.table import Table

from twitterdesign._cli import _topk_files
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


_BLOCK = 1 << 20


class _NotText(Exception):
    """The input is not text in the chosen encoding (the message says where and why)."""


def _tokens(line: str, by: str) -> list[str]:
    if by == "word":
        return line.split()
    line = line.rstrip("\r")
    return [line] if line.strip() else []


def _lines(source: BinaryIO, encoding: str, advance: Any) -> Iterator[str]:
    """Decode ``source`` strictly, block by block, and yield its lines (without ``\\n``).

    Raises:
        _NotText: At the first byte sequence that is not valid in ``encoding``, or the
            first NUL character (binary data that happens to decode).
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    pending = ""
    offset = 0
    while True:
        block = source.read(_BLOCK)
        final = not block
        try:
            text = decoder.decode(block, final=final)
        except UnicodeDecodeError as exc:
            at = offset + max(0, exc.start)
            raise _NotText(f"is not {encoding} text (undecodable byte at offset ~{at})") from None
        nul = text.find("\x00")
        if nul >= 0:
            raise _NotText("looks like a binary file (it contains a NUL character)")
        offset += len(block)
        advance(len(block))
        *lines, pending = (pending + text).split("\n")
        yield from lines
        if final:
            if pending:
                yield pending
            return


def _stream(source: BinaryIO, total: int | None, by: str, encoding: str, sinks: list[Any]) -> int:
    events = 0
    chunk: list[str] = []
    with progress() as bar:
        task = bar.add_task("counting", total=total)
        for line in _lines(source, encoding, lambda n: bar.advance(task, n)):
            chunk.extend(_tokens(line, by))
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


def _true_top(exact: Any, k: int) -> list[Any]:
    """The exact top ``k`` items that are surely in it: counts above the (k+1)-th's."""
    ranked = exact.top_k(k + 1)
    cut = ranked[k].estimate if len(ranked) > k else 0
    return [h for h in ranked[:k] if h.estimate > cut]


def topk_command(
    path: Annotated[
        str,
        typer.Argument(
            help="Text file to read, - for standard input, or Parquet/CSV/Arrow files "
            "(a path or a quoted glob such as 'events/*.parquet', with --column).",
            metavar="FILE|GLOB|-",
        ),
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
    encoding: Annotated[
        str,
        typer.Option("--encoding", help="Text encoding of the input (binary input is refused)."),
    ] = "utf-8",
    column: Annotated[
        str | None,
        typer.Option(
            "--column", help="Column of items in Parquet, CSV or Arrow input (e.g. hashtag)."
        ),
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            metavar="[ADDRESS]",
            help="Count the files on Dask: at the scheduler ADDRESS (tcp://host:8786), or "
            "on a local cluster when no address is given. Exact counts are not computed.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """List the most frequent lines or words of a stream, with error bounds.

    Every item is counted by the chosen sketch and, for comparison, exactly; the table
    shows the sketch's estimate and bounds next to the true count, and the memory of
    each. Items of the true top k that the sketch does not list are flagged as missed
    (``missed`` in JSON). The input must be text in ``--encoding`` (UTF-8 by default):
    undecodable bytes or NUL characters stop the command with an error.

    Examples:

      twitterdesign topk hashtags.txt -k 20

      cat access.log | twitterdesign topk - --by word --sketch count-min --capacity 4096

      twitterdesign topk tweets.txt --by word --sketch misra-gries --json

      twitterdesign topk 'events/*.parquet' --column hashtag -k 20

      twitterdesign topk 'events/*.parquet' --column hashtag --dask tcp://10.0.0.5:8786
    """
    if sketch not in SKETCHES:
        fail(f"invalid --sketch {sketch!r}: expected one of {', '.join(SKETCHES)}")
    if by not in ("line", "word"):
        fail(f"invalid --by {by!r}: expected line or word")
    if k < 1:
        fail(f"invalid -k {k}: expected an integer >= 1")
    if capacity < 1:
        fail(f"invalid --capacity {capacity}: expected an integer >= 1")
    try:
        codecs.getincrementaldecoder(encoding)
    except LookupError:
        fail(f"invalid --encoding {encoding!r}: expected a text encoding such as utf-8")
    from twitterdesign.topk import ExactCounter

    if column is not None or dask is not None or _topk_files.is_columnar_path(path):
        _columnar(path, column, dask, sketch, capacity, k, as_json)
        return
    counter = _make(sketch, capacity, k)
    exact = counter if sketch == "exact" else ExactCounter()
    sinks = [counter] if counter is exact else [counter, exact]
    try:
        if path == "-":
            events = _stream(sys.stdin.buffer, None, by, encoding, sinks)
        else:
            with open(path, "rb") as handle:
                events = _stream(handle, os.fstat(handle.fileno()).st_size, by, encoding, sinks)
    except _NotText as exc:
        name = "standard input" if path == "-" else path
        fail(f"{name} {exc}; pass --encoding if it is text in another encoding")
    hitters = counter.top_k(k)
    rows = [{**h.to_dict(), "exact": exact.estimate(h.item)} for h in hitters]
    listed = {h.item for h in hitters}
    missed = [
        {"item": h.item, "exact": h.estimate, "estimate": counter.estimate(h.item)}
        for h in _true_top(exact, k)
        if h.item not in listed
    ]
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
                "missed": missed,
                "sketch_bytes": sketch_bytes,
                "exact_bytes": exact_bytes,
            }
        )
        return
    _print_table(sketch, by, events, len(exact), rows, sketch_bytes, exact_bytes)
    _print_missed(sketch, k, missed)


def _columnar(
    path: str, column: str | None, dask: str | None, sketch: str, capacity: int, k: int,
    as_json: bool,
) -> None:  # fmt: skip
    """Count a column of Parquet/CSV/Arrow files, locally (with exact counts) or on Dask."""
    from twitterdesign.topk import ExactCounter

    if column is None:
        fail("--column is required for Parquet, CSV or Arrow input (the column of items)")
    if path == "-":
        fail("Parquet, CSV or Arrow input must be files, not standard input")
    files = _topk_files.expand(path)
    counter = _make(sketch, capacity, k)
    extra: dict[str, Any] = {"files": len(files), "column": column}
    if dask is not None:
        reduction = _topk_files.count_on_dask(files, column, counter, dask)
        counter = reduction.sketch
        events = counter.total_weight
        extra |= {"dask": dask, **reduction.to_dict()}
        rows = [h.to_dict() for h in counter.top_k(k)]
        if as_json:
            print_json({"sketch": sketch, "capacity": capacity, "events": events, **extra,
                        "top": rows, "sketch_bytes": counter.nbytes})  # fmt: skip
            return
        _print_table(sketch, column, events, None, rows, counter.nbytes, None)
        return
    exact = counter if sketch == "exact" else ExactCounter()
    sinks = [counter] if counter is exact else [counter, exact]
    events = _topk_files.count_files(files, column, sinks)
    hitters = counter.top_k(k)
    rows = [{**h.to_dict(), "exact": exact.estimate(h.item)} for h in hitters]
    listed = {h.item for h in hitters}
    missed = [
        {"item": h.item, "exact": h.estimate, "estimate": counter.estimate(h.item)}
        for h in _true_top(exact, k)
        if h.item not in listed
    ]
    if as_json:
        print_json({"sketch": sketch, "capacity": capacity, "events": events, **extra,
                    "distinct": len(exact), "top": rows, "missed": missed,
                    "sketch_bytes": counter.nbytes, "exact_bytes": exact.nbytes})  # fmt: skip
        return
    _print_table(sketch, column, events, len(exact), rows, counter.nbytes, exact.nbytes)
    _print_missed(sketch, k, missed)


def _print_table(
    sketch: str,
    by: str,
    events: int,
    distinct: int | None,
    rows: list[dict[str, Any]],
    sketch_bytes: int,
    exact_bytes: int | None,
) -> None:
    from twitterdesign.units import format_bytes, format_count

    out = console()
    seen = "" if distinct is None else f", {format_count(distinct)} distinct"
    table = Table(
        title=f"Top {len(rows)} {by}s — {sketch}, {format_count(events)} events{seen}",
        box=box.SIMPLE_HEAVY,
    )
    headers = ["#", "Item", "Estimate", "Lower", "Upper"] + (
        [] if exact_bytes is None else ["Exact"]
    )
    for header in headers:
        table.add_column(header, justify="left" if header == "Item" else "right")
    for rank, row in enumerate(rows, start=1):
        cells = [str(rank), str(row["item"]), f"{row['estimate']:,}",
                 f"{row['lower_bound']:,}", f"{row['upper_bound']:,}"]  # fmt: skip
        if exact_bytes is not None:
            cells.append(f"{row['exact']:,}")
        table.add_row(*cells)
    out.print(table)
    if exact_bytes is None:
        out.print(f"Memory: {sketch} {format_bytes(sketch_bytes)} (merged over the cluster).")
        return
    share = sketch_bytes / exact_bytes if exact_bytes else 0.0
    out.print(
        f"Memory: {sketch} {format_bytes(sketch_bytes)} vs exact {format_bytes(exact_bytes)}"
        f" ({share:.1%})."
    )


def _print_missed(sketch: str, k: int, missed: list[dict[str, Any]]) -> None:
    if not missed:
        return
    shown = ", ".join(
        f"{row['item']} (exact {row['exact']:,}, estimate {row['estimate']:,})" for row in missed
    )
    console().print(
        f"Missed: {len(missed)} of the true top {k} are not in {sketch}'s list: {shown}.",
        markup=False,
    )


def bare_dask_option(argv: list[str]) -> list[str]:
    """Give ``topk --dask`` without an address its value, ``local`` (Typer options need one).

    Examples:
        >>> bare_dask_option(["topk", "a.parquet", "--dask", "--json"])
        ['topk', 'a.parquet', '--dask', 'local', '--json']
    """
    if not argv or argv[0] != "topk" or "--dask" not in argv:
        return argv
    at = argv.index("--dask")
    if at + 1 == len(argv) or argv[at + 1].startswith("-"):
        return [*argv[: at + 1], "local", *argv[at + 1 :]]
    return argv


def register(app: typer.Typer) -> None:
    """Add the ``topk`` command to ``app``."""
    app.command("topk")(topk_command)
