"""Cluster mode under wrk: SQLite vs PostgreSQL+Redis, 1 vs 2 app instances, 10k-1M statuses.

Issue 14 item 8. The load comes from ``wrk`` (C, keep-alive, one thread, 32 connections by
default) with a Lua script (``wrk_requests.lua`` beside this file) that spreads bearer
tokens over many users and gives every POST a unique ``Idempotency-Key`` and text.
Each database is filled by the project's bulk loader
(`twitterdesign.reference_app.storage.bulk`: a power-law follower graph, ``users =
statuses / 10`` accounts, statuses with hashtags over 30 days); load times are reported
separately. Per database size, one server of each configuration runs for the whole block:

- **hello, 1 process**: a bare FastAPI hello world under uvicorn (``app_bench.HELLO``),
  the baseline of the one-process configurations;
- **hello, 2 processes**: two of them behind the same balancing front the app uses
  (`twitterdesign.reference_app.front.create_front_app`, power of two choices), the
  baseline of the two-instance configuration;
- **SQLite, 1 process**: ``twitterdesign serve`` on the embedded store (fan-out in the app);
- **PostgreSQL+Redis, 1 instance**: ``twitterdesign serve`` with ``database_url``
  PostgreSQL, ``cache_url`` Redis, ``fanout_in_app=False``, plus one ``twitterdesign
  worker`` process doing the fan-out;
- **PostgreSQL+Redis, 2 instances**: ``twitterdesign serve --workers 2`` (the front of
  `run_multiprocess`) on the same schema, Redis prefix and worker.

Each round measures every (configuration, endpoint) pair once — ``GET /hello``, ``GET
/api/v1/timelines/home?limit=20`` (1,000 readers' tokens, caches warmed first) and ``POST
/api/v1/statuses`` (the same 1,000 users posting) — in an order that rotates by one each
round; before each run the fan-out backlog is drained (log lag 0, or the embedded queue
empty), so no run pays for the previous one's pushes. Ratios are taken within a round
(the configuration's requests/s over its own hello world's) and reported as median and
min–max over rounds; degradation is the 1M ratio over the 10k ratio, paired by round.
The harness runs with ``gc`` off (the app processes run as shipped). Every POST run adds
statuses, so a block ends with more statuses than it started with (both are reported).

**Delivery delay**: one author with 100,000 followers (bulk loaded, every follower marked
active through `RedisTimelineStore.touch`, ``fanout_threshold`` raised above 100k so the
author is pushed), an app instance and 1 or 2 ``twitterdesign worker`` processes
(interleaved). Measured: from the POST's acknowledgement until the last follower's Redis
timeline holds the status (polled directly; then every follower is checked).

Machine note: the lead's machine has 2 cores shared by wrk, the app processes, the
worker, PostgreSQL and Redis. Two app instances cannot have a core each, and the front
adds an HTTP hop, so on this machine the 2-instance numbers measure the cost of the
extra hop under CPU contention, not horizontal scaling.

Run at full scale (about 35 minutes on a quiet two-core machine: about 8 per size, 5 for
the 1M bulk loads — measured 205 s for SQLite and 80 s for PostgreSQL with other jobs
running — and 2 for the delivery delay)::

    python benchmarks/app_cluster_bench.py --sizes 10k,100k,1M --rounds 5 --duration 10

Small scale (proves the pipeline, about 3 minutes)::

    python benchmarks/app_cluster_bench.py --small

Needs ``wrk`` on the PATH, PostgreSQL at ``TWITTERDESIGN_BENCH_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``; a schema of its own, dropped at the end) and
Redis at ``TWITTERDESIGN_BENCH_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``; a key
prefix of its own, deleted at the end). Writes ``benchmarks/results/app.cluster.json`` and
``app.cluster.md``.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from app_bench import FAST_HASH, HELLO

from twitterdesign.reference_app import Settings
from twitterdesign.reference_app.server import ServerProcess, free_port
from twitterdesign.reference_app.storage import SQLiteStore, TokenRecord
from twitterdesign.reference_app.storage.bulk import BulkHistory, bulk_load, synthetic_history
from twitterdesign.timeline import FollowerGraph, power_law_graph

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
LUA = HERE / "wrk_requests.lua"
POSTGRES_URL = os.environ.get(
    "TWITTERDESIGN_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TWITTERDESIGN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
HOME_PATH = "/api/v1/timelines/home?limit=20"
# The ranked home timeline's first page (issue 20; benchmarks/app_ranked_bench.py).
TOP_PATH = "/api/v1/timelines/home?limit=20&order=top"
# The app's cheapest route: every middleware, routing and a JSON answer, no store access.
FLOOR_PATH = "/api/v1/custom_emojis"
ENDPOINTS = ("home", "post", "floor")
HELLO_PIDS: dict[str, int] = {}
READERS = 1_000
MEAN_FOLLOWEES = 35.0
STATUSES_PER_USER = 10
CONFIGS = ("sqlite-1", "pg-1", "pg-2")
LABELS = {
    "hello-1": "hello world, 1 process",
    "hello-2": "hello world, 2 processes behind the front",
    "sqlite-1": "SQLite embedded, 1 process",
    "pg-1": "PostgreSQL+Redis, 1 instance + worker",
    "pg-2": "PostgreSQL+Redis, 2 instances (front) + worker",
}
BASELINE = {"sqlite-1": "hello-1", "pg-1": "hello-1", "pg-2": "hello-2"}
TARGETS = {"post": 0.5, "home": 0.5, "degradation": 0.8}


# --- small helpers ----------------------------------------------------------------------
def parse_size(text: str) -> int:
    """``10k`` -> 10_000, ``1M`` -> 1_000_000, ``2500`` -> 2500."""
    t = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    return int(float(t[:-1] if scale > 1 else t) * scale)


def size_label(n: int) -> str:
    """1_000_000 -> ``1M``, 10_000 -> ``10k``."""
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def say(message: str) -> None:
    """Progress on stderr."""
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    """``median (min–max)``."""
    if not values:
        return "–"
    med = fmt.format(statistics.median(values))
    return f"{med} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def wait_http(url: str, timeout_s: float = 60.0) -> None:
    """Wait until ``url`` answers 200."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout_s:g} s")


def stop(proc: subprocess.Popen[Any], timeout_s: float = 30.0) -> None:
    """SIGTERM one child we started, SIGKILL it if it does not go."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def child(args: list[str], env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[Any]]:
    """Run a child process for the block, its stderr in a temporary file."""
    log = tempfile.NamedTemporaryFile(prefix="cluster-bench-", suffix=".log")  # noqa: SIM115
    proc = subprocess.Popen(
        args, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=log
    )
    proc.log_path = log.name  # type: ignore[attr-defined]
    try:
        yield proc
    finally:
        stop(proc)
        log.close()


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and its live descendants."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0.0, [pid]
    tick = os.sysconf("SC_CLK_TCK")
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
        todo += children.get(p, [])
    return total


def wrk_cpu(
    pid: int, port: int, mode: str, tokens_file: Path | None, **run: Any
) -> dict[str, float]:
    """`wrk`, plus the app's CPU milliseconds per request (its process tree, from /proc)."""
    before = tree_cpu_s(pid)
    out = wrk(port, mode, tokens_file, **run)
    out["cpu_ms_per_request"] = 1000 * (tree_cpu_s(pid) - before) / max(1, out["requests"])
    return out


# --- wrk --------------------------------------------------------------------------------
def wrk(
    port: int,
    mode: str,
    tokens_file: Path | None,
    *,
    duration_s: float,
    connections: int,
    threads: int,
) -> dict[str, float]:
    """Run wrk once; return requests/s, p50/p99 in ms, requests and non-2xx/socket errors."""
    path = {
        "hello": "/hello",
        "home": HOME_PATH,
        "top": TOP_PATH,
        "post": "/api/v1/statuses",
        "floor": FLOOR_PATH,
    }[mode]
    # The Lua script knows hello (a plain GET), home (a GET with a token) and post.
    lua_mode = {"floor": "hello", "top": "home"}.get(mode, mode)
    nonce = uuid.uuid4().hex[:10]
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration_s))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        f"http://127.0.0.1:{port}{path}",
        "--",
        lua_mode,
        str(tokens_file or ""),
        nonce,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=600)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-500:]} {done.stderr}")
    raw = json.loads(line[len("WRKJSON ") :])
    seconds = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in raw if k.startswith("errors_"))
    if raw["requests"] == 0 or errors > 0.01 * raw["requests"]:
        raise RuntimeError(f"wrk {mode} on :{port}: {errors} errors of {raw['requests']}: {raw}")
    ok = raw["requests"] - raw["errors_status"]
    return {
        "requests_per_second": ok / seconds,
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "requests": raw["requests"],
        "errors": errors,
    }


# --- data -------------------------------------------------------------------------------
def issue_tokens(store: Any, account_ids: list[int]) -> list[str]:
    """Give each account an access token through the store's `AuthStore.add_token`."""
    now = int(time.time() * 1000)
    tokens = []
    for aid in account_ids:
        token = secrets.token_urlsafe(32)
        digest = hashlib.sha256(token.encode()).hexdigest()
        store.add_token(TokenRecord(digest, None, aid, "read write follow", now))
        tokens.append(token)
    return tokens


def open_pg(schema: str) -> Any:
    """A `PostgresStore` on the benchmark server in ``schema`` (created on open)."""
    from twitterdesign.reference_app.storage.postgres import PostgresStore

    return PostgresStore(POSTGRES_URL, schema=schema, min_size=1, max_size=2)


def pg_url(schema: str) -> str:
    """The benchmark server's URL with our ``schema=``."""
    return f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}schema={schema}"


def redis_url(prefix: str) -> str:
    """The benchmark Redis with our key ``prefix=``."""
    return f"{REDIS_URL}{'&' if '?' in REDIS_URL else '?'}prefix={prefix}"


def delete_redis_prefix(prefix: str) -> None:
    """Delete every key of ``prefix`` (the run's own keys only)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        batch = []
        for key in client.scan_iter(match=f"{prefix}*", count=5_000):
            batch.append(key)
            if len(batch) >= 5_000:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)
    finally:
        client.close()


def drop_schema(schema: str) -> None:
    """Drop the run's own PostgreSQL schema."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@dataclass
class Dataset:
    """One database size, loaded into SQLite and PostgreSQL, with tokens and timings."""

    statuses: int
    users: int
    follows: int
    sqlite_path: Path
    schema: str
    tokens_file: Path
    load_seconds: dict[str, float] = field(default_factory=dict)


def build_dataset(n_statuses: int, tmp: Path, seed: int) -> Dataset:
    """Generate a history and bulk load it into a SQLite file and a PostgreSQL schema."""
    users = max(READERS, n_statuses // STATUSES_PER_USER)
    started = time.perf_counter()
    graph = power_law_graph(users, mean_followees=MEAN_FOLLOWEES, rng=seed)
    history = synthetic_history(graph, n_statuses, rng=seed + 1)
    generate_s = time.perf_counter() - started
    label = size_label(n_statuses)
    schema = f"td_bench_cluster_{uuid.uuid4().hex[:10]}"
    ds = Dataset(
        statuses=n_statuses,
        users=users,
        follows=graph.n_edges,
        sqlite_path=tmp / label / "twitterdesign.sqlite3",
        schema=schema,
        tokens_file=tmp / label / "tokens.txt",
        load_seconds={"generate": generate_s},
    )
    readers = pick_readers(history, seed)
    say(f"{label}: {users:,} users, {graph.n_edges:,} follows; loading SQLite")
    sqlite = SQLiteStore(ds.sqlite_path, synchronous="NORMAL")
    try:
        ds.load_seconds["sqlite"] = bulk_load(sqlite, history).seconds
        tokens = issue_tokens(sqlite, readers)
    finally:
        sqlite.close()
    say(f"{label}: loading PostgreSQL (schema {schema})")
    pg = open_pg(schema)
    try:
        ds.load_seconds["postgresql"] = bulk_load(pg, history).seconds
        digests = [hashlib.sha256(t.encode()).hexdigest() for t in tokens]
        now = int(time.time() * 1000)
        for digest, aid in zip(digests, readers, strict=True):
            pg.add_token(TokenRecord(digest, None, aid, "read write follow", now))
    finally:
        pg.close()
    ds.tokens_file.write_text("\n".join(tokens) + "\n")
    say(f"{label}: loaded in {ds.load_seconds}")
    return ds


def pick_readers(history: BulkHistory, seed: int) -> list[int]:
    """Up to `READERS` accounts that follow someone (their home timeline is not empty)."""
    following = np.flatnonzero(history.graph.followee_counts > 0)
    gen = np.random.default_rng(seed + 2)
    chosen = gen.choice(following, size=min(READERS, following.size), replace=False)
    return [int(history.account_ids[i]) for i in chosen]


# --- servers ----------------------------------------------------------------------------
FRONT = """
import sys, uvicorn
from twitterdesign.reference_app.front import create_front_app
uvicorn.run(create_front_app(sys.argv[2:]), host="127.0.0.1", port=int(sys.argv[1]),
            log_level="warning", access_log=False)
"""


@contextmanager
def hello_servers() -> Iterator[dict[str, int]]:
    """Hello world alone, and two of them behind the app's front; yield their ports.

    ``HELLO_PIDS["hello-1"]`` is the lone hello world's process (for its CPU per request).
    """
    ports = {"hello-1": free_port(), "hello-2": free_port()}
    behind = [free_port(), free_port()]
    with ExitStack() as stack:
        for port in [ports["hello-1"], *behind]:
            proc = stack.enter_context(
                child([sys.executable, "-c", HELLO.replace("{port}", str(port))])
            )
            if port == ports["hello-1"]:
                HELLO_PIDS["hello-1"] = proc.pid
        for port in [ports["hello-1"], *behind]:
            wait_http(f"http://127.0.0.1:{port}/hello")
        urls = [f"http://127.0.0.1:{p}" for p in behind]
        stack.enter_context(child([sys.executable, "-c", FRONT, str(ports["hello-2"]), *urls]))
        wait_http(f"http://127.0.0.1:{ports['hello-2']}/hello")
        yield ports


def pg_settings(tmp: Path, schema: str, prefix: str, **changes: Any) -> Settings:
    """Settings of a PostgreSQL+Redis app instance (fan-out by worker processes)."""
    return Settings(
        data_dir=tmp,
        database_url=pg_url(schema),
        cache_url=redis_url(prefix),
        fanout_in_app=False,
        rate_limits_enabled=False,
        **FAST_HASH,
        **changes,
    )


def start_worker(stack: ExitStack, settings: Settings, name: str) -> subprocess.Popen[Any]:
    """Start ``twitterdesign worker`` with the app's settings; wait until it says so."""
    proc = stack.enter_context(
        child(
            [sys.executable, "-m", "twitterdesign", "worker", "--consumer", name],
            env=settings.to_env(),
        )
    )
    deadline = time.monotonic() + 60
    while "started" not in Path(proc.log_path).read_text():  # type: ignore[attr-defined]
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(Path(proc.log_path).read_text())  # type: ignore[attr-defined]
        time.sleep(0.05)
    return proc


class Drain:
    """Waits until no fan-out work is left in a configuration's pipeline."""

    def __init__(self, settings: Settings | None, base_url: str) -> None:
        self._base = base_url
        self._store = self._log = None
        if settings is not None:  # PostgreSQL + Redis: the log's lag
            from twitterdesign.reference_app.log import RedisStreamLog
            from twitterdesign.reference_app.services._factory import (
                postgres_schema_of,
                redis_prefix_of,
            )
            from twitterdesign.reference_app.storage.postgres import PostgresStore

            url, schema = postgres_schema_of(settings.resolved_database_url)
            self._store = PostgresStore(url, schema=schema, min_size=1, max_size=1)
            rest, prefix = redis_prefix_of(settings.cache_url)
            self._log = RedisStreamLog(rest, prefix=prefix)

    def wait(self, timeout_s: float = 300.0) -> None:
        """Block until the backlog is empty."""
        from twitterdesign.reference_app.services.log_worker import log_lag

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._store is not None and self._log is not None:
                lag = log_lag(self._store, self._log)
                if lag.unrelayed == lag.undelivered == lag.pending == 0:
                    return
            elif httpx.get(f"{self._base}/healthz", timeout=30).json()["fanout_queue_depth"] == 0:
                return
            time.sleep(0.05)
        raise RuntimeError(f"the fan-out backlog of {self._base} did not drain")

    def close(self) -> None:
        """Close the connections."""
        if self._store is not None:
            self._store.close()
        if self._log is not None:
            self._log.close()


@contextmanager
def config_servers(ds: Dataset, tmp: Path) -> Iterator[dict[str, tuple[int, Drain, int]]]:
    """SQLite 1 process; PostgreSQL+Redis 1 and 2 instances and their worker."""
    prefix = f"td_bench_cluster_{uuid.uuid4().hex[:8]}:"
    sqlite = Settings(data_dir=ds.sqlite_path.parent, rate_limits_enabled=False, **FAST_HASH)
    pg = pg_settings(tmp / "pg", ds.schema, prefix)
    drains: list[Drain] = []
    try:
        with ExitStack() as stack:
            one = stack.enter_context(ServerProcess(sqlite, startup_timeout_s=120))
            start_worker(stack, pg, "bench-worker")
            pg1 = stack.enter_context(ServerProcess(pg, startup_timeout_s=120))
            pg2_port = free_port()
            pg2 = stack.enter_context(
                child(
                    [
                        sys.executable,
                        "-m",
                        "twitterdesign",
                        "serve",
                        "--workers",
                        "2",
                        "--port",
                        str(pg2_port),
                        "--log-level",
                        "warning",
                    ],
                    env=pg.to_env(),
                )
            )
            wait_http(f"http://127.0.0.1:{pg2_port}/healthz", timeout_s=120)
            drains = [Drain(None, one.base_url), Drain(pg, pg1.base_url)]
            yield {  # (port, drain, the process tree whose CPU is the app's)
                "sqlite-1": (one.port, drains[0], one.pid or 0),
                "pg-1": (pg1.port, drains[1], pg1.pid or 0),
                "pg-2": (pg2_port, drains[1], pg2.pid),
            }
    finally:
        for d in drains:
            d.close()
        delete_redis_prefix(prefix)


# --- the throughput block ---------------------------------------------------------------
def measure_size(
    ds: Dataset, tmp: Path, hello: dict[str, int], args: argparse.Namespace
) -> dict[str, Any]:
    """Interleaved rounds of every (configuration, endpoint) at one database size."""
    label = size_label(ds.statuses)
    run = {"duration_s": args.duration, "connections": args.connections, "threads": args.threads}
    with config_servers(ds, tmp) as servers:
        counts_before = count_statuses(ds)
        say(f"{label}: warming the home timelines")
        for port, drain, _pid in servers.values():
            wrk(port, "home", ds.tokens_file, **{**run, "duration_s": args.warmup})
            drain.wait()
        variants = [("hello-1", "hello"), ("hello-2", "hello")] + [
            (c, e) for c in CONFIGS for e in ENDPOINTS
        ]
        rounds: list[dict[str, dict[str, float]]] = []
        for r in range(args.rounds):
            shift = r % len(variants)
            results: dict[str, dict[str, float]] = {}
            for config, endpoint in variants[shift:] + variants[:shift]:
                if config == "hello-1":
                    results[config] = wrk_cpu(
                        HELLO_PIDS[config], hello[config], "hello", None, **run
                    )
                    continue
                if config.startswith("hello"):
                    results[config] = wrk(hello[config], "hello", None, **run)
                    continue
                port, drain, pid = servers[config]
                drain.wait()
                results[f"{config} {endpoint}"] = wrk_cpu(
                    pid, port, endpoint, ds.tokens_file, **run
                )
            for _, drain, _pid in servers.values():
                drain.wait()
            rounds.append(results)
            say(f"{label}: round {r + 1}/{args.rounds} done")
        counts_after = count_statuses(ds)
    return {
        "statuses": ds.statuses,
        "users": ds.users,
        "follows": ds.follows,
        "statuses_before_after": {"sqlite": counts_before[0], "postgresql": counts_before[1]}
        | {"sqlite_after": counts_after[0], "postgresql_after": counts_after[1]},
        "load_seconds": ds.load_seconds,
        "rounds": rounds,
    }


def count_statuses(ds: Dataset) -> tuple[int, int]:
    """Statuses in the SQLite file and the PostgreSQL schema right now."""
    sqlite = SQLiteStore(ds.sqlite_path)
    pg = open_pg(ds.schema)
    try:
        return sqlite.count_statuses(), pg.count_statuses()
    finally:
        sqlite.close()
        pg.close()


# --- delivery delay ---------------------------------------------------------------------
def delivery(tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Seconds from a 100k-follower POST's acknowledgement to the last follower's timeline."""
    import redis

    from twitterdesign.reference_app.storage.redis import RedisTimelineStore

    n = args.delivery_followers
    followers = np.arange(1, n + 1)
    graph = FollowerGraph.from_edges(followers, np.zeros(n, dtype=np.int64), n_users=n + 1)
    history = synthetic_history(graph, args.delivery_statuses, rng=args.seed + 10)
    schema = f"td_bench_delivery_{uuid.uuid4().hex[:10]}"
    prefix = f"td_bench_delivery_{uuid.uuid4().hex[:8]}:"
    settings = pg_settings(tmp / "delivery", schema, prefix, fanout_threshold=2 * n)
    say(f"delivery: loading an author with {n:,} followers")
    store = open_pg(schema)
    result: dict[str, Any] = {"followers": n}
    try:
        result["load_seconds"] = bulk_load(store, history).seconds
        author = int(history.account_ids[0])
        token = issue_tokens(store, [author])[0]
        follower_ids = [int(history.account_ids[i]) for i in followers]
        # The consumer pushes in `follower_ids` order: its last one is the last to get it.
        last = store.follower_ids(author)[-1]
        timelines = RedisTimelineStore.from_url(
            REDIS_URL, prefix=prefix, inactive_after_s=settings.active_user_window_s
        )
        client = redis.Redis.from_url(REDIS_URL)
        say(f"delivery: marking {n:,} followers active")
        with ThreadPoolExecutor(8) as pool:  # as if each had read their home timeline
            list(pool.map(timelines.touch, follower_ids, chunksize=1_000))
        per_variant: dict[str, list[dict[str, float]]] = {"1 worker": [], "2 workers": []}
        with ServerProcess(settings, startup_timeout_s=120) as app:
            http = httpx.Client(base_url=app.base_url, timeout=60)
            auth = {"Authorization": f"Bearer {token}"}
            for r in range(args.delivery_repeats):
                order = ["1 worker", "2 workers"] if r % 2 == 0 else ["2 workers", "1 worker"]
                for variant in order:
                    with ExitStack() as stack:
                        for w in range(1 if variant == "1 worker" else 2):
                            start_worker(stack, settings, f"bench-delivery-{w}")
                        gc.collect()
                        sent = time.perf_counter()
                        reply = http.post(
                            "/api/v1/statuses",
                            headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
                            data={"status": f"to {n:,} followers, repeat {r} #fanout"},
                        )
                        acked = time.perf_counter()
                        reply.raise_for_status()
                        sid = int(reply.json()["id"])
                        seconds = wait_delivered(client, prefix, sid, last, follower_ids, acked)
                        per_variant[variant].append(
                            {"post_ms": 1000 * (acked - sent), "delivered_s": seconds}
                        )
                        say(f"delivery: {variant}: {seconds:.3f} s")
            http.close()
        timelines.close()
        client.close()
    finally:
        store.close()
        drop_schema(schema)
        delete_redis_prefix(prefix)
    result["variants"] = per_variant
    return result


def wait_delivered(
    client: Any, prefix: str, sid: int, last: int, everyone: list[int], acked: float
) -> float:
    """Poll the last follower's timeline, then check every follower; return the delay.

    Uses the documented key layout of `RedisTimelineStore` (``tl:<user>``, members are
    20-digit ids), read directly so the poll costs one ZSCORE.
    """
    member = f"{sid:020d}"
    deadline = acked + 300
    while client.zscore(f"{prefix}tl:{last}", member) is None:
        if time.perf_counter() > deadline:
            raise RuntimeError("the post never reached the last follower")
        time.sleep(0.001)
    seconds = time.perf_counter() - acked
    missing = everyone
    while missing:
        still = []
        for start in range(0, len(missing), 10_000):
            chunk = missing[start : start + 10_000]
            pipe = client.pipeline(transaction=False)
            for user in chunk:
                pipe.zscore(f"{prefix}tl:{user}", member)
            still += [u for u, s in zip(chunk, pipe.execute(), strict=True) if s is None]
        if still:  # pushed out of order: the real last one comes later
            seconds = time.perf_counter() - acked
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{len(still)} followers never got the post")
            time.sleep(0.01)
        missing = still
    return seconds


# --- report -----------------------------------------------------------------------------
def summarize(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """Ratios per round vs the configuration's own hello world, and 10k → largest."""
    out: dict[str, Any] = {}
    for block in blocks:
        label = size_label(block["statuses"])
        rows = {}
        for config in CONFIGS:
            for endpoint in ENDPOINTS:
                key = f"{config} {endpoint}"
                per = [r[key] for r in block["rounds"] if key in r]
                if not per:  # results written before this endpoint was measured
                    continue
                base = [
                    r[BASELINE[config]]["requests_per_second"] for r in block["rounds"] if key in r
                ]
                rows[key] = {
                    "requests_per_second": [p["requests_per_second"] for p in per],
                    "over_hello": [
                        p["requests_per_second"] / b for p, b in zip(per, base, strict=True)
                    ],
                    "p50_ms": [p["p50_ms"] for p in per],
                    "p99_ms": [p["p99_ms"] for p in per],
                    "cpu_ms": [p["cpu_ms_per_request"] for p in per if "cpu_ms_per_request" in p],
                }
        for hello in ("hello-1", "hello-2"):
            per = [r[hello] for r in block["rounds"]]
            rows[hello] = {
                "requests_per_second": [p["requests_per_second"] for p in per],
                "p50_ms": [p["p50_ms"] for p in per],
                "p99_ms": [p["p99_ms"] for p in per],
                "cpu_ms": [p["cpu_ms_per_request"] for p in per if "cpu_ms_per_request" in p],
            }
        out[label] = rows
    if len(blocks) > 1:
        first, last = size_label(blocks[0]["statuses"]), size_label(blocks[-1]["statuses"])
        out["degradation"] = {"from": first, "to": last}
        for key in (f"{c} {e}" for c in CONFIGS for e in ("home", "post")):
            out["degradation"][key] = {
                metric: [
                    b / a
                    for a, b in zip(out[first][key][metric], out[last][key][metric], strict=False)
                ]
                for metric in ("over_hello", "requests_per_second")
            }
    return out


def floor_note(rows: dict[str, Any]) -> list[str]:
    """What the app's cheapest route and the CPU per request say about the 0.5 targets."""
    floor, hello = rows.get("pg-1 floor"), rows["hello-1"]
    if floor is None or not floor["cpu_ms"] or not hello["cpu_ms"]:
        return []
    cpu = {k: statistics.median(rows[f"pg-1 {k}"]["cpu_ms"]) for k in ENDPOINTS}
    hello_cpu = statistics.median(hello["cpu_ms"])
    return [
        "",
        f"Where the time goes (PostgreSQL+Redis, 1 instance; medians): the app's cheapest "
        f"route — every middleware and the routing, no store access — already runs at "
        f"{statistics.median(floor['over_hello']):.2f} × hello world, and costs "
        f"{cpu['floor']:.2f} ms of app CPU per request against hello world's "
        f"{hello_cpu:.2f} ms. A home page costs {cpu['home']:.2f} ms and a POST "
        f"{cpu['post']:.2f} ms (the fan-out worker's CPU not included). The one app "
        "process is CPU-bound (one core, the GIL), so a ratio of 0.5 would need a whole "
        f"request within {2 * hello_cpu:.2f} ms of CPU.",
    ]


def markdown(data: dict[str, Any]) -> str:
    """The results as the Markdown page ``benchmarks/results/app.cluster.md``."""
    meta, summary = data["meta"], data["summary"]
    lines = [
        "# Cluster benchmark: wrk against SQLite, PostgreSQL+Redis, 1 and 2 instances",
        "",
        f"`benchmarks/app_cluster_bench.py {meta['argv']}` — {meta['scale']}. "
        f"wrk {meta['threads']} thread(s), {meta['connections']} keep-alive connections, "
        f"{meta['duration_s']:g} s per run, {meta['rounds']} rounds interleaved (order rotated "
        "each round), fan-out backlog drained before each run. Ratios are within a round, "
        "over the hello world of the same shape (1 process, or 2 behind the front); "
        "median (min–max) over rounds.",
        "",
        f"Machine: {meta['machine']}. **{meta['cores']} cores shared** by wrk, the app "
        "processes, the fan-out worker, PostgreSQL and Redis"
        + (" (and, while this ran, other jobs)" if meta["scale"].startswith("SMALL") else "")
        + ": two app instances cannot get a core each and the front adds a full HTTP hop, "
        "so the 2-instance rows show the cost of that hop under CPU contention, not "
        "horizontal scaling; they would need cores of their own to scale.",
        "",
        "## Bulk loads",
        "",
        "| statuses | users | follows | SQLite s | PostgreSQL s (incl. VACUUM ANALYZE) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for block in data["blocks"]:
        s = block["load_seconds"]
        lines.append(
            f"| {block['statuses']:,} | {block['users']:,} | {block['follows']:,} | "
            f"{s['sqlite']:.1f} | {s['postgresql']:.1f} |"
        )
    for block in data["blocks"]:
        label = size_label(block["statuses"])
        rows = summary[label]
        counts = block["statuses_before_after"]
        lines += [
            "",
            f"## {label} statuses",
            "",
            f"Statuses at the start / end of the block (the POST runs add some): SQLite "
            f"{counts['sqlite']:,} / {counts['sqlite_after']:,}, PostgreSQL "
            f"{counts['postgresql']:,} / {counts['postgresql_after']:,}.",
            "",
            "| configuration | endpoint | requests/s | / hello world | p50 ms | p99 ms "
            "| app CPU ms / request |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for hello in ("hello-1", "hello-2"):
            r = rows[hello]
            lines.append(
                f"| {LABELS[hello]} | GET /hello | {spread(r['requests_per_second'], '{:,.0f}')} "
                f"| 1 | {spread(r['p50_ms'], '{:.1f}')} | {spread(r['p99_ms'], '{:.1f}')} "
                f"| {spread(r.get('cpu_ms', []))} |"
            )
        names = {
            "home": "GET home (20)",
            "post": "POST /api/v1/statuses",
            "floor": "GET custom_emojis (floor)",
        }
        for config in CONFIGS:
            for endpoint in ENDPOINTS:
                r = rows.get(f"{config} {endpoint}")
                if r is None:
                    continue
                lines.append(
                    f"| {LABELS[config]} | {names[endpoint]} | "
                    f"{spread(r['requests_per_second'], '{:,.0f}')} | {spread(r['over_hello'])} "
                    f"| {spread(r['p50_ms'], '{:.1f}')} | {spread(r['p99_ms'], '{:.1f}')} "
                    f"| {spread(r.get('cpu_ms', []))} |"
                )
        pg_post = statistics.median(rows["pg-1 post"]["over_hello"])
        pg_home = statistics.median(rows["pg-1 home"]["over_hello"])
        lines += [
            "",
            f"Targets (PostgreSQL+Redis, 1 instance): POST ≥ 0.5 × hello — "
            f"{pg_post:.2f}, {'met' if pg_post >= TARGETS['post'] else 'NOT met'}; "
            f"home ≥ 0.5 × hello — {pg_home:.2f}, "
            f"{'met' if pg_home >= TARGETS['home'] else 'NOT met'}.",
        ]
        lines += floor_note(rows)
    if "degradation" in summary:
        deg = summary["degradation"]
        lines += [
            "",
            f"## Degradation {deg['from']} → {deg['to']} statuses",
            "",
            f"{deg['to']} over {deg['from']}, paired by round (1.00 = no change; the "
            "target is ≥ 0.80, i.e. at most 20% slower).",
            "",
            "| configuration | endpoint | ratio to hello, " + f"{deg['to']}/{deg['from']} "
            "| requests/s, " + f"{deg['to']}/{deg['from']} |",
            "|---|---|---:|---:|",
        ]
        for config in CONFIGS:
            for endpoint in ("home", "post"):
                d = deg[f"{config} {endpoint}"]
                lines.append(
                    f"| {LABELS[config]} | {endpoint} | {spread(d['over_hello'])} | "
                    f"{spread(d['requests_per_second'])} |"
                )
    if data.get("delivery"):
        dv = data["delivery"]
        lines += [
            "",
            f"## Delivery delay of a post to {dv['followers']:,} followers",
            "",
            f"PostgreSQL+Redis, one app instance, every follower active and pushed "
            f"(`fanout_threshold` {2 * dv['followers']:,}); bulk load "
            f"{dv['load_seconds']:.1f} s. From the POST's acknowledgement until the last "
            "follower's Redis timeline holds the status (then every follower is checked); "
            "median (min–max) over repeats, variants interleaved.",
            "",
            "| fan-out workers | POST ms | delivered after, s |",
            "|---|---:|---:|",
        ]
        for variant, reps in dv["variants"].items():
            lines.append(
                f"| {variant} | {spread([r['post_ms'] for r in reps], '{:.1f}')} | "
                f"{spread([r['delivered_s'] for r in reps], '{:.3f}')} |"
            )
        lines += [
            "",
            "One post is one log entry, and an entry is consumed by one worker of the group, "
            "so a second worker does not split a single fan-out: it helps when many posts "
            "arrive together. A difference between the two rows comes from elsewhere (which "
            "worker took the entry, the machine's other load). Splitting a big author's push "
            "into follower ranges, one entry each, would let the group share it. Part of the "
            "delay is the relay: a worker's loop relays the outbox, then blocks up to 200 ms "
            "(`block_ms`) reading the log, and a post committed during that wait is relayed "
            "only after it.",
        ]
    return "\n".join(lines) + "\n"


# --- main -------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10k,100k,1M", help="statuses per database")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per size")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of home warm-up")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--delivery-followers", type=int, default=100_000)
    parser.add_argument("--delivery-statuses", type=int, default=10_000)
    parser.add_argument("--delivery-repeats", type=int, default=5)
    parser.add_argument("--no-delivery", action="store_true")
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite app.cluster.md from app.cluster.json without measuring",
    )
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument(
        "--results-dir", type=Path, default=RESULTS, help="where app.cluster.{json,md} go"
    )
    parser.add_argument(
        "--small",
        action="store_true",
        help="small scale: 10k statuses, 2 rounds of 3 s, 2 delivery repeats",
    )
    args = parser.parse_args(argv)
    if args.report_only:
        data = json.loads((args.results_dir / "app.cluster.json").read_text())
        (args.results_dir / "app.cluster.md").write_text(markdown(data))
        return
    if args.small:
        args.sizes, args.rounds, args.duration, args.warmup = "10k", 2, 3.0, 2.0
        args.delivery_repeats = 2
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not on the PATH (apt-get install wrk)")
    sizes = sorted(parse_size(s) for s in args.sizes.split(","))
    gc.disable()  # the harness only waits on children; a pause would not be theirs
    started = time.perf_counter()
    blocks, datasets = [], []
    with tempfile.TemporaryDirectory(prefix="app-cluster-bench-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            with hello_servers() as hello:
                for n in sizes:
                    ds = build_dataset(n, tmp, args.seed)
                    datasets.append(ds)
                    blocks.append(measure_size(ds, tmp / size_label(n), hello, args))
                    drop_schema(ds.schema)
                    ds.sqlite_path.unlink()
            deliver = None if args.no_delivery else delivery(tmp, args)
        finally:
            for ds in datasets:
                drop_schema(ds.schema)
    data = {
        "meta": {
            "argv": " ".join(sys.argv[1:] if argv is None else argv),
            "scale": "SMALL SCALE (a check that it works, not the published numbers)"
            if args.small
            else "full scale",
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
            "cores": os.cpu_count(),
            "duration_s": args.duration,
            "rounds": args.rounds,
            "connections": args.connections,
            "threads": args.threads,
            "wall_seconds": time.perf_counter() - started,
        },
        "blocks": blocks,
        "summary": summarize(blocks),
        "delivery": deliver,
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / "app.cluster.json").write_text(json.dumps(data, indent=2) + "\n")
    text = markdown(data)
    (args.results_dir / "app.cluster.md").write_text(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
