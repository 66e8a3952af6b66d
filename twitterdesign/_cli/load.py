"""``twitterdesign load``: bulk load a synthetic history into an empty database."""

from __future__ import annotations

from typing import Annotated

import typer

from twitterdesign._cli._common import console, err_console, fail, print_json

_HELP = (
    "Bulk load a synthetic history into an EMPTY database: N accounts on a power-law\n"
    "follower graph and M statuses with hashtags, every counter and search entry\n"
    "right, nothing in the fan-out outbox (PostgreSQL: COPY; SQLite: one transaction).\n"
    "Loaded accounts have no password: issue tokens to use them.\n\n"
    "Examples:\n\n"
    "  twitterdesign load --database-url sqlite:///tw.sqlite3 --users 10000 --statuses 100000\n\n"
    "  twitterdesign load --database-url postgresql://tw@db/tw?schema=tw -u 100000 -s 1000000 "
    "--json"
)


def load_command(
    database_url: Annotated[
        str,
        typer.Option(
            "--database-url",
            envvar="TWITTERDESIGN_DATABASE_URL",
            help="sqlite:///<path> or postgresql://user@host:port/db[?schema=name].",
            show_default=False,
        ),
    ],
    users: Annotated[int, typer.Option("--users", "-u", min=2, help="Accounts to create.")] = 1_000,
    statuses: Annotated[
        int, typer.Option("--statuses", "-s", min=0, help="Statuses to create.")
    ] = 10_000,
    mean_followees: Annotated[
        float,
        typer.Option("--mean-followees", min=0.0, help="Mean accounts each user follows."),
    ] = 35.0,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of graph and texts.")] = 0,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Bulk load a synthetic history into an empty database."""
    from twitterdesign.errors import TwitterDesignError
    from twitterdesign.reference_app.services._factory import open_store
    from twitterdesign.reference_app.storage.bulk import bulk_load, synthetic_history
    from twitterdesign.timeline import power_law_graph

    try:
        graph = power_law_graph(
            users, mean_followees=min(mean_followees, (users - 1) / 2), rng=seed
        )
        history = synthetic_history(graph, statuses, rng=seed + 1)
        store = open_store(database_url, synchronous="NORMAL", pool_size=2)
    except (TwitterDesignError, ConnectionError) as exc:
        fail(str(exc).strip().splitlines()[0])
    try:
        err_console().print(
            f"twitterdesign: loading {users:,} accounts, {graph.n_edges:,} follows and "
            f"{statuses:,} statuses"
        )
        report = bulk_load(store, history)
    except TwitterDesignError as exc:
        fail(str(exc))
    finally:
        store.close()
    if json_out:
        print_json(report.to_dict())
        return
    console().print(
        f"loaded {report.accounts:,} accounts, {report.follows:,} follows, "
        f"{report.statuses:,} statuses ({report.status_tags:,} hashtags) "
        f"in {report.seconds:.1f} s"
    )


def register(app: typer.Typer) -> None:
    """Add ``load`` to the command-line app."""
    app.command("load", help=_HELP)(load_command)
