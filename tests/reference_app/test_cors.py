"""CORS: a web client on another origin can call the API and the token endpoint, as on Mastodon."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.reference_app.conftest import Api
from twitterdesign.errors import InvalidParameterError
from twitterdesign.reference_app import Settings

ELK = "https://elk.zone"


def _preflight(api: Api, path: str, method: str, headers: str = "") -> Any:
    request_headers = {"Origin": ELK, "Access-Control-Request-Method": method}
    if headers:
        request_headers["Access-Control-Request-Headers"] = headers
    return api.client.options(path, headers=request_headers)


def test_preflight_of_an_api_write_is_answered(api: Api) -> None:
    reply = _preflight(
        api, "/api/v1/statuses", "POST", "authorization, content-type, idempotency-key"
    )
    assert reply.status_code == 200
    assert reply.headers["access-control-allow-origin"] == "*"
    assert "POST" in reply.headers["access-control-allow-methods"]
    allowed = reply.headers["access-control-allow-headers"].lower()
    for header in ("authorization", "content-type", "idempotency-key"):
        assert header in allowed
    assert int(reply.headers["access-control-max-age"]) > 0
    assert "access-control-allow-credentials" not in reply.headers  # tokens, never cookies


def test_cross_origin_calls_get_the_headers_and_can_read_link_and_limits(api: Api) -> None:
    user = api.register("ada")
    for i in range(3):
        api.post(user, f"post {i}")
    reply = api.client.get(
        f"/api/v1/accounts/{user.id}/statuses?limit=2", headers={**user.headers, "Origin": ELK}
    )
    assert reply.status_code == 200
    assert reply.headers["access-control-allow-origin"] == "*"
    exposed = {h.strip().lower() for h in reply.headers["access-control-expose-headers"].split(",")}
    assert {"link", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= exposed
    assert "link" in reply.headers  # there is a next page, and a page may read where it is


def test_errors_carry_the_headers_so_a_web_client_can_read_them(api: Api) -> None:
    reply = api.client.get("/api/v1/statuses/1", headers={"Origin": ELK})
    assert reply.status_code == 404
    assert reply.headers["access-control-allow-origin"] == "*"
    assert reply.json() == {"error": "Record not found"}


def test_rate_limited_answers_carry_the_headers(app_factory: Callable[..., Api]) -> None:
    api = app_factory(rate_limits_enabled=True, rate_limit_per_ip=2)
    replies = [api.client.get("/api/v1/instance", headers={"Origin": ELK}) for _ in range(4)]
    assert replies[-1].status_code == 429
    assert all(r.headers["access-control-allow-origin"] == "*" for r in replies)


def test_token_endpoint_allows_any_origin(api: Api) -> None:
    reply = _preflight(api, "/oauth/token", "POST", "content-type")
    assert reply.status_code == 200
    assert reply.headers["access-control-allow-origin"] == "*"
    token = api.client.post(
        "/oauth/token",
        headers={"Origin": ELK},
        data={
            "grant_type": "client_credentials",
            "client_id": api.app["client_id"],
            "client_secret": api.app["client_secret"],
        },
    )
    assert token.status_code == 200
    assert token.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("path", ["/oauth/authorize", "/metrics", "/healthz"])
def test_pages_outside_the_api_get_no_cors_headers(api: Api, path: str) -> None:
    # The authorization page acts on a signed-in browser session: no other origin may
    # read it. Operations endpoints are for operators, not web pages.
    reply = api.client.get(path, headers={"Origin": ELK})
    assert "access-control-allow-origin" not in reply.headers


def test_listed_origins_only(app_factory: Callable[..., Api]) -> None:
    api = app_factory(cors_origins=f"{ELK}, http://localhost:5173")
    ok = api.client.get("/api/v1/instance", headers={"Origin": ELK})
    assert ok.headers["access-control-allow-origin"] == ELK
    assert "origin" in ok.headers["vary"].lower()  # caches must key on the origin
    other = api.client.get("/api/v1/instance", headers={"Origin": "https://evil.example"})
    assert other.status_code == 200  # served, but the browser will not let the page read it
    assert "access-control-allow-origin" not in other.headers
    refused = api.client.options(
        "/api/v1/instance",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert refused.status_code == 400


def test_cors_can_be_turned_off(app_factory: Callable[..., Api]) -> None:
    api = app_factory(cors_origins="")
    reply = api.client.get("/api/v1/instance", headers={"Origin": ELK})
    assert "access-control-allow-origin" not in reply.headers
    assert _preflight(api, "/api/v1/statuses", "POST").status_code == 405


@pytest.mark.parametrize(
    "value", ["https://elk.zone/app", "elk.zone", "https://elk.zone?x=1", "*, ftp//x"]
)
def test_a_bad_origin_setting_is_refused_with_the_rule(value: str) -> None:
    with pytest.raises(InvalidParameterError, match="cors_origins") as caught:
        Settings(cors_origins=value)
    assert "no path" in str(caught.value)
