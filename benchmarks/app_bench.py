"""Reference app performance, measured against baselines run in the same session.

1. **Home timeline vs hello world.** The same uvicorn settings serve a bare FastAPI
   hello-world endpoint and the reference app; 32 concurrent keep-alive clients hammer
   each in turn. Target: GET /api/v1/timelines/home (cached, 20 statuses) sustains at
   least 40% of the hello-world requests/s. p50/p99 are reported for several endpoints.
2. **Posting is independent of the follower count.** POST /api/v1/statuses by an account
   with 100,000 followers versus one with 10 (every follower pushed: the fan-out
   threshold is raised above 100k so the fan-out really happens, in the background).
   Target: p50 of the big account ≤ 3 × p50 of the small one. Also reported: how long
   until the fan-out of one big post is finished, i.e. the last active follower has it.

The load generator is a minimal HTTP/1.1 keep-alive client on asyncio streams in two
worker processes (httpx is too slow to saturate a server on the same machine). The
machine is shared, so every number is one run's and the ratios are what matter.

Writes ``benchmarks/results/app.json``, ``benchmarks/results/app.md`` and the charts
``docs/figures/app-throughput.png``, ``app-latency.png`` and ``app-fanout.png`` (also:
fan-out completion time for 1k, 10k and 100k followers).

Run: ``python benchmarks/app_bench.py`` (about three minutes).
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import multiprocessing as mp
import os
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from twitterdesign.reference_app import Settings
from twitterdesign.reference_app.server import ServerProcess, free_port

RESULTS = Path(__file__).resolve().parent / "results"
CONCURRENCY = 32
CLIENT_PROCESSES = 2
DURATION_S = 6.0
FAST_HASH: dict[str, Any] = {"argon2_time_cost": 1, "argon2_memory_kib": 8}
FANOUT_FOLLOWERS = (1_000, 10_000, 100_000)
FIGURES = Path(__file__).resolve().parent.parent / "docs" / "figures"

HELLO = """
import uvicorn
from fastapi import FastAPI
app = FastAPI()
@app.get("/hello")
def hello() -> dict[str, str]:
    return {"hello": "world"}
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False,
            proxy_headers=False)
"""


# --- load generator -------------------------------------------------------------------
async def _connection(
    host: str, port: int, request: bytes, until: float, latencies: list[float]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < until:
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            status = int(head[9:12])
            if length:
                await reader.readexactly(length)
            if status != 200:
                raise RuntimeError(f"status {status}: {head[:200]!r}")
            latencies.append(time.perf_counter() - start)
    finally:
        writer.close()


def _client_process(args: tuple[str, int, bytes, int, float]) -> list[float]:
    host, port, request, connections, duration = args
    gc.disable()  # a collection pause in the load generator would read as server latency
    latencies: list[float] = []

    async def main() -> None:
        until = time.perf_counter() + duration
        await asyncio.gather(
            *(_connection(host, port, request, until, latencies) for _ in range(connections))
        )

    asyncio.run(main())
    return latencies


def load(
    port: int, path: str, token: str | None = None, *, duration_s: float = DURATION_S
) -> dict[str, float]:
    """Hammer GET ``path`` with CONCURRENCY connections; return rps and latency quantiles."""
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{auth}\r\n".encode()
    per = CONCURRENCY // CLIENT_PROCESSES
    with mp.get_context("spawn").Pool(CLIENT_PROCESSES) as pool:
        parts = pool.map(
            _client_process,
            [("127.0.0.1", port, request, per, duration_s)] * CLIENT_PROCESSES,
        )
    lat = sorted(x for part in parts for x in part)
    return {
        "requests_per_second": len(lat) / duration_s,
        "p50_ms": 1000 * lat[len(lat) // 2],
        "p99_ms": 1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))],
        "requests": len(lat),
    }


# --- helpers --------------------------------------------------------------------------
def register(base: str, names: list[str]) -> dict[str, tuple[str, str]]:
    """Register accounts through the API; return name -> (id, token)."""
    with httpx.Client(base_url=base, timeout=30) as c:
        app = c.post("/api/v1/apps", data={"client_name": "bench", "scopes": "read write follow"})
        creds = app.json()
        app_token = c.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": creds["client_id"],
                "client_secret": creds["client_secret"],
                "scope": "read write follow",
            },
        ).json()["access_token"]
        out = {}
        for name in names:
            token = c.post(
                "/api/v1/accounts",
                headers={"Authorization": f"Bearer {app_token}"},
                data={"username": name, "email": f"{name}@bench.invalid", "password": "bench pw 1"},
            ).json()["access_token"]
            me = c.get(
                "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {token}"}
            ).json()
            out[name] = (me["id"], token)
        return out


def populate_home(base: str) -> tuple[str, str, str]:
    """A reader following 20 authors with 40 statuses; return (reader id, token, a status id).

    Every benchmark of the home timeline reads this same page of 20 statuses.
    """
    users = register(base, ["reader"] + [f"author{i}" for i in range(20)])
    reader_id, reader = users["reader"]
    auth = {"Authorization": f"Bearer {reader}"}
    with httpx.Client(base_url=base, timeout=60) as c:
        for i in range(20):
            aid, _ = users[f"author{i}"]
            c.post(f"/api/v1/accounts/{aid}/follow", headers=auth)
        for j in range(40):
            _, tok = users[f"author{j % 20}"]
            c.post(
                "/api/v1/statuses",
                headers={"Authorization": f"Bearer {tok}"},
                data={"status": f"status {j} about #systemdesign"},
            )
        while c.get("/healthz").json()["fanout_queue_depth"] > 0:
            time.sleep(0.05)
        home = c.get("/api/v1/timelines/home", params={"limit": 20}, headers=auth)
        if home.status_code != 200 or len(home.json()) != 20:
            raise RuntimeError(f"home timeline is not 20 statuses: {home.text[:200]}")
    return reader_id, reader, home.json()[0]["id"]


def home_vs_hello(tmp: Path) -> dict[str, Any]:
    """Part 1: the home timeline's throughput as a fraction of hello world's."""
    port = free_port()
    hello = subprocess.Popen([sys.executable, "-c", HELLO.replace("{port}", str(port))])
    try:
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/hello", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        results = {"GET /hello (FastAPI hello world)": load(port, "/hello")}
    finally:
        hello.terminate()
        hello.wait()

    settings = Settings(data_dir=tmp / "home", rate_limits_enabled=False, **FAST_HASH)
    with ServerProcess(settings) as server:
        reader_id, reader, one = populate_home(server.base_url)
        port = server.port
        results["GET /api/v1/timelines/home (20, cached)"] = load(
            port, "/api/v1/timelines/home?limit=20", reader
        )
        results["GET /api/v1/statuses/:id"] = load(port, f"/api/v1/statuses/{one}")
        results["GET /api/v1/timelines/public (20)"] = load(port, "/api/v1/timelines/public")
        results["GET /healthz"] = load(port, "/healthz")
    results["GET /api/v1/timelines/home via front, 2 workers"] = home_behind_front(settings, reader)
    hello_rps = results["GET /hello (FastAPI hello world)"]["requests_per_second"]
    home_rps = results["GET /api/v1/timelines/home (20, cached)"]["requests_per_second"]
    return {
        "endpoints": results,
        "home_over_hello": home_rps / hello_rps,
        "target": 0.40,
        "concurrency": CONCURRENCY,
        "reader_id": reader_id,
    }


def add_followers(db: Path, followee: int, count: int, first_id: int, active: int) -> list[str]:
    """Insert ``count`` follower accounts directly (setup only); return tokens of ``active``."""
    conn = sqlite3.connect(db)
    tokens: list[str] = []
    try:
        now = int(time.time() * 1000)
        ids = list(range(first_id, first_id + count))
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO accounts(id, username, created_at) VALUES (?, ?, ?)",
            [(i, f"f{i}", now) for i in ids],
        )
        conn.executemany(
            "INSERT INTO follows(follower_id, followee_id, id, created_at) VALUES (?, ?, ?, ?)",
            [(i, followee, i, now) for i in ids],
        )
        conn.execute(
            "UPDATE accounts SET followers_count = followers_count + ? WHERE id = ?",
            (count, followee),
        )
        conn.execute(
            "UPDATE accounts SET following_count = 1 WHERE id >= ? AND id < ?",
            (first_id, first_id + count),
        )
        rows = []
        for i in ids[-active:] if active else []:
            token = secrets.token_urlsafe(32)
            tokens.append(token)
            rows.append((hashlib.sha256(token.encode()).hexdigest(), None, i, "read write", now))
        conn.executemany(
            "INSERT INTO tokens(token_hash, app_id, account_id, scopes, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return tokens


def post_latency(tmp: Path, big: int = 100_000, active: int = 2_000) -> dict[str, Any]:
    """Part 2: POST p50 for 100k followers vs 10, and the fan-out completion time."""
    settings = Settings(
        data_dir=tmp / "post",
        rate_limits_enabled=False,
        fanout_threshold=big * 2,  # push to everyone: the fan-out must really happen
        **FAST_HASH,
    )
    curve = [n for n in FANOUT_FOLLOWERS if n != big]
    with ServerProcess(settings) as server:
        users = register(server.base_url, ["big", "small"] + [f"curve{n}" for n in curve])
    big_id, big_token = users["big"]
    small_id, small_token = users["small"]
    db = settings.database_path
    active_tokens = add_followers(db, int(big_id), big, 1, active)
    add_followers(db, int(small_id), 10, big + 10, 0)
    # Smaller accounts for the completion-time curve, with the same share of active followers.
    curve_tokens: dict[int, list[str]] = {}
    first = 2 * big
    for n in curve:
        share = max(1, n * active // big)
        curve_tokens[n] = add_followers(db, int(users[f"curve{n}"][0]), n, first, share)
        first += n + 10
    with ServerProcess(settings) as server, httpx.Client(base_url=server.base_url, timeout=60) as c:
        # Make `active` followers active (they read their home timeline once).
        async def warm() -> None:
            async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as ac:
                sem = asyncio.Semaphore(16)

                async def one(tok: str) -> None:
                    async with sem:
                        await ac.get(
                            "/api/v1/timelines/home", headers={"Authorization": f"Bearer {tok}"}
                        )

                every = active_tokens + [t for ts in curve_tokens.values() for t in ts]
                await asyncio.gather(*(one(t) for t in every))

        asyncio.run(warm())

        def post(token: str, text: str) -> tuple[float, str]:
            start = time.perf_counter()
            reply = c.post(
                "/api/v1/statuses",
                headers={"Authorization": f"Bearer {token}"},
                data={"status": text},
            )
            elapsed = time.perf_counter() - start
            assert reply.status_code == 200, reply.text
            return elapsed, reply.json()["id"]

        def wait_idle() -> float:
            start = time.perf_counter()
            while c.get("/healthz").json()["fanout_queue_depth"] > 0:
                time.sleep(0.005)
            return time.perf_counter() - start

        small_lat, big_lat, deliveries = [], [], []
        for i in range(15):
            small_lat.append(post(small_token, f"small {i}")[0])
            wait_idle()
            start = time.perf_counter()
            elapsed, sid = post(big_token, f"big {i}")
            big_lat.append(elapsed)
            # The last active follower (the fan-out pushes in follower order) has it when
            # the log is drained; confirm by reading that follower's home timeline.
            wait_idle()
            last = c.get(
                "/api/v1/timelines/home?limit=1",
                headers={"Authorization": f"Bearer {active_tokens[-1]}"},
            ).json()
            assert last
            assert last[0]["id"] == sid
            deliveries.append(time.perf_counter() - start)

        def completion(token: str, last_token: str, rounds: int) -> list[float]:
            """Post ``rounds`` times; seconds until the last active follower has each."""
            times = []
            for i in range(rounds):
                wait_idle()
                start = time.perf_counter()
                _, sid = post(token, f"curve {i}")
                wait_idle()
                top = c.get(
                    "/api/v1/timelines/home?limit=1",
                    headers={"Authorization": f"Bearer {last_token}"},
                ).json()
                assert top
                assert top[0]["id"] == sid
                times.append(time.perf_counter() - start)
            return times

        curve_points = []
        for n in curve:
            times = completion(users[f"curve{n}"][1], curve_tokens[n][-1], 10)
            curve_points.append((n, len(curve_tokens[n]), times))
        curve_points.append((big, active, deliveries))
    p50_small = statistics.median(small_lat)
    p50_big = statistics.median(big_lat)
    return {
        "followers_big": big,
        "followers_small": 10,
        "active_followers_big": active,
        "post_p50_ms_small": 1000 * p50_small,
        "post_p50_ms_big": 1000 * p50_big,
        "big_over_small": p50_big / p50_small,
        "target": 3.0,
        "fanout_complete_p50_s": statistics.median(deliveries),
        "fanout_complete_max_s": max(deliveries),
        "fanout_by_followers": [
            {
                "followers": n,
                "active_followers": a,
                "complete_p50_s": statistics.median(times),
                "complete_max_s": max(times),
            }
            for n, a, times in sorted(curve_points)
        ],
    }


def _short(name: str) -> str:
    """An endpoint label for a chart axis."""
    return name.replace("GET ", "").replace("/api/v1", "").replace(" (FastAPI hello world)", "")


def figures(home: dict[str, Any], post: dict[str, Any]) -> list[Path]:
    """Draw the run's numbers to ``docs/figures/app-*.png``; return the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    FIGURES.mkdir(parents=True, exist_ok=True)
    endpoints = home["endpoints"]
    names = [_short(n) for n in endpoints]
    hello = endpoints["GET /hello (FastAPI hello world)"]["requests_per_second"]
    written = []

    fig, ax = plt.subplots(figsize=(8, 4))
    rps = [r["requests_per_second"] for r in endpoints.values()]
    colors = ["0.6" if "hello" in n else "tab:blue" for n in endpoints]
    bars = ax.barh(names[::-1], rps[::-1], color=colors[::-1])
    ax.bar_label(bars, labels=[f"{v:,.0f} ({v / hello:.0%})" for v in rps[::-1]], padding=3)
    ax.axvline(home["target"] * hello, color="tab:red", ls="--", lw=1)
    ax.text(
        home["target"] * hello, len(names) - 0.5, " target: 40% of hello world", color="tab:red"
    )
    ax.set_ylim(-0.6, len(names))
    ax.set_xlabel(f"requests/s ({home['concurrency']} keep-alive clients, one uvicorn process)")
    ax.set_xlim(0, max(rps) * 1.35)
    ax.set_title("Throughput per endpoint vs a FastAPI hello world, same run")
    fig.tight_layout()
    written.append(FIGURES / "app-throughput.png")
    fig.savefig(written[-1], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4))
    y = list(range(len(names)))
    p50 = [r["p50_ms"] for r in endpoints.values()]
    p99 = [r["p99_ms"] for r in endpoints.values()]
    ax.barh([i + 0.2 for i in y], p50, height=0.4, label="p50")
    ax.barh([i - 0.2 for i in y], p99, height=0.4, label="p99")
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlabel("latency under load, ms")
    ax.set_title(f"Latency per endpoint at {home['concurrency']} concurrent clients")
    ax.legend()
    fig.tight_layout()
    written.append(FIGURES / "app-latency.png")
    fig.savefig(written[-1], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4))
    points = post["fanout_by_followers"]
    xs = [p["followers"] for p in points]
    ax.plot(xs, [p["complete_p50_s"] for p in points], "o-", label="fan-out done, p50")
    ax.plot(xs, [p["complete_max_s"] for p in points], "s--", label="fan-out done, max")
    ax.axhline(
        post["post_p50_ms_big"] / 1000, color="0.5", ls=":", label="POST response, p50 (100k)"
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("followers of the author (2% of them active and pushed to)")
    ax.set_ylabel("seconds after the POST")
    ax.set_title("Until the last active follower has the post")
    ax.legend()
    fig.tight_layout()
    written.append(FIGURES / "app-fanout.png")
    fig.savefig(written[-1], dpi=110)
    plt.close(fig)
    return written


def home_behind_front(settings: Settings, reader: str) -> dict[str, float]:
    """The same home timeline through ``twitterdesign serve --workers 2`` (P2C front).

    Same database, same reader; the front is an extra hop, and on a two-core machine its
    two app processes share the cores with the front and the load generator.
    """
    port = free_port()
    front = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "twitterdesign",
            "serve",
            "--workers",
            "2",
            "--port",
            str(port),
            "--data-dir",
            str(settings.data_dir),
            "--no-rate-limits",
            "--log-level",
            "warning",
        ],
        env={**os.environ, **settings.to_env()},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        return load(port, "/api/v1/timelines/home?limit=20", reader)
    finally:
        front.terminate()
        front.wait(timeout=60)


def main() -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="app-bench-") as tmp:
        home = home_vs_hello(Path(tmp))
        post = post_latency(Path(tmp))
    out = {"home_vs_hello": home, "post_latency": post}
    (RESULTS / "app.json").write_text(json.dumps(out, indent=2) + "\n")
    lines = [
        "# Reference app benchmark",
        "",
        f"{CONCURRENCY} concurrent keep-alive connections, {DURATION_S:g} s per endpoint, "
        "one uvicorn process each, same settings; the last row goes through the "
        "multi-process front (`twitterdesign serve --workers 2`, power of two choices).",
        "",
        "| endpoint | requests/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|",
    ]
    for name, r in home["endpoints"].items():
        lines.append(
            f"| {name} | {r['requests_per_second']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |"
        )
    ok1 = "met" if home["home_over_hello"] >= home["target"] else "NOT met"
    ok2 = "met" if post["big_over_small"] <= post["target"] else "NOT met"
    lines += [
        "",
        f"Home timeline / hello world: **{home['home_over_hello']:.0%}** (target ≥ 40%: {ok1}).",
        "",
        f"POST p50 with {post['followers_big']:,} followers: {post['post_p50_ms_big']:.1f} ms; "
        f"with 10: {post['post_p50_ms_small']:.1f} ms — ratio **{post['big_over_small']:.2f}** "
        f"(target ≤ 3: {ok2}). The background fan-out of one big post (all "
        f"{post['followers_big']:,} followers scanned, the {post['active_followers_big']:,} "
        f"active ones pushed) was done — the last active follower had it — after "
        f"{post['fanout_complete_p50_s']:.2f} s (p50; max {post['fanout_complete_max_s']:.2f} s).",
        "",
    ]
    lines += [
        "| followers | active (pushed) | fan-out done p50 s | max s |",
        "|---:|---:|---:|---:|",
    ]
    for point in post["fanout_by_followers"]:
        lines.append(
            f"| {point['followers']:,} | {point['active_followers']:,} | "
            f"{point['complete_p50_s']:.3f} | {point['complete_max_s']:.3f} |"
        )
    lines.append("")
    (RESULTS / "app.md").write_text("\n".join(lines))
    figures(home, post)
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
