"""Hostile values in query, path, JSON and form inputs: clean 4xx JSON errors, never a 500.

Each test here pins a defect outside testing found as ``500 {"error": "internal server
error"}``: a ``--1`` limit, an id at the top of int64, a JSON body nested thousands of
levels deep, a lone surrogate in a string.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reference_app.conftest import Api, User
from tests.strategies import (
    INT64_MAX,
    hostile_number_texts,
    lone_surrogate_texts,
    nested_json,
)
from twitterdesign.reference_app.api._input import MAX_JSON_DEPTH

_FIXTURE_OK = settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _error(reply: Any, status: int, *mentions: str) -> str:
    assert reply.status_code == status, (reply.status_code, reply.text)
    body = reply.json()
    assert set(body) == {"error"}, body
    for word in mentions:
        assert word in body["error"], body
    return str(body["error"])


def _user(api: Api) -> User:
    if not hasattr(api, "_hostile_user"):
        api._hostile_user = api.register()  # type: ignore[attr-defined]
    user: User = api._hostile_user  # type: ignore[attr-defined]
    return user


def _paginated(user: User) -> list[str]:
    """Every route that reads ``limit`` (and the Mastodon cursors) from the query string."""
    return [
        "/api/v1/timelines/home",
        "/api/v1/timelines/public",
        "/api/v1/timelines/tag/fuzz",
        f"/api/v1/accounts/{user.id}/statuses",
        f"/api/v1/accounts/{user.id}/followers",
        f"/api/v1/accounts/{user.id}/following",
        "/api/v1/notifications",
        "/api/v2/search?q=x",
        "/api/v1/trends",
        "/api/v1/trends/tags",
        "/api/v1/trends/statuses",
    ]


def _with(url: str, query: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{query}"


# --- integers parsed by hand ------------------------------------------------------------
def test_double_minus_limit_is_400_on_every_paginated_route(api: Api) -> None:
    user = _user(api)
    status = api.post(user, "a status to page over")
    routes = [
        *_paginated(user),
        f"/api/v1/statuses/{status['id']}/favourited_by",
        f"/api/v1/statuses/{status['id']}/reblogged_by",
    ]
    for url in routes:
        reply = api.client.get(_with(url, "limit=--1"), headers=user.headers)
        _error(reply, 400, "limit", "'--1'")


def _is_valid_limit(raw: str) -> bool:
    # What the API documents: a whole number of at least 1, written in ASCII digits (at
    # most 10 of them); larger values are capped at the route's maximum, as Mastodon does.
    return raw.isascii() and raw.isdigit() and len(raw) <= 10 and int(raw) >= 1


@_FIXTURE_OK
@given(raw=hostile_number_texts, route=st.integers(min_value=0, max_value=10))
def test_any_limit_is_accepted_or_refused_with_400_naming_it(
    api: Api, raw: str, route: int
) -> None:
    user = _user(api)
    url = _paginated(user)[route]
    reply = api.client.get(_with(url, f"limit={quote(raw)}"), headers=user.headers)
    if _is_valid_limit(raw):
        assert reply.status_code == 200, reply.text
    else:
        _error(reply, 400, "limit")


@_FIXTURE_OK
@given(
    raw=hostile_number_texts,
    cursor=st.sampled_from(["max_id", "since_id", "min_id"]),
    route=st.integers(min_value=0, max_value=10),
)
def test_any_cursor_is_accepted_or_refused_with_400_naming_it(
    api: Api, raw: str, cursor: str, route: int
) -> None:
    user = _user(api)
    url = _paginated(user)[route]
    reply = api.client.get(_with(url, f"{cursor}={quote(raw)}"), headers=user.headers)
    valid_id = raw.isascii() and raw.isdigit() and len(raw) <= 19 and int(raw) <= INT64_MAX
    if valid_id:
        assert reply.status_code == 200, reply.text
    else:
        _error(reply, 400, cursor)


def test_search_offset_is_an_integer_parameter_too(api: Api) -> None:
    user = _user(api)
    for raw in ("--1", "-1", "1.5", "١", "99999999999"):
        reply = api.client.get(f"/api/v2/search?q=x&offset={quote(raw)}", headers=user.headers)
        _error(reply, 400, "offset", repr(raw))
    assert api.client.get("/api/v2/search?q=x&offset=5", headers=user.headers).status_code == 200


# --- ids at the edges of int64 ----------------------------------------------------------
def test_notification_id_at_the_top_of_int64_is_404(api: Api) -> None:
    user = _user(api)
    for raw in (str(INT64_MAX), str(INT64_MAX + 1), "-1", "--1", "99999999999999999999"):
        reply = api.client.get(f"/api/v1/notifications/{raw}", headers=user.headers)
        _error(reply, 404, "Record not found")


def test_a_notification_is_still_found_by_its_id(api: Api) -> None:
    ada, bob = api.register(), api.register()
    api.follow(bob, ada)
    listed = api.client.get("/api/v1/notifications", headers=ada.headers).json()
    assert [n["type"] for n in listed] == ["follow"]
    one = api.client.get(f"/api/v1/notifications/{listed[0]['id']}", headers=ada.headers)
    assert one.status_code == 200
    assert one.json()["id"] == listed[0]["id"]
    below = int(listed[0]["id"]) - 1
    _error(api.client.get(f"/api/v1/notifications/{below}", headers=ada.headers), 404)


@_FIXTURE_OK
@given(
    raw=hostile_number_texts.filter(lambda s: s.strip() not in ("", ".", "..")),
    template=st.sampled_from(
        [
            "/api/v1/statuses/{}",
            "/api/v1/statuses/{}/context",
            "/api/v1/statuses/{}/favourited_by",
            "/api/v1/accounts/{}",
            "/api/v1/accounts/{}/statuses",
            "/api/v1/notifications/{}",
            "/api/v1/media/{}",
        ]
    ),
)
def test_any_unknown_or_malformed_path_id_is_404(api: Api, raw: str, template: str) -> None:
    user = _user(api)
    reply = api.client.get(template.format(quote(raw, safe="")), headers=user.headers)
    _error(reply, 404)


# --- JSON nesting -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("POST", "/api/v1/statuses"),
        ("POST", "/api/v1/apps"),
        ("POST", "/oauth/token"),
        ("POST", "/api/v1/accounts"),
        ("POST", "/api/v1/statuses/1/reblog"),
        ("PUT", "/api/v1/media/1"),
        ("POST", "/lesson/v1/postTweet"),
    ],
)
def test_deeply_nested_json_is_400_on_every_route(api: Api, method: str, url: str) -> None:
    user = _user(api)
    for depth in (2_000, 100_000):
        reply = api.client.request(
            method,
            url,
            headers={**user.headers, "Content-Type": "application/json"},
            content=f'{{"status": {nested_json(depth)}}}',
        )
        _error(reply, 400, "deeper than 100 levels")


@_FIXTURE_OK
@given(depth=st.integers(min_value=MAX_JSON_DEPTH - 5, max_value=MAX_JSON_DEPTH + 1_500))
def test_json_nesting_is_refused_exactly_past_the_limit(api: Api, depth: int) -> None:
    user = _user(api)
    # The object around "junk" is the first level: the body is depth + 1 levels deep.
    body = f'{{"status": "nested", "junk": {nested_json(depth)}}}'
    reply = api.client.post(
        "/api/v1/statuses",
        headers={**user.headers, "Content-Type": "application/json"},
        content=body,
    )
    if depth + 1 <= MAX_JSON_DEPTH:
        assert reply.status_code == 200, reply.text
    else:
        _error(reply, 400, f"deeper than {MAX_JSON_DEPTH} levels")


def test_non_json_constants_are_400(api: Api) -> None:
    user = _user(api)
    for constant in ("NaN", "Infinity", "-Infinity"):
        reply = api.client.post(
            "/api/v1/statuses",
            headers={**user.headers, "Content-Type": "application/json"},
            content=f'{{"status": "x", "spoiler_text": {constant}}}',
        )
        _error(reply, 400, "not valid JSON")


# --- lone surrogates --------------------------------------------------------------------
def _ascii_json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=True).encode()  # a surrogate travels as \\udxxx


def test_lone_surrogate_in_json_is_422_naming_the_field(api: Api) -> None:
    user = _user(api)
    app = api.app
    cases: list[tuple[str, dict[str, str], dict[str, Any], str]] = [
        ("/api/v1/statuses", user.headers, {"status": "x\ud800y"}, "status"),
        ("/api/v1/statuses", user.headers, {"status": "ok", "spoiler_text": "\udfff"}, "spoiler"),
        ("/api/v1/apps", {}, {"client_name": "x\ud800y"}, "client_name"),
        (
            "/api/v1/accounts",
            {"Authorization": f"Bearer {api.app_token}"},
            {"username": "sur", "email": "s\udc00@example.org", "password": "long enough"},
            "email",
        ),
        (
            "/api/v1/accounts",
            {"Authorization": f"Bearer {api.app_token}"},
            {"username": "sur", "email": "s@example.org", "password": "pass\ud800word"},
            "password",
        ),
        (
            "/oauth/token",
            {},
            {
                "grant_type": "password",
                "client_id": app["client_id"],
                "client_secret": app["client_secret"],
                "username": "x\ud800",
                "password": "y",
            },
            "username",
        ),
        (
            "/lesson/v1/postTweet",
            user.headers,
            {"user_id": user.id, "content": "x\ud800y"},
            "content",
        ),
        ("/api/v1/statuses", user.headers, {"status": "ok", "media_ids": ["\ud800"]}, "media_ids"),
    ]
    for url, headers, body, field in cases:
        reply = api.client.post(
            url, headers={**headers, "Content-Type": "application/json"}, content=_ascii_json(body)
        )
        _error(reply, 422, field, "surrogate")


def test_surrogate_encoded_as_raw_bytes_in_json_is_422(api: Api) -> None:
    # Python's json.loads reads bytes with "surrogatepass": ED A0 80 becomes U+D800.
    user = _user(api)
    reply = api.client.post(
        "/api/v1/statuses",
        headers={**user.headers, "Content-Type": "application/json"},
        content=b'{"status": "x\xed\xa0\x80y"}',
    )
    _error(reply, 422, "status")


def _percent(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def test_lone_surrogate_in_form_and_query_is_422_naming_the_field(api: Api) -> None:
    user = _user(api)
    status, q = _percent("x\ud800y"), _percent("\udbff")
    form = api.client.post(
        "/api/v1/statuses",
        headers={**user.headers, "Content-Type": "application/x-www-form-urlencoded"},
        content=f"status={status}",
    )
    _error(form, 422, "status", "UTF-8")
    query = api.client.get(f"/api/v2/search?q={q}", headers=user.headers)
    _error(query, 422, "q", "UTF-8")
    # Nothing was stored with the surrogate turned into U+FFFD behind the client's back.
    mine = api.client.get(f"/api/v1/accounts/{user.id}/statuses", headers=user.headers).json()
    assert not any("\ufffd" in s["content"] for s in mine)


@_FIXTURE_OK
@given(
    text=lone_surrogate_texts,
    field=st.sampled_from(["status", "spoiler_text", "visibility", "language", "in_reply_to_id"]),
    channel=st.sampled_from(["json", "form", "query"]),
)
def test_any_lone_surrogate_in_any_channel_is_422_naming_the_field(
    api: Api, text: str, field: str, channel: str
) -> None:
    user = _user(api)
    url = "/api/v1/statuses"
    if channel == "json":
        reply = api.client.post(
            url,
            headers={**user.headers, "Content-Type": "application/json"},
            content=_ascii_json({"status": "ok", field: text}),
        )
    elif channel == "form":
        reply = api.client.post(
            url,
            headers={**user.headers, "Content-Type": "application/x-www-form-urlencoded"},
            content=f"{field}={_percent(text)}",
        )
    else:
        reply = api.client.post(f"{url}?{field}={_percent(text)}", headers=user.headers)
    _error(reply, 422, field)


def test_streamed_json_body_over_the_limit_is_still_413(app_factory) -> None:  # type: ignore[no-untyped-def]
    # The input guard reads JSON bodies whole: it must pass on the gateway's 413 for a
    # chunked body (no Content-Length to refuse up front) that grows past the limit.
    api = app_factory(max_request_bytes=2_000)
    user = api.register()

    def chunks() -> Any:
        yield b'{"status": "'
        for _ in range(10):
            yield b"x" * 500
        yield b'"}'

    reply = api.client.post(
        "/api/v1/statuses",
        headers={**user.headers, "Content-Type": "application/json"},
        content=chunks(),
    )
    _error(reply, 413, "too large")
