"""Speed and memory of twitterdesign.timeline, as ratios against baselines in the same process.

Measures (issue 6's targets):

* a 1M-user, ~35M-edge follower graph: generation time (and its ratio to a bare
  ``np.sort`` of as many int64 keys, the unavoidable core of the work) and peak memory
  while generating (target ≤ 1.5 GB);
* generation per edge against networkx's ``directed_configuration_model`` on 100k users
  with the same degree sequences (target: ≥ 20× faster);
* vectorized policy evaluation on the 1M-user graph, edges per second (target ≥ 1M/s),
  and its ratio to the per-edge Python path (``policy.pushes``) on a sample.

It also runs the threshold sweep and the fan-out simulator on the 1M-user population and
draws the figures used in the docs: the degree distribution on log–log axes, cost against
the hybrid threshold, and the delivery delay of a celebrity's tweets.

Writes ``benchmarks/results/timeline.json``, ``benchmarks/results/timeline.md`` and
``docs/figures/timeline-*.png``.

Run: ``python benchmarks/timeline_bench.py`` (about three minutes and 2 GB of memory).
"""

from __future__ import annotations

import json
import resource
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from twitterdesign.timeline import (
    FollowerGraph,
    HybridThreshold,
    PerEdgeOptimal,
    PullAll,
    PushAll,
    activity_model,
    add_celebrities,
    evaluate_policy,
    fit_power_law_exponent,
    power_law_graph,
    simulate_fanout,
    threshold_sweep,
    timeline_preset,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
FIGURES = ROOT / "docs" / "figures"
N_BIG = 1_000_000
N_NX = 100_000
MEMORY_BOUND = 1.5e9


def best_seconds(fn: Callable[[], object], repeats: int) -> float:
    """Return the best wall time of ``repeats`` calls."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def sort_baseline(n_keys: int) -> float:
    """Best time of one ``np.sort`` of ``n_keys`` random int64 keys."""
    keys = np.random.default_rng(0).integers(0, N_BIG * N_BIG, size=n_keys)
    return best_seconds(lambda: np.sort(keys), 2)


def generation(results: dict[str, Any]) -> FollowerGraph:
    """Time and memory of the 1M-user graph, against a bare sort of as many keys."""
    tracemalloc.start()
    graph = power_law_graph(N_BIG, rng=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    seconds = best_seconds(lambda: power_law_graph(N_BIG, rng=1), 2)
    sort_s = sort_baseline(graph.n_edges)
    fit = fit_power_law_exponent(graph.follower_counts, xmin=50)
    results["generation_1m"] = {
        "n_users": graph.n_users,
        "n_edges": graph.n_edges,
        "seconds": seconds,
        "edges_per_second": graph.n_edges / seconds,
        "np_sort_seconds": sort_s,
        "ratio_to_np_sort": seconds / sort_s,
        "peak_bytes": peak,
        "peak_over_bound": peak / MEMORY_BOUND,
        "graph_bytes": graph.nbytes,
        "follower_exponent_fit": fit.exponent,
        "follower_exponent_se": fit.standard_error,
        "reciprocity": graph.reciprocity(),
        "max_followers": int(graph.follower_counts.max()),
    }
    return graph


def versus_networkx(results: dict[str, Any]) -> None:
    """Per-edge generation time against networkx on the same degree sequences."""
    import networkx as nx

    ours = power_law_graph(N_NX, rng=2)
    ours_s = best_seconds(lambda: power_law_graph(N_NX, rng=2), 3)
    din, dout = ours.follower_counts.tolist(), ours.followee_counts.tolist()
    start = time.perf_counter()
    multigraph = nx.directed_configuration_model(din, dout, seed=2)
    nx_s = time.perf_counter() - start
    nx_edges = multigraph.number_of_edges()
    del multigraph
    ours_per_edge = ours_s / ours.n_edges
    nx_per_edge = nx_s / nx_edges
    results["versus_networkx_100k"] = {
        "n_users": N_NX,
        "ours_edges": ours.n_edges,
        "ours_seconds": ours_s,
        "networkx_edges": nx_edges,
        "networkx_seconds": nx_s,
        "speedup_per_edge": nx_per_edge / ours_per_edge,
    }


def policy_speed(graph: FollowerGraph, results: dict[str, Any]) -> None:
    """Edges per second of evaluate_policy, and the speedup over the per-edge path."""
    activity = activity_model(graph, rng=3)
    rows = {}
    for policy in (PushAll(), PullAll(), HybridThreshold(10_000), PerEdgeOptimal()):
        seconds = best_seconds(lambda p=policy: evaluate_policy(graph, activity, p), 3)
        rows[policy.name] = graph.n_edges / seconds
    # The per-edge path: one pushes() call and one cost term per edge, on a sample.
    policy = PerEdgeOptimal()
    authors = np.random.default_rng(4).integers(0, graph.n_users, size=3_000)
    counts = graph.follower_counts
    tweets = activity.tweet_rate_per_s.tolist()
    reads = activity.effective_read_rate_per_s.tolist()

    def per_edge() -> int:
        edges = 0
        total = 0.0
        for a in authors.tolist():
            for f in graph.followers_of(a).tolist():
                push = policy.pushes(
                    follower_count=int(counts[a]),
                    tweet_rate_per_s=tweets[a],
                    read_rate_per_s=reads[f],
                )
                total += tweets[a] if push else reads[f]
                edges += 1
        return edges

    start = time.perf_counter()
    sample_edges = per_edge()
    loop_rate = sample_edges / (time.perf_counter() - start)
    results["policy_evaluation_1m"] = {
        "edges_per_second": rows,
        "slowest_edges_per_second": min(rows.values()),
        "per_edge_python_edges_per_second": loop_rate,
        "speedup_over_per_edge": rows[policy.name] / loop_rate,
    }


def figure_degrees(graph: FollowerGraph, results: dict[str, Any]) -> None:
    """Log-binned degree distributions with the requested power law for reference."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    bins = np.unique(np.round(np.geomspace(1, graph.follower_counts.max() + 1, 40)))
    for label, counts in (
        ("followers (in-degree)", graph.follower_counts),
        ("followees (out-degree)", graph.followee_counts),
    ):
        hist, edges = np.histogram(counts[counts > 0], bins=bins)
        width = np.diff(edges)
        density = hist / width / counts.size
        centers = np.sqrt(edges[:-1] * edges[1:])
        keep = hist > 0
        ax.loglog(centers[keep], density[keep], marker="o", ms=3, ls="none", label=label)
    fit = results["generation_1m"]["follower_exponent_fit"]
    x = np.geomspace(50, graph.follower_counts.max(), 20)
    ref = (x / 50.0) ** (-2.276)
    anchor = np.mean(graph.follower_counts == 50)
    ax.loglog(x, anchor * ref, "k--", lw=1, label="requested slope −2.276")
    ax.set_xlabel("degree k")
    ax.set_ylabel("P(k)")
    ax.set_title(f"1M-user graph: fitted follower exponent {fit:.3f}")
    ax.legend()
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(FIGURES / "timeline-degrees.png", dpi=120)
    plt.close(fig)


def sweeps(graph: FollowerGraph, results: dict[str, Any]) -> FollowerGraph:
    """Threshold sweeps with the lesson's and Twitter 2012's per-user rates."""
    import matplotlib.pyplot as plt

    tw = timeline_preset("twitter-2012").scaled(N_BIG)
    population = add_celebrities(graph, [tw.celebrity_followers], rng=5)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    out = {}
    for name in ("lesson", "twitter-2012"):
        scaled = timeline_preset(name).scaled(N_BIG)
        activity = scaled.activity(population, rng=6)
        start = time.perf_counter()
        sweep = threshold_sweep(population, activity)
        seconds = time.perf_counter() - start
        push_all = sweep.total_cost_per_s[-1]
        xs = [max(t, 1) for t in sweep.thresholds]
        line = ax.plot(
            xs, np.array(sweep.total_cost_per_s) / push_all, marker=".", label=f"{name}: hybrid"
        )[0]
        ax.axhline(
            sweep.per_edge_optimal_cost_per_s / push_all,
            color=line.get_color(),
            ls="--",
            lw=1,
            label=f"{name}: per-edge optimal",
        )
        out[name] = {
            "reads_per_tweet": scaled.reads_per_user_per_day / scaled.tweets_per_user_per_day,
            "best_threshold": sweep.best_threshold,
            "best_over_push_all": sweep.best_cost_per_s / push_all,
            "pull_all_over_push_all": sweep.total_cost_per_s[0] / push_all,
            "per_edge_optimal_over_push_all": sweep.per_edge_optimal_cost_per_s / push_all,
            "is_interior": sweep.is_interior,
            "seconds": seconds,
        }
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("threshold T (accounts with more followers are pulled)")
    ax.set_ylabel("cost / cost of push-all")
    ax.set_title("Hybrid fan-out cost, 1M users + one celebrity")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(FIGURES / "timeline-threshold.png", dpi=120)
    plt.close(fig)
    results["threshold_sweep_1m"] = out
    return population


def delivery(population: FollowerGraph, results: dict[str, Any]) -> None:
    """One hour of Twitter-2012 traffic: delivery delay with and without the exception."""
    import matplotlib.pyplot as plt

    scaled = timeline_preset("twitter-2012").scaled(N_BIG)
    activity = scaled.activity(population, rng=7)
    celebrity = population.n_users - 1
    push_writes = evaluate_policy(population, activity, PushAll()).push_writes_per_s
    workers = 2.0 * push_writes
    levels = tuple(np.linspace(0.0, 1.0, 201))
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    out: dict[str, Any] = {
        "workers_writes_per_s": workers,
        "celebrity_followers": population.follower_count(celebrity),
        "celebrity_alone_s": population.follower_count(celebrity) / workers,
    }
    for policy in (PushAll(), HybridThreshold(10_000)):
        start = time.perf_counter()
        cost = simulate_fanout(
            population,
            activity,
            policy,
            duration_s=3_600,
            workers_writes_per_s=workers,
            max_items=scaled.cache_max_items,
            bytes_per_entry=scaled.bytes_per_entry,
            replicas=scaled.cache_replicas,
            delay_levels=levels,
            rng=8,
        )
        seconds = time.perf_counter() - start
        label = policy.name
        ax.plot(cost.delay_quantiles_s, levels, label=label)
        out[label] = {
            "cache_writes_per_s": cost.cache_writes_per_s,
            "pull_fetches_per_s": cost.pull_fetches_per_s,
            "sources_per_read_p99": cost.sources_per_read_p99,
            "delay_p50_s": cost.delivery_delay_p50_s,
            "delay_p99_s": cost.delivery_delay_p99_s,
            "delay_max_s": cost.delivery_delay_max_s,
            "cache_bytes_full": cost.cache_bytes_full,
            "cached_users": cost.cached_users,
            "simulate_seconds": seconds,
        }
    ax.axvline(
        out["celebrity_alone_s"],
        color="k",
        ls=":",
        lw=1,
        label="celebrity tweet alone: followers / W",
    )
    ax.set_xscale("symlog", linthresh=0.01)
    ax.set_xlim(left=0.0)
    ax.set_xlabel("delivery delay (s)")
    ax.set_ylabel("fraction of deliveries")
    ax.set_title("One hour at Twitter-2012 rates, 1M users, W = 2 × push-all rate")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(FIGURES / "timeline-delivery.png", dpi=120)
    plt.close(fig)
    results["delivery_1h_1m"] = out


def markdown(results: dict[str, Any]) -> str:
    """The results table included in the docs."""
    g = results["generation_1m"]
    nx_ = results["versus_networkx_100k"]
    p = results["policy_evaluation_1m"]
    s = results["threshold_sweep_1m"]
    d = results["delivery_1h_1m"]
    gb = 1e9
    rows = [
        ("1M-user graph: edges", f"{g['n_edges']:,}", "~35M", ""),
        (
            "1M-user graph: generation time",
            f"{g['seconds']:.1f} s",
            "report",
            f"{g['ratio_to_np_sort']:.1f}× one np.sort of the keys",
        ),
        (
            "1M-user graph: peak memory while generating",
            f"{g['peak_bytes'] / gb:.2f} GB",
            "≤ 1.5 GB",
            f"{g['peak_over_bound']:.2f} of the bound",
        ),
        ("1M-user graph: CSR arrays (both directions)", f"{g['graph_bytes'] / gb:.2f} GB", "", ""),
        (
            "Fitted follower exponent (MLE, k ≥ 50)",
            f"{g['follower_exponent_fit']:.3f} ± {g['follower_exponent_se']:.3f}",
            "2.276",
            "",
        ),
        ("Reciprocity", f"{g['reciprocity']:.3f}", "0.22", ""),
        (
            "Generation vs networkx, 100k users (per edge)",
            f"{nx_['ours_seconds']:.2f} s vs {nx_['networkx_seconds']:.1f} s",
            "≥ 20×",
            f"{nx_['speedup_per_edge']:.0f}× faster",
        ),
        (
            "Policy evaluation, slowest policy (1M users)",
            f"{p['slowest_edges_per_second'] / 1e6:.0f}M edges/s",
            "≥ 1M edges/s",
            f"{p['slowest_edges_per_second'] / 1e6:.0f}× the target",
        ),
        (
            "Policy evaluation vs per-edge Python path",
            "",
            "",
            f"{p['speedup_over_per_edge']:.0f}× faster",
        ),
    ]
    for name, row in s.items():
        rows.append(
            (
                f"Sweep ({name} rates): best threshold",
                f"{row['best_threshold']:,}",
                "",
                f"{row['best_over_push_all']:.2f}× push-all cost",
            )
        )
        rows.append(
            (
                f"Sweep ({name} rates): per-edge optimal",
                "",
                "",
                f"{row['per_edge_optimal_over_push_all']:.2f}× push-all cost",
            )
        )
    for label in ("PushAll", "hybrid(T=10000)"):
        rows.append(
            (
                f"1 h at 2012 rates, {label}: delay p99 / max",
                f"{d[label]['delay_p99_s']:.1f} s / {d[label]['delay_max_s']:.1f} s",
                "",
                "",
            )
        )
    lines = ["| Measurement | Value | Target | Ratio |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {e} |" for a, b, c, e in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run every measurement, write JSON, Markdown and figures."""
    import matplotlib

    matplotlib.use("Agg")
    RESULTS.mkdir(parents=True, exist_ok=True)
    FIGURES.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    graph = generation(results)
    policy_speed(graph, results)
    figure_degrees(graph, results)
    population = sweeps(graph, results)
    del graph
    delivery(population, results)
    del population
    versus_networkx(results)
    results["max_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    (RESULTS / "timeline.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "timeline.md").write_text(markdown(results))
    print(markdown(results))


if __name__ == "__main__":
    main()
