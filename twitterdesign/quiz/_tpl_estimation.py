"""Parametric questions on resource estimation and regional capacity.

Each builder draws assumptions from the generator it is given and asks
`twitterdesign.estimation` for the answer; the prompt and explanation quote the
numbers the library returned.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twitterdesign.quiz._template_base import Draft, pct, pick, server_tolerance
from twitterdesign.units import (
    format_bits_per_second,
    format_bytes,
    format_count,
)

__all__ = [
    "country_bandwidth",
    "incoming",
    "outgoing",
    "peak_factor_question",
    "region_servers",
    "server_capacity_question",
    "servers_at_peak",
    "servers_by_users",
    "servers_one_second",
    "storage_per_day",
    "storage_per_year",
]


# --- estimation ------------------------------------------------------------------------


def _workload(gen: np.random.Generator) -> Any:
    from twitterdesign.estimation import Workload

    return Workload(
        float(pick(gen, (100e6, 150e6, 200e6, 250e6, 300e6, 400e6, 500e6, 600e6, 800e6))),
        tweets_per_user_per_day=float(pick(gen, (1, 2, 3, 4, 5))),
        requests_per_user_per_day=float(pick(gen, (10, 20, 30, 40, 50))),
        tweets_viewed_per_user_per_day=float(pick(gen, (20, 50, 80, 100))),
        text_bytes_per_tweet=float(pick(gen, (200, 250, 300, 500))),
        image_fraction=float(pick(gen, (0.05, 0.1, 0.2))),
        image_bytes=float(pick(gen, (100e3, 200e3, 500e3))),
        video_fraction=float(pick(gen, (0.02, 0.05, 0.1))),
        video_bytes=float(pick(gen, (2e6, 3e6, 5e6))),
        requests_per_server_per_second=float(pick(gen, (8_000, 16_000, 32_000, 64_000))),
    )


def _params(w: Any) -> tuple[tuple[str, float], ...]:
    return tuple((k, float(v)) for k, v in w.to_dict().items() if v is not None)


def _tweet_mix(w: Any) -> str:
    return (
        f"{format_count(w.daily_active_users)} daily active users post "
        f"{w.tweets_per_user_per_day:g} tweets a day each. Every tweet carries "
        f"{format_bytes(w.text_bytes_per_tweet)} of text and metadata; "
        f"{pct(w.image_fraction)} of tweets add a {format_bytes(w.image_bytes)} image and "
        f"{pct(w.video_fraction)} a {format_bytes(w.video_bytes)} video."
    )


def _storage_split(r: Any) -> str:
    s = r.storage_bytes_per_day_by_type
    return (
        f"{format_count(r.tweets_per_day)} tweets a day × the average tweet size gives "
        f"{format_bytes(s.text)} of text + {format_bytes(s.image)} of images + "
        f"{format_bytes(s.video)} of video = {format_bytes(r.storage_bytes_per_day)} a day."
    )


def storage_per_day(gen: np.random.Generator) -> Draft:
    from twitterdesign.estimation import estimate

    w = _workload(gen)
    r = estimate(w)
    return Draft(
        parameters=_params(w),
        prompt=f"{_tweet_mix(w)} How much new storage is needed per day, before "
        "replication? Answer with a unit, e.g. '255 TB'.",
        value=r.storage_bytes_per_day,
        dimension="bytes",
        unit="TB",
        tolerance=0.05,
        explanation=f"{_storage_split(r)} Media dominates: video is rare but large, and "
        "text barely registers. Forgetting that only a fraction of tweets carries media "
        "overestimates by an order of magnitude.",
    )


def storage_per_year(gen: np.random.Generator) -> Draft:
    from twitterdesign.estimation import estimate

    w = _workload(gen)
    r = estimate(w)
    return Draft(
        parameters=_params(w),
        prompt=f"{_tweet_mix(w)} How much new data accumulates in a year (365 days), "
        "before replication? Answer with a unit, e.g. '93 PB'.",
        value=r.storage_bytes_per_year,
        dimension="bytes",
        unit="PB",
        tolerance=0.05,
        explanation=f"{_storage_split(r)} Over 365 days that is "
        f"{format_bytes(r.storage_bytes_per_year)}. Replication (usually 3 copies) and "
        "retention multiply it further; the question asks for raw new data.",
    )


def incoming(gen: np.random.Generator) -> Draft:
    from twitterdesign.estimation import estimate

    w = _workload(gen)
    r = estimate(w)
    return Draft(
        parameters=_params(w),
        prompt=f"{_tweet_mix(w)} What is the average incoming bandwidth? "
        "Answer with a unit, e.g. '24 Gbps'.",
        value=r.incoming_bits_per_second,
        dimension="bits_per_second",
        unit="Gbps",
        tolerance=0.05,
        explanation=f"{_storage_split(r)} Spread over 86,400 seconds and multiplied by 8 "
        f"bits per byte: {format_bits_per_second(r.incoming_bits_per_second)}. Forgetting "
        "the factor 8 gives bytes per second, which is eight times too small.",
    )


def outgoing(gen: np.random.Generator) -> Draft:
    from twitterdesign.estimation import estimate

    w = _workload(gen)
    r = estimate(w)
    o = r.outgoing_bits_per_second_by_type
    return Draft(
        parameters=_params(w),
        prompt=f"{_tweet_mix(w)} Each user also views "
        f"{w.tweets_viewed_per_user_per_day:g} tweets a day, with the same media mix. What "
        "is the average outgoing bandwidth? Answer with a unit, e.g. '394 Gbps'.",
        value=r.outgoing_bits_per_second,
        dimension="bits_per_second",
        unit="Gbps",
        tolerance=0.05,
        explanation=f"{format_count(r.tweets_viewed_per_day)} tweets viewed a day × the "
        f"average tweet size × 8 bits ÷ 86,400 s: {format_bits_per_second(o.text)} of text + "
        f"{format_bits_per_second(o.image)} of images + {format_bits_per_second(o.video)} of "
        f"video = {format_bits_per_second(r.outgoing_bits_per_second)}. Views, not posts, "
        "drive it, which is why it dwarfs incoming bandwidth.",
    )


def _request_load(w: Any) -> str:
    return (
        f"{format_count(w.daily_active_users)} daily active users send "
        f"{w.requests_per_user_per_day:g} requests a day each, and one server handles "
        f"{w.requests_per_server_per_second:,.0f} requests per second."
    )


def servers_at_peak(gen: np.random.Generator) -> Draft:
    from twitterdesign.estimation import estimate

    w = _workload(gen)
    r = estimate(w)
    return Draft(
        parameters=_params(w),
        prompt=f"{_request_load(w)} Under the 80/20 rule (80% of the requests arrive in 20% "
        f"of the day, a peak of {w.peak_to_average:g}× the average), how many servers are "
        "needed at peak?",
        value=r.servers_at_peak,
        dimension="count",
        unit="servers",
        tolerance=server_tolerance(r.servers_at_peak),
        explanation=f"{format_count(r.requests_per_day)} requests a day ÷ 86,400 s = "
        f"{r.requests_per_second:,.0f} requests/s on average; × {w.peak_to_average:g} = "
        f"{r.peak_requests_per_second:,.0f} at peak; ÷ "
        f"{w.requests_per_server_per_second:,.0f} per server, rounded up: "
        f"{r.servers_at_peak:,} servers (against {r.servers_at_average_load:,} at average "
        "load). Sizing for the average leaves the busy hours queueing.",
    )


def servers_one_second(gen: np.random.Generator) -> Draft:
    from twitterdesign.estimation import estimate

    w = _workload(gen)
    r = estimate(w)
    return Draft(
        parameters=_params(w),
        prompt=f"{_request_load(w)} If every request of the day arrived in the same second "
        "— the most pessimistic bound — how many servers would it take?",
        value=r.servers_if_all_requests_in_one_second,
        dimension="count",
        unit="servers",
        tolerance=server_tolerance(r.servers_if_all_requests_in_one_second),
        explanation=f"{format_count(r.requests_per_day)} requests ÷ "
        f"{w.requests_per_server_per_second:,.0f} per server = "
        f"{r.servers_if_all_requests_in_one_second:,} servers, against "
        f"{r.servers_at_peak:,} at the 80/20 peak: a bound to know, not a fleet to buy.",
    )


def servers_by_users(gen: np.random.Generator) -> Draft:
    from twitterdesign.estimation import estimate

    w = _workload(gen)
    r = estimate(w)
    return Draft(
        parameters=_params(w),
        prompt=f"{format_count(w.daily_active_users)} daily active users; one server handles "
        f"{w.requests_per_server_per_second:,.0f} requests per second. What does the "
        "interview shortcut 'daily users ÷ requests per server per second' give?",
        value=r.servers_by_daily_users,
        dimension="count",
        unit="servers",
        tolerance=server_tolerance(r.servers_by_daily_users),
        explanation=f"{format_count(w.daily_active_users)} ÷ "
        f"{w.requests_per_server_per_second:,.0f} = {r.servers_by_daily_users:,} servers. It "
        "assumes every user sends one request in the same second, so it is far above the "
        f"{r.servers_at_average_load:,} servers the average load needs.",
    )


def server_capacity_question(gen: np.random.Generator) -> Draft:
    from twitterdesign.estimation import server_capacity

    clock = float(pick(gen, (2.0e9, 2.5e9, 3.0e9, 3.5e9, 4.0e9)))
    cores = int(pick(gen, (8, 16, 32, 64, 96, 128)))
    instructions = float(pick(gen, (1e6, 2e6, 2.5e6, 3.5e6, 5e6)))
    cpi = float(pick(gen, (1.0, 1.5, 2.0)))
    rps = server_capacity(
        clock_hz=clock,
        cores=cores,
        instructions_per_request=instructions,
        cycles_per_instruction=cpi,
    )
    return Draft(
        parameters=(
            ("clock_hz", clock),
            ("cores", cores),
            ("instructions_per_request", instructions),
            ("cycles_per_instruction", cpi),
        ),
        prompt=f"A server has {cores} cores at {clock / 1e9:g} GHz, averages {cpi:g} cycles "
        f"per instruction, and a request executes {instructions / 1e6:g} million "
        "instructions. How many requests per second can it serve when CPU-bound?",
        value=rps,
        dimension="count",
        unit="requests/s",
        tolerance=0.01,
        explanation=f"One core runs {clock / 1e9:g} billion ÷ {cpi:g} instructions a second, "
        f"so {clock / cpi / instructions:,.0f} requests per second; × {cores} cores = "
        f"{rps:,.0f}. The lesson's 64,000 comes from the same arithmetic (64 cores, 3.5 GHz, "
        "CPI 1, 3.5M instructions). Forgetting the CPI or the cores is the usual slip.",
    )


def peak_factor_question(gen: np.random.Generator) -> Draft:
    from twitterdesign.estimation import peak_factor

    share_requests = float(pick(gen, (0.6, 0.7, 0.75, 0.8, 0.9)))
    share_day = float(pick(gen, (0.1, 0.2, 0.25, 0.3)))
    factor = peak_factor(share_requests, share_day)
    hours = 24 * share_day
    return Draft(
        parameters=(("share_of_requests", share_requests), ("share_of_day", share_day)),
        prompt=f"{pct(share_requests)} of a day's requests arrive in {pct(share_day)} of "
        f"the day ({hours:g} hours). By what factor is the request rate in those hours above "
        "the daily average?",
        value=factor,
        dimension="count",
        unit="x",
        tolerance=0.01,
        explanation=f"The busy window carries {pct(share_requests)} of the requests in "
        f"{pct(share_day)} of the time: {share_requests:g} ÷ {share_day:g} = {factor:.3g}. "
        "Dividing 1 by the share of the day forgets that some traffic falls outside the "
        "window.",
    )


# --- regions ---------------------------------------------------------------------------


def _remainder_tie(weights: list[float], total: int) -> bool:
    """Whether largest-remainder rounding would have to break a (near) tie."""
    quotas = [total * w / sum(weights) for w in weights]
    fractions = sorted((q - int(q) for q in quotas), reverse=True)
    leftover = total - sum(int(q) for q in quotas)
    return 0 < leftover < len(fractions) and fractions[leftover - 1] - fractions[leftover] < 0.01


def region_servers(gen: np.random.Generator) -> Draft:
    from twitterdesign.estimation import apportion

    names = ("North America", "Asia-Pacific", "Europe", "Latin America", "Middle East & Africa")
    n = int(gen.integers(3, len(names) + 1))
    chosen = [names[i] for i in sorted(gen.choice(len(names), size=n, replace=False))]
    while True:
        users = [float(gen.integers(5, 120)) for _ in chosen]
        total = int(gen.integers(n + 2, 40))
        if not _remainder_tie(users, total):
            break  # otherwise two regions could claim the last server: redraw
    shares = apportion(users, total)
    ask = int(gen.integers(n))
    listing = ", ".join(f"{c} {u:g}M" for c, u in zip(chosen, users, strict=True))
    quotas = ", ".join(f"{total * u / sum(users):.2f}" for u in users)
    return Draft(
        parameters=(
            ("total_servers", total),
            ("region_index", ask),
            *((f"users_millions[{c}]", u) for c, u in zip(chosen, users, strict=True)),
        ),
        prompt=f"{total} servers are split across regions in proportion to users ({listing}) "
        "with largest-remainder rounding, so the counts add up exactly. How many servers "
        f"does {chosen[ask]} get?",
        value=shares[ask],
        dimension="count",
        unit="servers",
        tolerance=0.0,
        explanation=f"Exact quotas: {quotas}. Take the whole parts, then hand the servers "
        "left over to the largest fractional parts: "
        + ", ".join(f"{c} {s}" for c, s in zip(chosen, shares, strict=True))
        + ". Rounding each quota on its own can miss the total.",
    )


def country_bandwidth(gen: np.random.Generator) -> Draft:
    from twitterdesign.estimation import allocate_regions, estimate

    w = _workload(gen)
    plan = allocate_regions(estimate(w))
    countries = [c for c in plan.countries if c.region != c.name]
    country = countries[int(gen.integers(len(countries)))]
    total_users = sum(c.users for c in plan.countries)
    total_out = sum(c.outgoing_bits_per_second for c in plan.countries)
    return Draft(
        parameters=_params(w),
        prompt=f"A global estimate needs {format_bits_per_second(total_out)} of outgoing "
        f"bandwidth for {format_count(total_users)} users. {country.name} has "
        f"{format_count(country.users)} of them. If bandwidth follows users, how much "
        f"should be served from near {country.name}? Answer with a unit, e.g. '50 Gbps'.",
        value=country.outgoing_bits_per_second,
        dimension="bits_per_second",
        unit="Gbps",
        tolerance=0.05,
        explanation=f"{country.name}'s share of users is {country.user_share:.1%}, so it gets "
        f"{country.user_share:.1%} × {format_bits_per_second(total_out)} = "
        f"{format_bits_per_second(country.outgoing_bits_per_second)}. Serving it nearby "
        "cuts latency and long-haul traffic.",
    )
