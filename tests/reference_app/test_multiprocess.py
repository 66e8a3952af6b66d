"""Two app instances over one database (as in multi-process mode) stay consistent."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.reference_app.conftest import Api, User


def _home(api: Api, user: User) -> list[str]:
    reply = api.client.get("/api/v1/timelines/home?limit=40", headers=user.headers)
    assert reply.status_code == 200
    return [s["id"] for s in reply.json()]


def test_fanout_log_reaches_every_process(app_factory: Any, tmp_path: Path) -> None:
    data = tmp_path / "shared"
    a: Api = app_factory(data_dir=data, worker_id=0)
    b: Api = app_factory(data_dir=data, worker_id=1)
    ada, bob, cy = a.register("ada"), a.register("bob"), a.register("cy")
    b.follow(bob, ada)
    assert _home(b, bob) == []  # bob is active on process B now
    post = a.post(ada, "posted through process A")
    b.settle()  # B's worker tails the shared log
    assert _home(b, bob) == [post["id"]]
    assert b.client.app.state.services.timelines.stats().deliveries >= 1  # type: ignore[attr-defined]
    # A follow made through A invalidates bob's cache in B too.
    older = a.post(cy, "cy was here first")
    a.follow(bob, cy)
    b.settle()
    assert _home(b, bob) == [older["id"], post["id"]]
    # Ids from the two workers never collide.
    from twitterdesign.ids import decode

    via_b = b.post(cy, "through B")
    assert decode(int(via_b["id"])).worker_id == 1
    assert decode(int(post["id"])).worker_id == 0


def test_trends_merge_the_sketches_of_every_process(app_factory: Any, tmp_path: Path) -> None:
    data = tmp_path / "shared"
    a: Api = app_factory(data_dir=data, worker_id=0)
    b: Api = app_factory(data_dir=data, worker_id=1)
    ada = a.register("ada")
    for _ in range(3):
        a.post(ada, "#fromA")
    b.post(ada, "#fromB")
    a.client.app.state.services.trends.persist()  # type: ignore[attr-defined]
    tags = {
        t["name"]: int(t["history"][0]["uses"]) for t in b.client.get("/api/v1/trends/tags").json()
    }
    assert tags == {"froma": 3, "fromb": 1}


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_instances_on_one_postgresql_publish_their_trends_to_each_other(
    app_factory: Any, tmp_path: Path
) -> None:
    # Over a shared network database no one calls persist(): each instance publishes its
    # changed sketches every trends_publish_interval_s, and both answer the same.
    data = tmp_path / "shared"
    a: Api = app_factory(data_dir=data, worker_id=0, trends_publish_interval_s=0.1)
    b: Api = app_factory(data_dir=data, worker_id=1, trends_publish_interval_s=0.1)
    ada = a.register("ada")
    for _ in range(3):
        a.post(ada, "#fromA")
    b.post(ada, "#fromB")

    def tags(api: Api) -> dict[str, int]:
        return {
            t["name"]: int(t["history"][0]["uses"])
            for t in api.client.get("/api/v1/trends/tags").json()
        }

    want = {"froma": 3, "fromb": 1}
    deadline = time.monotonic() + 10
    while (tags(a), tags(b)) != (want, want) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert tags(a) == tags(b) == want
