"""The step-by-step derivation behind a CapacityReport, as plain text."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from twitterdesign.units import (
    BITS_PER_BYTE,
    SECONDS_PER_DAY,
    format_bits_per_second,
    format_bytes,
    format_count,
    format_usd,
)

if TYPE_CHECKING:
    from twitterdesign.estimation._report import CapacityReport

__all__ = ["explain_report"]


def _n(value: float) -> str:
    """Format a count: 3, 0.5, 1.81, 116K, 1.5B."""
    if abs(value) >= 1000:
        return format_count(value)
    return f"{value:.3g}"


def _exact(value: float) -> str:
    """Format an unrounded server count: 1.81, 28.9, 7,812.5, 156,250."""
    if abs(value) < 100:
        return f"{value:.3g}"
    return f"{value:,.1f}".removesuffix(".0")


def _rate(usd: float) -> str:
    """Format a price per server-hour without losing digits: $3.54816."""
    return "$" + f"{usd:,.5f}".rstrip("0").rstrip(".")


def _pct(value: float) -> str:
    return f"{value * 100:.3g}%"


def _peak_derivation(factor: float) -> str:
    """Where the peak factor comes from: the 80/20 rule, or the value the workload sets."""
    rule = "80% of a day's requests arrive in 20% of it, 4.8 h"
    if factor == 4.0:
        return f"  peak factor  = 0.8 ÷ 0.2 = 4 (the 80/20 rule: {rule})"
    return f"  peak factor  = {factor:.3g}, as set (the lesson's 80/20 rule, {rule}, gives 4)"


def explain_report(report: CapacityReport) -> str:
    """Return the derivation of ``report`` step by step (see CapacityReport.explain)."""
    w = report.workload
    d = w.daily_active_users
    t = report.tweets_per_day
    st = report.storage_bytes_per_day_by_type
    inc = report.incoming_bits_per_second_by_type
    out = report.outgoing_bits_per_second_by_type
    views_s = report.tweets_viewed_per_second
    cap = w.requests_per_server_per_second
    b = format_bytes

    def b4(value: float) -> str:
        return format_bytes(value, precision=4)

    bps = format_bits_per_second
    lines = [
        "Assumptions",
        f"  {_n(d)} daily users; each posts {_n(w.tweets_per_user_per_day)} tweets, sends "
        f"{_n(w.requests_per_user_per_day)} requests and views "
        f"{_n(w.tweets_viewed_per_user_per_day)} tweets a day.",
        f"  A tweet has {b(w.text_bytes_per_tweet)} of text and metadata; "
        f"{_pct(w.image_fraction)} carry a {b(w.image_bytes)} image, "
        f"{_pct(w.video_fraction)} a {b(w.video_bytes)} video.",
        f"  One server handles {_n(cap)} requests/s; peak = {w.peak_to_average:.3g} × average; "
        f"{w.replication_factor:g} copies kept {w.retention_years:g} years.",
        "",
        "Traffic",
        _peak_derivation(w.peak_to_average),
        f"  tweets/day   = {_n(d)} daily users × {_n(w.tweets_per_user_per_day)} tweets"
        f" = {_n(t)} tweets/day",
        f"  tweets/s     = {_n(t)} ÷ {SECONDS_PER_DAY:,} s = {_n(report.tweets_per_second)}/s"
        f" (peak × {w.peak_to_average:.3g} = {_n(report.peak_tweets_per_second)}/s)",
        f"  requests/day = {_n(d)} × {_n(w.requests_per_user_per_day)}"
        f" = {_n(report.requests_per_day)} requests/day",
        f"  requests/s   = {_n(report.requests_per_day)} ÷ {SECONDS_PER_DAY:,} s"
        f" = {_n(report.requests_per_second)}/s average,"
        f" × {w.peak_to_average:.3g} = {_n(report.peak_requests_per_second)}/s at peak",
        f"  views/s      = {_n(d)} × {_n(w.tweets_viewed_per_user_per_day)} ÷ "
        f"{SECONDS_PER_DAY:,} s = {_n(views_s)} tweets viewed/s",
        "",
        "Storage (new data per day, before replication)",
        f"  text   = {_n(t)} tweets × {b(w.text_bytes_per_tweet)} = {b4(st.text)}",
        f"  images = {_n(t)} × {_pct(w.image_fraction)} × {b(w.image_bytes)} = {b4(st.image)}",
        f"  videos = {_n(t)} × {_pct(w.video_fraction)} × {b(w.video_bytes)} = {b4(st.video)}",
        f"  total  = {b4(st.text)} + {b4(st.image)} + {b4(st.video)} = "
        f"{b(report.storage_bytes_per_day)}/day",
        f"  per year = {b(report.storage_bytes_per_day)} × 365 = "
        f"{b(report.storage_bytes_per_year)}",
        f"  kept     = {b(report.storage_bytes_per_year)} × {w.retention_years:g} years × "
        f"{w.replication_factor:g} copies = {b(report.storage_bytes_total)}",
        "",
        "Bandwidth (daily average; bits = bytes × 8)",
        f"  incoming = {b(report.storage_bytes_per_day)}/day × {BITS_PER_BYTE} ÷ "
        f"{SECONDS_PER_DAY:,} s = {bps(report.incoming_bits_per_second)}"
        f" (text {bps(inc.text)}, images {bps(inc.image)}, videos {bps(inc.video)})",
        f"  outgoing, {_n(views_s)} tweets viewed/s:",
        f"    text   = {_n(views_s)} × {b(w.text_bytes_per_tweet)} × 8 = {bps(out.text)}",
        f"    images = {_n(views_s)} × {_pct(w.image_fraction)} × {b(w.image_bytes)} × 8"
        f" = {bps(out.image)}",
        f"    videos = {_n(views_s)} × {_pct(w.video_fraction)} × {b(w.video_bytes)} × 8"
        f" = {bps(out.video)}",
        f"    total  = {bps(report.outgoing_bits_per_second)}",
        "",
        f"Servers (one handles {_n(cap)} requests/s; counts rounded up)",
    ]
    formulas = {
        "average_load": f"{_n(report.requests_per_second)} requests/s ÷ {_n(cap)}",
        "peak": f"{_n(report.peak_requests_per_second)} requests/s ÷ {_n(cap)}",
        "all_requests_in_one_second": f"{_n(report.requests_per_day)} requests ÷ {_n(cap)}",
        "by_daily_users": f"{_n(d)} daily users ÷ {_n(cap)}",
    }
    labels = {
        "average_load": "at average load",
        "peak": "at peak",
        "all_requests_in_one_second": "all requests in one second",
        "by_daily_users": "shortcut: daily users",
    }
    for count in report.server_counts():
        cost = ""
        if count.usd_per_hour is not None:
            cost = f" × {_rate(w.cost_per_server_hour or 0.0)}/h = "
            cost += f"{format_usd(count.usd_per_hour)}/hour"
        lines.append(
            f"  {labels[count.name]:<27} = {formulas[count.name]} = {_exact(count.exact)}"
            f" → {count.servers:,} servers{cost}"
        )
    lines += [
        "",
        "Cache (hot tweets' text and metadata in memory; media come from the CDN)",
        f"  cache = {_pct(w.cache_hot_fraction)} × {_n(t)} tweets × "
        f"{b(w.text_bytes_per_tweet)} = {b(report.cache_bytes)}",
        "",
        "Which server count answers which question",
    ]
    for count in report.server_counts():
        lines += textwrap.wrap(
            f"{labels[count.name]}: {count.question}",
            width=88,
            initial_indent="  - ",
            subsequent_indent="    ",
        )
    return "\n".join(lines)
