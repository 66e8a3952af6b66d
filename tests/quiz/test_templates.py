"""Parametric questions: the library's answer matches an independent hand computation."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings

from tests.quiz._answers import right_answer
from tests.strategies import seeds
from twitterdesign.errors import InvalidParameterError
from twitterdesign.quiz import ALL_TEMPLATES, Question, check_answer, load_bank

BANK = load_bank()
DAY = 86_400


def per_tweet_bytes(p: dict[str, float]) -> float:
    return (
        p["text_bytes_per_tweet"]
        + p["image_fraction"] * p["image_bytes"]
        + p["video_fraction"] * p["video_bytes"]
    )


def ceil_servers(x: float) -> int:
    return math.ceil(x - 1e-9 * x)


def apportion_by_hand(weights: list[float], total: int) -> list[int]:
    quotas = [total * w / sum(weights) for w in weights]
    shares = [math.floor(q) for q in quotas]
    for i in sorted(range(len(quotas)), key=lambda i: quotas[i] - shares[i], reverse=True)[
        : total - sum(shares)
    ]:
        shares[i] += 1
    return shares


def connections_by_hand(clients: int, servers: int, aperture: int) -> int:
    width = min(1.0, math.ceil(aperture * clients / servers) / clients)
    total = 0
    for i in range(clients):
        start = i / clients
        for j in range(servers):
            lo, hi = j / servers, (j + 1) / servers
            # overlap of [start, start + width) with [lo, hi) on the unit circle
            overlap = sum(
                max(0.0, min(start + width, hi + shift) - max(start, lo + shift))
                for shift in (0.0, 1.0)
            )
            total += overlap > 1e-9
    return total


EXPECTED: dict[str, Callable[[dict[str, float]], float]] = {
    "est-tpl-storage-per-day": lambda p: (
        p["daily_active_users"] * p["tweets_per_user_per_day"] * per_tweet_bytes(p)
    ),
    "est-tpl-storage-per-year": lambda p: (
        365 * p["daily_active_users"] * p["tweets_per_user_per_day"] * per_tweet_bytes(p)
    ),
    "est-tpl-incoming-bandwidth": lambda p: (
        p["daily_active_users"] * p["tweets_per_user_per_day"] * per_tweet_bytes(p) * 8 / DAY
    ),
    "est-tpl-outgoing-bandwidth": lambda p: (
        p["daily_active_users"] * p["tweets_viewed_per_user_per_day"] * per_tweet_bytes(p) * 8 / DAY
    ),
    "est-tpl-servers-at-peak": lambda p: ceil_servers(
        p["daily_active_users"]
        * p["requests_per_user_per_day"]
        / DAY
        * p["peak_to_average"]
        / p["requests_per_server_per_second"]
    ),
    "est-tpl-servers-one-second": lambda p: ceil_servers(
        p["daily_active_users"]
        * p["requests_per_user_per_day"]
        / p["requests_per_server_per_second"]
    ),
    "est-tpl-servers-by-users": lambda p: ceil_servers(
        p["daily_active_users"] / p["requests_per_server_per_second"]
    ),
    "est-tpl-server-capacity": lambda p: (
        p["cores"] * p["clock_hz"] / (p["cycles_per_instruction"] * p["instructions_per_request"])
    ),
    "est-tpl-peak-factor": lambda p: p["share_of_requests"] / p["share_of_day"],
    "regions-tpl-apportion": lambda p: apportion_by_hand(
        [v for k, v in p.items() if k.startswith("users_millions[")], int(p["total_servers"])
    )[int(p["region_index"])],
    "topk-tpl-cms-width": lambda p: math.ceil(math.e / p["epsilon"]),
    "topk-tpl-cms-depth": lambda p: math.ceil(math.log(1 / p["delta"])),
    "lb-tpl-aperture-width": lambda p: min(
        1.0, math.ceil(p["aperture"] * p["clients"] / p["servers"]) / p["clients"]
    ),
    "storage-tpl-hybrid-fanout": lambda p: (
        p["tweets_per_day"]
        * sum(v for k, v in p.items() if k.startswith("followers[") and v <= p["threshold"])
    ),
    "lb-tpl-balls-into-bins": lambda p: (
        math.log(p["n"]) / math.log(math.log(p["n"]))
        if p["choices"] == 1
        else math.log(math.log(p["n"])) / math.log(p["choices"])
    ),
    "lb-tpl-aperture-connections": lambda p: connections_by_hand(
        int(p["clients"]), int(p["servers"]), int(p["aperture"])
    ),
}


@pytest.mark.parametrize("template_id", sorted(EXPECTED))
@settings(max_examples=25)
@given(seed=seeds)
def test_template_answer_matches_hand_computation(template_id: str, seed: int) -> None:
    q = BANK.template(template_id).generate(seed)
    q._check()
    expected = EXPECTED[template_id](dict(q.parameters))
    assert q.value is not None
    assert math.isclose(q.value, expected, rel_tol=1e-9), (q.parameters, q.value, expected)
    assert check_answer(q, right_answer(q)).correct


@settings(max_examples=25)
@given(seed=seeds)
def test_country_bandwidth_follows_the_user_share(seed: int) -> None:
    from twitterdesign.estimation import load_userbase

    q = BANK.template("regions-tpl-country-bandwidth").generate(seed)
    p = dict(q.parameters)
    # Independent: outgoing bits/s of the workload, times the country's share of 397M users.
    outgoing = (
        p["daily_active_users"] * p["tweets_viewed_per_user_per_day"] * per_tweet_bytes(p) * 8 / DAY
    )
    userbase = load_userbase()
    shares = {c: n / userbase.total_users for c, n in userbase.users_by_country.items()}
    country = next(c for c in shares if q.prompt.count(c) >= 2)
    assert math.isclose(q.value or 0.0, shares[country] * outgoing, rel_tol=1e-9)


def test_every_template_is_tested_here() -> None:
    assert {t.id for t in ALL_TEMPLATES} == set(EXPECTED) | {"regions-tpl-country-bandwidth"}


@settings(max_examples=10)
@given(seed=seeds)
def test_same_seed_same_question(seed: int) -> None:
    for template in BANK.templates:
        a, b = template.generate(seed), template.generate(seed)
        assert a == b
        assert a.id == f"{template.id}~{seed}"
        assert BANK.get(a.id) == a


def test_templates_vary_with_the_seed() -> None:
    for template in BANK.templates:
        prompts = {template.generate(s).prompt for s in range(12)}
        assert len(prompts) > 3, template.id


@pytest.mark.parametrize("seed", [-1, 1.5, "3"])
def test_bad_seed(seed: object) -> None:
    with pytest.raises(InvalidParameterError, match="seed"):
        BANK.templates[0].generate(seed)  # type: ignore[arg-type]


def test_numbers_in_explanations_come_from_the_library() -> None:
    # The lesson preset's storage figure appears in a question drawn with its inputs.
    q: Question = BANK.template("est-tpl-storage-per-day").generate(0)
    assert q.unit == "TB"
    assert q.explanation.endswith(".")
    assert "TB a day" in q.explanation
