"""The app with its home timelines in Redis: same answers, and instances share the cache."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reference_app.conftest import Api, make_settings
from tests.reference_app.storage._redis import REDIS_URL, delete_prefix, new_prefix, require_redis
from twitterdesign.reference_app import create_app
from twitterdesign.reference_app.services import Services
from twitterdesign.reference_app.storage.redis import RedisTimelineStore

AppFactory = Callable[..., Api]


@pytest.fixture
def redis_app_factory(tmp_path: Path) -> Iterator[AppFactory]:
    """Build apps whose timelines live in Redis; apps built with the same ``prefix`` share them."""
    require_redis()
    clients: list[TestClient] = []
    prefixes: set[str] = set()

    def build(*, prefix: str | None = None, data_dir: Path | None = None, **overrides: Any) -> Api:
        p = prefix or new_prefix()
        prefixes.add(p)
        s = make_settings(data_dir or tmp_path / f"data{len(clients)}", **overrides)
        timelines = RedisTimelineStore(
            REDIS_URL,
            prefix=p,
            capacity=s.timeline_cache_size,
            inactive_after_s=s.active_user_window_s,
        )
        client = TestClient(create_app(s, services=Services(s, timeline_store=timelines)))
        client.__enter__()
        clients.append(client)
        return Api(client)

    yield build
    for client in clients:
        client.__exit__(None, None, None)
    for p in prefixes:
        delete_prefix(p)


def _services(api: Api) -> Any:
    return api.client.app.state.services  # type: ignore[attr-defined]


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edges=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), max_size=8),
    steps=st.lists(
        st.one_of(
            st.tuples(st.just("post"), st.integers(0, 3)),
            st.tuples(st.just("read"), st.integers(0, 3)),
        ),
        min_size=1,
        max_size=10,
    ),
)
def test_home_timeline_is_exactly_followees_posts(
    redis_app_factory: AppFactory, edges: list[tuple[int, int]], steps: list[tuple[str, int]]
) -> None:
    api = redis_app_factory(fanout_threshold=1)  # pushed and pulled authors mix
    users = [api.register() for _ in range(4)]
    follows = set()
    for a, b in edges:
        if a != b and (a, b) not in follows:
            api.follow(users[a], users[b])
            follows.add((a, b))
    posts: list[tuple[int, str]] = []
    for kind, who in steps:
        if kind == "post":
            posts.append((who, api.post(users[who], f"from {who}")["id"]))
        else:
            api.settle()
            api.client.get("/api/v1/timelines/home", headers=users[who].headers)
    api.settle()
    for reader in range(4):
        expected = [
            sid
            for author, sid in reversed(posts)
            if author == reader or (reader, author) in follows
        ]
        got = api.client.get("/api/v1/timelines/home?limit=40", headers=users[reader].headers)
        assert [s["id"] for s in got.json()] == expected


def test_two_instances_share_one_home_timeline(
    redis_app_factory: AppFactory, tmp_path: Path
) -> None:
    # Two app instances on one database and one Redis key space, as behind a balancer.
    prefix = new_prefix()
    one = redis_app_factory(prefix=prefix, data_dir=tmp_path / "shared")
    two = redis_app_factory(prefix=prefix, data_dir=tmp_path / "shared")
    ada, bob = one.register(), one.register()
    one.follow(bob, ada)
    first = one.post(ada, "before bob reads")["id"]
    # Each instance's in-process consumer replays the whole outbox (both deliver every
    # push, which is idempotent, and both apply the follow's drop): let both catch up
    # before bob's first read, or a late replay of the drop makes the second rebuild.
    one.settle()
    two.settle()
    home = one.client.get("/api/v1/timelines/home", headers=bob.headers).json()
    assert [s["id"] for s in home] == [first]
    assert _services(one).timelines.stats().cache_rebuilds == 1
    second = one.post(ada, "pushed to bob's shared timeline")["id"]
    one.settle()
    two.settle()
    home = two.client.get("/api/v1/timelines/home", headers=bob.headers).json()
    assert [s["id"] for s in home] == [second, first]
    # The other instance found the timeline built: it read Redis, not the database.
    assert _services(two).timelines.stats().cache_rebuilds == 0
