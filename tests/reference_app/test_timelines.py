"""Home timelines: whatever the fan-out path, a reader sees exactly what they should."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reference_app.conftest import Api


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edges=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), max_size=12),
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("post"), st.integers(0, 4), st.sampled_from(["public", "private"])),
            st.tuples(st.just("read"), st.integers(0, 4), st.just("")),
        ),
        min_size=1,
        max_size=14,
    ),
)
def test_home_timeline_is_exactly_followees_posts(
    app_factory: Any, edges: list[tuple[int, int]], steps: list[tuple[str, int, str]]
) -> None:
    # Threshold 1: authors with 2+ followers are pulled, others pushed; both paths mix.
    api: Api = app_factory(fanout_threshold=1)
    users = [api.register() for _ in range(5)]
    follows = set()
    for a, b in edges:
        if a != b and (a, b) not in follows:
            api.follow(users[a], users[b])
            follows.add((a, b))
    posts: list[tuple[int, str]] = []
    for kind, who, vis in steps:
        if kind == "post":
            posts.append((who, api.post(users[who], f"from {who}", visibility=vis)["id"]))
        else:
            api.settle()
            api.client.get("/api/v1/timelines/home", headers=users[who].headers)
    api.settle()
    for reader in range(5):
        expected = [
            sid
            for author, sid in reversed(posts)
            if author == reader or (reader, author) in follows
        ]
        got = api.client.get(
            "/api/v1/timelines/home?limit=40", headers=users[reader].headers
        ).json()
        assert [s["id"] for s in got] == expected


def test_inactive_follower_is_skipped_then_rebuilt(api: Api) -> None:
    ada, bob = api.register(), api.register()
    api.follow(bob, ada)  # bob has never read his home timeline: not active
    first = api.post(ada, "while bob was away")
    api.settle()
    services = api.client.app.state.services  # type: ignore[attr-defined]
    assert services.timelines.stats().deliveries == 0  # nothing pushed to an inactive user
    home = api.client.get("/api/v1/timelines/home", headers=bob.headers).json()
    assert [s["id"] for s in home] == [first["id"]]  # rebuilt from storage on first read
    second = api.post(ada, "now bob is active")
    api.settle()
    assert services.timelines.stats().deliveries == 1  # pushed this time
    home = api.client.get("/api/v1/timelines/home", headers=bob.headers).json()
    assert [s["id"] for s in home] == [second["id"], first["id"]]
