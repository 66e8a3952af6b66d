"""Population setup and action replay, against a fake session (no server)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import numpy as np

from twitterdesign.loadgen import DemoConfig
from twitterdesign.loadgen._capacity import capacity_at_scale
from twitterdesign.loadgen._measure import _probe_authors
from twitterdesign.loadgen._population import Population
from twitterdesign.loadgen._session import Session
from twitterdesign.loadgen._workload import Replay


class _Reply:
    is_success = True

    def __init__(self, body: Any) -> None:
        self._body = body

    def json(self) -> Any:
        return self._body


class _FakeSession(Session):
    """Records what would be sent; every POST creates a status with a fresh id."""

    def __init__(self) -> None:
        super().__init__(None, concurrency=3, progress=None)
        self.sent: list[tuple[str, int | None, dict[str, Any]]] = []

    async def call(
        self, endpoint: str, method: str, url: str, *, user: int | None = None, **kw: Any
    ) -> Any:
        self.sent.append((endpoint, user, kw))
        return _Reply({"id": str(len(self.sent))})


def _population(users: int = 30) -> Population:
    return Population.generate(DemoConfig(users=users, mean_followees=3))


def test_population_has_celebrities_after_the_ordinary_users() -> None:
    pop = _population()
    assert pop.n_users == 33
    assert [c["username"] for c in pop.celebrities()] == [
        "celebrity0",
        "celebrity1",
        "celebrity2",
    ]
    # The celebrities got the follower counts the config asked for (0.75, 0.45, 0.3 × 30).
    assert [c["followers"] for c in pop.celebrities()] == [22, 14, 9]
    assert all(len(f) == pop.graph.follower_count(u) for u, f in enumerate(pop.followers))


def test_the_same_seed_gives_the_same_population() -> None:
    a, b = _population(), _population()
    assert a.followers == b.followers


def test_replay_sends_the_mix_and_posts_before_it_needs_a_target() -> None:
    cfg = DemoConfig(users=30, mean_followees=3, requests=400)
    pop = _population()
    session = _FakeSession()
    replay = Replay(cfg, pop, np.random.default_rng(1))
    asyncio.run(replay.run(session))
    assert len(session.sent) == 400
    # Nothing can be liked, viewed or replied to before the first post.
    assert session.sent[0][0] == "POST /api/v1/statuses"
    kinds = Counter(endpoint for endpoint, _, _ in session.sent)
    assert set(kinds) == {
        "POST /api/v1/statuses",
        "POST /api/v1/statuses (reply)",
        "POST /api/v1/statuses/:id/favourite",
        "POST /api/v1/statuses/:id/reblog",
        "GET /api/v1/statuses/:id",
        "GET /api/v1/timelines/home",
        "GET /api/v2/search",
    }
    assert kinds["GET /api/v1/timelines/home"] > kinds["GET /api/v2/search"]
    # Private posts are never used as targets; public ones are remembered with their author.
    posts = [kw for e, _, kw in session.sent if e == "POST /api/v1/statuses"]
    public = [p for p in posts if p["data"]["visibility"] == "public"]
    assert len(replay.public) == len(public) < len(posts)
    # Every home-timeline reader became an active follower.
    readers = {u for e, u, _ in session.sent if e == "GET /api/v1/timelines/home"}
    assert readers <= pop.active


def test_status_texts_carry_zipf_popular_tags() -> None:
    replay = Replay(DemoConfig(users=30, mean_followees=3), _population(), np.random.default_rng(2))
    tags = Counter(w for _ in range(2000) for w in replay.text().split() if w.startswith("#"))
    assert tags.most_common(1)[0][0] == "#systemdesign"


def test_probes_only_authors_that_are_pushed_to_an_active_follower() -> None:
    pop = _population()
    pop.active = {0, 1, 2, 3, 4, 5}
    threshold = 5
    for a in _probe_authors(pop, threshold):
        assert a < pop.ordinary
        assert 0 < len(pop.followers[a]) <= threshold
        assert set(pop.followers[a]) & pop.active


def test_run_all_runs_every_job_and_reports_progress() -> None:
    session = _FakeSession()
    seen: list[tuple[str, int, int]] = []
    session.progress = lambda phase, done, total: seen.append((phase, done, total))
    ran: list[int] = []

    def job(i: int) -> Any:
        async def run() -> None:
            ran.append(i)

        return run

    asyncio.run(session.run_all([job(i) for i in range(60)], "phase"))
    assert sorted(ran) == list(range(60))
    assert seen == [("phase", 25, 60), ("phase", 50, 60), ("phase", 60, 60)]


def test_a_faster_server_needs_fewer_servers_at_scale() -> None:
    slow, fast = capacity_at_scale(100.0), capacity_at_scale(1000.0)
    assert fast["servers_at_peak"] < slow["servers_at_peak"]
    assert fast["tweets_per_day"] == slow["tweets_per_day"]
