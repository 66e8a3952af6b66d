"""The entity checks themselves: they accept Mastodon's documented shapes and refuse others.

Every response the shared test client reads goes through `check_response` (see
``conftest.py``), so these tests make sure that check can fail.
"""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import ValidationError

from tests.reference_app._entities import (
    Account,
    Status,
    Tag,
    check_response,
    entity_for,
    validate,
)
from tests.reference_app.conftest import Api


def test_routes_map_to_their_entities() -> None:
    assert entity_for("GET", "/api/v1/statuses/123") is Status
    assert entity_for("GET", "/api/v1/accounts/123") is Account
    assert entity_for("GET", "/api/v1/trends/tags") == list[Tag]
    assert entity_for("GET", "/api/v1/unknown") is None


def test_a_real_status_passes_and_a_wrong_one_does_not(api: Api) -> None:
    ada = api.register("ada")
    status = api.post(ada, "checked #tag")
    body = json.dumps(status)
    assert validate(Status, body).id == status["id"]
    for change in (
        {"id": int(status["id"])},  # ids are strings
        {"sensitive": "false"},  # booleans are booleans
        {"account": {**status["account"], "roles": None}},
        {"created_at": "yesterday"},
    ):
        with pytest.raises(ValidationError):
            validate(Status, json.dumps({**status, **change}))
    missing = {k: v for k, v in status.items() if k != "spoiler_text"}
    with pytest.raises(ValidationError, match="spoiler_text"):
        validate(Status, json.dumps(missing))


def test_the_response_hook_refuses_an_undocumented_body() -> None:
    request = httpx.Request("GET", "http://testserver/api/v1/statuses/1")
    wrong = httpx.Response(200, json={"id": 1}, request=request)
    with pytest.raises(ValidationError):
        check_response(wrong)
    error = httpx.Response(404, json={"detail": "nope"}, request=request)
    with pytest.raises(ValidationError):
        check_response(error)  # errors are Mastodon's {"error": ...}
    fine = httpx.Response(404, json={"error": "Record not found"}, request=request)
    check_response(fine)
