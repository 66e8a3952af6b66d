"""``twitterdesign timeline simulate`` and ``twitterdesign timeline sweep``: fan-out costs.

Only Typer and rich are imported here; the timeline library (and matplotlib, for
``--plot``) load inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table

from twitterdesign._cli._common import (
    DEFAULT_MAX_MEMORY,
    check_memory,
    console,
    fail,
    memory_limit,
    print_json,
    progress,
)

if TYPE_CHECKING:
    from twitterdesign.timeline import (
        Activity,
        FanoutCost,
        FanoutPolicy,
        FollowerGraph,
        ScaledTimelinePreset,
        ThresholdSweep,
    )

__all__ = ["register"]

_POLICIES = ("push", "pull", "hybrid", "optimal")

Users = Annotated[
    int, typer.Option("--users", "-n", help="Simulated users (the graph is generated).", min=2)
]
MeanFollowees = Annotated[
    float, typer.Option("--mean-followees", help="Mean accounts followed per user.")
]
Exponent = Annotated[float, typer.Option("--exponent", help="Power-law degree exponent.")]
Preset = Annotated[
    str, typer.Option("--preset", help="Per-user rates and cache sizes from this workload.")
]
Celebrity = Annotated[
    bool,
    typer.Option(
        "--celebrity/--no-celebrity",
        help="Add one account followed by the preset's celebrity share (31M of 150M).",
    ),
]
SkipInactive = Annotated[
    bool, typer.Option("--skip-inactive", help="Do not push to users idle for 30 days.")
]
Seed = Annotated[int, typer.Option("--seed", help="Random seed.", min=0)]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
Plot = Annotated[
    Path | None,
    typer.Option("--plot", help="Write a PNG figure to this path.", dir_okay=False),
]


MaxMemory = Annotated[
    str,
    typer.Option(
        "--max-memory", help="Refuse graphs and runs estimated to need more memory than this."
    ),
]

# Memory, measured with tracemalloc and rounded up: the follower graph in both directions
# (~57 B per follow), per-user rates and counts, and the simulator's per-event and
# per-delivery arrays. Sweeps evaluate thresholds on the grid; more points than this say
# nothing new.
_BYTES_PER_FOLLOW = 64
_BYTES_PER_USER = 256
_BYTES_PER_EVENT = 8
_BYTES_PER_DELIVERY = 16
_MAX_SWEEP_POINTS = 1_000


def _check_sizes(
    users: int,
    mean_followees: float,
    preset: str,
    celebrity: bool,
    duration: float | None,
    max_memory: str,
) -> None:
    """Refuse populations and runs whose estimated memory is above ``--max-memory``."""
    from twitterdesign._validate import check_int, check_number
    from twitterdesign.timeline import timeline_preset

    limit = memory_limit(max_memory)
    check_int("--users", users, minimum=2, maximum=2**31 - 1)
    follows_per_user = check_number(
        "--mean-followees", mean_followees, minimum=0.0, min_inclusive=False
    )
    chosen = timeline_preset(preset)
    scaled = chosen.scaled(min(users, chosen.active_users))
    follows = users * follows_per_user + (scaled.celebrity_followers if celebrity else 0)
    graph = _BYTES_PER_FOLLOW * follows + _BYTES_PER_USER * users
    what = f"a follower graph of {users:,} users following {follows_per_user:g} each"
    check_memory("--users", users, graph, limit, what)
    if duration is None:
        return
    days = check_number("--duration", duration, minimum=0.0, min_inclusive=False) / 86_400
    tweets = users * scaled.tweets_per_user_per_day * days
    events = tweets + users * scaled.reads_per_user_per_day * days
    deliveries = tweets * follows / users
    need = graph + _BYTES_PER_EVENT * events + _BYTES_PER_DELIVERY * deliveries
    what = f"{duration:g} s with {users:,} users (about {events:.3g} tweets and reads)"
    check_memory("--duration", duration, need, limit, what)


def _population(
    users: int,
    mean_followees: float,
    exponent: float,
    preset: str,
    celebrity: bool,
    seed: int,
    quiet: bool,
) -> tuple[FollowerGraph, Activity, ScaledTimelinePreset]:
    from twitterdesign.timeline import add_celebrities, power_law_graph, timeline_preset

    scaled = timeline_preset(preset).scaled(min(users, timeline_preset(preset).active_users))
    with progress(disable=quiet) as bar:
        task = bar.add_task("generating the follower graph", total=3)
        graph = power_law_graph(users, mean_followees=mean_followees, exponent=exponent, rng=seed)
        bar.advance(task)
        if celebrity:
            bar.update(task, description="adding the celebrity")
            graph = add_celebrities(graph, [min(scaled.celebrity_followers, users)], rng=seed + 1)
        bar.advance(task)
        bar.update(task, description="drawing tweet and read rates")
        activity = scaled.activity(graph, rng=seed + 2)
        bar.advance(task)
    return graph, activity, scaled


def _policy(name: str, threshold: int, skip_inactive: bool) -> FanoutPolicy:
    from twitterdesign.timeline import HybridThreshold, PerEdgeOptimal, PullAll, PushAll

    if name == "push":
        return PushAll(skip_inactive=skip_inactive)
    if name == "pull":
        return PullAll(skip_inactive=skip_inactive)
    if name == "hybrid":
        return HybridThreshold(threshold, skip_inactive=skip_inactive)
    if name == "optimal":
        return PerEdgeOptimal(skip_inactive=skip_inactive)
    fail(f"unknown --policy {name!r}; choose one of {', '.join(_POLICIES)}")


def _auto_workers(graph: FollowerGraph, activity: Activity) -> float:
    """A pool sized so that pushing to everyone keeps it 50% busy on average."""
    from twitterdesign.timeline import PushAll, evaluate_policy

    writes = evaluate_policy(graph, activity, PushAll()).push_writes_per_s
    return max(2.0 * writes, 1.0)


def _simulate_table(cost: FanoutCost) -> Table:
    from twitterdesign.units import format_bytes, format_count

    table = Table(
        title=f"Fan-out with {cost.policy}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("", no_wrap=True)
    table.add_column("Value", no_wrap=True, justify="right")
    rows: list[tuple[str, str]] = [
        ("Users / follows", f"{format_count(cost.n_users)} / {format_count(cost.n_edges)}"),
        ("Simulated time", f"{cost.duration_s:g} s"),
        ("Tweets written", format_count(cost.tweets)),
        ("Timeline reads", format_count(cost.reads)),
        ("Cache writes/s (push)", f"{cost.cache_writes_per_s:,.1f}"),
        ("Reads/s", f"{cost.reads_per_s:,.1f}"),
        ("Author fetches/s (pull)", f"{cost.pull_fetches_per_s:,.1f}"),
        ("Timelines merged per read (mean)", f"{cost.sources_per_read_mean:,.2f}"),
        ("  p50 / p99", f"{cost.sources_per_read_p50:g} / {cost.sources_per_read_p99:g}"),
        ("Fan-out workers (writes/s)", f"{cost.workers_writes_per_s:,.1f}"),
        ("Delivery delay p50", f"{cost.delivery_delay_p50_s:,.3f} s"),
        ("Delivery delay p99", f"{cost.delivery_delay_p99_s:,.3f} s"),
        ("Delivery delay max", f"{cost.delivery_delay_max_s:,.3f} s"),
        ("Cached timelines", format_count(cost.cached_users)),
        ("Cache memory now", format_bytes(cost.cache_bytes)),
        ("Cache memory when full", format_bytes(cost.cache_bytes_full)),
        ("Model cost/s (writes + fetches)", f"{cost.model.total_cost_per_s:,.1f}"),
    ]
    for label, value in rows:
        table.add_row(label, value)
    return table


def _plot_delays(cost: FanoutCost, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(cost.delay_quantiles_s, cost.delay_levels, drawstyle="steps-post")
    ax.set_xlabel("delivery delay (s)")
    ax.set_ylabel("fraction of deliveries")
    ax.set_title(f"Delivery delay, {cost.policy}")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def simulate_command(
    users: Users = 100_000,
    policy: Annotated[
        str, typer.Option("--policy", help="push, pull, hybrid or optimal (per edge).")
    ] = "hybrid",
    threshold: Annotated[
        int,
        typer.Option(
            "--threshold",
            help="Hybrid: largest follower count still pushed. The default suits the default "
            "100,000-user graph, where only the power-law tail is pulled; the reference app "
            "defaults to 1,000 (see the how-to 'Choose a fan-out threshold').",
        ),
    ] = 10_000,
    duration: Annotated[
        float, typer.Option("--duration", help="Simulated seconds.", min=0.001)
    ] = 3_600.0,
    workers: Annotated[
        float | None,
        typer.Option(
            "--workers",
            help="Fan-out throughput, cache writes/s (default: 2 × the push-all write rate).",
            show_default=False,
        ),
    ] = None,
    skip_inactive: SkipInactive = False,
    mean_followees: MeanFollowees = 35.0,
    exponent: Exponent = 2.276,
    preset: Preset = "twitter-2012",
    celebrity: Celebrity = True,
    max_memory: MaxMemory = DEFAULT_MAX_MEMORY,
    seed: Seed = 0,
    as_json: AsJson = False,
    plot: Plot = None,
) -> None:
    """Simulate fan-out on a synthetic Twitter-like population.

    Examples:

      twitterdesign timeline simulate --users 1000000 --policy hybrid --threshold 10000

      twitterdesign timeline simulate --policy push --json

      twitterdesign timeline simulate --policy push --plot delay.png
    """
    from twitterdesign.timeline import simulate_fanout

    chosen = _policy(policy, threshold, skip_inactive)
    _check_sizes(users, mean_followees, preset, celebrity, duration, max_memory)
    graph, activity, scaled = _population(
        users, mean_followees, exponent, preset, celebrity, seed, as_json
    )
    pool = workers if workers is not None else _auto_workers(graph, activity)
    with progress(disable=as_json) as bar:
        task = bar.add_task(f"simulating {duration:g} s of {chosen.name}", total=1)
        cost = simulate_fanout(
            graph,
            activity,
            chosen,
            duration_s=duration,
            workers_writes_per_s=pool,
            max_items=scaled.cache_max_items,
            bytes_per_entry=scaled.bytes_per_entry,
            replicas=scaled.cache_replicas,
            rng=seed + 3,
        )
        bar.advance(task)
    if plot is not None:
        _plot_delays(cost, plot)
    if as_json:
        print_json({"preset": scaled.to_dict(), "result": cost.to_dict()})
        return
    out = console()
    out.print(_simulate_table(cost))
    out.print(
        f"Per-user rates from {scaled.preset}: {scaled.tweets_per_user_per_day:.2f} tweets and "
        f"{scaled.reads_per_user_per_day:.1f} reads a day; caches of "
        f"{scaled.cache_max_items} × {scaled.bytes_per_entry} B, {scaled.cache_replicas} replicas."
    )
    if plot is not None:
        out.print(f"Figure written to {plot}")


def _plot_sweep(sweep: ThresholdSweep, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [max(t, 1) for t in sweep.thresholds]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(xs, sweep.total_cost_per_s, marker=".", label="hybrid threshold")
    ax.axhline(sweep.per_edge_optimal_cost_per_s, color="k", ls="--", label="per-edge optimal")
    ax.set_xscale("log")
    ax.set_xlabel("threshold T (followers; authors above T are pulled)")
    ax.set_ylabel("cost per second (writes + fetches)")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def sweep_command(
    users: Users = 100_000,
    points: Annotated[
        int, typer.Option("--points", help="Thresholds on the grid (1 to 1,000).")
    ] = 30,
    push_cost: Annotated[float, typer.Option("--push-cost", help="Cost of one write.")] = 1.0,
    pull_cost: Annotated[float, typer.Option("--pull-cost", help="Cost of one fetch.")] = 1.0,
    workers: Annotated[
        float | None,
        typer.Option(
            "--workers",
            help="Fan-out throughput for the delivery-time column (default: 2 × push-all).",
            show_default=False,
        ),
    ] = None,
    skip_inactive: SkipInactive = False,
    mean_followees: MeanFollowees = 35.0,
    exponent: Exponent = 2.276,
    preset: Preset = "twitter-2012",
    celebrity: Celebrity = True,
    max_memory: MaxMemory = DEFAULT_MAX_MEMORY,
    seed: Seed = 0,
    as_json: AsJson = False,
    plot: Plot = None,
) -> None:
    """Sweep the hybrid threshold: cost per threshold, the best one, the per-edge bound.

    Examples:

      twitterdesign timeline sweep

      twitterdesign timeline sweep --users 1000000 --plot sweep.png

      twitterdesign timeline sweep --pull-cost 3 --json
    """
    from twitterdesign._validate import check_int
    from twitterdesign.timeline import default_thresholds, threshold_sweep

    check_int("--points", points, minimum=1, maximum=_MAX_SWEEP_POINTS)
    _check_sizes(users, mean_followees, preset, celebrity, None, max_memory)
    graph, activity, _ = _population(
        users, mean_followees, exponent, preset, celebrity, seed, as_json
    )
    grid = default_thresholds(int(graph.follower_counts.max(initial=0)), points=points)
    with progress(disable=as_json) as bar:
        task = bar.add_task("evaluating thresholds", total=1)
        sweep = threshold_sweep(
            graph,
            activity,
            grid,
            push_cost=push_cost,
            pull_cost=pull_cost,
            skip_inactive=skip_inactive,
        )
        bar.advance(task)
    pool = workers if workers is not None else _auto_workers(graph, activity)
    if plot is not None:
        _plot_sweep(sweep, plot)
    if as_json:
        data: dict[str, Any] = sweep.to_dict()
        data["workers_writes_per_s"] = pool
        print_json(data)
        return
    table = Table(
        title=f"Hybrid threshold sweep, {graph.n_users:,} users, {graph.n_edges:,} follows",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for name in ("Threshold", "Writes/s", "Fetches/s", "Cost/s", "Slowest tweet"):
        table.add_column(name, justify="right", no_wrap=True)
    for i, t in enumerate(sweep.thresholds):
        mark = " ◀ best" if t == sweep.best_threshold else ""
        table.add_row(
            f"{t:,}",
            f"{sweep.push_writes_per_s[i]:,.1f}",
            f"{sweep.pull_fetches_per_s[i]:,.1f}",
            f"{sweep.total_cost_per_s[i]:,.1f}{mark}",
            f"{sweep.largest_pushed_followers[i] / pool:,.2f} s",
        )
    out = console()
    out.print(table)
    out.print(
        f"Per-edge optimal (Feeding Frenzy) cost: {sweep.per_edge_optimal_cost_per_s:,.1f}/s. "
        f"'Slowest tweet' = largest pushed account ÷ {pool:,.0f} writes/s on an idle pool."
    )
    hint = _sweep_hint(sweep, preset)
    if hint:
        out.print(hint)
    if plot is not None:
        out.print(f"Figure written to {plot}")


def _sweep_hint(sweep: Any, preset: str) -> str:
    """Say why the best threshold sits at an end of the grid, and what shows a minimum."""
    if sweep.is_interior:
        return ""
    if sweep.best_threshold == max(sweep.thresholds):
        where = "pushing every account is cheapest here"
    else:
        where = "pulling every account is cheapest here"
    suggestion = (
        "try --preset lesson (at the default 100,000 users its rates give a hybrid minimum)"
        if preset != "lesson"
        else "try --preset twitter-2012"
    )
    return (
        f"With preset '{preset}' {where}: the cost has no minimum inside the grid, so no "
        f"hybrid wins. The mix of reads and posts decides it; {suggestion}, or other "
        "--push-cost/--pull-cost."
    )


def register(app: typer.Typer) -> None:
    """Add the ``timeline`` command group to ``app``."""
    group = typer.Typer(
        name="timeline",
        help=(
            "Home-timeline fan-out: push on write, pull on read, or the hybrid.\n\n"
            "Examples:\n\n"
            "  twitterdesign timeline simulate --users 1000000 --policy hybrid "
            "--threshold 10000\n\n"
            "  twitterdesign timeline sweep --plot sweep.png"
        ),
        no_args_is_help=True,
    )
    group.command("simulate")(simulate_command)
    group.command("sweep")(sweep_command)
    app.add_typer(group, name="timeline")
