"""Reads on the loop or in the thread pool, against a real PostgreSQL (issue 14 item 2).

``app_sync_async_bench.py`` modelled the network store with a 1 ms ``time.sleep``; this
runs the same question against the server itself: ``GET /api/v1/timelines/home`` (20
statuses, cached) served by the real app over `PostgresStore`, in three uvicorn
processes measured with the rounds interleaved (the order rotates each round):

- **loop, PostgreSQL**: ``blocking_io`` forced off, so every store call of the request
  (the token lookup included) runs on the event loop, as the embedded path does.
- **pool, PostgreSQL**: the app as shipped: one thread-pool hop per request for the
  route body (and one in the gateway for the token lookup when rate limits are on; they
  are off here, so the auth dependency's hop is the second), the thread limiter sized to
  the connection pool (``database_pool_size``, 10).
- **loop, SQLite**: the embedded engine as shipped, for scale.

Each PostgreSQL server gets a schema of its own (dropped at the end). The load generator
is ``app_bench.load`` (32 keep-alive connections from two processes). Ratios are
computed within a round, then summarized as median and min–max over the rounds.

Run: ``python benchmarks/app_pg_loop_pool_bench.py --rounds 5 --duration 3``; the server
is ``TWITTERDESIGN_BENCH_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1/test``).
Appends its table to ``benchmarks/results/app.sync_async.md`` and writes
``app.sync_async_postgres.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

import httpx
from app_bench import CONCURRENCY, FAST_HASH, load, populate_home
from app_sync_async_bench import HOME_PATH, RESULTS, _start

from twitterdesign.reference_app.server import free_port

POSTGRES_URL = os.environ.get(
    "TWITTERDESIGN_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
VARIANTS = ("loop, PostgreSQL", "pool, PostgreSQL", "loop, SQLite")
RATIOS: tuple[tuple[str, str, str], ...] = (
    ("pool / loop, PostgreSQL", "pool, PostgreSQL", "loop, PostgreSQL"),
    ("pool, PostgreSQL / loop, SQLite", "pool, PostgreSQL", "loop, SQLite"),
    ("loop, PostgreSQL / loop, SQLite", "loop, PostgreSQL", "loop, SQLite"),
)
MARKER = "## Against a real PostgreSQL"


def serve(port: int, data_dir: Path, database_url: str, blocking: str) -> None:
    """Serve the real app; ``blocking`` "off" forces the store calls onto the loop."""
    import uvicorn

    from twitterdesign.reference_app import Services, Settings, create_app

    settings = Settings(
        data_dir=data_dir,
        database_url=database_url or None,
        rate_limits_enabled=False,
        **FAST_HASH,
    )
    services = Services(settings)
    if blocking == "off":
        services.store.blocking_io = False  # type: ignore[misc]
    app = create_app(settings, services=services)

    def collect() -> dict[str, int]:
        return {"collected": gc.collect()}

    app.add_api_route("/bench/gc", collect, methods=["POST"])
    gc.disable()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def populate(base: str) -> str:
    """A reader following 20 authors with 40 statuses (as app_bench); return its token."""
    return populate_home(base)[1]


def _drop(schemas: list[str]) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        for schema in schemas:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def measure(tmp: Path, *, rounds: int, duration_s: float) -> list[dict[str, dict[str, float]]]:
    """Run interleaved rounds; return each round's results per variant."""
    me = str(Path(__file__).resolve())
    sep = "&" if "?" in POSTGRES_URL else "?"
    schemas = [f"td_bench_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    setups = {
        "loop, PostgreSQL": (f"{POSTGRES_URL}{sep}schema={schemas[0]}", "off"),
        "pool, PostgreSQL": (f"{POSTGRES_URL}{sep}schema={schemas[1]}", "on"),
        "loop, SQLite": ("", "off"),
    }
    ports = {label: free_port() for label in VARIANTS}
    tokens: dict[str, str] = {}
    procs = []
    try:
        for i, label in enumerate(VARIANTS):
            url, blocking = setups[label]
            args = [me, "--serve", str(ports[label]), str(tmp / str(i)), url, blocking]
            procs.append(_start(args, ports[label], "/healthz"))
            tokens[label] = populate(f"http://127.0.0.1:{ports[label]}")
        per_round = []
        for r in range(rounds):
            order = VARIANTS[r % len(VARIANTS) :] + VARIANTS[: r % len(VARIANTS)]
            results = {}
            for label in order:
                httpx.post(f"http://127.0.0.1:{ports[label]}/bench/gc", timeout=60)
                gc.collect()
                results[label] = load(
                    ports[label], HOME_PATH + "?limit=20", tokens[label], duration_s=duration_s
                )
            per_round.append(results)
            sys.stderr.write(f"round {r + 1}/{rounds} done\n")
        return per_round
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=60)
        _drop(schemas)


def write(per_round: list[dict[str, dict[str, float]]], duration_s: float) -> str:
    """Append the Markdown section to app.sync_async.md (replacing an older one)."""

    def spread(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"

    lines = [
        MARKER,
        "",
        f"`benchmarks/app_pg_loop_pool_bench.py`: the same home-timeline read against "
        f"PostgreSQL 15 on the same machine (loopback), {CONCURRENCY} keep-alive "
        f"connections, {duration_s:g} s per variant, {len(per_round)} rounds interleaved. "
        "*loop*: `blocking_io` forced off, every store call on the event loop. *pool*: the "
        "app as shipped for PostgreSQL, the route body in one `run_in_threadpool` hop, the "
        "thread limiter sized to the connection pool (10).",
        "",
        "| ratio | requests/s | p99 latency |",
        "|---|---:|---:|",
    ]
    for label, num, den in RATIOS:
        rps = [r[num]["requests_per_second"] / r[den]["requests_per_second"] for r in per_round]
        p99 = [r[num]["p99_ms"] / r[den]["p99_ms"] for r in per_round]
        lines.append(f"| {label} | {spread(rps)} | {spread(p99)} |")
    lines.append("")
    section = "\n".join(lines)
    path = RESULTS / "app.sync_async.md"
    text = path.read_text()
    text = text.split("\n" + MARKER)[0].rstrip("\n") + "\n\n" + section
    path.write_text(text)
    (RESULTS / "app.sync_async_postgres.json").write_text(
        json.dumps({"duration_s": duration_s, "rounds": per_round}, indent=2) + "\n"
    )
    return section


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (>= 5)")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds per variant")
    parser.add_argument("--serve", nargs=4, metavar=("PORT", "DATA_DIR", "URL", "BLOCKING"))
    args = parser.parse_args(argv)
    if args.serve:
        port, data_dir, url, blocking = args.serve
        serve(int(port), Path(data_dir), url, blocking)
        return
    with tempfile.TemporaryDirectory(prefix="app-pg-loop-pool-") as tmp:
        per_round = measure(Path(tmp), rounds=args.rounds, duration_s=args.duration)
    sys.stdout.write(write(per_round, args.duration))


if __name__ == "__main__":
    main()
