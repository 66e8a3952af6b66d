"""Helpers shared by the subcommands: consoles, JSON output, one-line errors, progress."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

EXIT_USAGE = 2


def console() -> Console:
    """Return a console on stdout (created per call so tests can capture output)."""
    return Console(highlight=False, soft_wrap=False)


def err_console() -> Console:
    """Return a console on stderr."""
    return Console(stderr=True, highlight=False)


def error_line(message: str) -> None:
    """Print ``message`` as a single line on stderr, prefixed with ``error:``."""
    text = " ".join(message.split())
    sys.stderr.write(f"twitterdesign: error: {text}\n")
    sys.stderr.flush()


def fail(message: str) -> NoReturn:
    """Print a one-line error and exit with code 2."""
    error_line(message)
    raise typer.Exit(EXIT_USAGE)


def print_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False, default=_default) + "\n")


def _default(value: Any) -> Any:
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot serialize {type(value).__name__} to JSON")


@contextmanager
def progress(*, disable: bool = False) -> Iterator[Progress]:
    """Yield a rich progress bar on stderr (hidden when ``disable`` or not a terminal)."""
    bar = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console(),
        transient=True,
        disable=disable,
    )
    with bar:
        yield bar
