"""Benchmarks and published-result reproductions for ``twitterdesign.lb``.

Speed targets are ratios against a baseline run in the same process (the machine is
shared and noisy):

* the simulator on 1M requests over 100 clients × 50 servers vs the same model written
  the textbook SimPy way (``lb_simpy_model.py``): ≥ 5× faster, latency quantiles within
  statistical tolerance;
* ``JumpHashRouter.route_many`` and ``MaglevRouter.route_many`` on 1M int64 keys vs a
  per-key Python loop of the same router: ≥ 10× (``lb_routers_bench.py`` compares them
  with loops over C routers).

It also reruns, at full size, the published results the tests check at small size, and
draws the figures the docs show. Writes ``benchmarks/results/lb.json``,
``benchmarks/results/lb.md`` and ``docs/figures/lb-*.png``.

Speed ratios are per round over 5 interleaved rounds (order alternating, garbage
collector off, thread CPU time) and reported as the median and range.

Run: ``python benchmarks/lb_bench.py`` (about ten minutes on a quiet machine);
``--speed`` reruns only the speed table; ``--render`` rewrites the tables from
``lb.json``.
"""

from __future__ import annotations

import gc
import json
import math
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from lb_simpy_model import simpy_p2c_latencies

from twitterdesign.lb import (
    POLICY_NAMES,
    JumpHashRouter,
    MaglevRouter,
    RandomAperture,
    Scenario,
    ServiceTime,
    SimulationResult,
    balls_into_bins,
    compare_routers,
    connection_plan,
    simulate,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
FIGURES = ROOT / "docs" / "figures"


def _interleaved(runs: dict[str, Callable[[], Any]], rounds: int) -> dict[str, list[float]]:
    """Time every run once per round, the order rotating between rounds, gc off.

    The clock is this thread's CPU time: on a shared machine, wall time also counts the
    time slices other processes get, which land on whichever side happens to be running.
    """
    names = list(runs)
    times: dict[str, list[float]] = {n: [] for n in names}
    gc.collect()
    gc.disable()
    try:
        for r in range(rounds):
            k = r % len(names)
            for name in names[k:] + names[:k]:
                start = time.thread_time()
                runs[name]()
                times[name].append(time.thread_time() - start)
    finally:
        gc.enable()
    return times


def _ratios(num: list[float], den: list[float]) -> dict[str, float]:
    r = [a / b for a, b in zip(num, den, strict=True)]
    return {"median": statistics.median(r), "min": min(r), "max": max(r)}


# -- speed ------------------------------------------------------------------------------
def bench_simulator(requests: int = 1_000_000, rounds: int = 5) -> dict[str, Any]:
    clients, servers, mean = 100, 50, 0.01
    rate = 0.7 * servers / mean
    sc = Scenario(
        clients=clients,
        servers=servers,
        requests=requests,
        rate_per_s=rate,
        service=ServiceTime.exponential(mean),
    )
    out: dict[str, Any] = {}

    def ours() -> None:
        out["ours"] = simulate(sc, "p2c", rng=1)

    def simpy() -> None:
        out["simpy"] = simpy_p2c_latencies(
            clients=clients,
            servers=servers,
            requests=requests,
            rate_per_s=rate,
            mean_service_s=mean,
            seed=2,
        )

    times = _interleaved({"ours": ours, "simpy": simpy}, rounds)
    res: SimulationResult = out["ours"]
    simpy_q = np.quantile(out["simpy"], [0.5, 0.99, 0.999])
    ours_q = np.array([res.latency_p50_s, res.latency_p99_s, res.latency_p999_s])
    ours_s = statistics.median(times["ours"])
    return {
        "requests": requests,
        "clients": clients,
        "servers": servers,
        "rounds": rounds,
        "utilisation": sc.offered_load(),
        "ours_seconds": times["ours"],
        "ours_events_per_s": res.events / ours_s,
        "simpy_seconds": times["simpy"],
        "speedup": _ratios(times["simpy"], times["ours"]),
        "target_speedup": 5.0,
        "ours_quantiles_ms": (ours_q * 1e3).tolist(),
        "simpy_quantiles_ms": (simpy_q * 1e3).tolist(),
        "quantile_rel_diff": (np.abs(ours_q - simpy_q) / simpy_q).tolist(),
    }


def bench_routers(keys: int = 1_000_000, nodes: int = 100, rounds: int = 5) -> dict[str, Any]:
    key_array = np.random.default_rng(0).integers(0, 2**63 - 1, size=keys, dtype=np.int64)
    key_list = key_array.tolist()
    out: dict[str, Any] = {"keys": keys, "nodes": nodes, "rounds": rounds, "target_speedup": 10.0}
    for name, router in (
        ("jump", JumpHashRouter(list(range(nodes)))),
        ("maglev", MaglevRouter(list(range(nodes)))),
    ):
        route = router.route
        times = _interleaved(
            {
                "route_many": lambda r=router: r.route_many(key_array),
                "loop": lambda route=route: [route(k) for k in key_list],
            },
            rounds,
        )
        same = router.route_many(key_array[:100_000]).tolist() == [
            route(k) for k in key_list[:100_000]
        ]
        out[name] = {
            "route_many_s": times["route_many"],
            "loop_s": times["loop"],
            "speedup": _ratios(times["loop"], times["route_many"]),
            "keys_per_s": keys / statistics.median(times["route_many"]),
            "agree": same,
        }
    return out


# -- reproductions ----------------------------------------------------------------------
def reproduce_linkerd() -> list[dict[str, Any]]:
    rows = []
    for name in ("round-robin", "least-loaded", "p2c", "peak-ewma"):
        tail = simulate(Scenario.linkerd_2016(), name, rng=1)
        timed = simulate(Scenario.linkerd_2016(timeout_s=1.0), name, rng=1)
        cdf = np.asarray(tail.latency_cdf_s)
        rows.append(
            {
                "policy": name,
                "p50_ms": tail.latency_p50_s * 1e3,
                "p95_ms": float(np.interp(0.95, np.linspace(0, 1, cdf.size), cdf)) * 1e3,
                "p99_ms": tail.latency_p99_s * 1e3,
                "p999_ms": tail.latency_p999_s * 1e3,
                "success_1s": timed.success_rate,
                "slow_share": tail.load_share[0],
            }
        )
    return rows


def reproduce_herd() -> list[dict[str, Any]]:
    rows = []
    for staleness in (0.0, 0.01, 0.05):
        for name in ("random", "least-loaded", "p2c"):
            sc = Scenario(
                clients=20,
                servers=10,
                requests=200_000,
                rate_per_s=800.0,
                service=ServiceTime.exponential(0.01),
                load_view="global",
                staleness_s=staleness,
            )
            r = simulate(sc, name, rng=2)
            rows.append(
                {
                    "staleness_ms": staleness * 1e3,
                    "policy": name,
                    "p50_ms": r.latency_p50_s * 1e3,
                    "p99_ms": r.latency_p99_s * 1e3,
                    "max_queue": max(max(s) for s in r.outstanding_per_server),
                }
            )
    return rows


def reproduce_balls() -> list[dict[str, Any]]:
    rows = []
    for exp in range(3, 7):
        n = 10**exp
        for d in (1, 2):
            loads = [balls_into_bins(n, n, choices=d, rng=s).max_load for s in range(3)]
            lnn = math.log(n)
            rows.append(
                {
                    "n": n,
                    "choices": d,
                    "max_load_runs": loads,
                    "theory": lnn / math.log(lnn) if d == 1 else math.log(lnn) / math.log(2),
                }
            )
    return rows


def reproduce_rollout() -> dict[str, Any]:
    """Twitter's rollout shape: connections and per-host request-rate spread."""
    c, s, a = 1000, 282, 25
    plans = {
        kind: connection_plan(c, s, kind=kind, aperture=a, rng=0)
        for kind in ("full-mesh", "random-aperture", "continuous-ring")
    }
    # Simulated at a scale a laptop runs in seconds: request counts per server.
    sim_c, sim_s, sim_a, reqs = 300, 100, 10, 1_000_000
    sc = Scenario(
        clients=sim_c,
        servers=sim_s,
        requests=reqs,
        rate_per_s=0.6 * sim_s / 0.01,
        service=ServiceTime.exponential(0.01),
    )

    def random_fixed(i: int, clock: Any, rng: np.random.Generator) -> RandomAperture:
        return RandomAperture(sim_s, aperture=sim_a, adaptive=False, rng=rng)

    sims = {
        "full-mesh": simulate(sc, "p2c", rng=3),
        "random-aperture": simulate(sc, random_fixed, rng=3),
        "continuous-ring": simulate(sc, "deterministic-aperture", aperture=sim_a, rng=3),
    }
    out: dict[str, Any] = {"plan": {"clients": c, "servers": s, "aperture": a}, "rows": []}
    out["sim"] = {"clients": sim_c, "servers": sim_s, "aperture": sim_a, "requests": reqs}
    for kind in plans:
        rates = np.asarray(sims[kind].server_requests, dtype=float)
        rates = 100 * rates / rates.mean()
        out["rows"].append(
            {
                "kind": kind,
                "connections": plans[kind].connections_total,
                "expected_rate_min": 100 * plans[kind].min_over_mean,
                "expected_rate_max": 100 * plans[kind].max_over_mean,
                "sim_connections": sims[kind].connections_total,
                "sim_rate_min": float(rates.min()),
                "sim_rate_max": float(rates.max()),
                "sim_p99_ms": sims[kind].latency_p99_s * 1e3,
                "sim_rates": rates.tolist(),
            }
        )
    return out


def lesson_path(c: int = 1000, s: int = 282) -> list[dict[str, Any]]:
    rows = []
    for kind, a in (
        ("full-mesh", s),
        ("random-aperture", 3),
        ("discrete-ring", 3),
        ("continuous-ring", 3),
    ):
        p = connection_plan(c, s, kind=kind, aperture=a, rng=0)
        rows.append(
            {
                "kind": kind,
                "aperture": a,
                "connections": p.connections_total,
                "load_min": p.min_over_mean,
                "load_max": p.max_over_mean,
            }
        )
    return rows


def sre_subsetting() -> dict[str, Any]:
    lows, highs = [], []
    for seed in range(10):
        p = connection_plan(300, 300, kind="random-aperture", aperture=90, rng=seed)
        lows.append(p.min_over_mean)
        highs.append(p.max_over_mean)
    det = connection_plan(300, 300, kind="continuous-ring", aperture=90)
    return {
        "random_min_mean": float(np.mean(lows)),
        "random_max_mean": float(np.mean(highs)),
        "deterministic_min": det.min_over_mean,
        "deterministic_max": det.max_over_mean,
    }


def maglev_balance() -> dict[str, Any]:
    counts = np.bincount(MaglevRouter([f"b{i}" for i in range(500)]).table_owners(), minlength=500)
    return {
        "backends": 500,
        "table_size": 65537,
        "max_over_mean": float(counts.max() / counts.mean()),
        "min_over_mean": float(counts.min() / counts.mean()),
    }


def policy_comparison() -> list[SimulationResult]:
    sc = Scenario(
        clients=100,
        servers=20,
        requests=300_000,
        rate_per_s=0.7 * 19.2 / 0.01,
        service=ServiceTime.exponential(0.01),
        speeds=(0.2,) + (1.0,) * 19,
    )
    return [simulate(sc, name, aperture=5, rng=4) for name in POLICY_NAMES]


# -- figures ----------------------------------------------------------------------------
def _save(fig: Any, name: str) -> None:
    fig.tight_layout()
    fig.savefig(FIGURES / name, dpi=110)
    plt.close(fig)


def figure_cdf_and_load(results: list[SimulationResult]) -> None:
    fig, ax = plt.subplots(figsize=(7, 4.2))
    grid = np.linspace(0, 1, len(results[0].latency_cdf_s))
    for r in results:
        ax.plot(np.asarray(r.latency_cdf_s) * 1e3, grid, label=r.policy)
    ax.set_xscale("log")
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("fraction of requests")
    ax.set_title("Latency CDF: 100 clients, 20 servers, server 0 five times slower")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, "lb-latency-cdf.png")
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for r in results:
        share = np.asarray(r.load_share) * len(r.load_share)
        ax.plot(share, marker=".", label=r.policy)
    ax.set_xlabel("server (0 is the slow one)")
    ax.set_ylabel("requests ÷ mean")
    ax.set_title("Load per server")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, "lb-load-per-server.png")


def figure_connections() -> None:
    servers, aperture = 100, 12
    clients = np.unique(np.geomspace(10, 3000, 25).astype(int))
    mesh, rnd, det, rnd_spread, det_spread = [], [], [], [], []
    for c in clients:
        c = int(c)
        mesh.append(c * servers)
        r = connection_plan(c, servers, kind="random-aperture", aperture=aperture, rng=0)
        d = connection_plan(c, servers, kind="continuous-ring", aperture=aperture)
        rnd.append(r.connections_total)
        det.append(d.connections_total)
        rnd_spread.append(r.max_over_mean)
        det_spread.append(d.max_over_mean)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(clients, mesh, label="full mesh")
    ax1.plot(clients, rnd, label=f"random aperture {aperture}")
    ax1.plot(clients, det, label=f"deterministic aperture {aperture}")
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel(f"clients (servers = {servers})")
    ax1.set_ylabel("connections")
    ax1.set_title("Connections vs clients")
    ax2.plot(clients, [1.0] * len(clients), label="full mesh")
    ax2.plot(clients, rnd_spread, label=f"random aperture {aperture}")
    ax2.plot(clients, det_spread, "--", label=f"deterministic aperture {aperture}")
    ax2.set_xscale("log")
    ax2.set_xlabel(f"clients (servers = {servers})")
    ax2.set_ylabel("busiest server ÷ mean")
    ax2.set_title("Load spread")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    _save(fig, "lb-connections.png")


def figure_balls(rows: list[dict[str, Any]]) -> None:
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for d, marker in ((1, "o"), (2, "s")):
        sel = [r for r in rows if r["choices"] == d]
        ns = [r["n"] for r in sel]
        ax.plot(ns, [np.mean(r["max_load_runs"]) for r in sel], marker=marker, label=f"d={d}")
        ax.plot(ns, [r["theory"] for r in sel], ls="--", label=f"theory term, d={d}")
    ax.set_xscale("log")
    ax.set_xlabel("n balls into n bins")
    ax.set_ylabel("max load (mean of 3 runs)")
    ax.set_title("One choice vs two choices")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, "lb-balls-into-bins.png")


def figure_rollout(rollout: dict[str, Any]) -> None:
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    rows = rollout["rows"]
    labels = [r["kind"] for r in rows]
    ax1.bar(labels, [r["connections"] for r in rows], color=["C0", "C1", "C2"])
    p = rollout["plan"]
    ax1.set_title(f"Connections, {p['clients']} clients × {p['servers']} servers")
    ax1.set_ylabel("connections")
    for r, color in zip(rows, ["C0", "C1", "C2"], strict=True):
        ax2.plot(sorted(r["sim_rates"]), marker=".", ls="", color=color, label=r["kind"])
    sim = rollout["sim"]
    ax2.axhline(100, color="k", lw=0.8)
    ax2.set_title(f"Per-host request rate (simulated, {sim['clients']}×{sim['servers']})")
    ax2.set_xlabel("servers, sorted")
    ax2.set_ylabel("request rate (mean = 100)")
    ax2.legend(fontsize=8)
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    _save(fig, "lb-aperture-rollout.png")


# -- report -----------------------------------------------------------------------------
def markdown(data: dict[str, Any]) -> str:
    sim, rt = data["simulator"], data["routers"]

    def rng(r: dict[str, float]) -> str:
        return f"{r['median']:.1f}× ({r['min']:.1f}–{r['max']:.1f})"

    def span(xs: list[float], fmt: str = ".1f") -> str:
        return f"{min(xs):{fmt}}–{max(xs):{fmt}} s"

    lines = [
        "#### Speed (ratios in one process)",
        "",
        f"Median (range) over {sim['rounds']} interleaved rounds, garbage collector off, "
        "thread CPU time.",
        "",
        "| measurement | ours | baseline | ratio | target |",
        "|---|---:|---:|---:|---:|",
        f"| simulator, {sim['requests']:,} requests, {sim['clients']}×{sim['servers']} "
        f"| {span(sim['ours_seconds'])} ({sim['ours_events_per_s']:,.0f} events/s) "
        f"| SimPy {span(sim['simpy_seconds'])} | {rng(sim['speedup'])} | ≥ 5× |",
    ]
    for name in ("jump", "maglev"):
        r = rt[name]
        lines.append(
            f"| `{name}` route_many, {rt['keys']:,} keys, {rt['nodes']} nodes "
            f"| {span(r['route_many_s'], '.3f')} | loop {span(r['loop_s'])} "
            f"| {rng(r['speedup'])} | ≥ 10× |"
        )
    oq, sq = sim["ours_quantiles_ms"], sim["simpy_quantiles_ms"]
    lines += [
        "",
        f"Latency quantiles, ours vs SimPy (ms): p50 {oq[0]:.2f} vs {sq[0]:.2f}, "
        f"p99 {oq[1]:.1f} vs {sq[1]:.1f}, p99.9 {oq[2]:.1f} vs {sq[2]:.1f} "
        f"(largest relative difference {100 * max(sim['quantile_rel_diff']):.1f}%).",
        "",
        "#### Linkerd 2016: one backend stuck at 2 s for 30 of 60 s",
        "",
        "| policy | p50 | p95 | p99 | p99.9 | success, 1 s timeout | slow backend's share |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in data["linkerd"]:
        lines.append(
            f"| {r['policy']} | {r['p50_ms']:.0f} ms | {r['p95_ms']:.0f} ms | "
            f"{r['p99_ms']:.0f} ms | {r['p999_ms']:.0f} ms | {100 * r['success_1s']:.2f}% | "
            f"{100 * r['slow_share']:.1f}% |"
        )
    lines += [
        "",
        "#### Herd behaviour: 20 clients share one stale view of 10 queues",
        "",
        "| staleness | policy | p50 | p99 | longest queue |",
        "|---:|---|---:|---:|---:|",
    ]
    for r in data["herd"]:
        lines.append(
            f"| {r['staleness_ms']:.0f} ms | {r['policy']} | {r['p50_ms']:.1f} ms | "
            f"{r['p99_ms']:.1f} ms | {r['max_queue']} |"
        )
    lines += [
        "",
        "#### Balls into bins: max load, n balls in n bins (3 runs)",
        "",
        "| n | one choice | ln n / ln ln n | two choices | ln ln n / ln 2 |",
        "|---:|---|---:|---|---:|",
    ]
    by_n: dict[int, dict[int, dict[str, Any]]] = {}
    for r in data["balls"]:
        by_n.setdefault(r["n"], {})[r["choices"]] = r
    for n, row in by_n.items():
        lines.append(
            f"| {n:,} | {row[1]['max_load_runs']} | {row[1]['theory']:.2f} | "
            f"{row[2]['max_load_runs']} | {row[2]['theory']:.2f} |"
        )
    ro = data["rollout"]
    p, s = ro["plan"], ro["sim"]
    lines += [
        "",
        f"#### Deterministic-aperture rollout shape ({p['clients']} clients × "
        f"{p['servers']} servers, aperture {p['aperture']}; simulated {s['clients']} × "
        f"{s['servers']}, aperture {s['aperture']}, {s['requests']:,} requests)",
        "",
        "| strategy | connections | expected rate range | simulated connections "
        "| simulated rate range | simulated p99 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in ro["rows"]:
        lines.append(
            f"| {r['kind']} | {r['connections']:,} | {r['expected_rate_min']:.0f}–"
            f"{r['expected_rate_max']:.0f} | {r['sim_connections']:,} | "
            f"{r['sim_rate_min']:.0f}–{r['sim_rate_max']:.0f} | {r['sim_p99_ms']:.1f} ms |"
        )
    lines += [
        "",
        "#### The lesson's path for sessions (1,000 clients × 282 servers)",
        "",
        "| step | aperture | connections | least-loaded server | busiest server |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in data["lesson_path"]:
        lines.append(
            f"| {r['kind']} | {r['aperture']} | {r['connections']:,} | "
            f"{100 * r['load_min']:.0f}% | {100 * r['load_max']:.0f}% |"
        )
    lines += [
        "",
        "#### Every policy: 100 clients × 20 servers at 70%, server 0 five times slower",
        "",
        "| policy | p50 | p99 | p99.9 | slow server's share | busiest ÷ mean | connections |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in data["policies"]:
        lines.append(
            f"| {r['policy']} | {1e3 * r['latency_p50_s']:,.1f} ms | "
            f"{1e3 * r['latency_p99_s']:,.1f} ms | {1e3 * r['latency_p999_s']:,.1f} ms | "
            f"{100 * r['load_share'][0]:.2f}% | {r['load_max_over_mean']:.2f} | "
            f"{r['connections_total']:,} |"
        )
    sre, mg = data["sre"], data["maglev"]
    lines += [
        "",
        "#### Random subsetting (SRE book: 300 clients, 300 backends, subsets of 30%)",
        "",
        f"Random subsets leave backends between {100 * sre['random_min_mean']:.0f}% and "
        f"{100 * sre['random_max_mean']:.0f}% of the average load (mean over 10 draws; the "
        f"book reports about 63%–121%); deterministic aperture: "
        f"{100 * sre['deterministic_min']:.0f}%–{100 * sre['deterministic_max']:.0f}%.",
        "",
        "#### Hashing: 1,000,000 keys on 10 nodes",
        "",
        "| router | max/mean | moved on add (optimal) | moved on remove (optimal) |",
        "|---|---:|---:|---:|",
    ]
    for r in data["hashing"]:
        lines.append(
            f"| {r['router']} | {r['max_over_mean']:.3f} | {100 * r['moved_on_add']:.1f}% "
            f"({100 * r['optimal_add']:.1f}%) | {100 * r['moved_on_remove']:.1f}% "
            f"({100 * r['optimal_remove']:.1f}%) |"
        )
    lines += [
        "",
        f"Maglev with {mg['table_size']:,} entries and {mg['backends']} backends "
        f"({mg['table_size'] // mg['backends']} entries each): shares between "
        f"{100 * mg['min_over_mean']:.2f}% and {100 * mg['max_over_mean']:.2f}% of the mean.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    FIGURES.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {}
    data["simulator"] = bench_simulator()
    data["routers"] = bench_routers()
    data["linkerd"] = reproduce_linkerd()
    data["herd"] = reproduce_herd()
    data["balls"] = reproduce_balls()
    data["rollout"] = reproduce_rollout()
    data["lesson_path"] = lesson_path()
    data["sre"] = sre_subsetting()
    data["maglev"] = maglev_balance()
    data["hashing"] = [r.to_dict() for r in compare_routers(nodes=10, keys=1_000_000, rng=0)]
    results = policy_comparison()
    data["policies"] = [
        {
            k: v
            for k, v in r.to_dict().items()
            if k not in ("latency_cdf_s", "outstanding_per_server", "sample_times_s")
        }
        for r in results
    ]
    figure_cdf_and_load(results)
    figure_connections()
    figure_balls(data["balls"])
    figure_rollout(data["rollout"])
    (RESULTS / "lb.json").write_text(json.dumps(data, indent=2) + "\n")
    render(data)


SECTIONS = (
    "speed",
    "linkerd",
    "herd",
    "balls",
    "rollout",
    "path",
    "policies",
    "subsetting",
    "hashing",
)


def render(data: dict[str, Any]) -> None:
    """Write lb.md (every table) and one lb.<section>.md per table, and print them."""
    text = markdown(data)
    (RESULTS / "lb.md").write_text(text)
    parts = [p for p in re.split(r"(?m)^(?=#### )", text) if p.strip()]
    for key, part in zip(SECTIONS, parts, strict=True):
        (RESULTS / f"lb.{key}.md").write_text(part.strip("\n") + "\n")
    print(text)


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--render"]:  # re-render the tables from lb.json, no rerun
        render(json.loads((RESULTS / "lb.json").read_text()))
    elif sys.argv[1:] == ["--speed"]:  # rerun only the speed table, keep the rest
        saved = json.loads((RESULTS / "lb.json").read_text())
        saved["simulator"] = bench_simulator()
        saved["routers"] = bench_routers()
        (RESULTS / "lb.json").write_text(json.dumps(saved, indent=2) + "\n")
        render(saved)
    else:
        main()
