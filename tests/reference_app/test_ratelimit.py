"""Rate limits: Mastodon's budgets, bounded memory, authenticated calls spare the IP budget."""

from __future__ import annotations

import secrets
from collections import Counter
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.reference_app.conftest import Api
from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app import Settings
from twitterdesign.reference_app.services import RateLimiter, client_key


def _services(api: Api) -> Any:
    return api.client.app.state.services  # type: ignore[attr-defined]


def _password_token(api: Api, username: str, password: str) -> dict[str, str]:
    reply = api.client.post(
        "/oauth/token",
        data={
            "grant_type": "password",
            "client_id": api.app["client_id"],
            "client_secret": api.app["client_secret"],
            "username": username,
            "password": password,
            "scope": "read",
        },
    )
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def test_defaults_are_mastodons() -> None:
    # config/initializers/rack_attack.rb: 300 per token and 1,500 per account per
    # 5 minutes, 300 per IP per 5 minutes for unauthenticated API calls.
    s = Settings()
    assert s.rate_limits_enabled
    assert (s.rate_limit_per_token, s.rate_limit_per_account, s.rate_limit_per_ip) == (
        300,
        1_500,
        300,
    )
    assert s.rate_limit_window_s == 5 * 60


def test_random_bearer_tokens_do_not_grow_the_limiter(app_factory) -> None:  # type: ignore[no-untyped-def]
    api = app_factory(rate_limits_enabled=True, rate_limit_per_ip=50)
    services = _services(api)
    statuses = Counter()
    for _ in range(400):
        headers = {"Authorization": f"Bearer {secrets.token_urlsafe(32)}"}
        statuses[api.client.get("/api/v1/timelines/home", headers=headers).status_code] += 1
    # Made-up tokens are anonymous callers: they spend (and exhaust) the IP's budget ...
    assert statuses[429] >= 400 - 50
    assert set(statuses) <= {401, 429}
    # ... and leave no entry behind but the one for their address.
    assert len(services.token_limiter) == 0
    assert len(services.account_limiter) == 0
    assert len(services.ip_limiter) == 1


def test_authenticated_calls_do_not_spend_the_shared_ip_budget(app_factory) -> None:  # type: ignore[no-untyped-def]
    # The fixture's app registration and client token spend 2 of the IP's 4.
    api = app_factory(rate_limits_enabled=True, rate_limit_per_ip=4, rate_limit_per_token=1_000)
    ada, bob = api.register(), api.register()
    for user in (ada, bob):
        for _ in range(10):  # a busy browser tab each, behind one address
            reply = api.client.get("/api/v1/timelines/home", headers=user.headers)
            assert reply.status_code == 200, reply.text
            assert reply.headers["x-ratelimit-limit"] == "1000"
    # ?access_token= authenticates as well as the header does.
    query = api.client.get(f"/api/v1/timelines/home?access_token={ada.token}")
    assert query.status_code == 200
    # The anonymous budget of the address is still untouched by all that.
    assert api.client.get("/api/v1/timelines/public").status_code == 200
    assert api.client.get("/api/v1/timelines/public").status_code == 200
    assert api.client.get("/api/v1/timelines/public").status_code == 429
    # An exhausted address does not lock out its authenticated users.
    assert api.client.get("/api/v1/timelines/home", headers=ada.headers).status_code == 200


def test_account_limit_spans_all_its_tokens(app_factory) -> None:  # type: ignore[no-untyped-def]
    api = app_factory(
        rate_limits_enabled=True,
        rate_limit_per_ip=1_000,
        rate_limit_per_token=100,
        rate_limit_per_account=6,
    )
    api.register("multi", password="two tokens pw")
    one = _password_token(api, "multi", "two tokens pw")
    two = _password_token(api, "multi", "two tokens pw")
    # Registration spent 1 of the account's 6 (the fixture's verify_credentials); the
    # 5 left are shared by both tokens, each far below its own limit of 100.
    seen = [
        api.client.get("/api/v1/timelines/home", headers=h).status_code
        for h in (one, two, one, two, one, two)
    ]
    assert seen == [200, 200, 200, 200, 200, 429]
    limited = api.client.get("/api/v1/timelines/home", headers=one)
    assert limited.headers["x-ratelimit-limit"] == "6"
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert int(limited.headers["retry-after"]) >= 1


@given(
    keys=st.lists(st.text(max_size=8), max_size=300),
    capacity=st.integers(1, 40),
    limit=st.integers(1, 5),
)
def test_limiter_table_never_exceeds_its_capacity(
    keys: list[str], capacity: int, limit: int
) -> None:
    limiter = RateLimiter(limit, 60.0, clock_s=lambda: 1_000.0, capacity=capacity)
    for key in keys:
        limiter.hit(key)
        assert len(limiter) <= capacity
    limiter._check()


@given(hits=st.lists(st.sampled_from("abcdef"), max_size=60), limit=st.integers(1, 6))
def test_limiter_allows_exactly_limit_hits_per_key_per_window(hits: list[str], limit: int) -> None:
    now = [0.0]
    limiter = RateLimiter(limit, 10.0, clock_s=lambda: now[0], capacity=6)
    for window in range(2):
        now[0] = window * 10.0 + 3.0
        allowed = Counter(key for key in hits if limiter.hit(key).allowed)
        expected = {key: min(n, limit) for key, n in Counter(hits).items()}
        assert dict(allowed) == expected


def test_limiter_validates_its_arguments() -> None:
    with pytest.raises(InvalidParameterError, match="capacity"):
        RateLimiter(5, 60.0, clock_s=lambda: 0.0, capacity=0)
    with pytest.raises(InvalidParameterError, match="limit"):
        RateLimiter(0, 60.0, clock_s=lambda: 0.0)
    with pytest.raises(InvalidParameterError, match="window_s"):
        RateLimiter(5, 0.0, clock_s=lambda: 0.0)
    with pytest.raises(InvalidParameterError, match="rate_limit_per_account"):
        Settings(rate_limit_per_account=0)


@given(host=st.integers(0, 2**64 - 1), other=st.integers(0, 2**64 - 1))
def test_ipv6_clients_share_one_key_per_64(host: int, other: int) -> None:
    import ipaddress

    prefix = 0x2001_0DB8_0001_0002 << 64
    a = str(ipaddress.IPv6Address(prefix | host))
    b = str(ipaddress.IPv6Address(prefix | other))
    c = str(ipaddress.IPv6Address(prefix + (1 << 64) | host))
    assert client_key(a) == client_key(b) == "2001:db8:1:2::/64"
    assert client_key(c) != client_key(a)
