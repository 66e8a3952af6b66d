"""``twitterdesign serve``: run the reference app (FastAPI + uvicorn over SQLite)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from twitterdesign._cli._common import err_console, fail

_HELP = (
    "Run the reference Twitter backend: a Mastodon-compatible client API plus the\n"
    "lesson's own API under /lesson/v1/, over an embedded SQLite database (WAL).\n\n"
    "Every setting can also come from a TWITTERDESIGN_* environment variable\n"
    "(e.g. TWITTERDESIGN_MAX_STATUS_CHARS=500).\n\n"
    "Examples:\n\n"
    "  twitterdesign serve                                  # http://127.0.0.1:8000\n\n"
    "  twitterdesign serve --port 3000 --data-dir ./tw-data\n\n"
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
            help="Database and media directory [default: ./twitterdesign-data or "
            "TWITTERDESIGN_DATA_DIR].",
            show_default=False,
        ),
    ] = None,
    no_rate_limits: Annotated[
        bool, typer.Option("--no-rate-limits", help="Turn the per-IP/per-token limits off.")
    ] = False,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "info",
) -> None:
    """Run the reference app until interrupted."""
    from twitterdesign.errors import InvalidParameterError
    from twitterdesign.reference_app import Settings, run_server

    try:
        settings = Settings.from_env(
            data_dir=data_dir, rate_limits_enabled=False if no_rate_limits else None
        )
    except InvalidParameterError as exc:
        fail(str(exc))
    err_console().print(
        f"twitterdesign: serving on http://{host}:{port} "
        f"(data in {settings.data_dir.resolve()}); Ctrl-C stops"
    )
    run_server(settings, host=host, port=port, log_level=log_level, access_log=False)


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""
    app.command("serve", help=_HELP)(serve_command)
