"""``twitterdesign estimate`` and ``twitterdesign regions``: the lesson's capacity estimate.

Only Typer and rich are imported here; the estimation library loads inside the commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table

from twitterdesign._cli._common import console, fail, print_json

if TYPE_CHECKING:
    from twitterdesign.estimation import CapacityReport, Preset, Workload

__all__ = ["register"]

_PRESET_HELP = "Start from this named workload (see --list-presets)."
_SET_HELP = (
    "Change one assumption, FIELD=VALUE; repeatable. Human units work: "
    "daily_active_users=250M, image_bytes=200KB, video_fraction=5%."
)

# (section, label, report field — dotted for a split, kind): the rows of the tables.
_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("Traffic", "Daily active users", "workload.daily_active_users", "count"),
    ("Traffic", "Tweets per day", "tweets_per_day", "count"),
    ("Traffic", "Tweets/s (avg / peak)", "tweets_per_second", "count_peak"),
    ("Traffic", "Requests/s (avg / peak)", "requests_per_second", "count_peak"),
    ("Traffic", "Tweets viewed/s", "tweets_viewed_per_second", "count"),
    ("Storage", "New data per day", "storage_bytes_per_day", "bytes"),
    ("Storage", "  text + metadata", "storage_bytes_per_day_by_type.text", "bytes4"),
    ("Storage", "  images", "storage_bytes_per_day_by_type.image", "bytes4"),
    ("Storage", "  videos", "storage_bytes_per_day_by_type.video", "bytes4"),
    ("Storage", "New data per year", "storage_bytes_per_year", "bytes"),
    ("Storage", "Kept (years × copies)", "storage_bytes_total", "bytes"),
    ("Bandwidth", "Incoming", "incoming_bits_per_second", "bps"),
    ("Bandwidth", "Outgoing", "outgoing_bits_per_second", "bps"),
    ("Bandwidth", "  text + metadata", "outgoing_bits_per_second_by_type.text", "bps"),
    ("Bandwidth", "  images", "outgoing_bits_per_second_by_type.image", "bps"),
    ("Bandwidth", "  videos", "outgoing_bits_per_second_by_type.video", "bps"),
    ("Servers", "At average load", "servers_at_average_load", "servers"),
    ("Servers", "At peak", "servers_at_peak", "servers"),
    ("Servers", "All requests in 1 s", "servers_if_all_requests_in_one_second", "servers"),
    ("Servers", "Daily users ÷ capacity", "servers_by_daily_users", "servers"),
    ("Cache", "Hot tweets in memory", "cache_bytes", "bytes"),
)
_COST = {
    "servers_at_average_load": "usd_per_hour_at_average_load",
    "servers_at_peak": "usd_per_hour_at_peak",
    "servers_if_all_requests_in_one_second": "usd_per_hour_if_all_requests_in_one_second",
    "servers_by_daily_users": "usd_per_hour_by_daily_users",
}


def _workload(preset: str, assignments: list[str] | None) -> tuple[Preset, Workload]:
    from twitterdesign.estimation import get_preset, parse_overrides

    chosen = get_preset(preset)
    changes = parse_overrides(assignments or [])
    return chosen, chosen.workload.with_(**changes)


def _value(report: CapacityReport, field: str) -> Any:
    value: Any = report
    for part in field.split("."):
        value = getattr(value, part)
    return value


def _usd(amount: float) -> str:
    from twitterdesign.units import format_usd

    return format_usd(amount) if amount < 1000 else f"${amount:,.0f}"


def _cell(report: CapacityReport, field: str, kind: str, *, with_cost: bool = True) -> str:
    from twitterdesign.units import format_bits_per_second, format_bytes, format_count

    value = _value(report, field)
    if kind == "count":
        return format_count(value)
    if kind == "count_peak":
        return f"{format_count(value)} / {format_count(_value(report, 'peak_' + field))}"
    if kind in {"bytes", "bytes4"}:
        return format_bytes(value, precision=4 if kind == "bytes4" else 3)
    if kind == "bps":
        return format_bits_per_second(value)
    cost = getattr(report, _COST[field])
    text = f"{value:,}"
    return text if cost is None or not with_cost else f"{text} · {_usd(cost)}/h"


def _table(title: str) -> Table:
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)


def _estimate_table(report: CapacityReport, title: str, published: dict[str, str]) -> Table:
    table = _table(title)
    table.add_column("", no_wrap=True)
    table.add_column("Estimate", no_wrap=True)
    if published:
        table.add_column("Source says", style="dim")
    section = ""
    for group, label, field, kind in _ROWS:
        if group != section:
            section = group
            table.add_row(f"[bold cyan]{group}[/bold cyan]", "", *([""] if published else []))
        row = [f"  {label}", _cell(report, field, kind)]
        if published:
            row.append(published.get(field, ""))
        table.add_row(*row)
    return table


def _compare_rows() -> list[tuple[str, str, str, str]]:
    # Narrower cells for side-by-side columns: average and peak rates on their own rows.
    rows: list[tuple[str, str, str, str]] = []
    for group, label, field, kind in _ROWS:
        if kind == "count_peak":
            name = label.split(" (")[0]
            rows.append((group, f"{name} (average)", field, "count"))
            rows.append((group, f"{name} (peak)", "peak_" + field, "count"))
        else:
            rows.append((group, label, field, kind))
    return rows


def _compare(names: list[str], as_json: bool) -> None:
    from twitterdesign.estimation import PRESETS, estimate, get_preset

    presets = [get_preset(n) for n in (names or list(PRESETS))]
    reports = [estimate(p.workload) for p in presets]
    if as_json:
        print_json({p.name: r.to_dict() for p, r in zip(presets, reports, strict=True)})
        return
    table = _table("Presets side by side")
    table.add_column("", no_wrap=True)
    for p in presets:
        table.add_column(p.name, no_wrap=True, justify="right")
    section = ""
    for group, label, field, kind in _compare_rows():
        if group != section:
            section = group
            table.add_row(f"[bold cyan]{group}[/bold cyan]", *[""] * len(presets))
        table.add_row(f"  {label}", *[_cell(r, field, kind, with_cost=False) for r in reports])
    out = console()
    out.print(table)
    for p in presets:
        out.print(f"[bold]{p.name}[/bold]: {p.source}")


def _list_presets(as_json: bool) -> None:
    from twitterdesign.estimation import PRESETS

    if as_json:
        print_json([p.to_dict() for p in PRESETS.values()])
        return
    from rich.padding import Padding

    out = console()
    for p in PRESETS.values():
        out.print(f"[bold cyan]{p.name}[/bold cyan]  {p.title}")
        out.print(Padding(f"Source: {p.source}", (0, 0, 0, 2)))
        for note in p.notes:
            out.print(Padding(f"• {note}", (0, 0, 0, 2)))
        out.print()


def estimate_command(
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Preset names to compare (only with --compare).", show_default=False),
    ] = None,
    preset: Annotated[str, typer.Option("--preset", "-p", help=_PRESET_HELP)] = "lesson",
    assignments: Annotated[
        list[str] | None,
        typer.Option("--set", "-s", help=_SET_HELP, metavar="FIELD=VALUE", show_default=False),
    ] = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show the derivation step by step.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    compare: Annotated[
        bool, typer.Option("--compare", help="Compare the named presets (all if none named).")
    ] = False,
    list_presets: Annotated[
        bool, typer.Option("--list-presets", help="List the presets with their sources.")
    ] = False,
) -> None:
    """Estimate storage, bandwidth, servers and cache for a Twitter-like workload.

    Examples:

      twitterdesign estimate              # the lesson's numbers

      twitterdesign estimate --explain    # the same, with the arithmetic

      twitterdesign estimate --set daily_active_users=250M --set video_fraction=10%

      twitterdesign estimate --compare lesson primer twitter-2012

      twitterdesign estimate --preset primer --json
    """
    if list_presets:
        _list_presets(as_json)
        return
    if compare:
        if assignments:
            fail("--set cannot be combined with --compare; compare presets as published")
        _compare(names or [], as_json)
        return
    if names:
        fail(f"unexpected argument {names[0]!r}: use --preset NAME, or --compare NAME...")
    from twitterdesign.estimation import estimate

    chosen, workload = _workload(preset, assignments)
    report = estimate(workload)
    if as_json:
        print_json(report.to_dict())
        return
    out = console()
    if explain:
        out.print(report.explain(), markup=False)
        return
    changed = bool(assignments)
    title = f"Capacity estimate — preset '{chosen.name}'" + (" + --set" if changed else "")
    published = {} if changed else dict(chosen.published)
    out.print(_estimate_table(report, title, published))
    out.print(f"[dim]{chosen.title}.[/dim]")
    out.print(f"[dim]Source: {chosen.source}[/dim]")
    out.print(
        "Run [bold]twitterdesign estimate --explain[/bold] for the arithmetic, "
        "[bold]--list-presets[/bold] for the assumptions' sources."
    )


def regions_command(
    preset: Annotated[str, typer.Option("--preset", "-p", help=_PRESET_HELP)] = "lesson",
    assignments: Annotated[
        list[str] | None,
        typer.Option("--set", "-s", help=_SET_HELP, metavar="FIELD=VALUE", show_default=False),
    ] = None,
    basis: Annotated[
        str,
        typer.Option(
            help="Server count to allocate: peak, average_load, all_requests_in_one_second, "
            "by_daily_users."
        ),
    ] = "peak",
    min_servers: Annotated[
        int,
        typer.Option(
            "--min-servers",
            help="Servers every region gets at least, added on top of its countries' share "
            "when that rounds lower.",
        ),
    ] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """Allocate capacity to countries and regions from the January 2022 userbase.

    Examples:

      twitterdesign regions               # the lesson's peak servers by region

      twitterdesign regions --preset lesson-2022 --basis average_load --json
    """
    from twitterdesign.estimation import allocate_regions, estimate
    from twitterdesign.units import format_bits_per_second, format_bytes, format_count

    chosen, workload = _workload(preset, assignments)
    report = estimate(workload)
    plan = allocate_regions(report, min_servers_per_region=min_servers, basis=basis)
    if as_json:
        print_json(plan.to_dict())
        return
    out = console()
    for level, plural, rows, servers in (
        ("Region", "Regions", plan.regions, plan.total_servers),
        ("Country", "Countries", plan.countries, sum(c.servers for c in plan.countries)),
    ):
        table = _table(f"{plural} — preset '{chosen.name}', {servers:,} servers")
        for header in (level, "Users", "Share", "Servers", "Outgoing", "Data/day"):
            table.add_column(header, justify="left" if header == level else "right", no_wrap=True)
        for a in rows:
            table.add_row(
                a.name,
                format_count(a.users),
                f"{a.user_share:.1%}",
                f"{a.servers:,}",
                format_bits_per_second(a.outgoing_bits_per_second),
                format_bytes(a.storage_bytes_per_day),
            )
        out.print(table)
    for line in _rounding_notes(plan):
        out.print(line)
    out.print(
        f"Incoming bandwidth ({format_bits_per_second(report.incoming_bits_per_second)} in "
        "all) splits by the same shares; --json shows every field."
    )
    out.print(
        "[dim]Users: Statista, Twitter users by country, January 2022; the rest of the "
        "world is the lesson's 397M total minus the ten listed countries.[/dim]"
    )


_BASIS_WORDS = {
    "peak": "the estimate's servers at peak (the 80/20 rule: 80% of a day's requests in 4.8 hours)",
    "average_load": "the estimate's servers at average load (the day's requests spread evenly)",
    "all_requests_in_one_second": "the estimate's servers if every daily request came in "
    "one second (an upper bound)",
    "by_daily_users": "the interview shortcut, daily users ÷ requests one server handles "
    "per second",
}


def _rounding_notes(plan: Any) -> list[str]:
    """Say where the servers in the tables come from: basis, rounding, minimums."""
    notes = [
        f"{plan.requested_servers:,} servers is {_BASIS_WORDS[plan.basis]}; --basis picks "
        "another count.",
        "Countries get whole servers in proportion to their users: the whole part of their "
        "share, then the servers left over go to the largest remainders, and countries with "
        "equal users are rounded alike.",
    ]
    if plan.tie_servers_added:
        notes.append(
            f"{plan.tie_servers_added:,} server(s) were added so that countries with equal "
            "users get equal servers."
        )
    raised = ", ".join(plan.regions_raised_to_minimum)
    if raised:
        notes.append(
            f"Every region gets at least --min-servers {plan.min_servers_per_region}: "
            f"{raised} got fewer from their countries and were raised to it "
            f"(+{plan.minimum_servers_added:,}), so the regions hold "
            f"{plan.total_servers:,} servers."
        )
    else:
        notes.append(
            f"Every region already has at least --min-servers {plan.min_servers_per_region}; "
            "a region's servers are its countries' sum."
        )
    return notes


def register(app: typer.Typer) -> None:
    """Add the ``estimate`` and ``regions`` commands to ``app``."""
    app.command("estimate", no_args_is_help=False)(estimate_command)
    app.command("regions")(regions_command)
