"""``twitterdesign lb``: simulate and compare client-side load balancers, measure hashing.

Only Typer and rich are imported here; `twitterdesign.lb` loads inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
    from twitterdesign.lb import Scenario, SimulationResult

__all__ = ["register"]

_POLICY_HELP = (
    "round-robin, random, least-loaded, p2c, peak-ewma, random-aperture or deterministic-aperture."
)
Clients = Annotated[int, typer.Option("--clients", help="Clients, each with its own balancer.")]
Servers = Annotated[int, typer.Option("--servers", help="Servers (backends).")]
Requests = Annotated[int, typer.Option("--requests", help="Requests to simulate.")]
MaxMemory = Annotated[
    str,
    typer.Option(
        "--max-memory",
        help="Refuse scenarios the simulator estimates to need more memory than this.",
    ),
]
Rate = Annotated[
    float | None,
    typer.Option(
        "--rate",
        help="Total requests/s (default: 70% of the servers' capacity).",
        show_default=False,
    ),
]
Service = Annotated[
    str, typer.Option("--service", help="Service times: exponential, lognormal or bimodal.")
]
MeanMs = Annotated[float, typer.Option("--service-ms", help="Mean (median for lognormal), ms.")]
Concurrency = Annotated[
    int, typer.Option("--concurrency", help="Requests a server runs at once (at least 1).")
]
Unlimited = Annotated[
    bool,
    typer.Option(
        "--unlimited-concurrency",
        help="Servers run every request at once: a pure delay, no queue (Linkerd 2016).",
    ),
]
SlowServer = Annotated[
    list[int] | None,
    typer.Option("--slow-server", help="Index of a slow server; repeatable.", show_default=False),
]
SlowFactor = Annotated[
    float, typer.Option("--slow-factor", help="How many times slower the slow servers are.")
]
Outage = Annotated[
    list[str] | None,
    typer.Option(
        "--outage",
        help="A server down for a while, INDEX:START_S:END_S; repeatable.",
        show_default=False,
    ),
]
TimeoutMs = Annotated[
    float | None, typer.Option("--timeout-ms", help="Client timeout per attempt, ms.")
]
Retries = Annotated[int, typer.Option("--retries", help="Extra attempts after a failure.")]
Arrivals = Annotated[str, typer.Option("--arrivals", help="poisson or bursty.")]
StalenessMs = Annotated[
    float,
    typer.Option(
        "--staleness-ms",
        help="Give every client the servers' queue lengths, this old (0: own counts only).",
    ),
]
Aperture = Annotated[
    int | None,
    typer.Option(
        "--aperture",
        help="Servers per client for the aperture policies [default: Finagle's, 1 and "
        "widening with load for random aperture, 12 for deterministic aperture].",
        show_default=False,
    ),
]
#: `lb compare`'s aperture when none is given: deterministic aperture's default, given to
#: both aperture policies so that they are compared at the same width.
COMPARE_APERTURE = 12
CompareAperture = Annotated[
    int | None,
    typer.Option(
        "--aperture",
        help="Servers per client, the same for both aperture policies so they compare like "
        f"with like [default: {COMPARE_APERTURE}, at most --servers].",
        show_default=False,
    ),
]
Seed = Annotated[int, typer.Option("--seed", help="Random seed.", min=0)]
AsJson = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
Plot = Annotated[
    Path | None,
    typer.Option("--plot", help="Write a PNG figure to this path.", dir_okay=False),
]


def _scenario(
    clients: int,
    servers: int,
    requests: int,
    rate: float | None,
    service: str,
    service_ms: float,
    concurrency: int,
    unlimited: bool,
    slow_server: list[int] | None,
    slow_factor: float,
    outage: list[str] | None,
    timeout_ms: float | None,
    retries: int,
    arrivals: str,
    staleness_ms: float,
    max_memory: str,
) -> tuple[int, Scenario]:
    from twitterdesign._validate import check_int, check_number
    from twitterdesign.lb import Outage as OutagePeriod
    from twitterdesign.lb import Scenario, ServiceTime

    # Sizes first, before anything is allocated or looped over per server.
    limit = memory_limit(max_memory)
    sizes = Scenario(clients=clients, servers=servers, requests=requests, retries=retries)
    sizes.check_memory(limit)
    mean_s = check_number("--service-ms", service_ms, minimum=0.0, min_inclusive=False) / 1000
    check_number("--slow-factor", slow_factor, minimum=0.0, min_inclusive=False)
    if rate is not None:
        check_number("--rate", rate, minimum=0.0, min_inclusive=False)
    if timeout_ms is not None:
        check_number("--timeout-ms", timeout_ms, minimum=0.0, min_inclusive=False)
    check_number("--staleness-ms", staleness_ms, minimum=0.0)
    check_int("--concurrency", concurrency, minimum=1)
    if service == "exponential":
        dist = ServiceTime.exponential(mean_s)
    elif service == "lognormal":
        dist = ServiceTime.lognormal(mean_s, 0.5)
    elif service == "bimodal":
        dist = ServiceTime.bimodal(mean_s, 10 * mean_s, 0.05)
    else:
        fail(f"--service must be exponential, lognormal or bimodal, not {service!r}")
    speeds: tuple[float, ...] = ()
    if slow_server:
        bad = [i for i in slow_server if not 0 <= i < servers]
        if bad:
            fail(f"--slow-server {bad[0]} is not a server index in [0, {servers - 1}]")
        speeds = tuple(1 / slow_factor if i in slow_server else 1.0 for i in range(servers))
    outages = []
    for spec in outage or []:
        parts = spec.split(":")
        try:
            index, start, end = int(parts[0]), float(parts[1]), float(parts[2])
        except (ValueError, IndexError):
            fail(f"--outage must look like INDEX:START_S:END_S, not {spec!r}")
        outages.append(OutagePeriod(index, start, end))
    conc = None if unlimited else concurrency
    if rate is None:
        capacity = sum(speeds) if speeds else float(servers)
        rate = 0.7 * capacity * (conc or 1) / dist.mean()
    return limit, Scenario(
        clients=clients,
        servers=servers,
        requests=requests,
        rate_per_s=rate,
        service=dist,
        concurrency=conc,
        speeds=speeds,
        outages=tuple(outages),
        timeout_s=None if timeout_ms is None else timeout_ms / 1000,
        retries=retries,
        arrivals=arrivals,  # type: ignore[arg-type]
        load_view="global" if staleness_ms > 0 else "local",
        staleness_s=staleness_ms / 1000,
    )


def _results_table(title: str, results: list[SimulationResult]) -> Table:
    table = Table(
        title=title + "\nlatency in ms; Max/mean = busiest server's requests ÷ mean",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for name in ("Policy", "p50", "p99", "p99.9", "Max/mean", "Conns", "OK"):
        table.add_column(name, justify="left" if name == "Policy" else "right", no_wrap=True)
    for r in results:
        table.add_row(
            r.policy,
            f"{r.latency_p50_s * 1e3:,.1f}",
            f"{r.latency_p99_s * 1e3:,.1f}",
            f"{r.latency_p999_s * 1e3:,.1f}",
            f"{r.load_max_over_mean:.3f}",
            f"{r.connections_total:,}",
            f"{100 * r.success_rate:.2f}%",
        )
    return table


def _plot(results: list[SimulationResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    grid = np.linspace(0, 1, len(results[0].latency_cdf_s))
    for r in results:
        ax1.plot(np.asarray(r.latency_cdf_s) * 1e3, grid, label=r.policy)
        ax2.plot(np.asarray(r.load_share) * len(r.load_share), marker=".", label=r.policy)
    ax1.set_xscale("log")
    ax1.set_xlabel("latency (ms)")
    ax1.set_ylabel("fraction of requests")
    ax1.set_title("Latency CDF")
    ax2.set_xlabel("server")
    ax2.set_ylabel("requests ÷ mean")
    ax2.set_title("Load per server")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def simulate_command(
    policy: Annotated[str, typer.Option("--policy", help=_POLICY_HELP)] = "p2c",
    clients: Clients = 100,
    servers: Servers = 20,
    requests: Requests = 200_000,
    rate: Rate = None,
    service: Service = "exponential",
    service_ms: MeanMs = 10.0,
    concurrency: Concurrency = 1,
    unlimited: Unlimited = False,
    slow_server: SlowServer = None,
    slow_factor: SlowFactor = 5.0,
    outage: Outage = None,
    timeout_ms: TimeoutMs = None,
    retries: Retries = 0,
    arrivals: Arrivals = "poisson",
    staleness_ms: StalenessMs = 0.0,
    aperture: Aperture = None,
    max_memory: MaxMemory = DEFAULT_MAX_MEMORY,
    seed: Seed = 0,
    as_json: AsJson = False,
    plot: Plot = None,
) -> None:
    """Simulate one balancing policy: latency quantiles, load spread, connections.

    Examples:

      twitterdesign lb simulate --policy p2c --clients 100 --servers 20 --requests 200000

      twitterdesign lb simulate --policy peak-ewma --slow-server 3 --json

      twitterdesign lb simulate --policy deterministic-aperture --aperture 4 --plot lb.png
    """
    from twitterdesign.lb import simulate

    limit, sc = _scenario(
        clients,
        servers,
        requests,
        rate,
        service,
        service_ms,
        concurrency,
        unlimited,
        slow_server,
        slow_factor,
        outage,
        timeout_ms,
        retries,
        arrivals,
        staleness_ms,
        max_memory,
    )
    with progress(disable=as_json) as bar:
        task = bar.add_task(f"simulating {requests:,} requests with {policy}", total=1)
        result = simulate(sc, policy, aperture=aperture, max_memory_bytes=limit, rng=seed)
        bar.advance(task)
    if plot is not None:
        _plot([result], plot)
    if as_json:
        print_json({"scenario": sc.to_dict(), "result": result.to_dict()})
        return
    out = console()
    out.print(_results_table(_title(sc), [result]))
    if plot is not None:
        out.print(f"Figure written to {plot}")


def _title(sc: Scenario) -> str:
    return (
        f"{sc.clients} clients × {sc.servers} servers, {sc.requests:,} requests at "
        f"{sc.rate_per_s:,.0f}/s (utilisation {sc.offered_load():.0%})"
    )


def compare_command(
    policies: Annotated[
        list[str] | None,
        typer.Option(
            "--policy", help="Policies to compare; repeatable (default: all).", show_default=False
        ),
    ] = None,
    clients: Clients = 100,
    servers: Servers = 20,
    requests: Requests = 100_000,
    rate: Rate = None,
    service: Service = "exponential",
    service_ms: MeanMs = 10.0,
    concurrency: Concurrency = 1,
    unlimited: Unlimited = False,
    slow_server: SlowServer = None,
    slow_factor: SlowFactor = 5.0,
    outage: Outage = None,
    timeout_ms: TimeoutMs = None,
    retries: Retries = 0,
    arrivals: Arrivals = "poisson",
    staleness_ms: StalenessMs = 0.0,
    aperture: CompareAperture = None,
    max_memory: MaxMemory = DEFAULT_MAX_MEMORY,
    seed: Seed = 0,
    as_json: AsJson = False,
    plot: Plot = None,
) -> None:
    """Run every policy on one scenario: p50/p99/p99.9, load max/mean, connections.

    Random and deterministic aperture get the same aperture (12 servers per client
    unless --aperture says otherwise), so their latency and connections compare like
    with like.

    Examples:

      twitterdesign lb compare

      twitterdesign lb compare --slow-server 0 --slow-factor 10 --plot compare.png

      twitterdesign lb compare --policy p2c --policy least-loaded --staleness-ms 50
    """
    from twitterdesign.lb import POLICY_NAMES, simulate

    names = list(policies) if policies else list(POLICY_NAMES)
    if aperture is None:
        aperture = min(COMPARE_APERTURE, max(servers, 1))
    limit, sc = _scenario(
        clients,
        servers,
        requests,
        rate,
        service,
        service_ms,
        concurrency,
        unlimited,
        slow_server,
        slow_factor,
        outage,
        timeout_ms,
        retries,
        arrivals,
        staleness_ms,
        max_memory,
    )
    results = []
    with progress(disable=as_json) as bar:
        task = bar.add_task("simulating policies", total=len(names))
        for name in names:
            results.append(simulate(sc, name, aperture=aperture, max_memory_bytes=limit, rng=seed))
            bar.advance(task)
    if plot is not None:
        _plot(results, plot)
    if as_json:
        print_json(
            {
                "scenario": sc.to_dict(),
                "aperture": aperture,
                "results": [r.to_dict() for r in results],
            }
        )
        return
    out = console()
    out.print(_results_table(_title(sc), results))
    if any("aperture" in name for name in names):
        out.print(
            f"Both aperture policies ran at aperture {aperture} (servers per client; set "
            "with --aperture): equal widths, so the table compares like with like. Random "
            "aperture may still widen under load, as Finagle's does."
        )
    if plot is not None:
        out.print(f"Figure written to {plot}")


# Memory of `lb hash`, measured with tracemalloc and rounded up: per key (the keys, three
# routings, comparisons; the bounded-load ring is the largest), per node (a ring of 160
# points per node, built three times). Ring construction takes ~12 ms per node, so the
# node count is capped too (Maglev's default table holds at most 65,537 anyway).
_HASH_BYTES_PER_KEY = 400
_HASH_BYTES_PER_NODE = 50_000
_MAX_HASH_NODES = 10_000


def hash_command(
    nodes: Annotated[int, typer.Option("--nodes", help="Nodes before the change.")] = 10,
    keys: Annotated[int, typer.Option("--keys", help="Random keys to route.")] = 1_000_000,
    max_memory: MaxMemory = DEFAULT_MAX_MEMORY,
    seed: Seed = 0,
    as_json: AsJson = False,
) -> None:
    """Compare key routers: balance, keys moved on add/remove (vs 1/n), lookups/s.

    Examples:

      twitterdesign lb hash --nodes 10 --keys 1000000

      twitterdesign lb hash --nodes 50 --json
    """
    import numpy as np

    from twitterdesign._validate import check_int
    from twitterdesign.lb import ROUTER_NAMES, measure_router

    limit = memory_limit(max_memory)
    check_int("--keys", keys, minimum=1)
    check_int("--nodes", nodes, minimum=2, maximum=_MAX_HASH_NODES)
    by_keys, by_nodes = _HASH_BYTES_PER_KEY * keys, _HASH_BYTES_PER_NODE * nodes
    option, value = ("--keys", keys) if by_keys >= by_nodes else ("--nodes", nodes)
    what = f"routing {keys:,} keys over {nodes:,} nodes"
    check_memory(option, value, by_keys + by_nodes, limit, what)
    key_array = np.random.default_rng(seed).integers(0, 2**63 - 1, size=keys, dtype=np.int64)
    reports = []
    with progress(disable=as_json) as bar:
        task = bar.add_task("measuring routers", total=len(ROUTER_NAMES))
        for name in ROUTER_NAMES:
            reports.append(measure_router(name, nodes=nodes, keys=key_array))
            bar.advance(task)
    if as_json:
        print_json([r.to_dict() for r in reports])
        return
    table = Table(
        title=f"{keys:,} keys on {nodes} nodes; add one node, remove one node",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for col in ("Router", "Max/mean", "Moved on add", "Moved on remove", "Lookups/s"):
        table.add_column(col, justify="left" if col == "Router" else "right", no_wrap=True)
    for r in reports:
        table.add_row(
            r.router,
            f"{r.max_over_mean:.3f}",
            f"{100 * r.moved_on_add:.1f}% (opt {100 * r.optimal_add:.1f}%)",
            f"{100 * r.moved_on_remove:.1f}% (opt {100 * r.optimal_remove:.1f}%)",
            f"{r.lookups_per_s / 1e6:,.1f}M",
        )
    console().print(table)


def register(app: typer.Typer) -> None:
    """Add the ``lb`` command group to ``app``."""
    group = typer.Typer(
        name="lb",
        help=(
            "Client-side load balancing, Finagle style: policies, a simulator, hashing.\n\n"
            "Examples:\n\n"
            "  twitterdesign lb simulate --policy p2c --clients 100 --servers 20\n\n"
            "  twitterdesign lb compare --slow-server 0 --plot compare.png\n\n"
            "  twitterdesign lb hash --nodes 10 --keys 1000000"
        ),
        no_args_is_help=True,
    )
    group.command("simulate")(simulate_command)
    group.command("compare")(compare_command)
    group.command("hash")(hash_command)
    app.add_typer(group, name="lb")
