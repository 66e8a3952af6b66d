"""Parametric numeric questions: inputs drawn from a seeded rng, answers computed by the library.

A template never contains an answer. It draws assumptions, asks the library module that
owns the formula (:mod:`twitterdesign.estimation`, :mod:`twitterdesign.timeline`,
:mod:`twitterdesign.topk`, :mod:`twitterdesign.lb`) for the result, and writes the prompt
and the explanation around the numbers it got back — so a question can never drift from
the code.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twitterdesign._rng import as_generator
from twitterdesign._validate import check_int
from twitterdesign.quiz._model import SEED_SEPARATOR, Difficulty, Question
from twitterdesign.units import (
    Dimension,
    format_bits_per_second,
    format_bytes,
    format_count,
)

__all__ = ["ALL_TEMPLATES", "QuestionTemplate", "available_templates"]

_EST = "explanation/estimation.md"


@dataclass(frozen=True, slots=True)
class Draft:
    """What a template's builder returns: the prompt, the computed answer, the reasoning."""

    prompt: str
    value: float
    dimension: Dimension
    unit: str | None
    tolerance: float
    explanation: str
    parameters: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class QuestionTemplate:
    """A numeric question whose inputs come from a seed and whose answer the library computes.

    Attributes:
        id: Template id; its questions are ``"<id>~<seed>"``.
        topic: The id of the topic it belongs to.
        difficulty: ``"easy"``, ``"medium"`` or ``"hard"``.
        link: The docs page that teaches the formula, relative to docs/.
        summary: One line saying what the template asks.
        requires: The library module whose public names compute the answer.
    """

    id: str
    topic: str
    difficulty: Difficulty
    link: str
    summary: str
    requires: str
    build: Callable[[np.random.Generator], Draft] = field(repr=False, compare=False)

    def generate(self, seed: int) -> Question:
        """Draw the inputs from ``seed`` and return the question, answer computed.

        Args:
            seed: A non-negative integer; the same seed gives the same question.

        Returns:
            A ``numeric`` :class:`~twitterdesign.quiz.Question` with id ``"<id>~<seed>"``.

        Raises:
            InvalidParameterError: If ``seed`` is not a non-negative integer.

        Example:
            >>> from twitterdesign.quiz import load_bank
            >>> template = load_bank().template("est-tpl-storage-per-day")
            >>> q = template.generate(5)
            >>> q.id, q.type, q == template.generate(5)
            ('est-tpl-storage-per-day~5', 'numeric', True)
        """
        seed = check_int("seed", seed, minimum=0)
        draft = self.build(as_generator(seed))
        return Question(
            id=f"{self.id}{SEED_SEPARATOR}{seed}",
            topic=self.topic,
            difficulty=self.difficulty,
            type="numeric",
            prompt=draft.prompt,
            options=(),
            correct=(),
            explanation=draft.explanation,
            link=self.link,
            value=float(draft.value),
            dimension=draft.dimension,
            unit=draft.unit,
            tolerance=draft.tolerance,
            template=self.id,
            parameters=draft.parameters,
        )

    def to_dict(self) -> dict[str, str]:
        """Return the template's description as a JSON-ready dict."""
        return {
            "id": self.id,
            "topic": self.topic,
            "difficulty": self.difficulty,
            "link": self.link,
            "summary": self.summary,
            "requires": self.requires,
        }


def _pick(gen: np.random.Generator, choices: tuple[Any, ...]) -> Any:
    return choices[int(gen.integers(len(choices)))]


def _pct(x: float) -> str:
    return f"{x:.0%}" if x * 100 == round(x * 100) else f"{x:.1%}"


def _server_tolerance(servers: float) -> float:
    # Server counts are rounded up; accept an answer one server off either way.
    return min(0.5, max(0.02, 1.0 / max(servers, 1.0)))


# --- estimation ------------------------------------------------------------------------


def _workload(gen: np.random.Generator) -> Any:
    from twitterdesign.estimation import Workload

    return Workload(
        float(_pick(gen, (100e6, 150e6, 200e6, 250e6, 300e6, 400e6, 500e6, 600e6, 800e6))),
        tweets_per_user_per_day=float(_pick(gen, (1, 2, 3, 4, 5))),
        requests_per_user_per_day=float(_pick(gen, (10, 20, 30, 40, 50))),
        tweets_viewed_per_user_per_day=float(_pick(gen, (20, 50, 80, 100))),
        text_bytes_per_tweet=float(_pick(gen, (200, 250, 300, 500))),
        image_fraction=float(_pick(gen, (0.05, 0.1, 0.2))),
        image_bytes=float(_pick(gen, (100e3, 200e3, 500e3))),
        video_fraction=float(_pick(gen, (0.02, 0.05, 0.1))),
        video_bytes=float(_pick(gen, (2e6, 3e6, 5e6))),
        requests_per_server_per_second=float(_pick(gen, (8_000, 16_000, 32_000, 64_000))),
    )


def _params(w: Any) -> tuple[tuple[str, float], ...]:
    return tuple((k, float(v)) for k, v in w.to_dict().items() if v is not None)


def _tweet_mix(w: Any) -> str:
    return (
        f"{format_count(w.daily_active_users)} daily active users post "
        f"{w.tweets_per_user_per_day:g} tweets a day each. Every tweet carries "
        f"{format_bytes(w.text_bytes_per_tweet)} of text and metadata; "
        f"{_pct(w.image_fraction)} of tweets add a {format_bytes(w.image_bytes)} image and "
        f"{_pct(w.video_fraction)} a {format_bytes(w.video_bytes)} video."
    )


def _storage_split(r: Any) -> str:
    s = r.storage_bytes_per_day_by_type
    return (
        f"{format_count(r.tweets_per_day)} tweets a day × the average tweet size gives "
        f"{format_bytes(s.text)} of text + {format_bytes(s.image)} of images + "
        f"{format_bytes(s.video)} of video = {format_bytes(r.storage_bytes_per_day)} a day."
    )


def _storage_per_day(gen: np.random.Generator) -> Draft:
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


def _storage_per_year(gen: np.random.Generator) -> Draft:
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


def _incoming(gen: np.random.Generator) -> Draft:
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


def _outgoing(gen: np.random.Generator) -> Draft:
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


def _servers_at_peak(gen: np.random.Generator) -> Draft:
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
        tolerance=_server_tolerance(r.servers_at_peak),
        explanation=f"{format_count(r.requests_per_day)} requests a day ÷ 86,400 s = "
        f"{r.requests_per_second:,.0f} requests/s on average; × {w.peak_to_average:g} = "
        f"{r.peak_requests_per_second:,.0f} at peak; ÷ "
        f"{w.requests_per_server_per_second:,.0f} per server, rounded up: "
        f"{r.servers_at_peak:,} servers (against {r.servers_at_average_load:,} at average "
        "load). Sizing for the average leaves the busy hours queueing.",
    )


def _servers_one_second(gen: np.random.Generator) -> Draft:
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
        tolerance=_server_tolerance(r.servers_if_all_requests_in_one_second),
        explanation=f"{format_count(r.requests_per_day)} requests ÷ "
        f"{w.requests_per_server_per_second:,.0f} per server = "
        f"{r.servers_if_all_requests_in_one_second:,} servers, against "
        f"{r.servers_at_peak:,} at the 80/20 peak: a bound to know, not a fleet to buy.",
    )


def _servers_by_users(gen: np.random.Generator) -> Draft:
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
        tolerance=_server_tolerance(r.servers_by_daily_users),
        explanation=f"{format_count(w.daily_active_users)} ÷ "
        f"{w.requests_per_server_per_second:,.0f} = {r.servers_by_daily_users:,} servers. It "
        "assumes every user sends one request in the same second, so it is far above the "
        f"{r.servers_at_average_load:,} servers the average load needs.",
    )


def _server_capacity(gen: np.random.Generator) -> Draft:
    from twitterdesign.estimation import server_capacity

    clock = float(_pick(gen, (2.0e9, 2.5e9, 3.0e9, 3.5e9, 4.0e9)))
    cores = int(_pick(gen, (8, 16, 32, 64, 96, 128)))
    instructions = float(_pick(gen, (1e6, 2e6, 2.5e6, 3.5e6, 5e6)))
    cpi = float(_pick(gen, (1.0, 1.5, 2.0)))
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


def _peak_factor(gen: np.random.Generator) -> Draft:
    from twitterdesign.estimation import peak_factor

    share_requests = float(_pick(gen, (0.6, 0.7, 0.75, 0.8, 0.9)))
    share_day = float(_pick(gen, (0.1, 0.2, 0.25, 0.3)))
    factor = peak_factor(share_requests, share_day)
    hours = 24 * share_day
    return Draft(
        parameters=(("share_of_requests", share_requests), ("share_of_day", share_day)),
        prompt=f"{_pct(share_requests)} of a day's requests arrive in {_pct(share_day)} of "
        f"the day ({hours:g} hours). By what factor is the request rate in those hours above "
        "the daily average?",
        value=factor,
        dimension="count",
        unit="x",
        tolerance=0.01,
        explanation=f"The busy window carries {_pct(share_requests)} of the requests in "
        f"{_pct(share_day)} of the time: {share_requests:g} ÷ {share_day:g} = {factor:.3g}. "
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


def _region_servers(gen: np.random.Generator) -> Draft:
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


def _country_bandwidth(gen: np.random.Generator) -> Draft:
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


# --- storage, timelines and fan-out ---------------------------------------------------


def _hybrid_fanout(gen: np.random.Generator) -> Draft:
    from twitterdesign.timeline import Activity, FollowerGraph, HybridThreshold, evaluate_policy

    threshold = int(_pick(gen, (1_000, 5_000, 10_000)))
    counts = [int(_pick(gen, (150, 400, 900, 2_500, 7_000))) for _ in range(3)]
    counts.append(int(_pick(gen, (20_000, 40_000, 60_000))))  # the celebrity
    tweets_per_day = float(_pick(gen, (2, 3, 5, 10)))
    followers: list[int] = []
    followees: list[int] = []
    next_id = len(counts)  # authors are users 0..3; their followers come after them
    for author, count in enumerate(counts):
        followers.extend(range(next_id, next_id + count))
        followees.extend([author] * count)
        next_id += count
    graph = FollowerGraph.from_edges(followers, followees, n_users=next_id)
    activity = Activity.uniform(next_id, tweets_per_day=tweets_per_day, reads_per_day=0.0)
    cost = evaluate_policy(graph, activity, HybridThreshold(threshold))
    writes_per_day = cost.push_writes_per_s * 86_400
    listing = ", ".join(f"{c:,}" for c in counts)
    pushed = [c for c in counts if c <= threshold]
    return Draft(
        parameters=(
            ("threshold", threshold),
            ("tweets_per_day", tweets_per_day),
            *((f"followers[{i}]", c) for i, c in enumerate(counts)),
        ),
        prompt=f"Four accounts with {listing} followers each tweet {tweets_per_day:g} times a "
        f"day. Timelines use hybrid fan-out: tweets of accounts with at most {threshold:,} "
        "followers are pushed into every follower's cached timeline; the others are pulled "
        "at read time. How many timeline-cache writes does that cost per day?",
        value=writes_per_day,
        dimension="count",
        unit="writes",
        tolerance=0.01,
        explanation=f"Only accounts at or under the threshold are pushed: "
        f"({' + '.join(f'{c:,}' for c in pushed) or '0'}) followers × {tweets_per_day:g} "
        f"tweets = {writes_per_day:,.0f} writes a day. Pushing everyone would cost "
        f"{sum(counts) * tweets_per_day:,.0f}; the celebrity's followers instead fetch its "
        "few tweets when they read, which is cheaper than writing to every one of them.",
    )


# --- top-k -----------------------------------------------------------------------------

_EPSILONS = (0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005)
_DELTAS = (0.1, 0.05, 0.01, 0.001, 0.0001)


def _cms_width(gen: np.random.Generator) -> Draft:
    from twitterdesign.topk import CountMinSketch

    eps, delta = float(_pick(gen, _EPSILONS)), float(_pick(gen, _DELTAS))
    sketch = CountMinSketch.from_error(eps, delta)
    return Draft(
        parameters=(("epsilon", eps), ("delta", delta)),
        prompt=f"A Count-Min sketch must overestimate any count by at most ε = {eps:g} of the "
        f"stream's total, with probability 1 − δ = {1 - delta:g}. How many counters wide is "
        "each row?",
        value=sketch.width,
        dimension="count",
        unit="counters",
        tolerance=0.0,
        explanation=f"Width w = ⌈e/ε⌉ = ⌈2.71828… / {eps:g}⌉ = {sketch.width:,}; the depth "
        f"d = ⌈ln(1/δ)⌉ = {sketch.depth} rows sets the probability, not the width. Using "
        "1/ε instead of e/ε gives a sketch that misses the stated bound.",
    )


def _cms_depth(gen: np.random.Generator) -> Draft:
    from twitterdesign.topk import CountMinSketch

    eps, delta = float(_pick(gen, _EPSILONS)), float(_pick(gen, _DELTAS))
    sketch = CountMinSketch.from_error(eps, delta)
    return Draft(
        parameters=(("epsilon", eps), ("delta", delta)),
        prompt=f"A Count-Min sketch sized for ε = {eps:g} and δ = {delta:g} (error at most "
        "εN with probability 1 − δ). How many rows (hash functions) does it need?",
        value=sketch.depth,
        dimension="count",
        unit="rows",
        tolerance=0.0,
        explanation=f"Depth d = ⌈ln(1/δ)⌉ = ⌈ln {1 / delta:g}⌉ = {sketch.depth}: each extra "
        "row makes it exponentially less likely that every row collides badly. ε sets the "
        f"width instead (⌈e/ε⌉ = {sketch.width:,}).",
    )


# --- load balancing --------------------------------------------------------------------


def _aperture_connections(gen: np.random.Generator) -> Draft:
    from twitterdesign.lb import aperture_width, connection_plan

    clients = int(_pick(gen, (20, 40, 60, 100, 150)))
    servers = int(_pick(gen, (10, 24, 30, 50, 80)))
    aperture = int(_pick(gen, (3, 4, 6, 8, 12)))
    aperture = min(aperture, servers)
    width = aperture_width(clients, servers, aperture)
    plan = connection_plan(clients, servers, kind="continuous-ring", aperture=aperture)
    connections = plan.connections_total
    return Draft(
        parameters=(("clients", clients), ("servers", servers), ("aperture", aperture)),
        prompt=f"{clients} clients talk to {servers} servers with deterministic aperture "
        f"(aperture {aperture}). Each client's slice is a whole number of client slices "
        "of the ring covering at least the aperture. About how many connections are open "
        f"in total? (A full mesh would need {clients * servers:,}.)",
        value=connections,
        dimension="count",
        unit="connections",
        tolerance=0.15,
        explanation=f"Slice width min(1, ⌈{aperture}·{clients}/{servers}⌉/{clients}) = "
        f"{width:.3g} of the ring, about {width * servers:.3g} servers per client, plus one "
        "where a slice edge cuts a server's segment: "
        f"{connections:,} connections in total, against {clients * servers:,} for a full "
        "mesh — while every server stays covered by the same number of clients.",
    )


def _aperture_width(gen: np.random.Generator) -> Draft:
    from twitterdesign.lb import aperture_width

    clients = int(_pick(gen, (5, 8, 10, 20, 40, 50)))
    servers = int(_pick(gen, (12, 20, 30, 50, 100)))
    aperture = min(int(_pick(gen, (2, 3, 4, 6, 12))), servers)
    width = aperture_width(clients, servers, aperture)
    return Draft(
        parameters=(("clients", clients), ("servers", servers), ("aperture", aperture)),
        prompt=f"Deterministic aperture with {clients} clients, {servers} servers and an "
        f"aperture of {aperture}. What fraction of the ring does each client's slice cover? "
        "(A decimal, e.g. 0.35.)",
        value=width,
        dimension="count",
        unit=None,
        tolerance=0.01,
        explanation=f"The slice is the smallest whole number of client slices (1/{clients} "
        f"each) that covers {aperture} server slices (1/{servers} each): "
        f"min(1, ⌈{aperture}·{clients}/{servers}⌉/{clients}) = {width:.4g}. Using "
        f"{aperture}/{servers} directly would leave ring points covered by different "
        "numbers of clients.",
    )


def _balls_into_bins(gen: np.random.Generator) -> Draft:
    from twitterdesign.lb import balls_into_bins

    n = int(_pick(gen, (1_000, 5_000, 10_000, 20_000)))  # small enough to simulate fast
    d = int(_pick(gen, (1, 2, 3)))
    seed = int(gen.integers(0, 2**31 - 1))
    one = balls_into_bins(n, n, choices=1, rng=seed)
    result = one if d == 1 else balls_into_bins(n, n, choices=d, rng=seed)
    how = "a server picked at random" if d == 1 else f"the least loaded of {d} random servers"
    formula = "ln n / ln ln n" if d == 1 else f"ln ln n / ln {d}"
    return Draft(
        parameters=(("n", n), ("choices", d)),
        prompt=f"{n:,} requests go to {n:,} servers, each to {how}. Balls-into-bins theory "
        f"says the busiest server's load grows like {formula}. What is that term for "
        f"n = {n:,}? (A decimal.)",
        value=result.theory,
        dimension="count",
        unit=None,
        tolerance=0.02,
        explanation=f"{formula} = {result.theory:.3g} for n = {n:,}. A simulation of this "
        f"case gave a busiest server of {result.max_load} requests with "
        f"{'one random choice' if d == 1 else f'{d} choices'}"
        + ("" if d == 1 else f", against {one.max_load} with one random choice")
        + ". With two choices the maximum drops from about ln n / ln ln n to ln ln n / ln 2 "
        "— an exponential improvement — while more than two choices gain only a constant "
        "factor; that is why P2C asks for exactly two.",
    )


def _t(
    id_: str,
    topic: str,
    difficulty: Difficulty,
    link: str,
    summary: str,
    requires: str,
    build: Callable[[np.random.Generator], Draft],
) -> QuestionTemplate:
    return QuestionTemplate(id_, topic, difficulty, link, summary, requires, build)


#: Every template, whether or not the module it needs is importable right now.
ALL_TEMPLATES: tuple[QuestionTemplate, ...] = (
    _t(
        "est-tpl-storage-per-day",
        "estimation",
        "medium",
        _EST,
        "New storage per day from users, tweets and media mix",
        "twitterdesign.estimation",
        _storage_per_day,
    ),
    _t(
        "est-tpl-storage-per-year",
        "estimation",
        "medium",
        _EST,
        "New storage per year",
        "twitterdesign.estimation",
        _storage_per_year,
    ),
    _t(
        "est-tpl-incoming-bandwidth",
        "estimation",
        "medium",
        _EST,
        "Average incoming bandwidth",
        "twitterdesign.estimation",
        _incoming,
    ),
    _t(
        "est-tpl-outgoing-bandwidth",
        "estimation",
        "hard",
        _EST,
        "Average outgoing bandwidth",
        "twitterdesign.estimation",
        _outgoing,
    ),
    _t(
        "est-tpl-servers-at-peak",
        "estimation",
        "medium",
        _EST,
        "Servers at the 80/20 peak",
        "twitterdesign.estimation",
        _servers_at_peak,
    ),
    _t(
        "est-tpl-servers-one-second",
        "estimation",
        "easy",
        _EST,
        "Servers if every request came in one second",
        "twitterdesign.estimation",
        _servers_one_second,
    ),
    _t(
        "est-tpl-servers-by-users",
        "estimation",
        "easy",
        _EST,
        "The daily-users shortcut",
        "twitterdesign.estimation",
        _servers_by_users,
    ),
    _t(
        "est-tpl-server-capacity",
        "estimation",
        "medium",
        _EST,
        "Requests per second of a CPU-bound server",
        "twitterdesign.estimation",
        _server_capacity,
    ),
    _t(
        "est-tpl-peak-factor",
        "estimation",
        "easy",
        _EST,
        "Peak-to-average factor from a busy window",
        "twitterdesign.estimation",
        _peak_factor,
    ),
    _t(
        "regions-tpl-apportion",
        "regions",
        "medium",
        _EST,
        "Whole servers per region by largest remainder",
        "twitterdesign.estimation",
        _region_servers,
    ),
    _t(
        "regions-tpl-country-bandwidth",
        "regions",
        "easy",
        _EST,
        "A country's share of outgoing bandwidth",
        "twitterdesign.estimation",
        _country_bandwidth,
    ),
    _t(
        "storage-tpl-hybrid-fanout",
        "storage",
        "medium",
        "explanation/timelines.md",
        "Timeline-cache writes under hybrid fan-out",
        "twitterdesign.timeline",
        _hybrid_fanout,
    ),
    _t(
        "topk-tpl-cms-width",
        "topk",
        "medium",
        "explanation/topk.md",
        "Count-Min width for a given epsilon",
        "twitterdesign.topk",
        _cms_width,
    ),
    _t(
        "topk-tpl-cms-depth",
        "topk",
        "medium",
        "explanation/topk.md",
        "Count-Min depth for a given delta",
        "twitterdesign.topk",
        _cms_depth,
    ),
    _t(
        "lb-tpl-balls-into-bins",
        "load-balancing",
        "hard",
        "explanation/load-balancing.md",
        "Max-load term of balls into bins, one or more choices",
        "twitterdesign.lb",
        _balls_into_bins,
    ),
    _t(
        "lb-tpl-aperture-width",
        "load-balancing",
        "hard",
        "explanation/load-balancing.md",
        "Deterministic aperture slice width",
        "twitterdesign.lb",
        _aperture_width,
    ),
    _t(
        "lb-tpl-aperture-connections",
        "load-balancing",
        "hard",
        "explanation/load-balancing.md",
        "Connections under deterministic aperture",
        "twitterdesign.lb",
        _aperture_connections,
    ),
)

_NEEDS: dict[str, tuple[str, ...]] = {
    "twitterdesign.estimation": (
        "Workload",
        "estimate",
        "server_capacity",
        "peak_factor",
        "apportion",
        "allocate_regions",
    ),
    "twitterdesign.timeline": ("Activity", "FollowerGraph", "HybridThreshold", "evaluate_policy"),
    "twitterdesign.topk": ("CountMinSketch",),
    "twitterdesign.lb": ("aperture_width", "balls_into_bins", "connection_plan"),
}


def available_templates() -> tuple[QuestionTemplate, ...]:
    """Return the templates whose library module is installed and exposes what they use.

    Returns:
        A subset of :data:`ALL_TEMPLATES`, in the same order.

    Example:
        >>> set(available_templates()) <= set(ALL_TEMPLATES)
        True
    """
    ready: dict[str, bool] = {}
    for module_name, names in _NEEDS.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            ready[module_name] = False
            continue
        ready[module_name] = all(hasattr(module, n) for n in names)
    return tuple(t for t in ALL_TEMPLATES if ready.get(t.requires, False))
