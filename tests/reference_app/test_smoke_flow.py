"""End-to-end flows through the Mastodon API with the in-process client."""

from __future__ import annotations

import pytest

from tests.reference_app.conftest import Api

# embedded SQLite and the cluster mode (tests/reference_app/_engines.py).
pytestmark = pytest.mark.all_engines


def test_post_follow_home_timeline(api: Api) -> None:
    ada, bob = api.register("ada"), api.register("bob")
    api.follow(bob, ada)
    status = api.post(ada, "Hello #World from @bob")
    api.settle()
    home = api.client.get("/api/v1/timelines/home", headers=bob.headers)
    assert home.status_code == 200
    assert [s["id"] for s in home.json()] == [status["id"]]
    assert status["tags"] == [{"name": "world", "url": status["tags"][0]["url"]}]
    assert status["mentions"][0]["username"] == "bob"
    notes = api.client.get("/api/v1/notifications", headers=bob.headers).json()
    assert {n["type"] for n in notes} == {
        "mention",
    } or {n["type"] for n in notes} >= {"mention"}
