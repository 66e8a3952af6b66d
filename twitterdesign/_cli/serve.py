"""``twitterdesign serve``: run the reference app (FastAPI + uvicorn, SQLite or PostgreSQL)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from twitterdesign._cli._common import (
    cache_url_option,
    console,
    database_url_option,
    err_console,
    fail,
    print_json,
    progress,
)

if TYPE_CHECKING:
    from twitterdesign.loadgen import DemoReport

_HELP = (
    "Run the reference Twitter backend: a Mastodon-compatible client API plus the\n"
    "lesson's own API under /lesson/v1/, over an embedded SQLite database (WAL) or\n"
    "PostgreSQL (--database-url postgresql://...).\n\n"
    "Every setting can also come from a TWITTERDESIGN_* environment variable\n"
    "(e.g. TWITTERDESIGN_MAX_STATUS_CHARS=500).\n\n"
    "Examples:\n\n"
    "  twitterdesign serve                                  # http://127.0.0.1:8000\n\n"
    "  twitterdesign serve --port 3000 --data-dir ./tw-data\n\n"
    "  twitterdesign serve --workers 4 --balancer peak-ewma  # client-side balancing\n\n"
    "  twitterdesign serve --database-url postgresql://tw@db:5432/tw?schema=tw\n\n"
    '  twitterdesign serve --debug-api    # the web client\'s "How it works" panel\n\n'
    "  curl http://127.0.0.1:8000/api/v1/instance"
)


def serve_command(
    host: Annotated[str, typer.Option("--host", help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", "-p", min=0, max=65535, help="TCP port (0: any free).")
    ] = 8000,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Database and media directory \\[default: ./twitterdesign-data or "
            "TWITTERDESIGN_DATA_DIR].",
            show_default=False,
        ),
    ] = None,
    no_rate_limits: Annotated[
        bool, typer.Option("--no-rate-limits", help="Turn the per-IP/per-token limits off.")
    ] = False,
    database_url: Annotated[
        str | None,
        database_url_option(
            "sqlite:///<path> or postgresql://user:password@host:port/db[?schema=name] "
            "\\[default: SQLite in the data directory, or TWITTERDESIGN_DATABASE_URL].",
        ),
    ] = None,
    cache_url: Annotated[
        str | None,
        cache_url_option(
            "Home timelines and rate limits: memory:// or "
            "redis://host:port/db[?prefix=td:] \\[default: memory://, or TWITTERDESIGN_CACHE_URL].",
        ),
    ] = None,
    blob_url: Annotated[
        str | None,
        typer.Option(
            "--blob-url",
            help="Media bytes: file://<directory> \\[default: media/ in the data directory, "
            "or TWITTERDESIGN_BLOB_URL].",
            show_default=False,
        ),
    ] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "info",
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            "-w",
            min=1,
            max=64,
            help="App processes; above 1, a front balances requests over them "
            "(twitterdesign.lb, client-side balancing) and restarts any that dies.",
        ),
    ] = 1,
    balancer: Annotated[
        str,
        typer.Option(
            "--balancer",
            help="Front policy with --workers: p2c, peak-ewma, round-robin, least-loaded.",
        ),
    ] = "p2c",
    debug_api: Annotated[
        bool,
        typer.Option(
            "--debug-api",
            help="Serve the read-only teaching endpoint /lesson/v1/debug/statuses/{id} "
            '(the web client\'s "How it works" panel: fan-out, sharded counters, '
            "Snowflake id) \\[default: off, or TWITTERDESIGN_DEBUG_API_ENABLED].",
            show_default=False,
        ),
    ] = False,
) -> None:
    """Run the reference app until interrupted."""
    from twitterdesign.errors import InvalidParameterError
    from twitterdesign.reference_app import Settings, run_server

    try:
        settings = Settings.from_env(
            data_dir=data_dir,
            rate_limits_enabled=False if no_rate_limits else None,
            database_url=database_url,
            cache_url=cache_url,
            blob_url=blob_url,
            debug_api_enabled=True if debug_api else None,
        )
        _check_database(settings)
    except InvalidParameterError as exc:
        fail(str(exc))
    from twitterdesign.reference_app.front import FRONT_POLICIES

    if balancer not in FRONT_POLICIES:
        fail(f"--balancer must be one of {', '.join(FRONT_POLICIES)}")
    mode = f"{workers} processes behind a {balancer} front" if workers > 1 else "one process"
    where = _where(settings)
    err_console().print(
        f"twitterdesign: serving on http://{host}:{port} ({mode}; {where}); Ctrl-C stops"
    )
    if settings.debug_api_enabled:
        err_console().print(
            "twitterdesign: the debug API is on (/lesson/v1/debug/statuses/{id}, the web "
            'client\'s "How it works" panel); it shows who follows whom and whose home '
            "timeline holds what: keep it off on a server the public uses",
            soft_wrap=True,
        )
    if workers > 1:
        from twitterdesign.reference_app.front import run_multiprocess

        run_multiprocess(
            settings, workers=workers, host=host, port=port, policy=balancer, log_level=log_level
        )
        return
    run_server(settings, host=host, port=port, log_level=log_level, access_log=False)


def _where(settings: Any) -> str:
    from twitterdesign.reference_app.services._factory import url_scheme

    url = settings.resolved_database_url
    if url_scheme(url) == "sqlite":
        return f"data in {settings.data_dir.resolve()}"
    from twitterdesign.reference_app.storage.postgres import mask_password

    return f"database {mask_password(url)}"


def _check_database(settings: Any) -> None:
    """Open a network database and cache once before serving: an unreachable one fails here.

    It also applies the migrations once, before several worker processes start. An
    unreachable server is a one-line error naming the URL (password masked), exit 2.
    """
    from twitterdesign.errors import TwitterDesignError
    from twitterdesign.reference_app.cluster import check_reachable

    try:
        check_reachable(settings)
    except TwitterDesignError as exc:
        fail(str(exc))


_LOCAL_POSTGRES = "postgresql://127.0.0.1:5432/postgres"
_LOCAL_REDIS = "redis://127.0.0.1:6379/0"

_DEMO_HELP = (
    "Run the whole design end to end: start the server on a free loopback port with a\n"
    "temporary data directory, register a synthetic population (2,000 users on a\n"
    "power-law follower graph plus celebrities), replay a workload through the real HTTP\n"
    "API (posts with hashtags, replies, likes, retweets, views, timeline reads, searches),\n"
    "then report requests/s and p50/p99 latency per endpoint, fan-out statistics, trending\n"
    "tags and most-viewed tweets with their bounds, and the capacity estimate for the same\n"
    "mix at Twitter scale.\n\n"
    "The demo server hashes passwords with cheap argon2 settings, uses synchronous=NORMAL\n"
    "and has no rate limits, so setup is quick; 'twitterdesign serve' uses the safe\n"
    "defaults.\n\n"
    "Examples:\n\n"
    "  twitterdesign demo\n\n"
    "  twitterdesign demo --users 500 --requests 2000 --json > demo.json\n\n"
    "  twitterdesign demo --keep-serving             # then open the web client it prints\n"
    '                                                # (with its "How it works" panel)\n\n'
    "  twitterdesign demo --cluster --database-url postgresql://127.0.0.1/test\n"
    "                                                # PostgreSQL + Redis + workers + front"
)


def demo_command(
    users: Annotated[
        int, typer.Option("--users", "-u", min=10, help="Ordinary users in the population.")
    ] = 2000,
    requests: Annotated[
        int, typer.Option("--requests", "-n", min=1, help="Requests in the replayed workload.")
    ] = 5000,
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", min=1, max=256, help="Requests in flight.")
    ] = 16,
    seed: Annotated[int, typer.Option("--seed", "-s", min=0, help="Seed of graph and mix.")] = 7,
    port: Annotated[
        int | None,
        typer.Option(
            "--port", "-p", min=1, max=65535, help="Port (default: a free one).", show_default=False
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Keep the data here instead of a temporary directory.",
            show_default=False,
        ),
    ] = None,
    keep_serving: Annotated[
        bool, typer.Option("--keep-serving", help="Leave the server up after the report.")
    ] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    debug_api: Annotated[
        bool | None,
        typer.Option(
            "--debug-api/--no-debug-api",
            help="Serve the teaching endpoint /lesson/v1/debug/statuses/{id} (the web "
            'client\'s "How it works" panel) \\[default: on with --keep-serving].',
            show_default=False,
        ),
    ] = None,
    cluster: Annotated[
        bool,
        typer.Option(
            "--cluster",
            help="Run the demo against a cluster (app instances + fan-out workers + front) "
            "on PostgreSQL and Redis, in a fresh schema and key prefix removed afterwards.",
        ),
    ] = False,
    apps: Annotated[
        int, typer.Option("--apps", min=1, max=64, help="With --cluster: app instances.")
    ] = 2,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="With --cluster: fan-out workers.")
    ] = 1,
    database_url: Annotated[
        str,
        typer.Option(
            "--database-url",
            envvar="TWITTERDESIGN_DATABASE_URL",
            help="With --cluster: the PostgreSQL server.",
        ),
    ] = _LOCAL_POSTGRES,
    cache_url: Annotated[
        str,
        typer.Option(
            "--cache-url",
            "--redis-url",
            envvar="TWITTERDESIGN_CACHE_URL",
            help="With --cluster: the Redis server.",
        ),
    ] = _LOCAL_REDIS,
) -> None:
    """Populate a fresh server, replay a workload through its API, report what happened."""
    import tempfile

    from twitterdesign.loadgen import DemoConfig, run_demo
    from twitterdesign.reference_app import Settings

    config = DemoConfig(users=users, requests=requests, concurrency=concurrency, seed=seed)
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="twitterdesign-demo-"))
        settings = Settings(
            data_dir=data_dir or Path(tmp),
            rate_limits_enabled=False,
            sqlite_synchronous="NORMAL",
            argon2_time_cost=1,
            argon2_memory_kib=1024,
            fanout_threshold=config.fanout_threshold,
            # A teaching demo kept up for a person to explore: show how each post moved.
            debug_api_enabled=keep_serving if debug_api is None else debug_api,
        )
        server = _demo_server(
            stack, settings, port, cluster, apps, workers, database_url, cache_url
        )
        try:
            with progress(disable=json_out) as bar:
                tasks: dict[str, Any] = {}

                def on_progress(phase: str, done: int, total: int) -> None:
                    if phase not in tasks:
                        tasks[phase] = bar.add_task(phase, total=total)
                    bar.update(tasks[phase], completed=done)

                report = run_demo(server.base_url, config, progress=on_progress)
            if json_out:
                shape = {"apps": apps, "workers": workers} if cluster else None
                print_json({**report.to_dict(), "server": server.base_url, "cluster": shape})
            else:
                where = server.base_url
                if cluster:
                    where += f" (a cluster: {apps} app instance(s), {workers} fan-out worker(s))"
                _print_report(report, where)
            if keep_serving:
                err_console().print(
                    f"twitterdesign: serving on {server.base_url}; Ctrl-C stops\n"
                    f"Open the web client: {server.base_url}/\n"
                    f"Demo login: username user00000, password {_demo_password()!r} "
                    f"(every demo account, user00000..user{users - 1:05d} and the "
                    "celebrities, has that password)",
                    soft_wrap=True,
                )
                if settings.debug_api_enabled:
                    err_console().print(
                        'The debug API is on: open "How it works" under any post to see '
                        "whose home timelines it was pushed to, its sharded counters and "
                        f"its Snowflake id ({server.base_url}/lesson/v1/debug/statuses/<id>)",
                        soft_wrap=True,
                    )
                with contextlib.suppress(KeyboardInterrupt):
                    server.wait()
        finally:
            server.stop()


def _demo_server(
    stack: contextlib.ExitStack,
    settings: Any,
    port: int | None,
    cluster: bool,
    apps: int,
    workers: int,
    database_url: str,
    cache_url: str,
) -> Any:
    """Start the demo's server, or with ``cluster`` a whole cluster in a scratch schema."""
    from twitterdesign.errors import TwitterDesignError
    from twitterdesign.reference_app.server import ServerProcess

    try:
        if not cluster:
            server = ServerProcess(settings, port=port)
        else:
            from twitterdesign.reference_app.cluster import (
                ClusterProcess,
                check_cluster_urls,
                scratch_state,
            )

            # Checked (and migrated) inside the scratch schema: the demo writes nothing
            # outside it, not even the schema of the database the URL names.
            db, cache = stack.enter_context(scratch_state(database_url, cache_url))
            check_cluster_urls(settings.replace(database_url=db, cache_url=cache))
            server = ClusterProcess(
                settings.replace(database_url=db, cache_url=cache),
                apps=apps,
                workers=workers,
                port=port,
            )
        server.start()
    except TwitterDesignError as exc:
        fail(str(exc))
    return server


def _demo_password() -> str:
    from twitterdesign.loadgen import DEMO_PASSWORD

    return DEMO_PASSWORD


def _print_report(report: DemoReport, url: str) -> None:
    from rich.table import Table

    from twitterdesign.units import format_bits_per_second, format_bytes, format_count

    out = console()
    out.print(
        f"[bold]twitterdesign demo[/bold] — {report.users:,} users, {report.follows:,} follows "
        f"(setup {report.setup_s:.1f} s), server {url}"
    )
    out.print(
        f"Replayed {report.replay_requests:,} requests in {report.replay_s:.1f} s: "
        f"[bold]{report.requests_per_second:,.0f} requests/s[/bold]"
    )
    table = Table(title="Latency per endpoint (client side)", title_justify="left")
    for col in ("endpoint", "requests", "errors", "p50 ms", "p99 ms"):
        table.add_column(col, justify="left" if col == "endpoint" else "right")
    for e in report.endpoints:
        table.add_row(
            e.endpoint, f"{e.requests:,}", str(e.errors), f"{e.p50_ms:.1f}", f"{e.p99_ms:.1f}"
        )
    out.print(table)
    f = report.fanout
    celebs = ", ".join(f"{c['username']} ({c['followers']:,})" for c in report.celebrities)
    delays = [d for d in report.delivery_delays_s if d is not None]
    missed = len(report.delivery_delays_s) - len(delays)
    out.print(
        f"[bold]Fan-out[/bold] (hybrid, push up to {report.fanout_threshold:,} followers): "
        f"{f.get('statuses_pushed', 0):,.0f} statuses pushed into "
        f"{f.get('deliveries', 0):,.0f} timeline caches, {f.get('statuses_pulled', 0):,.0f} "
        f"celebrity statuses merged at read time; {f.get('active_caches', 0):,.0f} active "
        f"caches. Celebrities: {celebs}."
    )
    if delays:
        out.print(
            f"A new post reached an active follower's home timeline in "
            f"{1000 * min(delays):.0f}-{1000 * max(delays):.0f} ms "
            f"({len(delays)} probes{f', {missed} not within 10 s' if missed else ''})."
        )
    tags = Table(title="Trending tags (WindowedTopK, bounds)", title_justify="left")
    for col in ("tag", "uses", "bounds"):
        tags.add_column(col, justify="left" if col == "tag" else "right")
    for t in report.trending_tags:
        tags.add_row(f"#{t['name']}", f"{t['uses']:,}", f"[{t['lower_bound']}, {t['upper_bound']}]")
    out.print(tags)
    viewed = Table(title="Most viewed tweets (SpaceSaving, bounds)", title_justify="left")
    for col in ("tweet", "author", "views", "bounds"):
        viewed.add_column(col, justify="left" if col in ("tweet", "author") else "right")
    for v in report.most_viewed:
        viewed.add_row(
            v["status_id"],
            v["author"],
            f"{v['score']:,}",
            f"[{v['lower_bound']}, {v['upper_bound']}]",
        )
    out.print(viewed)
    c = report.capacity
    out.print(
        f"[bold]At Twitter scale[/bold] ({format_count(c['daily_active_users'])} daily users, "
        f"this mix: {c['tweets_per_user_per_day']:g} tweets and "
        f"{c['tweets_viewed_per_user_per_day']:g} tweets viewed per user per day): "
        f"{format_count(c['tweets_per_day'])} tweets/day, "
        f"{format_bytes(c['storage_bytes_per_day'])}/day of new data, "
        f"{format_bits_per_second(c['outgoing_bits_per_second'])} out, "
        f"{format_count(c['peak_requests_per_second'])} requests/s at peak — "
        f"{c['servers_at_peak']:,} servers like this one "
        f"({c['requests_per_server_per_second']:,.0f} requests/s each)."
    )


def register(app: typer.Typer) -> None:
    """Add the ``serve`` and ``demo`` commands to ``app``."""
    app.command("serve", help=_HELP)(serve_command)
    app.command("demo", help=_DEMO_HELP)(demo_command)
