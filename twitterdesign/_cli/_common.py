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


def database_url_option(help_text: str, **extra: Any) -> Any:
    """The ``--database-url`` option of the commands that open the app's database."""
    return typer.Option("--database-url", help=help_text, show_default=False, **extra)


def cache_url_option(help_text: str, **extra: Any) -> Any:
    """The ``--cache-url`` option (also ``--redis-url``) of the commands that use the cache."""
    return typer.Option("--cache-url", "--redis-url", help=help_text, show_default=False, **extra)


def fail(message: str) -> NoReturn:
    """Print a one-line error and exit with code 2."""
    error_line(message)
    raise typer.Exit(EXIT_USAGE)


#: Default of every ``--max-memory`` option.
DEFAULT_MAX_MEMORY = "4 GB"


def memory_limit(text: str) -> int:
    """Return the bytes of a ``--max-memory`` value such as ``"4 GB"``.

    Raises:
        InvalidParameterError: If ``text`` is not a positive size.
    """
    from twitterdesign._validate import check_number
    from twitterdesign.errors import InvalidParameterError
    from twitterdesign.units import parse_bytes

    try:
        return int(check_number("--max-memory", parse_bytes(text), minimum=1.0))
    except InvalidParameterError:
        raise InvalidParameterError(
            "--max-memory", text, "a size such as '4 GB' or '512 MB'"
        ) from None


def check_memory(option: str, value: object, need_bytes: float, limit: int, what: str) -> None:
    """Raise if ``need_bytes`` (what ``option=value`` would take) is above ``limit``.

    Raises:
        InvalidParameterError: Naming ``option``, ``value``, the limit and the estimate.
    """
    from twitterdesign.errors import InvalidParameterError
    from twitterdesign.units import format_bytes

    if need_bytes > limit:
        raise InvalidParameterError(
            option,
            value,
            f"a size that fits in --max-memory {format_bytes(limit)}: {what} would need "
            f"about {format_bytes(need_bytes) if need_bytes < 1e21 else f'{need_bytes:.3g} B'}",
        )


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
