"""Where should read routes run: on the event loop, or in the thread pool?

Issue 13 item 6. Today the read routes are ``async def`` and call the synchronous store
on the event loop. The alternative runs the same handler in Starlette's thread pool
(``run_in_threadpool``, what a ``def`` route does). Four variants of
``GET /api/v1/timelines/home`` (20 statuses, cached) are compared, plus a FastAPI hello
world as the floor, all in one run with the rounds interleaved (the order rotates each
round):

- **loop, embedded**: the route as it is, over the embedded SQLite store.
- **pool, embedded**: the same handler run in the thread pool (one hop per request: the
  token lookup and the handler body both run there), over the same store.
- **loop, network** and **pool, network**: the same two over a store whose every call
  first blocks its thread for a 1 ms round trip (``time.sleep``, as a blocking driver
  such as psycopg does; an ``await asyncio.sleep`` would not model it, since the
  synchronous store cannot await).

Each variant is served by a real app (``create_app``, rate limits off, fast argon2) in its
own uvicorn process; the load generator is ``app_bench.load`` (32 keep-alive connections
from two processes). Garbage collection is off in the servers and the load generator and
run between measurements. Ratios are computed within a round, then summarized over the
rounds as median and min–max: the machine is shared, so absolute numbers mean little.

Writes ``benchmarks/results/app.sync_async.md`` and ``app.sync_async.json``.

Run: ``python benchmarks/app_sync_async_bench.py`` (7 rounds of 4 s per variant, about
four minutes); ``--rounds 12 --duration 3`` is the run quoted in the docs.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import httpx
from app_bench import CONCURRENCY, FAST_HASH, HELLO, load, populate_home
from fastapi import Request, Response  # module level: FastAPI resolves the annotations here

from twitterdesign.reference_app.server import free_port

RESULTS = Path(__file__).resolve().parent / "results"
ROUNDS = 7
DURATION_S = 4.0
RTT_S = 0.001
POOL_PATH = "/bench/home-in-pool"
HOME_PATH = "/api/v1/timelines/home"
PATHS = (HOME_PATH, POOL_PATH)

# (label, server, path); the servers are "hello", "embedded" and "network".
VARIANTS: tuple[tuple[str, str, str], ...] = (
    ("hello world", "hello", "/hello"),
    ("loop, embedded", "embedded", HOME_PATH),
    ("pool, embedded", "embedded", POOL_PATH),
    ("loop, network", "network", HOME_PATH),
    ("pool, network", "network", POOL_PATH),
)
# (label, numerator, denominator): the ratios reported.
RATIOS: tuple[tuple[str, str, str], ...] = (
    ("pool / loop, embedded SQLite", "pool, embedded", "loop, embedded"),
    ("pool / loop, 1 ms network store", "pool, network", "loop, network"),
    ("loop: network / embedded", "loop, network", "loop, embedded"),
    ("pool: network / embedded", "pool, network", "loop, embedded"),
    ("loop, embedded / hello world (floor)", "loop, embedded", "hello world"),
    ("pool, embedded / hello world", "pool, embedded", "hello world"),
)


# --- the server side (runs in the uvicorn subprocesses) -------------------------------
class BlockingNetworkStore:
    """A store whose every call first blocks its thread for one network round trip.

    Wraps the embedded store: the data and queries are the same, only the wait a
    database across the network adds to each call is modelled, the way a blocking
    driver waits (holding the thread, releasing the GIL).
    """

    def __init__(self, inner: Any, rtt_s: float) -> None:
        self._inner = inner
        self._rtt_s = rtt_s
        self.request_calls = 0  # calls made while serving requests (not by the workers)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr) or name == "close":
            return attr
        rtt_s = self._rtt_s

        def round_trip(*args: Any, **kwargs: Any) -> Any:
            thread = threading.current_thread()
            if thread is threading.main_thread() or thread.name.startswith("AnyIO worker"):
                self.request_calls += 1
            time.sleep(rtt_s)
            return attr(*args, **kwargs)

        return round_trip


def _drive(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never awaits to completion, synchronously (in any thread)."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise RuntimeError("the handler awaited; it cannot be driven synchronously")


def build_app(data_dir: Path, rtt_s: float) -> Any:
    """The real app, plus the pool variant of the home route and a ``/bench/gc`` hook."""
    from starlette.concurrency import run_in_threadpool

    from twitterdesign.reference_app import Services, Settings, SQLiteStore, create_app
    from twitterdesign.reference_app.api import routes_timelines
    from twitterdesign.reference_app.api._deps import require

    settings = Settings(data_dir=data_dir, rate_limits_enabled=False, **FAST_HASH)
    store: Any = SQLiteStore(settings.database_path, synchronous=settings.sqlite_synchronous)
    if rtt_s > 0:
        store = BlockingNetworkStore(store, rtt_s)
    app = create_app(settings, services=Services(settings, store=store))
    authorize = require("read:statuses")

    def home_blocking(request: Request, response: Response) -> Response:
        # The route's own dependency and body, unchanged, in a worker thread.
        auth = _drive(authorize(request))
        return _drive(routes_timelines.home(request, response, auth))  # type: ignore[no-any-return]

    async def home_in_pool(request: Request, response: Response) -> Response:
        return await run_in_threadpool(home_blocking, request, response)

    def collect() -> dict[str, int]:
        return {"collected": gc.collect()}

    async def store_calls() -> dict[str, int]:
        return {"calls": getattr(store, "request_calls", -1)}

    app.add_api_route(POOL_PATH, home_in_pool, methods=["GET"])
    app.add_api_route("/bench/gc", collect, methods=["POST"])
    app.add_api_route("/bench/store-calls", store_calls, methods=["GET"])
    return app


def serve(port: int, data_dir: Path, rtt_s: float) -> None:
    """Serve `build_app` on loopback with the settings ``run_server`` uses."""
    import uvicorn

    app = build_app(data_dir, rtt_s)
    gc.disable()
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
        proxy_headers=False,
    )  # fmt: skip


# --- the driver ------------------------------------------------------------------------
def _start(args: list[str], port: int, probe: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, *args])
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}{probe}", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.terminate()
    raise RuntimeError(f"server on port {port} did not start")


def _without_views(status: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in status.items() if k != "views_count"}


def populate(base: str) -> str:
    """A reader following 20 authors with 40 statuses (as app_bench); return its token."""
    _, reader, _ = populate_home(base)
    with httpx.Client(base_url=base, timeout=60) as c:
        auth = {"Authorization": f"Bearer {reader}"}
        pages = [c.get(path, params={"limit": 20}, headers=auth) for path in (HOME_PATH, POOL_PATH)]
        assert all(p.status_code == 200 for p in pages), pages[0].text
        assert len(pages[0].json()) == 20
        # The same statuses, rendered the same (each read counts a view: leave that out).
        loop, pool = ([_without_views(x) for x in p.json()] for p in pages)
        assert loop == pool, "the two variants must serve the same page"
    return reader


def store_calls_per_request(base: str, token: str, path: str, *, requests: int = 20) -> float:
    """Mean store calls (network round trips) one request to ``path`` makes."""
    with httpx.Client(base_url=base, timeout=60) as c:
        before = c.get("/bench/store-calls").json()["calls"]
        for _ in range(requests):
            c.get(path, params={"limit": 20}, headers={"Authorization": f"Bearer {token}"})
        after = c.get("/bench/store-calls").json()["calls"]
    return float(after - before) / requests


def measure(tmp: Path, *, rounds: int = ROUNDS, duration_s: float = DURATION_S) -> dict[str, Any]:
    """Run interleaved rounds: each round's results per variant, and the store calls."""
    me = str(Path(__file__).resolve())
    ports = {name: free_port() for name in ("hello", "embedded", "network")}
    hello = "import gc; gc.disable()\n" + HELLO.replace("{port}", str(ports["hello"]))
    procs = [_start(["-c", hello], ports["hello"], "/hello")]
    tokens: dict[str, str | None] = {"hello": None}
    try:
        for name, rtt in (("embedded", 0.0), ("network", RTT_S)):
            args = [me, "--serve", str(ports[name]), str(tmp / name), str(rtt)]
            procs.append(_start(args, ports[name], "/healthz"))
            tokens[name] = populate(f"http://127.0.0.1:{ports[name]}")
        network, token = f"http://127.0.0.1:{ports['network']}", tokens["network"]
        assert token is not None
        calls = {path: store_calls_per_request(network, token, path) for path in PATHS}
        results_per_round = []
        for r in range(rounds):
            order = VARIANTS[r % len(VARIANTS) :] + VARIANTS[: r % len(VARIANTS)]
            results = {}
            for label, server, path in order:
                if server != "hello":
                    httpx.post(f"http://127.0.0.1:{ports[server]}/bench/gc", timeout=60)
                gc.collect()
                query = "?limit=20" if server != "hello" else ""
                results[label] = load(
                    ports[server], path + query, tokens[server], duration_s=duration_s
                )
            results_per_round.append(results)
            sys.stderr.write(f"round {r + 1}/{rounds} done\n")
        return {
            "rounds": results_per_round,
            "duration_s": duration_s,
            "store_calls_per_request": calls,
        }
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=60)


def summarize(measured: dict[str, Any]) -> dict[str, Any]:
    """Per-round ratios of requests/s and p99, as median and min–max over the rounds."""
    rounds: list[dict[str, dict[str, float]]] = measured["rounds"]

    def spread(values: list[float]) -> dict[str, float]:
        return {"median": statistics.median(values), "min": min(values), "max": max(values)}

    def ratios(metric: str) -> dict[str, dict[str, float]]:
        return {
            label: spread([r[num][metric] / r[den][metric] for r in rounds])
            for label, num, den in RATIOS
        }

    return {
        "rounds": len(rounds),
        "duration_s": measured["duration_s"],
        "concurrency": CONCURRENCY,
        "rtt_s": RTT_S,
        "requests_per_second_ratios": ratios("requests_per_second"),
        "p99_ratios": ratios("p99_ms"),
        "store_calls_per_request": measured["store_calls_per_request"],
        "raw": rounds,
    }


def _fmt(s: dict[str, float]) -> str:
    return f"{s['median']:.2f} ({s['min']:.2f}–{s['max']:.2f})"


def write(summary: dict[str, Any]) -> str:
    """Write the JSON and the Markdown table; return the Markdown."""
    lines = [
        "# Reads on the event loop vs in the thread pool",
        "",
        f"`GET /api/v1/timelines/home` (20 statuses, cached), {summary['concurrency']} "
        f"keep-alive connections, {summary['duration_s']:g} s per variant, "
        f"{summary['rounds']} rounds interleaved (order rotated each round), one uvicorn "
        "process per store. *loop*: the route as it is (`async def`, the synchronous store "
        "called on the event loop). *pool*: the same dependency and handler run in the "
        "thread pool (`run_in_threadpool`, one hop per request). *network*: every store "
        f"call first blocks its thread for {1000 * summary['rtt_s']:g} ms (`time.sleep`, "
        "a blocking driver's round trip).",
        "",
        "Ratios of requests/s and of p99 latency, computed within each round: median "
        "(min–max over the rounds). Absolute numbers are not reported: the two-core "
        "machine is shared.",
        "",
        "| ratio | requests/s | p99 latency |",
        "|---|---:|---:|",
    ]
    rps, p99 = summary["requests_per_second_ratios"], summary["p99_ratios"]
    for label, _, _ in RATIOS:
        lines.append(f"| {label} | {_fmt(rps[label])} | {_fmt(p99[label])} |")
    calls = summary["store_calls_per_request"][HOME_PATH]
    lines += [
        "",
        f"One home-timeline read makes **{calls:.1f} store calls** (round trips), all on "
        "the request's path; on the loop they run one after another with nothing else "
        f"served meanwhile, so one process cannot exceed 1 / ({calls:.1f} × "
        f"{1000 * summary['rtt_s']:g} ms) ≈ {1 / (calls * summary['rtt_s']):,.0f} "
        "requests/s there, however many cores or connections it has.",
        "",
    ]
    text = "\n".join(lines)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "app.sync_async.md").write_text(text)
    (RESULTS / "app.sync_async.json").write_text(json.dumps(summary, indent=2) + "\n")
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="interleaved rounds (>= 5)")
    parser.add_argument("--duration", type=float, default=DURATION_S, help="seconds per variant")
    parser.add_argument("--serve", nargs=3, metavar=("PORT", "DATA_DIR", "RTT_S"))
    args = parser.parse_args(argv)
    if args.serve:
        port, data_dir, rtt = args.serve
        serve(int(port), Path(data_dir), float(rtt))
        return
    with tempfile.TemporaryDirectory(prefix="app-sync-async-") as tmp:
        measured = measure(Path(tmp), rounds=args.rounds, duration_s=args.duration)
    sys.stdout.write(write(summarize(measured)))


if __name__ == "__main__":
    main()
