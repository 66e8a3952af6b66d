"""``twitterdesign cluster``: app instances, fan-out workers and a balancing front on loopback."""

from __future__ import annotations

from typing import Annotated

import typer

from twitterdesign._cli._common import cache_url_option, database_url_option, err_console, fail

_HELP = (
    "Run the lesson's design as a cluster on this machine: N app instances behind a\n"
    "client-side balancing front (power of two choices or peak EWMA, as Finagle\n"
    "balances), M fan-out workers relaying the outbox into a Redis stream and pushing\n"
    "into Redis home timelines, all over one PostgreSQL database and one Redis.\n"
    "A process that dies is restarted with backoff; Ctrl-C stops them all.\n\n"
    "Every setting can also come from a TWITTERDESIGN_* environment variable.\n\n"
    "Examples:\n\n"
    "  twitterdesign cluster --database-url postgresql://127.0.0.1/tw "
    "--cache-url redis://127.0.0.1:6379/0\n\n"
    "  twitterdesign cluster --apps 4 --workers 2 --balancer peak-ewma --port 3000\n\n"
    "  twitterdesign demo --cluster                  # replay the demo against one"
)


def cluster_command(
    apps: Annotated[
        int, typer.Option("--apps", "-a", min=1, max=64, help="App instances behind the front.")
    ] = 2,
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=1, max=64, help="Fan-out worker processes.")
    ] = 1,
    database_url: Annotated[
        str | None,
        database_url_option(
            "postgresql://user:password@host:port/db[?schema=name], shared by every "
            "instance \\[default: TWITTERDESIGN_DATABASE_URL].",
        ),
    ] = None,
    cache_url: Annotated[
        str | None,
        cache_url_option(
            "redis://host:port/db[?prefix=td:]: home timelines, rate limits and the "
            "fan-out log \\[default: TWITTERDESIGN_CACHE_URL].",
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Interface of the front.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", "-p", min=0, max=65535, help="Port of the front.")
    ] = 8000,
    balancer: Annotated[
        str,
        typer.Option("--balancer", help="Front policy: p2c, peak-ewma, round-robin, least-loaded."),
    ] = "p2c",
    no_rate_limits: Annotated[
        bool, typer.Option("--no-rate-limits", help="Turn the shared rate limits off.")
    ] = False,
    log_level: Annotated[
        str, typer.Option("--log-level", help="Log level of the front and supervisors.")
    ] = "info",
) -> None:
    """Run a cluster until interrupted."""
    from twitterdesign.errors import InvalidParameterError, TwitterDesignError
    from twitterdesign.reference_app import Settings
    from twitterdesign.reference_app.cluster import check_cluster_urls
    from twitterdesign.reference_app.front import FRONT_POLICIES, run_multiprocess
    from twitterdesign.reference_app.storage.postgres import mask_password

    if balancer not in FRONT_POLICIES:
        fail(f"--balancer must be one of {', '.join(FRONT_POLICIES)}, not {balancer!r}")
    try:
        settings = Settings.from_env(
            database_url=database_url,
            cache_url=cache_url,
            rate_limits_enabled=False if no_rate_limits else None,
        )
        check_cluster_urls(settings)
    except InvalidParameterError as exc:
        flag = "--database-url" if exc.name == "database_url" else "--cache-url"
        fail(f"{flag}: {exc}")
    except TwitterDesignError as exc:
        fail(str(exc))
    assert settings.database_url is not None  # checked above
    err_console().print(
        f"twitterdesign: cluster on http://{host}:{port} ({apps} app instance(s) behind a "
        f"{balancer} front, {workers} fan-out worker(s); database "
        f"{mask_password(settings.database_url)}, cache "
        f"{mask_password(settings.resolved_cache_url)}); Ctrl-C stops"
    )
    run_multiprocess(
        settings,
        workers=apps,
        fanout_workers=workers,
        host=host,
        port=port,
        policy=balancer,
        log_level=log_level,
    )


def register(app: typer.Typer) -> None:
    """Add the ``cluster`` command."""
    app.command("cluster", help=_HELP)(cluster_command)
