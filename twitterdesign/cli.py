"""The ``twitterdesign`` command.

Each subcommand lives in ``twitterdesign/_cli/<name>.py`` and exposes
``register(app)``. Those modules import only Typer and rich at import time and load the
library module they drive inside the command, so ``twitterdesign --help`` stays fast.

Errors the library raises on purpose (`TwitterDesignError`)
and unreadable files print one line on stderr and exit with code 2, never a traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer

from twitterdesign import __version__
from twitterdesign._cli._common import EXIT_USAGE, error_line

__all__ = ["app", "command", "main"]

# Subcommand modules, in the order `--help` lists them.
_COMMAND_MODULES: tuple[str, ...] = (
    # one line per subcommand module; keep this list sorted by lesson order
    "estimate",  # estimate, regions
    "topk",  # top-k with bounds over a file or stdin
    "lb",  # lb simulate, lb compare, lb hash
    "timeline",  # timeline simulate, timeline sweep
    "serve",  # the reference app
    "worker",  # the reference app's fan-out worker (outbox relay + log consumer)
    "cluster",  # app instances + fan-out workers + balancing front, supervised
    "load",  # bulk load a synthetic history into an empty database
    "quiz",
)

app = typer.Typer(
    name="twitterdesign",
    help=(
        "The 'System Design: Twitter' lesson as working, measured software.\n\n"
        "Examples:\n\n"
        "  twitterdesign estimate                      # the lesson's capacity estimate\n\n"
        "  twitterdesign estimate --compare lesson primer twitter-2012\n\n"
        "  twitterdesign regions --json                # capacity per country and region"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"twitterdesign {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        help="Print the version and exit.",
        callback=_version_callback,
        is_eager=True,
    ),
) -> None:
    """The 'System Design: Twitter' lesson as working, measured software."""


for _name in _COMMAND_MODULES:
    importlib.import_module(f"twitterdesign._cli.{_name}").register(app)


def command() -> Any:
    """Return the command tree, with help texts and type labels made for people.

    The documentation's CLI reference (`twitterdesign._cli._docs`) is generated from
    this same tree, so ``--help`` and the reference page always agree.
    """
    from twitterdesign._cli._help import humanize

    return humanize(typer.main.get_command(app))


def _usage_error(exc: Exception) -> str:
    """One line for a usage error: the command, what is wrong, where help is."""
    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else "twitterdesign"
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    where = path.removeprefix("twitterdesign").strip()
    prefix = f"{where}: " if where else ""
    return f"{prefix}{message} (see '{path} --help')"


def main(argv: list[str] | None = None) -> None:
    """Run the command line; turn expected errors into one line on stderr and exit 2.

    Usage errors (an unknown option, a value of the wrong type or range) take the same
    one-line form as the library's own errors, never a boxed panel or a traceback.

    Args:
        argv: Arguments without the program name; ``sys.argv[1:]`` when None.
    """
    from typer.exceptions import TyperException

    from twitterdesign._cli.topk import bare_dask_option
    from twitterdesign.errors import TwitterDesignError

    args = bare_dask_option(sys.argv[1:] if argv is None else list(argv))
    try:
        result = command().main(args=args, prog_name="twitterdesign", standalone_mode=False)
    except TyperException as exc:  # click's usage errors, as Typer ships them
        error_line(_usage_error(exc))
        sys.exit(int(getattr(exc, "exit_code", EXIT_USAGE)))
    except typer.Abort:
        error_line("aborted")
        sys.exit(1)
    except TwitterDesignError as exc:
        error_line(str(exc))
        sys.exit(EXIT_USAGE)
    except OSError as exc:
        error_line(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:  # pragma: no cover - interactive
        error_line("interrupted")
        sys.exit(130)
    # Without standalone mode, an explicit exit comes back as its code.
    sys.exit(result if isinstance(result, int) and not isinstance(result, bool) else 0)
